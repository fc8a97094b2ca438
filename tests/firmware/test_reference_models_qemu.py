"""The five MLPerf Tiny reference models (tfsparse.models), Conv2D and Dense kernels pruned to 80% by
magnitude, quantized, converted with the default options, generated and run on QEMU: every output
byte equals the TFLM interpreter's on 100 inputs (cortex-m4; mnist_cnn and ds_cnn also on cortex-m7
and cortex-m33), and the inputs give at least 20 distinct output vectors, so 0 mismatches means
something. One firmware run per model and target (all inputs batched)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import tfsparse

sys.path.insert(0, str(pathlib.Path(__file__).parents[2] / "benchmarks"))
import cnn_firmware  # noqa: E402

N_INPUTS = 100
CASES = [("ds_cnn", "cortex-m4"), ("resnet8", "cortex-m4"), ("mobilenet_v1", "cortex-m4"),
         ("fc_autoencoder", "cortex-m4"), ("mnist_cnn", "cortex-m4"), ("ds_cnn", "cortex-m7"),
         ("ds_cnn", "cortex-m33"), ("mnist_cnn", "cortex-m7"), ("mnist_cnn", "cortex-m33")]


@pytest.fixture(scope="module")
def pruned(tmp_path_factory):
    """name -> (tflite path, SparseModel, int8 inputs, TFLM outputs), built once per model."""
    from tflite_micro.python.tflite_micro import runtime

    cache = {}

    def get(name):
        if name not in cache:
            tflite = cnn_firmware.magnitude_pruned_tflite(name, 0.8, train_steps=12)
            path = tmp_path_factory.mktemp(name) / f"{name}.tflite"
            path.write_bytes(tflite)
            sm = tfsparse.convert(path)
            rng = np.random.default_rng(7)
            x = sm.quantize_input(cnn_firmware.synthetic_inputs(cnn_firmware.INPUT_SHAPES[name], N_INPUTS, rng))
            interpreter = runtime.Interpreter.from_file(str(path))
            ref = []
            for i in range(N_INPUTS):
                interpreter.set_input(x[i : i + 1], 0)
                interpreter.invoke()
                ref.append(interpreter.get_output(0).copy())
            cache[name] = (path, sm, x, np.concatenate(ref))
        return cache[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name,target", CASES)
def test_reference_model_bit_exact_with_tflm_on_qemu(pruned, name, target, tmp_path):
    _, sm, x, ref = pruned(name)
    assert len(np.unique(ref.reshape(N_INPUTS, -1), axis=0)) >= 20, f"{name}: fewer than 20 distinct outputs"
    kinds = {op.kind for op in sm.ops}
    if name != "fc_autoencoder":
        assert "CONV_2D" in kinds
    sparse = [op for op in sm.ops if getattr(getattr(op, "weights", None), "encoding", "dense") != "dense"]
    assert sparse, f"{name}: no layer kept sparse at 80%"
    run = tfsparse.run(tfsparse.generate(sm, tmp_path / "fw", target=target), x)
    mismatch = run.outputs.reshape(ref.shape) != ref
    assert not mismatch.any(), f"{name} on {target}: {int(mismatch.sum())} of {mismatch.size} output bytes differ from TFLM"
