"""``generate(..., tflm=True)`` for the MLPerf Tiny conv models (ds_cnn, resnet8) with 80% of their
Conv2D / Dense weights zero: the TFLM sources build against the TFLM API test double and run equal to
``SparseModel.predict``. In the double the builtins (DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, dense
CONV_2D...) run with tfsparse's own kernels, so this host run is a PLUMBING CHECK of the generated
resolver, model data and TFSPARSE_CONV_2D / TFSPARSE_FULLY_CONNECTED glue, not an oracle (the oracle
runs are TFLM's interpreter in tests/converter/test_to_tflite_graphs.py and the real-TFLM check in the
closing note)."""

from __future__ import annotations

import subprocess
import warnings

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.tflm import _RESOLVER_CALLS, tflm_ops

from . import _tflm_double


def _pruned_int8(name):
    import keras

    from tfsparse import models

    keras.utils.set_random_seed(1)
    model = getattr(models, name)(seed=1)
    for layer in model.layers:
        if type(layer) in (keras.layers.Conv2D, keras.layers.Dense):
            w = layer.get_weights()
            w[0] = w[0] * (np.abs(w[0]) > np.quantile(np.abs(w[0]), 0.8))
            layer.set_weights(w)
    x = np.random.default_rng(2).normal(size=(32,) + tuple(model.input_shape[1:])).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sparse = tfsparse.convert(tfsparse.quantize(model, x))
    return sparse, sparse.quantize_input(x[:6])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ds_cnn", "resnet8"])
def test_conv_model_tflm_sources_through_the_double(name, tmp_path):
    """Built unsanitized to save time; the sanitized runs of the same glue are the random graphs below."""
    sparse, xq = _pruned_int8(name)
    assert any(op.kind == "CONV_2D" and op.weights.encoding != "dense" for op in sparse.ops), "no sparse conv"
    project = tfsparse.generate(sparse, tmp_path / name, tflm=True)

    # The resolver adds exactly the graph's ops: its builtins with TFLM's adders, tfsparse's custom ops.
    ops_h = (project / "tflm" / "tfsparse_ops.h").read_text()
    used = {op.name for op in tflm_ops(sparse.to_tflite())}
    assert "TFSPARSE_CONV_2D" in used
    assert f"kTfsparseOpCount = {len(used)};" in ops_h
    for builtin, adder in _RESOLVER_CALLS.items():
        assert (f"resolver.{adder}()" in ops_h) == (builtin in used), adder
    assert ops_h.count("resolver.AddCustom(") == len(used & {"TFSPARSE_CONV_2D", "TFSPARSE_FULLY_CONNECTED"})

    got = _tflm_double.run_driver(_tflm_double.host_driver(project, sanitize=False), sparse, xq)
    assert int((got != sparse.predict(xq)).sum()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0])
def test_every_op_and_conv_encoding_through_the_double_under_sanitizers(seed, tmp_path):
    """A random graph with every op kind (sparse CONV_2D in three encodings, a 1x1 one
    included) under ASan + UBSan: the TFSPARSE_CONV_2D glue and its arena scratch, the resolver."""
    from tfsparse.codegen._testing_graph import random_graph

    model = random_graph(seed)
    project = tfsparse.generate(model, tmp_path / "g", tflm=True)
    x = np.random.default_rng(seed).integers(-128, 128, size=(4, *model.tensors[model.input].shape[1:])).astype(np.int8)
    got = _tflm_double.run_driver(_tflm_double.host_driver(project), model, x)
    assert int((got != model.predict(x)).sum()) == 0


def _with_tanh():
    """A sparse MLP whose output goes through TANH, an op tfsparse has no kernel for (a pass-through)."""
    from tfsparse.converter.ir import Passthrough, Quantization, Tensor
    from tfsparse.converter.model import SparseModel

    base = random_fc_model((16, 12, 6), ("abs_u8", "rel8"), density=0.4, seed=9, name="mlp tanh")
    out = Tensor(len(base.tensors), "tanh_out", base.tensors[base.output].shape, "int8",
                 Quantization(np.asarray([1 / 128], np.float32), np.asarray([0], np.int64), 0))
    tanh = Passthrough(name="tanh", op_name="TANH", inputs=(base.output,), output=out.index,
                       all_inputs=(base.output,), outputs=(out.index,), builtin_code=28)
    return SparseModel(base.name, [*base.tensors, out], [*base.ops, tanh], base.input, out.index, source="<test>")


def test_pass_through_op_makes_a_tflm_only_project(tmp_path):
    model = _with_tanh()
    with pytest.raises(tfsparse.errors.FirmwareError, match="TANH"):
        tfsparse.generate(model, tmp_path / "standalone")
    project = tfsparse.generate(model, tmp_path / "p", tflm=True)
    assert not list(project.glob("tfs_model*"))
    ops_h = (project / "tflm" / "tfsparse_ops.h").read_text()
    assert "resolver.AddTanh()" in ops_h and "kTfsparseOpCount = 2;" in ops_h
    proc = subprocess.run(["make", "-C", str(project), "--no-print-directory"], capture_output=True, text=True)
    assert proc.returncode != 0 and "TANH (tanh)" in proc.stderr and "make tflm" in proc.stderr
    _tflm_double.make_tflm(project, "libtfsparse_tflm.a", "EXTRA_CFLAGS=-Werror")
