"""Render-context builders of the convolutional and branched-graph ops (CONV_2D ... CONCATENATION).

One function per op kind fills an :class:`~tfsparse.codegen.context.OpContext` from an IR record:
the const arrays it needs in flash, its C params type and initializer (a nested dict of C
expressions the ``c_initializer`` filter formats), and the kernel entry points. The templates stay
free of per-op logic: every op here renders as ``prepare_fn(&params)`` and
``eval_fn(&params, inputs..., output[, scratch])``.

:func:`scratch_bytes` is the per-op scratch (im2col columns, per-channel accumulators) the arena
planner reserves for the duration of the op; it mirrors the ``*_SCRATCH_BYTES`` macros of the C
headers.
"""

from __future__ import annotations

import numpy as np

from ..converter.ir import CSRMatrix, DenseMatrix
from ..errors import FirmwareError

__all__ = ["GRAPH_OPS", "ALIASING_OPS", "scratch_bytes", "optional_scratch", "conv_2d_scratch_bytes", "fill_op_context"]

#: Ops that are a no-op on the bytes: their output aliases their input in the arena.
ALIASING_OPS = ("RESHAPE", "EXPAND_DIMS")

#: Weight encoding -> its ``tfs_encoding_t`` name (the generated FC call is ``tfs_fully_connected_eval_<encoding>``).
ENCODING_ENUM = {"dense": "TFS_ENC_DENSE", "abs_u8": "TFS_ENC_ABS_U8", "abs_u16": "TFS_ENC_ABS_U16",
                 "abs_u32": "TFS_ENC_ABS_U32", "rel8": "TFS_ENC_REL8", "rel4": "TFS_ENC_REL4",
                 "blk8": "TFS_ENC_BLK8", "csc8": "TFS_ENC_CSC8"}
#: The row forms, which a convolution can use; the column form csc8 needs the FC's own scratch.
_CONV_ENCODINGS = tuple(e for e in ENCODING_ENUM if e != "csc8")


def _shape(model, index) -> tuple:
    return tuple(int(d) for d in model.tensors[index].shape)


def _nhwc(model, op, index, role) -> tuple:
    shape = _shape(model, index)
    if len(shape) != 4 or shape[0] != 1:
        raise FirmwareError(f"op {op.name!r} ({op.kind}): {role} shape {shape} is not NHWC with batch 1; the "
                            "firmware runs batch-1 models (quantize converts at batch size 1)")
    return shape[1:]


def conv_2d_scratch_bytes(taps: int) -> int:
    """TFS_CONV_2D_SCRATCH_BYTES(taps) of kernels/tfs_conv.h: the scratch a CONV_2D of ``taps`` filter
    taps (kh * kw * cin) asks for, in the standalone arena and from TFLM's scratch buffers alike."""
    return 5 * taps + 16


def scratch_bytes(op, model) -> int:
    """Bytes of arena scratch ``op`` needs while it runs (0 for most ops)."""
    if op.kind == "CONV_2D":
        return conv_2d_scratch_bytes(op.filter_height * op.filter_width * op.input_channels)
    if op.kind == "DEPTHWISE_CONV_2D":
        packed = (op.filter_height, op.filter_width, op.depth_multiplier) == (3, 3, 1)
        return (34 if packed else 4) * op.output_channels  # TFS_DEPTHWISE_CONV_2D_SCRATCH_BYTES
    if op.kind == "MEAN":
        return 4 * _shape(model, op.input)[-1]  # TFS_MEAN_SCRATCH_BYTES
    if op.kind == "ADD" and _add_uses_tables(op, model):
        return ADD_SCRATCH_BYTES
    return 0


def optional_scratch(op, model) -> bool:
    """Whether ``op``'s scratch only speeds it up: an ADD's rescale tables (``tfs_add_table_eval``),
    which the arena planner may drop when RAM is short; the ADD then runs ``tfs_add_eval``, same bytes out."""
    return op.kind == "ADD" and _add_uses_tables(op, model)


