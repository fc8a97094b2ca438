"""CONV_2D int8 (any stride, SAME/VALID, dilation, fused ReLU/ReLU6, per-channel weights).

The OHWI filter becomes a ``[cout, kh * kw * cin]`` matrix, stored like a fully-connected layer's
weights (CSR or dense, chosen per layer); the input zero point is folded into the bias, so padded taps
read ``input_zero_point``. The reference math gathers every window (im2col) and reuses the FC
accumulation; a 1x1 stride-1 convolution is the FC path on every pixel directly.
"""

from __future__ import annotations

import numpy as np

from .. import csr
from ..ir import Conv2D, CSRMatrix, Quantization
from . import PADDING_CODES, fused_activation, keras_scope, register, requantize_int8, window_padding, windows
from .fully_connected import ACTIVATION_CODES, accumulate, fold_bias, requantization


#: The weight forms the convolution kernels implement: the fully-connected row encodings and dense
#: (each output pixel is one FC row pass; the column form ``csc8`` needs the FC's own scratch).
CONV_ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "blk8", "rel8", "rel4", "dense")


def initial_weights(ctx, dense: np.ndarray):
    """(weights, reason) as parsed: an encoding forced by ``convert(encoding=...)`` that the convolution
    kernels implement is applied here (one too narrow for the layer raises naming the op); otherwise
    the weights stay dense and the shared chooser (:mod:`tfsparse.converter.chooser`) picks the form.
    """
    if ctx.encoding in CONV_ENCODINGS:
        try:
            return csr.encode(dense, ctx.encoding), f"encoding={ctx.encoding!r} forced"
        except ValueError as exc:
            raise ctx.error(str(exc)) from None
    return csr.encode(dense, "dense"), ""


def filter_weights(ctx, index: int, channels: int, axis: int):
    """The int8 filter constant and its per-channel (or per-tensor) scales, checked."""
    w = ctx.constant(index, "filter", "int8", ndim=4)
    wq = ctx.tensors[index].quantization
    if wq is None:
        raise ctx.error("filter is not quantized; make the model with tfsparse.quantize")
    if np.any(wq.zero_point != 0):
        raise ctx.error("filter must be symmetric (zero point 0), as TFLM requires")
    if wq.per_channel and (wq.axis != axis or wq.scale.size != channels):
        raise ctx.error(f"per-channel filter scales must run along axis {axis} ({channels} scales)")
    return w, wq.scale


def optional_bias(ctx, channels: int):
    if len(ctx.inputs) > 2 and ctx.inputs[2] >= 0:
        bias = ctx.constant(ctx.inputs[2], "bias", "int32", ndim=1)
        if bias.size != channels:
            raise ctx.error(f"bias has {bias.size} entries for {channels} output channels")
        return bias
    return None


def parse_conv(ctx, record, filter_axis: int, weights_of, **extra):
    """A Conv2D or DepthwiseConv2D record: the checks, window geometry and requantization both share.

    ``weights_of(filter, cin, cout) -> (dense [cout, taps], encoded, reason)`` lays the filter out.
    """
    ctx.expect_io(2)
    input_t = ctx.activation(ctx.inputs[0], "input")
    output_t = ctx.activation(ctx.outputs[0], "output")
    if len(input_t.shape) != 4 or len(output_t.shape) != 4:
        raise ctx.error(f"input {input_t.shape} and output {output_t.shape} must be NHWC")
    _, h, w_in, cin = input_t.shape
    _, oh, ow, cout = output_t.shape
    w, scale = filter_weights(ctx, ctx.inputs[1], cout, filter_axis)
    dense, weights, reason = weights_of(w, cin, cout)
    kh, kw = w.shape[1:3]
    o = ctx.options
    stride = (int(o.strideH), int(o.strideW))
    dilation = (int(getattr(o, "dilationHFactor", 1) or 1), int(getattr(o, "dilationWFactor", 1) or 1))
    padding, pads, offsets = window_padding(ctx, (h, w_in), (kh, kw), stride, dilation, (oh, ow))
    activation, act_min, act_max = fused_activation(ctx, output_t)
    bias = optional_bias(ctx, cout)
    in_q, out_q = input_t.quantization, output_t.quantization
    multiplier, shift = requantization(in_q.scale[0], scale, out_q.scale[0], cout)
    # The filter constant carries the Keras layer ("m/stack1_conv2_1/convolution"); the output is named
    # after whatever the converter fused last (a BatchNormalization's "batchnorm/add_1", a ReLU).
    name = keras_scope(ctx.tensors[ctx.inputs[1]].name, -2) or ctx.name
    return record(
        name=name, input=ctx.inputs[0], output=ctx.outputs[0], weights=weights,
        bias=fold_bias(bias, dense, int(in_q.zero_point[0]), ctx), multiplier=multiplier, shift=shift,
        input_zero_point=int(in_q.zero_point[0]), output_zero_point=int(out_q.zero_point[0]),
        activation_min=act_min, activation_max=act_max, filter_height=kh, filter_width=kw,
        input_channels=cin, output_channels=cout, stride_height=stride[0], stride_width=stride[1],
        dilation_height_factor=dilation[0], dilation_width_factor=dilation[1], padding=padding,
        padding_height=pads[0], padding_width=pads[1], padding_height_offset=offsets[0],
        padding_width_offset=offsets[1], activation=activation,
        original_bias=None if bias is None else np.asarray(bias, np.int32),
        weight_scale=np.asarray(scale, np.float32), choice_reason=reason, **extra,
    )


