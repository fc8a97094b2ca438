"""Static activation-arena planning (no malloc on the device).

Every activation tensor gets an offset in one arena. A buffer lives from the op that writes it (the
graph input: before the first op) to the last op that reads it (the graph output: to the end); two
buffers may share bytes only if their lifetimes do not overlap. An op's input and output are both
alive during that op, so kernels never run in place. RESHAPE outputs alias their input (same bytes).
An op whose kernel needs scratch (:func:`op_scratch_bytes`: the int32 accumulators of the column form
``csc8``) gets a buffer alive during that op only.
Placement is TFLM's greedy strategy: largest buffers first, each at the lowest aligned offset that
does not collide with an already placed buffer alive at the same time.

Example:
    >>> plan = plan_arena(model)          # doctest: +SKIP
    >>> plan.size, plan.offsets[model.output]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def op_scratch_bytes(op) -> int:
    """Arena bytes an op's kernel needs beyond its input and output tensors (``TFS_FC_SCRATCH_BYTES``:
    int32 accumulators for a fully-connected layer in the column form ``csc8``, else 0)."""
    if op.kind == "FULLY_CONNECTED" and getattr(op.weights, "encoding", "") == "csc8":
        return 4 * int(op.weights.shape[0])
    return 0


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan_arena(model) -> ArenaPlan:
    """Plan the arena of a :class:`~tfsparse.converter.model.SparseModel`.

    Returns:
        An :class:`ArenaPlan` covering every activation tensor the ops read or write.

    Raises:
        ValueError: an op reads a tensor nothing produced (the graph is not in execution order).
    """
    aliases = {}
    root = {}

    def find(t):
        while t in aliases:
            t = aliases[t]
        return t

    first = {model.input: -1}
    last = {model.input: -1}
    for i, op in enumerate(model.ops):
        src = find(op.input)
        if src not in first:
            raise ValueError(f"op {i} ({op.name!r}) reads tensor {op.input} before any op writes it")
        last[src] = max(last[src], i)
        if op.kind == "RESHAPE":
            aliases[op.output] = src
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
    for i, op in enumerate(model.ops):  # scratch: key -1 - i, alive during op i only
        if op_scratch_bytes(op):
            sizes[-1 - i] = op_scratch_bytes(op)
            first[-1 - i] = last[-1 - i] = i

    placed = []  # (offset, size, first, last)
    offsets_root = {}
    for r in sorted(sizes, key=lambda r: (-sizes[r], first[r], r)):
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
    lifetimes = {r: (first[r], last[r]) for r in sizes if r >= 0}
    scratch = {-1 - r: offsets_root[r] for r in sizes if r < 0}
    return ArenaPlan(offsets=offsets, size=total, lifetimes=lifetimes, aliases=dict(aliases), scratch=scratch)
