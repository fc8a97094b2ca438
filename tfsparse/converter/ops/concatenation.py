"""CONCATENATION int8: inputs share the output's quantization (TFLM requires it), so bytes are copied."""

from __future__ import annotations

import numpy as np

from ..ir import Concatenation
from . import register


def parse(ctx) -> Concatenation:
    ctx.expect_io(1)
    out = ctx.activation(ctx.outputs[0], "output")
    for i in ctx.inputs:
        if ctx.tensors[i].data is not None:
            raise ctx.not_runnable("a CONCATENATION with a constant input has no kernel")
        t = ctx.activation(i, "input")
        if (np.float32(t.quantization.scale[0]) != np.float32(out.quantization.scale[0])
                or int(t.quantization.zero_point[0]) != int(out.quantization.zero_point[0])):
            raise ctx.error(f"input {t.name!r} is quantized differently from the output; TFLM's int8 "
                            "CONCATENATION requires equal scales and zero points")
    if getattr(ctx.options, "fusedActivationFunction", 0):
        raise ctx.not_runnable("a CONCATENATION with a fused activation has no int8 kernel")
    rank = len(out.shape)
    axis = int(getattr(ctx.options, "axis", 0)) % rank
    if axis == 0:
        raise ctx.not_runnable("a CONCATENATION along the batch axis has no kernel")
    return Concatenation(name=ctx.name, inputs=tuple(ctx.inputs), output=ctx.outputs[0], axis=axis)


def execute(op: Concatenation, model, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=op.axis)


def emit(op: Concatenation, writer) -> None:
    writer.builtin("CONCATENATION", [writer.tensor_index(i) for i in op.inputs], [writer.tensor_index(op.output)],
                   "ConcatenationOptions", axis=op.axis)


register(["CONCATENATION"], "CONCATENATION", parse, execute, emit)
