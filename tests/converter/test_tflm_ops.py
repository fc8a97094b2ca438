"""Hand-built one-op graphs (written with the to_tflite writer) run by the TFLM interpreter and by
SparseModel.predict: fused activations, zero points, per-tensor/per-channel scales, RESHAPE, softmax
scales and betas that the trained models do not reach."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.converter.ir import Quantization, Tensor
from tfsparse.converter.model import SparseModel
from tfsparse.converter.ops.fully_connected import ACTIVATION_CODES
from tfsparse.converter.to_tflite import Writer


def q(scale, zero_point=0):
    scale = np.atleast_1d(np.asarray(scale, np.float32))
    return Quantization(scale, np.broadcast_to(np.asarray(zero_point, np.int64), scale.shape).copy(), 0)


def build(tensors, emit):
    """A .tflite of activation tensors ``tensors`` (first = input, last = output) and ops added by ``emit``."""
    model = SparseModel("handmade", tensors, [], 0, len(tensors) - 1)
    writer = Writer(model)
    first = writer.tensor_index(0)
    emit(writer)
    return writer.finish([first], [writer.tensor_index(len(tensors) - 1)], "test")


def fc_graph(rng, activation, per_channel, reshape):
    rows, cols = int(rng.integers(1, 40)), int(rng.integers(1, 24)) * 4
    w = rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    w[rng.random(w.shape) < rng.choice([0.0, 0.5, 0.9, 1.0])] = 0
    in_q = q(rng.uniform(0.002, 0.1), rng.integers(-128, 128))
    w_q = q(rng.uniform(0.001, 0.05, size=rows if per_channel else 1))
    out_q = q(rng.uniform(0.01, 0.5), rng.integers(-128, 128))
    bias = rng.integers(-(1 << 15), 1 << 15, size=rows).astype(np.int32)
    flat = Tensor(1, "flat", (1, cols), "int8", in_q)
    tensors = ([Tensor(0, "in", (1, 4, cols // 4), "int8", in_q), flat] if reshape else [Tensor(0, "in", (1, cols), "int8", in_q)])
    tensors.append(Tensor(len(tensors), "out", (1, rows), "int8", out_q))

    def emit(writer):
        x = writer.tensor_index(0)
        if reshape:
            shape = np.array([1, cols], np.int32)
            writer.builtin("RESHAPE", [x, writer.constant("shape", shape)], [writer.tensor_index(1)], "ReshapeOptions",
                           newShape=shape)
            x = writer.tensor_index(1)
        bq = q(in_q.scale[0] * w_q.scale)
        inputs = [x, writer.constant("w", w, w_q), writer.constant("b", bias, bq)]
        writer.builtin("FULLY_CONNECTED", inputs, [writer.tensor_index(len(tensors) - 1)], "FullyConnectedOptions",
                       fusedActivationFunction=ACTIVATION_CODES[activation])

    return build(tensors, emit), tensors[0].shape


CASES = [(seed, act, pc, seed % 3 == 0) for seed, (act, pc) in enumerate(
    [(a, p) for a in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1") for p in (False, True)] * 3)]


@pytest.mark.parametrize("seed, activation, per_channel, reshape", CASES)
def test_fully_connected_matches_tflm(tmp_path, tflm_outputs, seed, activation, per_channel, reshape):
    rng = np.random.default_rng(seed)
    data, in_shape = fc_graph(rng, activation, per_channel, reshape)
    path = tmp_path / "fc.tflite"
    path.write_bytes(data)
    x = rng.integers(-128, 128, size=(64,) + in_shape[1:]).astype(np.int8)
    ref = tflm_outputs(path, x)
    for encoding in ("smallest", "fastest", "dense"):
        sparse = tfsparse.convert(path, encoding=encoding)
        assert sparse.fully_connected[0].activation == activation
        ours = sparse.predict(x)
        assert np.count_nonzero(ours != ref.reshape(ours.shape)) == 0


@pytest.mark.parametrize("scale", [0.004, 0.03, 0.1, 0.25, 1.0, 8.0])
@pytest.mark.parametrize("beta", [1.0, 0.37, 3.0])
def test_softmax_matches_tflm(tmp_path, tflm_outputs, scale, beta):
    rng = np.random.default_rng(int(scale * 1000) + int(beta * 10))
    depth = 17
    tensors = [Tensor(0, "in", (1, depth), "int8", q(scale, int(rng.integers(-128, 128)))),
               Tensor(1, "out", (1, depth), "int8", q(1.0 / 256, -128))]
    data = build(tensors, lambda w: w.builtin("SOFTMAX", [w.tensor_index(0)], [w.tensor_index(1)], "SoftmaxOptions", beta=beta))
    path = tmp_path / "softmax.tflite"
    path.write_bytes(data)
    x = rng.integers(-128, 128, size=(300, depth)).astype(np.int8)
    x[:20] = rng.integers(120, 128, size=(20, depth))  # near-ties
    x[20:40] = -128
    x[40:60, :] = -128
    x[40:60, 0] = 127  # one peak, everything else beyond diff_min at large scales
    ref = tflm_outputs(path, x)
    sparse = tfsparse.convert(path)
    op = sparse.ops[0]
    assert op.kind == "SOFTMAX" and op.diff_min <= 0 and op.input_left_shift >= 0
    assert np.count_nonzero(sparse.predict(x) != ref) == 0