def _window(op, model, *, filter_hw, channels_out=None, dilation=(1, 1)) -> dict:
    ih, iw, ic = _nhwc(model, op, op.input, "input")
    oh, ow, oc = _nhwc(model, op, op.output, "output")
    return dict(input_height=ih, input_width=iw, input_channels=ic, output_height=oh, output_width=ow,
                output_channels=oc if channels_out is None else channels_out, filter_height=filter_hw[0],
                filter_width=filter_hw[1], stride_height=int(op.stride_height), stride_width=int(op.stride_width),
                dilation_height=int(dilation[0]), dilation_width=int(dilation[1]),
                padding_height=int(op.padding_height), padding_width=int(op.padding_width))


def _carray(ctx, suffix, values, dtype):
    values = np.ascontiguousarray(np.asarray(values).reshape(-1), dtype=dtype)
    if values.size == 0:  # C has no empty arrays (e.g. the values of an all-zero CSR matrix)
        values = np.zeros(1, dtype)
    array = ctx.make_array(f"{ctx.ident}_{suffix}", values)
    ctx.arrays.append(array)
    return array.name


def _per_channel(ctx, op, rows):
    names = {}
    for suffix in ("bias", "multiplier", "shift"):
        arr = np.asarray(getattr(op, suffix), dtype=np.int64).reshape(-1)
        if arr.size != rows:
            raise FirmwareError(f"op {op.name!r}: {suffix} has {arr.size} entries, expected one per output "
                                f"channel ({rows})")
        names[suffix] = _carray(ctx, suffix, arr, np.int32)
    return names


def _conv_2d(op, ctx, model):
    w = op.weights
    rows, cols = (int(d) for d in w.shape)
    if isinstance(w, DenseMatrix):
        values, row_ptr, indices, rp_bytes = _carray(ctx, "weights", w.weights, np.int8), "NULL", "NULL", 0
        ctx.summary = f"{rows}x{cols} dense int8, {w.nbytes} bytes"
    elif isinstance(w, CSRMatrix):
        values = _carray(ctx, "values", w.values, np.int8)
        row_ptr = _carray(ctx, "row_ptr", w.row_ptr, w.row_ptr.dtype)
        indices = _carray(ctx, "indices", w.indices, w.indices.dtype)
        rp_bytes = int(w.row_ptr.dtype.itemsize)
        ctx.summary = (f"{rows}x{cols} {w.encoding}, {w.nnz} nonzeros ({100.0 * w.nnz / max(rows * cols, 1):.1f}%), "
                       f"{w.nbytes} bytes vs {rows * cols} dense")
    else:
        raise FirmwareError(f"op {op.name!r}: unknown weight container {type(w).__name__}")
    if w.encoding not in _CONV_ENCODINGS:
        raise FirmwareError(f"op {op.name!r}: weight encoding {w.encoding!r} has no firmware kernel")
    q = _per_channel(ctx, op, rows)
    window = _window(op, model, filter_hw=(op.filter_height, op.filter_width),
                     dilation=(op.dilation_height_factor, op.dilation_width_factor))
    if cols != op.filter_height * op.filter_width * window["input_channels"] or rows != window["output_channels"]:
        raise FirmwareError(f"op {op.name!r}: weights {rows}x{cols} do not match the filter "
                            f"{op.filter_height}x{op.filter_width}x{window['input_channels']} -> "
                            f"{window['output_channels']} channels")
    fc = dict(rows=rows, cols=cols, encoding=ENCODING_ENUM[w.encoding], values=values, row_ptr=row_ptr,
              row_ptr_bytes=rp_bytes, indices=indices, bias=q["bias"], multiplier=q["multiplier"],
              shift=q["shift"], output_zero_point=int(op.output_zero_point),
              activation_min=int(op.activation_min), activation_max=int(op.activation_max))
    return "tfs_conv_params_t", "tfs_conv_2d", dict(window=window, input_zero_point=int(op.input_zero_point), fc=fc)


