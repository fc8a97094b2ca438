"""Static activation-arena planning (no malloc on the device).

Every activation tensor gets an offset in one arena. A buffer lives from the op that writes it (the
graph input: before the first op) to the last op that reads it (the graph output: to the end); two
buffers may share bytes only if their lifetimes do not overlap. Graphs may branch: an op reads any
number of tensors (``op.inputs``: ADD, CONCATENATION), and a tensor read by several ops lives until
the last of them. An op's inputs and output are all alive during that op, so kernels never run in
place. RESHAPE and EXPAND_DIMS outputs alias their input (same bytes). Ops that need scratch (im2col
columns, accumulators) get a buffer alive during that op
only (:func:`op_scratch_bytes`: im2col columns and per-channel accumulators of the graph
ops, the int32 accumulators of the fully-connected column form ``csc8``).
Given a RAM ``budget``, the planner drops the scratch an op can run without (an ADD's rescale tables,
:func:`~tfsparse.codegen.graph_ops.optional_scratch`) when the arena with it would not fit, smallest
ADDs first, and lists those ops in ``ArenaPlan.dropped``.
Placement is TFLM's greedy strategy: largest buffers first, each at the lowest aligned offset that
does not collide with an already placed buffer alive at the same time.

Example:
    >>> plan = plan_arena(model)          # doctest: +SKIP
    >>> plan.size, plan.offsets[model.output]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph_ops import optional_scratch, scratch_bytes

__all__ = ["ArenaPlan", "plan_arena", "op_scratch_bytes", "ALIGNMENT"]

#: Byte alignment of every buffer (alignas(16) for the SIMD twin's word loads).
ALIGNMENT = 16


@dataclass
class ArenaPlan:
    """Offsets of the activation tensors in the arena and its total size (bytes)."""

    offsets: dict  # tensor index -> byte offset
    size: int
    lifetimes: dict = field(default_factory=dict)  # root tensor index -> (first op, last op)
    aliases: dict = field(default_factory=dict)  # tensor index -> tensor index whose bytes it reuses
    scratch: dict = field(default_factory=dict)  # op index -> byte offset of its scratch buffer
    dropped: tuple = ()  # op indices whose optional scratch (ADD tables) was dropped to meet the budget


def op_scratch_bytes(op, model) -> int:
    """Arena bytes an op's kernel needs beyond its input and output tensors: ``TFS_FC_SCRATCH_BYTES``
    (int32 accumulators of a fully-connected layer in the column form ``csc8``), the graph ops'
    ``*_SCRATCH_BYTES`` (:func:`tfsparse.codegen.graph_ops.scratch_bytes`), else 0."""
    if op.kind == "FULLY_CONNECTED" and getattr(op.weights, "encoding", "") == "csc8":
        return 4 * int(op.weights.shape[0])
    return scratch_bytes(op, model)


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan_arena(model, scratch=None, *, budget=None) -> ArenaPlan:
    """Plan the arena of a :class:`~tfsparse.converter.model.SparseModel`.

    Args:
        model: the model; its ops in execution order.
        scratch: ``{op index: bytes}`` of per-op scratch buffers (default: :func:`op_scratch_bytes`).
        budget: bytes the arena may take (None: no limit). Over it, optional scratch is dropped op by
            op (smallest op first, where that shrinks the arena) until the arena fits or none is left
            (``ArenaPlan.dropped``); the arena may still exceed the budget, which the caller checks.

    Returns:
        An :class:`ArenaPlan` covering every activation tensor the ops read or write.

    Raises:
        ValueError: an op reads a tensor nothing produced (the graph is not in execution order).
    """
    if budget is not None and scratch is None:
        scratch = {i: op_scratch_bytes(op, model) for i, op in enumerate(model.ops)}
        plan = plan_arena(model, scratch)
        optional = sorted((i for i, op in enumerate(model.ops) if optional_scratch(op, model)),
                          key=lambda i: (model.tensors[model.ops[i].output].nbytes, i))
        dropped = []
        for i in optional:
            if plan.size <= budget:
                break
            lean = plan_arena(model, {**scratch, i: 0})
            if lean.size < plan.size:  # an ADD away from the arena's peak keeps its tables
                scratch[i] = 0
                dropped.append(i)
                plan = lean
        plan.dropped = tuple(sorted(dropped))
        return plan
    aliases = {}
    root = {}

    def find(t):
        while t in aliases:
            t = aliases[t]
        return t

    first = {model.input: -1}
    last = {model.input: -1}
    for i, op in enumerate(model.ops):
        for t in op.inputs:
            src = find(t)
            if src not in first:
                raise ValueError(f"op {i} ({op.name!r}) reads tensor {t} before any op writes it")
            last[src] = max(last[src], i)
        if op.kind in ("RESHAPE", "EXPAND_DIMS"):
            aliases[op.output] = find(op.inputs[0])
            continue
        first.setdefault(op.output, i)
        last[op.output] = max(last.get(op.output, i), i)
    out_root = find(model.output)
    if out_root not in first:
        raise ValueError(f"the graph output (tensor {model.output}) is never written")
    last[out_root] = len(model.ops)

    sizes = {}
    for t in list(first) + list(aliases):
        r = find(t)
        root[t] = r
        sizes[r] = max(sizes.get(r, 0), model.tensors[t].nbytes)
    # Scratch buffers are keys ("scratch", op index) beside the tensor indices, alive during op i only.
    if scratch is None:
        scratch = {i: op_scratch_bytes(op, model) for i, op in enumerate(model.ops)}
    for i, nbytes in scratch.items():
        if nbytes > 0:
            key = ("scratch", int(i))
            sizes[key], first[key], last[key] = int(nbytes), int(i), int(i)

    placed = []  # (offset, size, first, last)
    offsets_root = {}
    for r in sorted(sizes, key=lambda r: (-sizes[r], first[r], str(r))):
        size = _align(max(sizes[r], 1))
        candidates = sorted((o, s) for o, s, f, l in placed if not (l < first[r] or last[r] < f))
        offset = 0
        for o, s in candidates:
            if offset + size <= o:
                break
            offset = max(offset, _align(o + s))
        placed.append((offset, size, first[r], last[r]))
        offsets_root[r] = offset
    total = max((o + s for o, s, _, _ in placed), default=0)
    offsets = {t: offsets_root[r] for t, r in root.items()}
    lifetimes = {r: (first[r], last[r]) for r in sizes if not isinstance(r, tuple)}
    scratch_offsets = {r[1]: offsets_root[r] for r in sizes if isinstance(r, tuple)}
    return ArenaPlan(offsets=offsets, size=total, lifetimes=lifetimes, aliases=dict(aliases), scratch=scratch_offsets)
