"""DEPTHWISE_CONV_2D int8 (depth multiplier >= 1, any stride, SAME/VALID, dilation, fused ReLU/ReLU6).

Weights stay dense: one row of ``kh * kw`` taps per output channel. Output channel ``oc`` reads input
channel ``oc // depth_multiplier``; padded taps read the input zero point (folded into the bias).
"""

from __future__ import annotations

import numpy as np

from ..ir import DenseMatrix, DepthwiseConv2D
from . import register, requantize_int8, windows
from .conv_2d import conv_options, emit_filter, parse_conv


def parse(ctx) -> DepthwiseConv2D:
    cin, cout = ctx.tensors[ctx.inputs[0]].shape[-1], ctx.tensors[ctx.outputs[0]].shape[-1]

    def weights_of(w, cin, cout):
        if w.shape[0] != 1 or w.shape[3] != cout or cout % cin:
            raise ctx.error(f"filter {w.shape} does not map {cin} input channels to {cout} output channels")
        dense = np.ascontiguousarray(w.reshape(-1, cout).T)
        return dense, DenseMatrix(dense), "dense: depthwise kernels stay dense"

    return parse_conv(ctx, DepthwiseConv2D, 3, weights_of, depth_multiplier=max(1, cout // max(1, cin)))


def execute(op: DepthwiseConv2D, model, x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    _, oh, ow, cout = model.tensor(op.output).shape
    patches = windows(x, (op.filter_height, op.filter_width), (op.stride_height, op.stride_width),
                      (op.dilation_height_factor, op.dilation_width_factor),
                      (op.padding_height, op.padding_width), (oh, ow), op.input_zero_point)
    taps = op.filter_height * op.filter_width
    patches = patches.reshape(n, oh, ow, taps, op.input_channels)
    source = np.arange(cout) // op.depth_multiplier  # input channel of each output channel
    w = op.weights.weights.astype(np.float64)  # [cout, taps]
    acc = np.zeros((n, oh, ow, cout), np.float64)
    for t in range(taps):  # exact: |acc| < 2**8 * 2**7 * taps << 2**53
        acc += patches[:, :, :, t, source].astype(np.float64) * w[:, t]
    acc = acc.astype(np.int64) + op.bias.astype(np.int64)
    return requantize_int8(acc, op.multiplier, op.shift, op.output_zero_point, op.activation_min, op.activation_max)


def emit(op: DepthwiseConv2D, writer) -> None:
    """The builtin DEPTHWISE_CONV_2D with its [1, kh, kw, cout] filter."""
    w = np.ascontiguousarray(op.weights.weights.T).reshape(1, op.filter_height, op.filter_width, op.output_channels)
    writer.builtin("DEPTHWISE_CONV_2D", emit_filter(op, writer, w, 3), [writer.tensor_index(op.output)],
                   "DepthwiseConv2DOptions", depthMultiplier=op.depth_multiplier, **conv_options(op))


register(["DEPTHWISE_CONV_2D"], "DEPTHWISE_CONV_2D", parse, execute, emit)