def parse(ctx) -> Conv2D:
    def weights_of(w, cin, cout):
        if w.shape[0] != cout:
            raise ctx.error(f"filter has {w.shape[0]} output channels, the output {cout}")
        if w.shape[3] != cin:
            raise ctx.not_runnable(f"grouped convolution ({cin} input channels, filter depth {w.shape[3]}) has no kernel")
        dense = w.reshape(cout, -1)
        return (dense,) + initial_weights(ctx, dense)

    return parse_conv(ctx, Conv2D, 0, weights_of)


def execute(op: Conv2D, model, x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    _, oh, ow, cout = model.tensor(op.output).shape
    if op.pointwise:
        cols = x.reshape(-1, op.input_channels)
    else:
        patches = windows(x, (op.filter_height, op.filter_width), (op.stride_height, op.stride_width),
                          (op.dilation_height_factor, op.dilation_width_factor),
                          (op.padding_height, op.padding_width), (oh, ow), op.input_zero_point)
        cols = patches.reshape(n * oh * ow, -1)
    acc = accumulate(op.weights, cols) + op.bias.astype(np.int64)
    out = requantize_int8(acc, op.multiplier, op.shift, op.output_zero_point, op.activation_min, op.activation_max)
    return out.reshape(n, oh, ow, cout)


def emit_filter(op, writer, filter_array, axis: int):
    """The filter constant (per-channel scales along ``axis``) and the original bias of a conv, as TFLite has them."""
    scale = np.asarray(op.weight_scale if op.weight_scale is not None else np.ones(1), np.float32)
    wq = Quantization(scale, np.zeros(scale.size, np.int64), axis)
    inputs = [writer.tensor_index(op.input), writer.constant(f"{op.name}/filter", filter_array, wq)]
    if op.original_bias is not None:
        in_scale = np.float32(writer.model.tensor(op.input).quantization.scale[0])
        bq = Quantization(in_scale * scale, np.zeros(scale.size, np.int64), 0)
        inputs.append(writer.constant(f"{op.name}/bias", op.original_bias.astype(np.int32), bq))
    else:
        inputs.append(-1)
    return inputs


def conv_options(op) -> dict:
    return dict(padding=PADDING_CODES[op.padding], strideW=op.stride_width, strideH=op.stride_height,
                dilationWFactor=op.dilation_width_factor, dilationHFactor=op.dilation_height_factor,
                fusedActivationFunction=ACTIVATION_CODES[op.activation])


def emit(op: Conv2D, writer) -> None:
    """The TFSPARSE_CONV_2D custom op for CSR weights, else the builtin CONV_2D with the OHWI filter."""
    if isinstance(op.weights, CSRMatrix):
        from .sparse_conv_2d import emit_custom

        emit_custom(op, writer)
        return
    w = op.weights.weights.reshape(op.output_channels, op.filter_height, op.filter_width, op.input_channels)
    writer.builtin("CONV_2D", emit_filter(op, writer, w, 0), [writer.tensor_index(op.output)], "Conv2DOptions",
                   **conv_options(op))


register(["CONV_2D"], "CONV_2D", parse, execute, emit)
