"""``tfsparse.profile``: a model's per-layer cost on a target before building anything.

Every op is priced with the shared cost model (:func:`tfsparse.costmodel.op_cost`): kernel and
encoding, flash bytes, arena bytes, multiply-accumulates, nonzeros, and predicted instructions (mean
over the given inputs, and the worst case where every input is live). Totals add the graph's own
overhead (per-op time stamps and calls) and the planned activation arena.

Example:
    >>> p = tfsparse.profile(sparse, target="cortex-m4", inputs=x_test[:200])   # doctest: +SKIP
    >>> print(p)                                                                # doctest: +SKIP
    >>> p.instructions, p.worst_case_instructions, p.flash_bytes                 # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from .codegen.arena import plan_arena
from .codegen.project import ram_allowance
from .codegen.targets import get_target
from .converter.chooser import measure_input_density, op_inputs
from .costmodel import (COEFFICIENTS, COST_FUNCTIONS, add_without_tables, logistic_activity, op_cost, recorded_activity,
                        softmax_activity)
from .layer_health import model_warnings

__all__ = ["profile", "Profile", "LayerProfile"]


@dataclass(frozen=True)
class LayerProfile:
    """One op of a :class:`Profile`."""

    name: str
    op: str  # op kind: FULLY_CONNECTED, SOFTMAX, ...
    kernel: str  # "portable" / "cortex-m" (FC), "-" for kernel-independent ops
    encoding: str  # weight encoding ("" for ops without weights)
    flash_bytes: int
    arena_bytes: int
    macs: int
    nnz: int
    instructions: float  # predicted mean per inference (nan: the cost model has no function for the op)
    worst_case_instructions: float  # every input live (nan likewise)
    input_density: Optional[float]  # FC: mean fraction of inputs off the zero point (None: not measured)
    reason: str = ""  # the chooser's reason for the encoding
    removed: str = ""  # what dead-unit elimination removed


@dataclass(frozen=True)
class Profile:
    """Per-layer costs and totals of a model on one target (see :func:`profile`)."""

    model: str
    target: str
    layers: tuple
    instructions: float
    worst_case_instructions: float
    flash_bytes: int
    arena_bytes: int
    overhead_instructions: float  # graph overhead included in the two instruction totals
    measured_on: int = 0  # number of inputs the densities come from (0: recorded at convert / none)
    warnings: tuple = ()  # where pruning broke a layer (tfsparse.layer_health)
    unpriced: tuple = ()  # names of ops whose kind the cost model has no function for (not in the totals)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = [asdict(layer) for layer in self.layers]
        return d

    def __str__(self) -> str:
        head = ("layer", "op", "kernel", "encoding", "flash B", "arena B", "MACs", "nonzeros", "density",
                "instr (mean)", "instr (worst)")
        rows = [(l.name[-32:], l.op, l.kernel, l.encoding or "-", f"{l.flash_bytes:,}", f"{l.arena_bytes:,}",
                 f"{l.macs:,}", f"{l.nnz:,}", "-" if l.input_density is None else f"{l.input_density:.0%}",
                 _instr(l.instructions), _instr(l.worst_case_instructions)) for l in self.layers]
        rows.append(("(graph)", "", "", "", "", "", "", "", "", f"{self.overhead_instructions:,.0f}",
                     f"{self.overhead_instructions:,.0f}"))
        total = ("total", "", "", "", f"{self.flash_bytes:,}", f"{self.arena_bytes:,}",
                 f"{sum(l.macs for l in self.layers):,}", f"{sum(l.nnz for l in self.layers):,}", "",
                 f"{self.instructions:,.0f}", f"{self.worst_case_instructions:,.0f}")
        widths = [max(len(h), *(len(r[i]) for r in rows + [total])) for i, h in enumerate(head)]
        fmt = lambda cells: "  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(cells, widths)))
        line = "  ".join("-" * w for w in widths)
        where = f"densities from {self.measured_on} inputs" if self.measured_on else "densities recorded at convert"
        notes = [f"  {l.name}: removed {l.removed}" for l in self.layers if l.removed] + list(self.warnings)
        if self.unpriced:
            notes.append(f"  not priced (the cost model has no function for their op; '?' above, not in the "
                         f"instruction totals): {', '.join(self.unpriced)}")
        return "\n".join([f"Profile of {self.model!r} on {self.target} (predicted by tfsparse's cost model; {where}; "
                          "flash = weights and quantization data, arena = activations)",
                          fmt(head), line, *(fmt(r) for r in rows), line, fmt(total)] + notes)


def _instr(value: float) -> str:
    return "?" if np.isnan(value) else f"{value:,.0f}"


def _weight_bytes(w) -> int:
    return 0 if w is None else int(w.nbytes)


def _live_fractions(model, inputs) -> dict:
    """{op name: live fraction} measured on ``inputs``: per column for FC, a scalar for SOFTMAX."""
    out = dict(measure_input_density(model, inputs))
    x = np.asarray(inputs)
    if x.dtype != np.int8:
        x = model.quantize_input(x)
    if x.ndim == len(model.input_tensor.shape) - 1:
        x = x[None]
    for op, args in op_inputs(model, x):
        if op.kind == "SOFTMAX":
            out[op.name] = softmax_activity(op, args[0]).mean(axis=0)
        elif op.kind == "LOGISTIC":
            out[op.name] = logistic_activity(op, args[0]).mean(axis=0)
    return out


def profile(sparse_model, target="cortex-m4", inputs=None, *, kernel: Optional[str] = None) -> Profile:
    """Predicted per-layer and total costs of ``sparse_model`` on ``target``, before building.

    Args:
        sparse_model: a :class:`tfsparse.SparseModel` (from :func:`tfsparse.convert`).
        target: target name or :class:`~tfsparse.codegen.targets.Target` (its core picks the
            coefficients, its default kernel is priced unless ``kernel`` is given).
        inputs: float inputs of the Keras model or int8 inputs of the model, ``(N, ...)``: the mean
            is predicted at the input densities measured on them. None: the densities ``convert``
            recorded from its ``representative_data`` (else every input counts as live).
        kernel: ``"portable"`` or ``"cortex-m"`` for every fully-connected op (default: the target's).

    Returns:
        A :class:`Profile` (``.layers``, ``.instructions``, ``.worst_case_instructions``,
        ``.flash_bytes``, ``.arena_bytes``, ``to_dict()``, a table as ``str()``).

    An op whose kind the cost model has no function for yet (e.g. DEPTHWISE_CONV_2D, ADD, pooling) is
    listed with its weight bytes and ``nan`` instructions, named in ``Profile.unpriced``, and left out
    of the instruction totals.

    Raises:
        tfsparse.costmodel.CostModelError: a (core, kernel, encoding) the cost model has no
            coefficients for.

    Example:
        >>> print(tfsparse.profile(sparse, "cortex-m4", x_test[:100]))   # doctest: +SKIP
    """
    tgt = get_target(target)
    kern = kernel or tgt.kernel_impl
    live = _live_fractions(sparse_model, inputs) if inputs is not None else {}
    # The planner places each op's scratch (arena_bytes) too, dropping ADD tables where RAM is short, as generate does
    # (such an ADD is priced on its per-element path).
    ram = ram_allowance(tgt, sparse_model.tensors[sparse_model.output].nbytes, len(sparse_model.ops))
    plan = plan_arena(sparse_model, budget=tgt.ram_size - ram)
    dropped = tuple(f"{sparse_model.ops[i].name}: ADD runs without its rescale tables (the arena with them does not "
                    f"fit {tgt.name}'s RAM)" for i in plan.dropped)
    layers = []
    unpriced = []
    for index, op in enumerate(sparse_model.ops):
        fraction = live[op.name] if op.name in live else recorded_activity(op)
        w = getattr(op, "weights", None)
        if op.kind in COST_FUNCTIONS:
            cost = op_cost(op, sparse_model, tgt, kernel=kern, live_fraction=fraction)
            priced = (cost.flash_bytes, cost.arena_bytes, cost.macs, cost.nnz, cost.instructions,
                      cost.worst_case_instructions)
        else:
            unpriced.append(op.name)
            priced = (_weight_bytes(w), 0, 0, 0 if w is None else int(w.nnz), float("nan"), float("nan"))
        flash, arena_b, macs, nnz, mean, worst = priced
        if index in plan.dropped:
            arena_b, mean = 0, add_without_tables(op, sparse_model, tgt, kern)
            worst = max(worst, mean)
        layers.append(LayerProfile(
            name=op.name, op=op.kind, kernel=kern if w is not None else "-",
            encoding=w.encoding if w is not None else "", flash_bytes=flash,
            arena_bytes=arena_b, macs=macs, nnz=nnz, instructions=mean,
            worst_case_instructions=worst,
            input_density=None if fraction is None or op.kind != "FULLY_CONNECTED"
            else float(np.mean(fraction["density"] if isinstance(fraction, dict) else fraction)),
            reason=getattr(op, "choice_reason", ""), removed=getattr(op, "removed", "")))
    graph = COEFFICIENTS.get((tgt.cpu, kern, "GRAPH"), {})
    overhead = graph.get("graph", 0.0) + graph.get("op", 0.0) * len(sparse_model.ops)
    known = [l for l in layers if not np.isnan(l.instructions)]
    return Profile(model=sparse_model.name, target=tgt.name, layers=tuple(layers),
                   warnings=tuple(str(w) for w in model_warnings(sparse_model)) + dropped, unpriced=tuple(unpriced),
                   instructions=sum(l.instructions for l in known) + overhead,
                   worst_case_instructions=sum(l.worst_case_instructions for l in known) + overhead,
                   flash_bytes=sum(l.flash_bytes for l in layers), arena_bytes=plan.size,
                   overhead_instructions=overhead, measured_on=0 if inputs is None else len(np.asarray(inputs)))
