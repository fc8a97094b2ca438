"""SOFTMAX int8 -> int8 with TFLM's fixed-point parameters."""

from __future__ import annotations

import numpy as np

from ..ir import Softmax
from ..quant_math import softmax_int8, softmax_params
from . import register


def parse(ctx) -> Softmax:
    ctx.expect_io(1)
    src = ctx.activation(ctx.inputs[0], "input")
    dst = ctx.activation(ctx.outputs[0], "output")
    if int(dst.quantization.zero_point[0]) != -128 or np.float32(dst.quantization.scale[0]) != np.float32(1.0 / 256):
        raise ctx.error(
            f"output quantization must be scale 1/256, zero point -128 (TFLM's int8 softmax); got "
            f"scale {float(dst.quantization.scale[0])}, zero point {int(dst.quantization.zero_point[0])}"
        )
    beta = float(np.float32(getattr(ctx.options, "beta", 1.0)))
    try:
        multiplier, left_shift, diff_min = softmax_params(beta, float(src.quantization.scale[0]))
    except ValueError as exc:
        raise ctx.error(str(exc)) from None
    return Softmax(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0], beta=beta,
                   input_multiplier=multiplier, input_left_shift=left_shift, diff_min=diff_min)


def execute(op: Softmax, model, x: np.ndarray) -> np.ndarray:
    return softmax_int8(x, op.input_multiplier, op.input_left_shift, op.diff_min)


def emit(op: Softmax, writer) -> None:
    writer.builtin("SOFTMAX", [writer.tensor_index(op.input)], [writer.tensor_index(op.output)], "SoftmaxOptions",
                   beta=op.beta)


register(["SOFTMAX"], "SOFTMAX", parse, execute, emit)
