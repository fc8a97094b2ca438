"""AVERAGE_POOL_2D int8 as TFLM: the rounded average of the window positions inside the input."""

from __future__ import annotations

import numpy as np

from ..ir import AveragePool2D
from . import ACTIVATION_CODES, PADDING_CODES, fused_activation, register, window_padding, windows


def parse_pool(ctx, record):
    """A pooling record (MaxPool2D or AveragePool2D) from the op's Pool2DOptions."""
    ctx.expect_io(1)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    if len(input_t.shape) != 4 or len(output_t.shape) != 4 or input_t.shape[3] != output_t.shape[3]:
        raise ctx.error(f"input {input_t.shape} and output {output_t.shape} must be NHWC with the same channels")
    iq, oq = input_t.quantization, output_t.quantization
    if np.float32(iq.scale[0]) != np.float32(oq.scale[0]) or int(iq.zero_point[0]) != int(oq.zero_point[0]):
        raise ctx.error("input and output quantization differ; TFLM's int8 pooling requires them equal")
    o = ctx.options
    filt = (int(o.filterHeight), int(o.filterWidth))
    stride = (int(o.strideH), int(o.strideW))
    padding, pads, offsets = window_padding(ctx, input_t.shape[1:3], filt, stride, (1, 1), output_t.shape[1:3])
    activation, act_min, act_max = fused_activation(ctx, output_t)
    return record(
        name=ctx.name, input=ctx.inputs[0], output=ctx.outputs[0], filter_height=filt[0], filter_width=filt[1],
        stride_height=stride[0], stride_width=stride[1], padding=padding, padding_height=pads[0],
        padding_width=pads[1], activation_min=act_min, activation_max=act_max, padding_height_offset=offsets[0],
        padding_width_offset=offsets[1], activation=activation,
    )


def pool_windows(op, model, x, fill):
    """``[N, oh, ow, kh, kw, C]`` windows of ``x`` with ``fill`` outside the input."""
    oh, ow = model.tensor(op.output).shape[1:3]
    return windows(x, (op.filter_height, op.filter_width), (op.stride_height, op.stride_width), (1, 1),
                   (op.padding_height, op.padding_width), (oh, ow), fill)


def parse(ctx) -> AveragePool2D:
    return parse_pool(ctx, AveragePool2D)


def execute(op: AveragePool2D, model, x: np.ndarray) -> np.ndarray:
    total = pool_windows(op, model, x.astype(np.int64), 0).sum(axis=(3, 4))
    inside = np.ones((1,) + x.shape[1:3] + (1,), np.int64)
    count = pool_windows(op, model, inside, 0).sum(axis=(3, 4))  # [1, oh, ow, 1]
    half = count // 2
    # C's truncating division of (sum +- count/2) by count: round half away from zero.
    num = np.where(total > 0, total + half, total - half)
    avg = np.sign(num) * (np.abs(num) // count)
    return np.clip(avg, op.activation_min, op.activation_max).astype(np.int8)


def emit_pool(builtin: str):
    """The emit function of a pooling op: the builtin with its Pool2DOptions."""

    def emit(op, writer) -> None:
        writer.builtin(builtin, [writer.tensor_index(op.input)], [writer.tensor_index(op.output)], "Pool2DOptions",
                       padding=PADDING_CODES[op.padding], strideW=op.stride_width, strideH=op.stride_height,
                       filterWidth=op.filter_width, filterHeight=op.filter_height,
                       fusedActivationFunction=ACTIVATION_CODES[op.activation])

    return emit


emit = emit_pool("AVERAGE_POOL_2D")


register(["AVERAGE_POOL_2D"], "AVERAGE_POOL_2D", parse, execute, emit)
