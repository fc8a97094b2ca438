"""LOGISTIC int8 -> int8: TFLM's integer path (gemmlowp's fixed-point logistic on a Q4.27 input)."""

from __future__ import annotations

import math

import numpy as np

from ..ir import Logistic
from ..quant_math import (INT32_MAX, _one_over_one_plus_x_for_x_in_0_1, exp_on_negative_values,
                          multiply_by_quantized_multiplier, rounding_divide_by_pot, tflite_round)
from . import register

INPUT_INTEGER_BITS = 4


def logistic_params(input_scale: float):
    """``(input_multiplier, input_left_shift, input_range_radius)`` as TFLM's LOGISTIC Prepare computes them."""
    real = float(np.float32(input_scale)) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, left_shift = math.frexp(real)
    multiplier = int(tflite_round(q * float(1 << 31)))
    radius = math.floor(((1 << INPUT_INTEGER_BITS) - 1) * float(1 << (31 - INPUT_INTEGER_BITS)) / float(2.0 ** left_shift))
    return multiplier, left_shift, radius


def parse(ctx) -> Logistic:
    ctx.expect_io(1)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    if int(output_t.quantization.zero_point[0]) != -128:
        raise ctx.error("output zero point must be -128 (TFLM's int8 LOGISTIC requires it)")
    m, s, r = logistic_params(input_t.quantization.scale[0])
    return Logistic(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0],
                    input_zero_point=int(input_t.quantization.zero_point[0]), input_range_radius=r,
                    input_multiplier=m, input_left_shift=s)


def logistic_q4(a):
    """gemmlowp's ``logistic`` of Q4.27 raw values -> Q0.31 raw values."""
    a = np.asarray(a, np.int64)
    positive = a > 0
    abs_a = np.where(positive, a, -a)
    if_positive = _one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_a, INPUT_INTEGER_BITS))
    if_negative = INT32_MAX - if_positive
    return np.where(a == 0, 1 << 30, np.where(positive, if_positive, if_negative))


def execute(op: Logistic, model, x: np.ndarray) -> np.ndarray:
    d = x.astype(np.int64) - op.input_zero_point
    q4 = multiply_by_quantized_multiplier(d, op.input_multiplier, op.input_left_shift)
    inner = np.clip(rounding_divide_by_pot(logistic_q4(q4), 31 - 8) - 128, -128, 127)
    out = np.where(d <= -op.input_range_radius, -128, np.where(d >= op.input_range_radius, 127, inner))
    return out.astype(np.int8)


def emit(op: Logistic, writer) -> None:
    writer.builtin("LOGISTIC", [writer.tensor_index(op.input)], [writer.tensor_index(op.output)], "")


register(["LOGISTIC"], "LOGISTIC", parse, execute, emit)