def _depthwise_conv_2d(op, ctx, model):
    w = op.weights
    dense = w.weights if isinstance(w, DenseMatrix) else None
    if dense is None:
        raise FirmwareError(f"op {op.name!r}: DEPTHWISE_CONV_2D runs with dense weights only; convert it with "
                            "dense depthwise weights")
    cout = int(dense.shape[0])
    # The kernel reads TFLite's [kh][kw][cout] layout: channels contiguous per tap.
    weights = _carray(ctx, "weights", np.ascontiguousarray(np.asarray(dense, np.int8).T), np.int8)
    q = _per_channel(ctx, op, cout)
    ctx.summary = f"{op.filter_height}x{op.filter_width} x {cout} channels dense int8, {dense.size} bytes"
    window = _window(op, model, filter_hw=(op.filter_height, op.filter_width),
                     dilation=(op.dilation_height_factor, op.dilation_width_factor))
    if window["output_channels"] != cout:
        raise FirmwareError(f"op {op.name!r}: {cout} weight rows for {window['output_channels']} output channels")
    return "tfs_depthwise_conv_params_t", "tfs_depthwise_conv_2d", dict(
        window=window, depth_multiplier=int(op.depth_multiplier), input_zero_point=int(op.input_zero_point),
        weights=weights, bias=q["bias"], multiplier=q["multiplier"], shift=q["shift"],
        output_zero_point=int(op.output_zero_point), activation_min=int(op.activation_min),
        activation_max=int(op.activation_max))


def _pool(op, ctx, model):
    window = _window(op, model, filter_hw=(op.filter_height, op.filter_width))
    fn = "tfs_max_pool_2d" if op.kind == "MAX_POOL_2D" else "tfs_average_pool_2d"
    return "tfs_pool_params_t", (fn, "tfs_pool_2d"), dict(
        window=window, activation_min=int(op.activation_min), activation_max=int(op.activation_max))


def _mean(op, ctx, model):
    shape = _shape(model, op.input)
    if len(shape) < 3 or tuple(sorted(op.axis)) != tuple(range(1, len(shape) - 1)) or shape[0] != 1:
        raise FirmwareError(f"op {op.name!r}: MEAN over axes {tuple(op.axis)} of a {shape} tensor; the firmware "
                            "averages over every axis between batch and channels (height and width of NHWC, "
                            "steps of a Conv1D's (1, steps, channels)) of batch-1 tensors only")
    return "tfs_mean_params_t", "tfs_mean", dict(
        count=int(np.prod(shape[1:-1])), channels=shape[-1], multiplier=int(op.mean_multiplier), shift=int(op.mean_shift),
        input_zero_point=int(op.input_zero_point), output_zero_point=int(op.output_zero_point))


#: tfs_add.h: ADDs of at least TFS_ADD_TABLE_MIN_SIZE elements run tfs_add_table_eval, which tabulates
#: each input's rescaling in TFS_ADD_SCRATCH_BYTES of scratch.
ADD_TABLE_MIN_SIZE = 256
ADD_SCRATCH_BYTES = 2 * 256 * 4


def _add_uses_tables(op, model) -> bool:
    return int(np.prod(_shape(model, op.output))) >= ADD_TABLE_MIN_SIZE


def _add(op, ctx, model):
    a, b, out = _shape(model, op.input1), _shape(model, op.input2), _shape(model, op.output)
    if getattr(op, "requires_broadcast", False) or not (a == b == out):
        raise FirmwareError(f"op {op.name!r}: ADD of shapes {a} and {b} needs broadcasting, which the firmware "
                            "kernel does not do; make both inputs the same shape")
    fields = ("left_shift", "input1_offset", "input1_multiplier", "input1_shift", "input2_offset",
              "input2_multiplier", "input2_shift", "output_offset", "output_multiplier", "output_shift",
              "activation_min", "activation_max")
    init = dict(size=int(np.prod(out)))
    init.update({f: int(getattr(op, f)) for f in fields})
    # Tables only where the plan reserved their scratch (the planner drops them when RAM is short).
    tables = _add_uses_tables(op, model) and ctx.index in ctx.plan_scratch
    return "tfs_add_params_t", ("tfs_add_table" if tables else "tfs_add", "tfs_add"), init


