"""FULLY_CONNECTED (int8): parse into :class:`FullyConnected` with CSR weights, run, write back."""

from __future__ import annotations

import numpy as np

from .. import csr
from ..ir import CSRMatrix, FullyConnected, Quantization
from ..quant_math import activation_range, multiply_by_quantized_multiplier, quantize_multiplier
from . import batched_shape, flat_batch, register

# TFLite's ActivationFunctionType values.
ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


def requantization(input_scale, weight_scale, output_scale, rows: int):
    """Per-row (multiplier, shift) exactly as TFLM's FC Prepare computes them (double math on float32 scales)."""
    real = np.float64(np.float32(input_scale)) * np.asarray(weight_scale, np.float32).astype(np.float64)
    real = real / np.float64(np.float32(output_scale))
    m, s = quantize_multiplier(real)
    return np.broadcast_to(m, (rows,)).astype(np.int32), np.broadcast_to(s, (rows,)).astype(np.int32)


def fold_bias(bias, weights: np.ndarray, input_zero_point: int, ctx=None) -> np.ndarray:
    """``bias - input_zero_point * sum_c w[r, c]`` as int32 (TFLM adds the input offset in the loop)."""
    b = np.zeros(weights.shape[0], np.int64) if bias is None else np.asarray(bias, np.int64)
    folded = b - int(input_zero_point) * weights.astype(np.int64).sum(axis=1)
    if folded.size and (folded.min() < -(1 << 31) or folded.max() >= (1 << 31)):
        message = "the bias with the input zero point folded in does not fit int32"
        raise (ctx.error(message) if ctx else ValueError(message))
    return folded.astype(np.int32)


def build(ctx, *, weights_q, bias, input_t, output_t, activation: str, weight_scale) -> FullyConnected:
    """The IR record of an int8 FC layer from its dense int8 weights and the tensors' quantization."""
    rows, _ = weights_q.shape
    in_q, out_q = input_t.quantization, output_t.quantization
    multiplier, shift = requantization(in_q.scale[0], weight_scale, out_q.scale[0], rows)
    try:
        act_min, act_max = activation_range(activation, out_q.scale[0], int(out_q.zero_point[0]))
        encoded = csr.choose(weights_q, ctx.encoding)
    except ValueError as exc:
        raise ctx.error(str(exc)) from None
    return FullyConnected(
        name=ctx.name,
        input=ctx.inputs[0],
        output=ctx.outputs[0],
        weights=encoded,
        bias=fold_bias(bias, weights_q, int(in_q.zero_point[0]), ctx),
        multiplier=multiplier,
        shift=shift,
        output_zero_point=int(out_q.zero_point[0]),
        activation_min=act_min,
        activation_max=act_max,
        activation=activation,
        original_bias=None if bias is None else np.asarray(bias, np.int32),
        weight_scale=np.asarray(weight_scale, np.float32),
    )


def parse(ctx) -> FullyConnected:
    ctx.expect_io(2)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    w = ctx.constant(ctx.inputs[1], "weights", "int8", ndim=2)
    wq = ctx.tensors[ctx.inputs[1]].quantization
    if wq is None:
        raise ctx.error("weights are not quantized; make the model with tfsparse.quantize")
    if np.any(wq.zero_point != 0):
        raise ctx.error("weights must be symmetric (zero point 0), as TFLM requires")
    if wq.per_channel and (wq.axis != 0 or wq.scale.size != w.shape[0]):
        raise ctx.error(f"per-channel weight scales must run along the output axis 0 ({w.shape[0]} scales)")
    opts = ctx.options
    if opts is not None and getattr(opts, "weightsFormat", 0) != 0:
        raise ctx.error("shuffled weight formats are not supported; use the converter's default weights format")
    activation = ACTIVATION_NAMES.get(getattr(opts, "fusedActivationFunction", 0), "?")
    if activation not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise ctx.error(f"fused activation {activation} is not supported for int8; use NONE, RELU, RELU6 or RELU_N1_TO_1")
    bias = None
    if len(ctx.inputs) > 2 and ctx.inputs[2] >= 0:
        bias = ctx.constant(ctx.inputs[2], "bias", "int32", ndim=1)
        if bias.size != w.shape[0]:
            raise ctx.error(f"bias has {bias.size} entries for {w.shape[0]} output units")
    if input_t.data is None and np.prod(input_t.shape) % w.shape[1]:
        raise ctx.error(f"input shape {input_t.shape} does not flatten to rows of {w.shape[1]}")
    return build(ctx, weights_q=w, bias=bias, input_t=input_t, output_t=output_t, activation=activation,
                 weight_scale=wq.scale)


def accumulate(weights, x: np.ndarray) -> np.ndarray:
    """``acc[n, r] = sum_c w[r, c] * x[n, c]`` exactly (int64); CSR weights are decoded from their arrays.

    float64 is exact here: every product and partial sum is an integer below ``2**8 * 2**7 * cols``,
    far under ``2**53``, whatever order BLAS adds them in.
    """
    dense = csr.decode(weights) if isinstance(weights, CSRMatrix) else weights.weights
    return np.rint(x.astype(np.float64) @ dense.T.astype(np.float64)).astype(np.int64)


def execute(op: FullyConnected, model, x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    rows, cols = op.weights.shape
    acc = accumulate(op.weights, flat_batch(x, cols)) + op.bias.astype(np.int64)
    out = multiply_by_quantized_multiplier(acc, op.multiplier.astype(np.int64), op.shift.astype(np.int64))
    out = np.clip(out + op.output_zero_point, op.activation_min, op.activation_max).astype(np.int8)
    return out.reshape(batched_shape(model, op.output, n))


ACTIVATION_CODES = {v: k for k, v in ACTIVATION_NAMES.items()}


def emit(op: FullyConnected, writer) -> None:
    """A builtin FULLY_CONNECTED for a dense layer, the TFSPARSE_FULLY_CONNECTED custom op for CSR."""
    if isinstance(op.weights, CSRMatrix):
        from .sparse_fully_connected import emit_custom

        emit_custom(op, writer)
        return
    scale = op.weight_scale if op.weight_scale is not None else np.ones(1, np.float32)
    wq = Quantization(np.asarray(scale, np.float32), np.zeros(scale.size, np.int64), 0)
    inputs = [writer.tensor_index(op.input), writer.constant(f"{op.name}/weights", op.weights.weights, wq)]
    if op.original_bias is not None:
        in_scale = writer.model.tensor(op.input).quantization.scale[0]
        bq = Quantization(np.float32(in_scale) * wq.scale, np.zeros(scale.size, np.int64), 0)
        inputs.append(writer.constant(f"{op.name}/bias", op.original_bias.astype(np.int32), bq))
    else:
        inputs.append(-1)
    writer.builtin("FULLY_CONNECTED", inputs, [writer.tensor_index(op.output)], "FullyConnectedOptions",
                   fusedActivationFunction=ACTIVATION_CODES[op.activation],
                   keepNumDims=len(writer.model.tensor(op.output).shape) > 2)


register(["FULLY_CONNECTED"], "FULLY_CONNECTED", parse, execute, emit)
