"""ADD int8 with TFLM's general rescaling (inputs of different scales, fused activation, broadcasting)."""

from __future__ import annotations

import numpy as np

from ..ir import Add
from ..quant_math import multiply_by_quantized_multiplier, quantize_multiplier
from . import ACTIVATION_CODES, batched_shape, fused_activation, register

LEFT_SHIFT = 20  # TFLM's int8 ADD headroom


def _smaller_than_one(real: float):
    m, s = quantize_multiplier(real)
    return int(m), int(s)


def parse(ctx) -> Add:
    ctx.expect_io(2)
    for i in ctx.inputs[:2]:
        if ctx.tensors[i].data is not None:
            raise ctx.not_runnable("an ADD with a constant operand has no kernel")
    a = ctx.activation(ctx.inputs[0], "input 1")
    b = ctx.activation(ctx.inputs[1], "input 2")
    out = ctx.activation(ctx.outputs[0], "output")
    sa, sb, so = (float(np.float32(t.quantization.scale[0])) for t in (a, b, out))
    twice_max = 2.0 * max(sa, sb)
    m1, s1 = _smaller_than_one(sa / twice_max)
    m2, s2 = _smaller_than_one(sb / twice_max)
    mo, so_ = _smaller_than_one(twice_max / ((1 << LEFT_SHIFT) * so))
    activation, act_min, act_max = fused_activation(ctx, out)
    return Add(name=ctx.name, input1=ctx.inputs[0], input2=ctx.inputs[1], output=ctx.outputs[0],
               input1_offset=-int(a.quantization.zero_point[0]), input2_offset=-int(b.quantization.zero_point[0]),
               output_offset=int(out.quantization.zero_point[0]), left_shift=LEFT_SHIFT,
               input1_multiplier=m1, input1_shift=s1, input2_multiplier=m2, input2_shift=s2,
               output_multiplier=mo, output_shift=so_, activation_min=act_min, activation_max=act_max,
               requires_broadcast=tuple(a.shape) != tuple(b.shape), activation=activation)


def _batched(x, rank):
    """``x`` (leading batch axis) with singleton axes after the batch axis up to ``rank`` (TFLite
    broadcasting aligns trailing axes)."""
    return x.reshape((x.shape[0],) + (1,) * (rank - x.ndim) + x.shape[1:])


def execute(op: Add, model, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    rank = max(x1.ndim, x2.ndim)
    v1 = (_batched(x1, rank).astype(np.int64) + op.input1_offset) << op.left_shift
    v2 = (_batched(x2, rank).astype(np.int64) + op.input2_offset) << op.left_shift
    v1 = multiply_by_quantized_multiplier(v1, op.input1_multiplier, op.input1_shift)
    v2 = multiply_by_quantized_multiplier(v2, op.input2_multiplier, op.input2_shift)
    out = multiply_by_quantized_multiplier(v1 + v2, op.output_multiplier, op.output_shift) + op.output_offset
    out = np.clip(out, op.activation_min, op.activation_max).astype(np.int8)
    return out.reshape(batched_shape(model, op.output, out.shape[0]))


def emit(op: Add, writer) -> None:
    writer.builtin("ADD", [writer.tensor_index(op.input1), writer.tensor_index(op.input2)],
                   [writer.tensor_index(op.output)], "AddOptions", fusedActivationFunction=ACTIVATION_CODES[op.activation])


register(["ADD"], "ADD", parse, execute, emit)
