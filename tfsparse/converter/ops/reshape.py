"""RESHAPE: the bytes do not change; input and output must share their quantization."""

from __future__ import annotations

import numpy as np

from ..ir import Reshape
from . import batched_shape, register


def check_same_bytes(ctx):
    """(input, output) tensors of a byte-preserving op, checked: same quantization, same element count."""
    src = ctx.activation(ctx.inputs[0], "input")
    dst = ctx.activation(ctx.outputs[0], "output")
    same = (
        np.array_equal(src.quantization.scale, dst.quantization.scale)
        and np.array_equal(src.quantization.zero_point, dst.quantization.zero_point)
    )
    if not same:
        raise ctx.error("input and output quantization differ; a RESHAPE that requantizes is not supported")
    if int(np.prod(src.shape)) != int(np.prod(dst.shape)):
        raise ctx.error(f"cannot reshape {src.shape} to {dst.shape}")
    return src, dst


def parse(ctx) -> Reshape:
    ctx.expect_io(1)
    check_same_bytes(ctx)
    return Reshape(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0])


def execute(op: Reshape, model, x: np.ndarray) -> np.ndarray:
    return x.reshape(batched_shape(model, op.output, x.shape[0]))


def emit(op: Reshape, writer) -> None:
    shape = np.asarray(writer.model.tensor(op.output).shape, np.int32)
    inputs = [writer.tensor_index(op.input), writer.constant(f"{op.name}/shape", shape)]
    writer.builtin("RESHAPE", inputs, [writer.tensor_index(op.output)], "ReshapeOptions", newShape=shape)


register(["RESHAPE"], "RESHAPE", parse, execute, emit)
