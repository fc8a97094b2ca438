"""QUANTIZE int8 -> int8: TFLM's ``Requantize`` with ``QuantizeMultiplier(in_scale / out_scale)``."""

from __future__ import annotations

import numpy as np

from ..ir import Quantize
from ..quant_math import multiply_by_quantized_multiplier, quantize_multiplier
from . import register


def parse(ctx) -> Quantize:
    ctx.expect_io(1)
    if ctx.tensors[ctx.inputs[0]].dtype != "int8":
        raise ctx.not_runnable(f"QUANTIZE from {ctx.tensors[ctx.inputs[0]].dtype} has no kernel (int8 -> int8 only)")
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    iq, oq = input_t.quantization, output_t.quantization
    m, s = quantize_multiplier(np.float64(np.float32(iq.scale[0])) / np.float64(np.float32(oq.scale[0])))
    return Quantize(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0],
                    input_zero_point=int(iq.zero_point[0]), output_zero_point=int(oq.zero_point[0]),
                    multiplier=int(m), shift=int(s))


def execute(op: Quantize, model, x: np.ndarray) -> np.ndarray:
    out = multiply_by_quantized_multiplier(x.astype(np.int64) - op.input_zero_point, op.multiplier, op.shift)
    return np.clip(out + op.output_zero_point, -128, 127).astype(np.int8)


def emit(op: Quantize, writer) -> None:
    writer.builtin("QUANTIZE", [writer.tensor_index(op.input)], [writer.tensor_index(op.output)], "")


register(["QUANTIZE"], "QUANTIZE", parse, execute, emit)