def _concatenation(op, ctx, model):
    out = _shape(model, op.output)
    axis = int(op.axis) % len(out)
    outer = int(np.prod(out[:axis], dtype=np.int64))
    inner = [int(np.prod(_shape(model, t)[axis:], dtype=np.int64)) for t in op.inputs]
    if sum(inner) * outer != int(np.prod(out)):
        raise FirmwareError(f"op {op.name!r}: CONCATENATION inputs do not fill the output {out} along axis {axis}")
    name = _carray(ctx, "inner", inner, np.int32)
    return "tfs_concatenation_params_t", "tfs_concatenation", dict(num_inputs=len(inner), outer=outer, inner=name)


def _pad(op, ctx, model):
    shape = _shape(model, op.input)
    if len(shape) > 4:
        raise FirmwareError(f"op {op.name!r}: PAD of a rank-{len(shape)} tensor; the firmware pads up to rank 4")
    lead = 4 - len(shape)
    dims = [1] * lead + list(shape)
    pads = [(0, 0)] * lead + [tuple(int(v) for v in p) for p in op.paddings]
    return "tfs_pad_params_t", "tfs_pad", dict(
        input_dims=dims, before=[p[0] for p in pads], after=[p[1] for p in pads], pad_value=int(op.pad_value))


def _quantize(op, ctx, model):
    return "tfs_quantize_params_t", "tfs_quantize", dict(
        size=int(np.prod(_shape(model, op.input))), multiplier=int(op.multiplier), shift=int(op.shift),
        input_zero_point=int(op.input_zero_point), output_zero_point=int(op.output_zero_point))


def _logistic(op, ctx, model):
    return "tfs_logistic_params_t", "tfs_logistic", dict(
        size=int(np.prod(_shape(model, op.input))), input_zero_point=int(op.input_zero_point),
        input_range_radius=int(op.input_range_radius), input_multiplier=int(op.input_multiplier),
        input_left_shift=int(op.input_left_shift))


#: op kind -> builder(op, ctx, model) -> (params type, kernel prefix or (eval, prepare) prefixes, initializer)
GRAPH_OPS = {
    "CONV_2D": _conv_2d,
    "DEPTHWISE_CONV_2D": _depthwise_conv_2d,
    "MAX_POOL_2D": _pool,
    "AVERAGE_POOL_2D": _pool,
    "MEAN": _mean,
    "ADD": _add,
    "CONCATENATION": _concatenation,
    "PAD": _pad,
    "QUANTIZE": _quantize,
    "LOGISTIC": _logistic,
}


def fill_op_context(op, ctx, model, plan, make_array) -> None:
    """Fill ``ctx`` (an OpContext) for a graph op: arrays, params, entry points and arena offsets.

    ``make_array(name, values)`` builds the context's const-array record (``context.CArray``).
    """
    ctx.make_array = make_array
    ctx.plan_scratch = plan.scratch
    params_type, fn, init = GRAPH_OPS[op.kind](op, ctx, model)
    eval_prefix, prepare_prefix = fn if isinstance(fn, tuple) else (fn, fn)
    ctx.params_type = params_type
    ctx.fields.update(
        initializer=init, prepare_fn=f"{prepare_prefix}_prepare", eval_fn=f"{eval_prefix}_eval",
        input_offsets=[plan.offsets[t] for t in op.inputs],
        scratch_offset=plan.scratch.get(ctx.index),
        pointer_array=op.kind == "CONCATENATION",
    )
