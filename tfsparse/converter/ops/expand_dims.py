"""EXPAND_DIMS: the bytes do not change (Conv1D becomes EXPAND_DIMS + CONV_2D)."""

from __future__ import annotations

import numpy as np

from ..ir import ExpandDims
from . import batched_shape, register
from .reshape import check_same_bytes


def parse(ctx) -> ExpandDims:
    ctx.expect_io(1)
    src, dst = check_same_bytes(ctx)
    axis = 0
    if len(ctx.inputs) > 1 and ctx.tensors[ctx.inputs[1]].data is not None:
        axis = int(np.ravel(ctx.tensors[ctx.inputs[1]].data)[0])
    if axis % (len(dst.shape)) == 0:
        raise ctx.not_runnable("EXPAND_DIMS before the batch axis has no kernel")
    return ExpandDims(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0], axis=axis)


def execute(op: ExpandDims, model, x: np.ndarray) -> np.ndarray:
    return x.reshape(batched_shape(model, op.output, x.shape[0]))


def emit(op: ExpandDims, writer) -> None:
    axis = writer.constant(f"{op.name}/axis", np.asarray([op.axis], np.int32))
    writer.builtin("EXPAND_DIMS", [writer.tensor_index(op.input), axis], [writer.tensor_index(op.output)],
                   "ExpandDimsOptions")


register(["EXPAND_DIMS"], "EXPAND_DIMS", parse, execute, emit)
