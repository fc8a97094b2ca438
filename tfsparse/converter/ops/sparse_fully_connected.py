"""CUSTOM ``TFSPARSE_FULLY_CONNECTED``: the CSR form of FULLY_CONNECTED that ``SparseModel.to_tflite`` writes.

Inputs (tensor order is the C kernel's contract):

====  =============  ===============================================================
 0    input          int8 activation
 1    values         int8 ``[nnz]``, the nonzeros row by row
 2    row_ptr        uint16 or uint32 ``[rows + 1]``, offsets into the index entries
                    (blk8 / csc8: uint8 counts per line and block, see ``tfsparse.converter.ir``)
 3    indices        uint8/uint16/uint32 ``[n]`` (see ``tfsparse.converter.ir`` for each encoding)
 4    bias           int32 ``[rows]``, input zero point folded in (csc8: not folded)
 5    multiplier     int32 ``[rows]``
 6    shift          int32 ``[rows]`` (TFLM convention, positive = left)
====  =============  ===============================================================

Output 0 is the int8 activation. The custom options are a flexbuffer map with ``encoding`` (name),
``encoding_id`` (``tfs_encoding_t``), ``rows``, ``cols``, ``num_entries``, ``output_zero_point``,
``activation_min``, ``activation_max``, ``input_zero_point``, ``activation`` (name), ``name`` (the
layer's) and ``weight_scale`` (floats, for reports).
"""

from __future__ import annotations

import numpy as np

from .. import csr
from ..ir import ENCODINGS, CSRMatrix, FullyConnected
from . import register

CUSTOM_CODE = "TFSPARSE_FULLY_CONNECTED"
#: ``tfs_encoding_t`` values of firmware/kernels/tfs_fully_connected.h.
ENCODING_IDS = {"dense": 0, "abs_u8": 1, "abs_u16": 2, "abs_u32": 3, "rel8": 4, "rel4": 5, "blk8": 6, "csc8": 7}
__all__ = ["CUSTOM_CODE", "ENCODING_IDS", "unfold_bias", "kernel_bias", "input_zero_point", "emit_custom"]

_OPTION_KEYS = ("encoding", "rows", "cols", "num_entries", "output_zero_point", "activation_min", "activation_max")


def unfold_bias(bias, weights: np.ndarray, input_zero_point: int) -> np.ndarray:
    """The inverse of ``fully_connected.fold_bias`` for the column form (csc8), whose kernel adds ``(x - zp) * w``:
    ``bias + input_zero_point * sum_c w[r, c]``, wrapped to int32 (the kernels' sums wrap alike, so the
    wrapped value gives TFLM's accumulator bit for bit)."""
    b = np.asarray(bias, np.int64) + int(input_zero_point) * np.asarray(weights, np.int64).sum(axis=1)
    return ((b + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def kernel_bias(op: FullyConnected, model) -> np.ndarray:
    """The bias a C kernel reads for ``op``: the IR's folded bias, unfolded for the column form."""
    if op.weights.encoding != "csc8":
        return np.asarray(op.bias, np.int32)
    return unfold_bias(op.bias, csr.decode(op.weights), input_zero_point(op, model))


def input_zero_point(op, model) -> int:
    """The zero point of the op's int8 input tensor."""
    q = model.tensor(op.input).quantization
    return int(np.asarray(q.zero_point).reshape(-1)[0]) if q is not None else 0


def parse(ctx) -> FullyConnected:
    from flatbuffers import flexbuffers

    ctx.expect_io(7)
    ctx.activation(ctx.inputs[0], "input")
    ctx.activation(ctx.outputs[0], "output")
    try:
        opts = flexbuffers.Loads(bytes(ctx.custom_options or b""))
    except Exception as exc:  # flexbuffers raises assorted errors on bad bytes
        raise ctx.error(f"custom options are not a flexbuffer map ({exc})") from None
    if not isinstance(opts, dict) or any(k not in opts for k in _OPTION_KEYS):
        raise ctx.error(f"custom options must be a flexbuffer map with keys {', '.join(_OPTION_KEYS)}")
    encoding = opts["encoding"]
    if encoding not in ENCODINGS or encoding == "dense":
        raise ctx.error(f"unknown CSR encoding {encoding!r}")
    values = ctx.constant(ctx.inputs[1], "values", "int8", ndim=1)
    row_ptr = ctx.tensors[ctx.inputs[2]].data
    indices = ctx.tensors[ctx.inputs[3]].data
    rows, cols, entries = int(opts["rows"]), int(opts["cols"]), int(opts["num_entries"])
    if encoding in csr.BLOCKED:
        lines, width = (rows, cols) if encoding == "blk8" else (cols, rows)
        counts = lines * -(-width // csr.BLOCK)
        if row_ptr is None or indices is None or row_ptr.size != counts or int(row_ptr.sum()) != entries:
            raise ctx.error(f"row_ptr must be a constant of {counts} uint8 counts summing to num_entries={entries}")
    elif row_ptr is None or indices is None or row_ptr.size != rows + 1 or int(row_ptr[-1]) != entries:
        raise ctx.error(f"row_ptr must be a constant of {rows + 1} offsets ending at num_entries={entries}")
    m = CSRMatrix((rows, cols), encoding, values, row_ptr, indices, entries)
    bias = ctx.constant(ctx.inputs[4], "bias", "int32", ndim=1)
    if encoding == "csc8" and bias.size == rows:  # stored unfolded for the column kernel: fold it back
        bias = unfold_bias(bias, csr.decode(m), -int(opts.get("input_zero_point", 0)))
    multiplier = ctx.constant(ctx.inputs[5], "multiplier", "int32", ndim=1)
    shift = ctx.constant(ctx.inputs[6], "shift", "int32", ndim=1)
    if not bias.size == multiplier.size == shift.size == rows:
        raise ctx.error(f"bias, multiplier and shift must have {rows} entries")
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


def emit_custom(op: FullyConnected, writer) -> None:
    from flatbuffers import flexbuffers

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
        "input_zero_point": input_zero_point(op, writer.model),
        "activation": op.activation,
        "name": op.name,
    }
    if op.weight_scale is not None:
        options["weight_scale"] = [float(v) for v in np.asarray(op.weight_scale).ravel()]
    inputs = [
        writer.tensor_index(op.input),
        writer.constant(f"{op.name}/values", m.values),
        writer.constant(f"{op.name}/row_ptr", m.row_ptr),
        writer.constant(f"{op.name}/indices", m.indices),
        writer.constant(f"{op.name}/bias", kernel_bias(op, writer.model)),
        writer.constant(f"{op.name}/multiplier", op.multiplier.astype(np.int32)),
        writer.constant(f"{op.name}/shift", op.shift.astype(np.int32)),
    ]
    writer.custom(CUSTOM_CODE, inputs, [writer.tensor_index(op.output)], flexbuffers.Dumps(options))


# Runs and writes back as FullyConnected (kind "FULLY_CONNECTED"); only the parser is registered here.
register([CUSTOM_CODE], "FULLY_CONNECTED", parse)
