"""CUSTOM ``TFSPARSE_CONV_2D``: the CSR form of CONV_2D that ``SparseModel.to_tflite`` writes.

The seven inputs are those of ``TFSPARSE_FULLY_CONNECTED`` (``sparse_fully_connected.py``): input
(int8 NHWC), values, row_ptr, indices, bias (input zero point folded), multiplier, shift; one CSR
row per output channel over its ``kh * kw * cin`` taps in (kh, kw, cin) order. Output 0 is the int8
NHWC activation. The flexbuffer options are the FC op's (``rows`` = output channels, ``cols`` =
taps) plus the window geometry, named as in TFLM's conv op data: ``filter_height``,
``filter_width``, ``input_channels``, ``output_channels``, ``stride_height``, ``stride_width``,
``dilation_height_factor``, ``dilation_width_factor``, ``padding`` (``"SAME"``/``"VALID"``),
``padding_height``, ``padding_width``, ``padding_height_offset``, ``padding_width_offset`` and
``input_zero_point`` (what padded taps read).
"""

from __future__ import annotations

import numpy as np

from ..ir import Conv2D
from . import register
from .sparse_fully_connected import _OPTION_KEYS, custom_options, emit_csr, parse_custom

CUSTOM_CODE = "TFSPARSE_CONV_2D"
GEOMETRY_KEYS = ("filter_height", "filter_width", "input_channels", "output_channels", "stride_height",
                 "stride_width", "dilation_height_factor", "dilation_width_factor", "padding_height",
                 "padding_width", "padding_height_offset", "padding_width_offset", "input_zero_point")


def parse(ctx) -> Conv2D:
    opts, m, bias, multiplier, shift = parse_custom(ctx, _OPTION_KEYS + GEOMETRY_KEYS + ("padding",))
    geometry = {key: int(opts[key]) for key in GEOMETRY_KEYS}
    taps = geometry["filter_height"] * geometry["filter_width"] * geometry["input_channels"]
    if m.shape != (geometry["output_channels"], taps):
        raise ctx.error(f"CSR shape {m.shape} does not match {geometry['output_channels']} output channels x "
                        f"{taps} taps")
    scale = opts.get("weight_scale")
    return Conv2D(
        name=str(opts.get("name", ctx.name)), input=ctx.inputs[0], output=ctx.outputs[0], weights=m, bias=bias,
        multiplier=multiplier, shift=shift, output_zero_point=int(opts["output_zero_point"]),
        activation_min=int(opts["activation_min"]), activation_max=int(opts["activation_max"]),
        padding=str(opts["padding"]), activation=str(opts.get("activation", "NONE")),
        weight_scale=None if scale is None else np.asarray(scale, np.float32), **geometry,
    )


def emit_custom(op: Conv2D, writer) -> None:
    options = custom_options(op, writer.model)
    options.update({key: int(getattr(op, key)) for key in GEOMETRY_KEYS}, padding=op.padding)
    emit_csr(op, writer, CUSTOM_CODE, options)


# Runs and writes back as Conv2D (kind "CONV_2D"); only the parser is registered here.
register([CUSTOM_CODE], "CONV_2D", parse)
