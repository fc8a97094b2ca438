"""Dead-unit elimination: exact removal of fully-connected outputs that cannot matter.

Between a producer FULLY_CONNECTED ``A`` and the one FULLY_CONNECTED ``B`` that reads its output
(directly, or through a RESHAPE that keeps it flat):

* an output ``j`` of ``A`` whose column ``j`` of ``B`` is all zero is never read: row ``j`` of ``A``
  (weights, bias, multiplier, shift) and column ``j`` of ``B`` are dropped;
* an output ``j`` of ``A`` with no weights in its row is a constant ``v_j`` (its requantized bias,
  computed by the reference executor): ``B``'s bias absorbs ``w[:, j] * v_j`` (in TFLM's unfolded
  form, ``w[:, j] * (v_j - input_zero_point)``) and the unit is dropped the same way.

Both are exact: every graph output is bit-identical (int32 sums reorder freely; a fold that would
leave int32 is not done). Pairs the pass does not understand are skipped: a producer output read by
more than one op or by anything but an FC (ADD, CONCATENATION, SOFTMAX, ...), a graph output, a
batched FC (leading dimensions other than 1), an op kind it does not know. The pass repeats until
nothing changes (dropping a row can make a column of the layer before dead). Each changed op's
``removed`` field says what went.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import csr, ops
from .ir import DenseMatrix

__all__ = ["remove_dead_units"]


def _inputs(op) -> tuple:
    inputs = getattr(op, "inputs", None)
    return tuple(inputs) if inputs is not None else (op.input,)


def _flat_units(model, index: int):
    """Units of a tensor that is one flat vector ``(1, n)`` / ``(n,)``, else None."""
    shape = tuple(model.tensors[index].shape)
    if len(shape) == 1 or (len(shape) == 2 and shape[0] == 1):
        return int(shape[-1])
    return None


def _dense(w) -> np.ndarray:
    return w.weights if isinstance(w, DenseMatrix) else csr.decode(w)


def _encode(dense: np.ndarray, encoding: str):
    return csr.encode(dense, encoding)


def _pairs(model):
    """(producer index, reshape index or None, consumer index) of every FC -> [RESHAPE] -> FC link."""
    readers = {}
    for k, op in enumerate(model.ops):
        for t in _inputs(op):
            readers.setdefault(t, []).append(k)
    producer = {op.output: k for k, op in enumerate(model.ops)}
    out = []
    for b, op_b in enumerate(model.ops):
        if op_b.kind != "FULLY_CONNECTED":
            continue
        t = op_b.input
        reshape = None
        a = producer.get(t)
        if a is not None and model.ops[a].kind == "RESHAPE":
            reshape = a
            t = model.ops[a].input
            a = producer.get(t)
        if a is None or model.ops[a].kind != "FULLY_CONNECTED":
            continue
        chain = [t] + ([model.ops[reshape].output] if reshape is not None else [])
        if model.output in chain:
            continue
        if readers.get(t) != [reshape if reshape is not None else b]:
            continue
        if reshape is not None and readers.get(model.ops[reshape].output) != [b]:
            continue
        units = {_flat_units(model, i) for i in chain}
        rows_a, cols_b = model.ops[a].weights.shape[0], op_b.weights.shape[1]
        if units != {rows_a} or cols_b != rows_a:
            continue
        out.append((a, reshape, b))
    return out


def _take_rows(op, keep: np.ndarray, dense: np.ndarray):
    per_row = lambda v: None if v is None else (np.asarray(v)[keep] if np.asarray(v).size == dense.shape[0] else v)
    return dataclasses.replace(
        op, weights=_encode(np.ascontiguousarray(dense[keep]), op.weights.encoding),
        bias=op.bias[keep], multiplier=op.multiplier[keep], shift=op.shift[keep],
        original_bias=per_row(op.original_bias), weight_scale=per_row(op.weight_scale))


def _step(model, notes):
    """One pass over the FC pairs; returns the new model or None when nothing changed."""
    for a, reshape, b in _pairs(model):
        op_a, op_b = model.ops[a], model.ops[b]
        wa, wb = _dense(op_a.weights), _dense(op_b.weights)
        dead = ~wb.any(axis=0)
        const = ~wa.any(axis=1) & ~dead
        if not (dead.any() or const.any()):
            continue
        zp_b = int(model.tensors[op_b.input].quantization.zero_point[0])
        bias = op_b.bias.astype(np.int64)
        orig = (np.zeros(wb.shape[0], np.int64) if op_b.original_bias is None
                else op_b.original_bias.astype(np.int64))
        folded = np.zeros(wa.shape[0], bool)
        if const.any():
            # The constant outputs, computed by the bit-exact reference kernel on any input.
            values = ops.kind("FULLY_CONNECTED").execute(
                op_a, model, np.zeros((1, wa.shape[1]), np.int8)).reshape(-1).astype(np.int64)
            for j in np.flatnonzero(const):
                col = wb[:, j].astype(np.int64)
                new_bias, new_orig = bias + col * values[j], orig + col * (values[j] - zp_b)
                lim = (-(1 << 31), (1 << 31) - 1)
                if min(new_bias.min(), new_orig.min()) < lim[0] or max(new_bias.max(), new_orig.max()) > lim[1]:
                    continue  # would leave int32: keep the unit
                bias, orig, folded[j] = new_bias, new_orig, True
        drop = dead | folded
        if drop.all():
            drop[np.flatnonzero(drop)[0]] = False  # keep one unit: a tensor cannot be empty
        if not drop.any():
            continue
        keep = ~drop
        new_a = _take_rows(op_a, keep, wa)
        new_b = dataclasses.replace(
            op_b, weights=_encode(np.ascontiguousarray(wb[:, keep]), op_b.weights.encoding),
            bias=bias.astype(np.int32),
            original_bias=None if op_b.original_bias is None and not folded.any() else orig.astype(np.int32))
        n_dead, n_const = int((dead & drop).sum()), int((folded & drop).sum())
        notes.setdefault(op_a.name, [0, 0, 0, op_b.name])
        notes[op_a.name][0] += n_dead
        notes[op_a.name][1] += n_const
        notes[op_a.name][2] += int(np.count_nonzero(wa[dead & drop]))
        tensors = list(model.tensors)
        n_keep = int(keep.sum())
        for t in [op_a.output] + ([model.ops[reshape].output] if reshape is not None else []):
            old = tensors[t]
            tensors[t] = dataclasses.replace(old, shape=tuple(old.shape[:-1]) + (n_keep,))
        new_ops = list(model.ops)
        new_ops[a], new_ops[b] = new_a, new_b
        return model.replace(ops=new_ops, tensors=tensors)
    return None


def remove_dead_units(model):
    """A copy of ``model`` without dead or constant fully-connected outputs (see the module docstring).

    Args:
        model: a :class:`~tfsparse.SparseModel`; not modified.

    Returns:
        The new model; each op that lost outputs has ``removed`` set, e.g. ``"37 outputs never read
        (802 weights), 3 constant outputs folded into fc3's bias"``.
    """
    notes = {}
    for _ in range(4 * len(model.ops) + 4):
        new = _step(model, notes)
        if new is None:
            break
        model = new
    if not notes:
        return model
    new_ops = []
    for op in model.ops:
        if op.name in notes:
            dead, const, weights, consumer = notes[op.name]
            parts = []
            if dead:
                parts.append(f"{dead} output{'s' if dead != 1 else ''} never read ({weights} weights)")
            if const:
                parts.append(f"{const} constant output{'s' if const != 1 else ''} folded into {consumer}'s bias")
            op = dataclasses.replace(op, removed=", ".join(parts))
        new_ops.append(op)
    return model.replace(ops=new_ops)
