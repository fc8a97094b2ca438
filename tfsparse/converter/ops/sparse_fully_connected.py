"""CUSTOM ``TFSPARSE_FULLY_CONNECTED``: the CSR form of FULLY_CONNECTED that ``SparseModel.to_tflite`` writes.

Inputs (tensor order is the C kernel's contract):

====  =============  ===============================================================
 0    input          int8 activation
 1    values         int8 ``[nnz]``, the nonzeros row by row
 2    row_ptr        uint16 or uint32 ``[rows + 1]``, offsets into the index entries
 3    indices        uint8/uint16/uint32 ``[n]`` (see ``tfsparse.converter.ir`` for each encoding)
 4    bias           int32 ``[rows]``, input zero point folded in
 5    multiplier     int32 ``[rows]``
 6    shift          int32 ``[rows]`` (TFLM convention, positive = left)
====  =============  ===============================================================

Output 0 is the int8 activation. The custom options are a flexbuffer map with ``encoding`` (name),
``encoding_id`` (``tfs_encoding_t``), ``rows``, ``cols``, ``num_entries``, ``output_zero_point``,
``activation_min``, ``activation_max``, ``activation`` (name), ``name`` (the layer's) and
``weight_scale`` (floats, for reports).
"""

from __future__ import annotations

import numpy as np

from ..ir import ENCODINGS, CSRMatrix, FullyConnected
from . import register

CUSTOM_CODE = "TFSPARSE_FULLY_CONNECTED"
#: ``tfs_encoding_t`` values of firmware/kernels/tfs_fully_connected.h.
ENCODING_IDS = {"dense": 0, "abs_u8": 1, "abs_u16": 2, "abs_u32": 3, "rel8": 4, "rel4": 5}
_OPTION_KEYS = ("encoding", "rows", "cols", "num_entries", "output_zero_point", "activation_min", "activation_max")


def parse_custom(ctx, option_keys=_OPTION_KEYS):
    """(options dict, CSRMatrix, bias, multiplier, shift) of a tfsparse CSR custom op (FC or conv: the
    same seven inputs), checked."""
    from flatbuffers import flexbuffers

    ctx.expect_io(7)
    ctx.activation(ctx.inputs[0], "input")
    ctx.activation(ctx.outputs[0], "output")
    try:
        opts = flexbuffers.Loads(bytes(ctx.custom_options or b""))
    except Exception as exc:  # flexbuffers raises assorted errors on bad bytes
        raise ctx.error(f"custom options are not a flexbuffer map ({exc})") from None
    if not isinstance(opts, dict) or any(k not in opts for k in option_keys):
        raise ctx.error(f"custom options must be a flexbuffer map with keys {', '.join(option_keys)}")
    encoding = opts["encoding"]
    if encoding not in ENCODINGS or encoding == "dense":
        raise ctx.error(f"unknown CSR encoding {encoding!r}")
    values = ctx.constant(ctx.inputs[1], "values", "int8", ndim=1)
    row_ptr = ctx.tensors[ctx.inputs[2]].data
    indices = ctx.tensors[ctx.inputs[3]].data
    rows, cols, entries = int(opts["rows"]), int(opts["cols"]), int(opts["num_entries"])
    if row_ptr is None or indices is None or row_ptr.size != rows + 1 or int(row_ptr[-1]) != entries:
        raise ctx.error(f"row_ptr must be a constant of {rows + 1} offsets ending at num_entries={entries}")
    m = CSRMatrix((rows, cols), encoding, values, row_ptr, indices, entries)
    bias = ctx.constant(ctx.inputs[4], "bias", "int32", ndim=1)
    multiplier = ctx.constant(ctx.inputs[5], "multiplier", "int32", ndim=1)
    shift = ctx.constant(ctx.inputs[6], "shift", "int32", ndim=1)
    if not bias.size == multiplier.size == shift.size == rows:
        raise ctx.error(f"bias, multiplier and shift must have {rows} entries")
    return opts, m, bias, multiplier, shift


def parse(ctx) -> FullyConnected:
    opts, m, bias, multiplier, shift = parse_custom(ctx)
    scale = opts.get("weight_scale")
    return FullyConnected(
        name=str(opts.get("name", ctx.name)),
        input=ctx.inputs[0],
        output=ctx.outputs[0],
        weights=m,
        bias=bias,
        multiplier=multiplier,
        shift=shift,
        output_zero_point=int(opts["output_zero_point"]),
        activation_min=int(opts["activation_min"]),
        activation_max=int(opts["activation_max"]),
        activation=str(opts.get("activation", "NONE")),
        weight_scale=None if scale is None else np.asarray(scale, np.float32),
    )


def custom_options(op) -> dict:
    """The flexbuffer options of a CSR custom op (FC or conv) common to both."""
    m = op.weights
    options = {
        "encoding": m.encoding,
        "encoding_id": ENCODING_IDS[m.encoding],
        "rows": int(m.shape[0]),
        "cols": int(m.shape[1]),
        "num_entries": int(m.num_entries),
        "output_zero_point": int(op.output_zero_point),
        "activation_min": int(op.activation_min),
        "activation_max": int(op.activation_max),
        "activation": op.activation,
        "name": op.name,
    }
    if op.weight_scale is not None:
        options["weight_scale"] = [float(v) for v in np.asarray(op.weight_scale).ravel()]
    return options


def emit_csr(op, writer, code: str, options: dict) -> None:
    """Append a CSR custom op (its seven inputs, see the module docstring) to the writer."""
    from flatbuffers import flexbuffers

    m = op.weights
    inputs = [
        writer.tensor_index(op.input),
        writer.constant(f"{op.name}/values", m.values),
        writer.constant(f"{op.name}/row_ptr", m.row_ptr),
        writer.constant(f"{op.name}/indices", m.indices),
        writer.constant(f"{op.name}/bias", op.bias.astype(np.int32)),
        writer.constant(f"{op.name}/multiplier", op.multiplier.astype(np.int32)),
        writer.constant(f"{op.name}/shift", op.shift.astype(np.int32)),
    ]
    writer.custom(code, inputs, [writer.tensor_index(op.output)], flexbuffers.Dumps(options))


def emit_custom(op: FullyConnected, writer) -> None:
    emit_csr(op, writer, CUSTOM_CODE, custom_options(op))


# Runs and writes back as FullyConnected (kind "FULLY_CONNECTED"); only the parser is registered here.
register([CUSTOM_CODE], "FULLY_CONNECTED", parse)
