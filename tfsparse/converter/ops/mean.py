"""MEAN int8 over non-batch axes, as TFLM's ``QuantizedMeanOrSum`` (one multiplier folding in 1/n)."""

from __future__ import annotations

import numpy as np

from ..ir import Mean
from ..quant_math import multiply_by_quantized_multiplier, quantize_multiplier
from . import batched_shape, register


def mean_multiplier(multiplier: int, shift: int, n: int):
    """TFLM's Eval-time rescaling: ``(multiplier << s) / n`` and ``shift - s`` with
    ``s = min(floor(log2 n), 32, 31 + shift)``."""
    s = min(n.bit_length() - 1, 32, 31 + shift)
    return int((multiplier << s) // n), shift - s


def parse(ctx) -> Mean:
    ctx.expect_io(2)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    axis_data = ctx.constant(ctx.inputs[1], "axis", "int32")
    rank = len(input_t.shape)
    axes = tuple(sorted({int(a) % rank for a in np.ravel(axis_data)}))
    if 0 in axes:
        raise ctx.not_runnable("a MEAN over the batch axis has no kernel")
    keep_dims = bool(getattr(ctx.options, "keepDims", False))
    n = int(np.prod([input_t.shape[a] for a in axes]))
    in_q, out_q = input_t.quantization, output_t.quantization
    m, s = quantize_multiplier(np.float64(np.float32(in_q.scale[0])) / np.float64(np.float32(out_q.scale[0])))
    mm, ms = mean_multiplier(int(m), int(s), n)
    return Mean(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0], axis=axes, keep_dims=keep_dims,
                num_elements=n, input_zero_point=int(in_q.zero_point[0]), output_zero_point=int(out_q.zero_point[0]),
                multiplier=int(m), shift=int(s), mean_multiplier=mm, mean_shift=ms)


def execute(op: Mean, model, x: np.ndarray) -> np.ndarray:
    total = x.astype(np.int64).sum(axis=op.axis)
    out = multiply_by_quantized_multiplier(total - op.input_zero_point * op.num_elements, op.mean_multiplier,
                                           op.mean_shift)
    out = np.clip(out + op.output_zero_point, -128, 127).astype(np.int8)
    return out.reshape(batched_shape(model, op.output, x.shape[0]))


def emit(op: Mean, writer) -> None:
    axis = writer.constant(f"{op.name}/axis", np.asarray(op.axis, np.int32))
    writer.builtin("MEAN", [writer.tensor_index(op.input), axis], [writer.tensor_index(op.output)], "ReducerOptions",
                   keepDims=op.keep_dims)


register(["MEAN"], "MEAN", parse, execute, emit)
