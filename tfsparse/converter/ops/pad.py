"""PAD / PADV2 int8: new elements are the output zero point (PAD) or the given constant (PADV2)."""

from __future__ import annotations

import numpy as np

from ..ir import Pad
from . import register


def parse(ctx) -> Pad:
    ctx.expect_io(2)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    paddings_t = ctx.tensors[ctx.inputs[1]]
    if paddings_t.data is None or paddings_t.dtype not in ("int32", "int64"):
        raise ctx.error("paddings must be a constant int32 or int64 tensor")
    paddings = tuple((int(a), int(b)) for a, b in np.asarray(paddings_t.data).reshape(-1, 2))
    if len(paddings) != len(input_t.shape):
        raise ctx.error(f"paddings has {len(paddings)} rows for a rank-{len(input_t.shape)} input")
    if paddings[0] != (0, 0):
        raise ctx.not_runnable("padding the batch axis has no kernel")
    iq, oq = input_t.quantization, output_t.quantization
    if np.float32(iq.scale[0]) != np.float32(oq.scale[0]) or int(iq.zero_point[0]) != int(oq.zero_point[0]):
        raise ctx.error("input and output quantization differ; TFLM's int8 PAD requires them equal")
    pad_value = int(oq.zero_point[0])
    if ctx.op_name == "PADV2" and len(ctx.inputs) > 2 and ctx.inputs[2] >= 0:
        pad_value = int(np.ravel(ctx.constant(ctx.inputs[2], "constant_values", "int8"))[0])
    return Pad(name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0], paddings=paddings, pad_value=pad_value)


def execute(op: Pad, model, x: np.ndarray) -> np.ndarray:
    return np.pad(x, op.paddings, mode="constant", constant_values=op.pad_value)


def emit(op: Pad, writer) -> None:
    """PAD when the new elements are the zero point, else PADV2 with the constant."""
    out = writer.model.tensor(op.output)
    inputs = [writer.tensor_index(op.input), writer.constant(f"{op.name}/paddings", np.asarray(op.paddings, np.int32))]
    if op.pad_value == int(out.quantization.zero_point[0]):
        writer.builtin("PAD", inputs, [writer.tensor_index(op.output)], "PadOptions")
        return
    inputs.append(writer.constant(f"{op.name}/constant_values", np.asarray([op.pad_value], np.int8), out.quantization))
    writer.builtin("PADV2", inputs, [writer.tensor_index(op.output)], "PadV2Options")


register(["PAD", "PADV2"], "PAD", parse, execute, emit)
