"""Every graph op's generated C (templates, arena with branches and scratch, kernels) built for the host
under -Wall -Wextra -Werror and ASan + UBSan, portable and Cortex-M twins, against SparseModel.predict
(bit-exact with TFLM) on random graphs: random geometry, encodings, densities and quantization.

A hooks header (the generated graph's TFS_AFTER_OP) writes every op's output tensor, so each op is
compared with the executor's value of that tensor, not only the graph output.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tfsparse
from tfsparse.converter.model import SparseModel
from tfsparse.codegen import _testing_graph as _graphs
from tfsparse.codegen import hostbuild
from tfsparse.codegen.context import build_context
from tfsparse.codegen.targets import get_target

SEEDS = range(7)  # every encoding at every conv position (see _testing_graph)
INPUTS = 12


@pytest.fixture(scope="module")
def kernel_objects(tmp_path_factory):
    d = tmp_path_factory.mktemp("graph_kernels")
    return {impl: hostbuild.build_kernel_objects(d / impl, kernel_impl=impl) for impl in ("portable", "cortex-m")}


@pytest.fixture(scope="module")
def graphs():
    return {seed: _graphs.random_graph(seed) for seed in SEEDS}


def _trace_header(model, path):
    """TFS_AFTER_OP writes op i's output bytes (arena offset and size from the render context)."""
    ctx = build_context(model, get_target("cortex-m4"))
    offsets = ", ".join(str(op.output_offset) for op in ctx.ops)
    sizes = ", ".join(str(model.tensors[op.output].nbytes) for op in model.ops)
    path.write_text(f"""#include <stdio.h>
#include <stdlib.h>
static const int trace_offsets[] = {{{offsets}}};
static const int trace_sizes[] = {{{sizes}}};
static FILE *trace_file(void) {{
  static FILE *f;
  if (f == NULL) f = fopen(getenv("TFS_TRACE"), "wb");
  return f;
}}
#define TFS_AFTER_OP(index, name) \\
  ((void)fwrite(tfs_arena + trace_offsets[index], 1, (size_t)trace_sizes[index], trace_file()), fflush(trace_file()))
""")


def _intermediates(model, x):
    """The executor's value of every op's output: predict on the graph cut after each op."""
    return [dataclasses.replace(model, ops=model.ops[: i + 1], output=op.output).predict(x)
            for i, op in enumerate(model.ops)]


def _check_op_by_op(model, kernel_objects, kernel_impl, tmp_path, monkeypatch, seed):
    """Build ``model`` for the host with ``kernel_impl`` and compare every op's output with the executor."""
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    _trace_header(model, tmp_path / "trace.h")
    exe = hostbuild.build_host_model(project, tmp_path / "host_model", kernel_objects=kernel_objects[kernel_impl],
                                     extra_flags=[f"-DTFS_HOOKS_HEADER=\"{tmp_path / 'trace.h'}\""])
    rng = np.random.default_rng(100 + seed)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[0] = model.input_tensor.quantization.zero_point[0]  # every value equals the padding value
    monkeypatch.setenv("TFS_TRACE", str(tmp_path / "trace.bin"))
    got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
    expected = _intermediates(model, x)
    assert np.array_equal(got, expected[-1])
    trace = np.frombuffer((tmp_path / "trace.bin").read_bytes(), np.int8)
    sizes = [model.tensors[op.output].nbytes for op in model.ops]
    assert trace.size == INPUTS * sum(sizes)
    per_input = trace.reshape(INPUTS, sum(sizes))
    start = 0
    for op, size, want in zip(model.ops, sizes, expected):
        have = per_input[:, start : start + size]
        bad = have != want.reshape(INPUTS, -1)
        assert not bad.any(), (f"{kernel_impl}, {model.name}, op {op.name} ({op.kind}): {int(bad.sum())} of {bad.size} "
                               "bytes differ from SparseModel.predict")
        if op.kind not in ("MEAN", "QUANTIZE"):  # averages of random inputs may all round alike
            assert len(np.unique(want.reshape(INPUTS, -1), axis=0)) > 1, f"{op.name}: output ignores the input"
        start += size


@pytest.mark.parametrize("kernel_impl", ["portable", "cortex-m"])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_matches_predict_op_by_op(graphs, kernel_objects, seed, kernel_impl, tmp_path, monkeypatch):
    _check_op_by_op(graphs[seed], kernel_objects, kernel_impl, tmp_path, monkeypatch, seed)


def test_every_op_kind_and_encoding_is_exercised(graphs):
    kinds = {op.kind for g in graphs.values() for op in g.ops}
    assert kinds >= {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "ADD",
                     "CONCATENATION", "PAD", "QUANTIZE", "LOGISTIC", "EXPAND_DIMS"}
    encodings = {op.weights.encoding for g in graphs.values() for op in g.ops if op.kind == "CONV_2D"}
    assert encodings == set(_graphs.ENCODINGS)


def _conv_chain(encoding: str, seed: int):
    """Convolutions covering the sparse kernel's cases: output pixel counts that are not a multiple of 4,
    channel counts that are not a multiple of 4, a single input channel (10x4 filter), SAME padding
    wider than the input, stride 2, dilation, VALID with unequal strides, more than 255 taps (blk8 in
    two blocks, rel gaps past the escape), pointwise."""
    b = _graphs._Builder(np.random.default_rng(seed))
    x = b.tensor("input", (1, 9, 7, 1))
    enc = {"encoding": encoding}
    t = b.conv(x, 12, (10, 4), (2, 1), padding="SAME", **enc)          # 5x7 = 35 pixels, cin 1
    t = b.conv(t, 13, (1, 1), padding="VALID", **enc)                  # pointwise, cin 12
    t = b.conv(t, 12, (5, 5), padding="SAME", **enc)                   # 325 taps, wide padding
    t = b.conv(t, 32, (3, 3), (2, 2), padding="SAME", **enc)           # stride 2: 3x4 pixels
    t = b.conv(t, 6, (3, 3), (1, 1), (2, 2), padding="SAME", **enc)    # dilation 2, 288 taps
    t = b.conv(t, 5, (2, 3), (1, 2), padding="VALID", **enc)           # 2x1 pixels
    return SparseModel(f"convs_{encoding}", b.tensors, b.ops, x, t, source="<conv chain>", source_sha256="")


@pytest.mark.parametrize("kernel_impl", ["portable", "cortex-m"])
@pytest.mark.parametrize("encoding", _graphs.ENCODINGS)
def test_sparse_conv_cases_match_predict_op_by_op(kernel_objects, encoding, kernel_impl, tmp_path, monkeypatch):
    """Every weight encoding (abs_u8 only where taps <= 256, else abs_u16) through the conv chain, each
    convolution's output compared with the executor's."""
    _check_op_by_op(_conv_chain(encoding, 7), kernel_objects, kernel_impl, tmp_path, monkeypatch, 7)
