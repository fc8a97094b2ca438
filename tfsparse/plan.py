"""``tfsparse.plan``: the per-layer sparsity that makes a model fit a flash / RAM / instruction budget.

Before training, the dense model is quantized and converted once; for a candidate sparsity each
prunable layer's int8 weights are magnitude-pruned (the weights ``prune_low_magnitude`` would keep),
encoded the way :func:`tfsparse.convert` will encode them, and costed with the shared cost model
(:func:`tfsparse.costmodel.op_cost`: constant bytes and instructions) plus the firmware's code and the
activation arena (:func:`tfsparse.codegen.project.code_allowance`, ``ram_allowance``).

The search keeps as many nonzero weights in total as the budget allows within one family of plans:
first the lowest sparsity shared by every prunable layer that fits, then the layers from the smallest
up get back what headroom is left (small layers, usually the classifier, are the cheapest to keep
denser and the most sensitive to pruning). After training, :func:`tfsparse.generate`'s size check is
the final word.

Example:
    >>> p = tfsparse.plan(model, "cortex-m0", flash=64 * 1024, ram=8 * 1024,
    ...                   representative_data=x_train[:200])                    # doctest: +SKIP
    >>> print(p)                                                                 # doctest: +SKIP
    >>> pruned = tfsparse.prune_low_magnitude(model, p.schedules(0, 2000))     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from .codegen.arena import plan_arena
from .codegen.project import code_allowance, ram_allowance
from .codegen.targets import Target, get_target
from .converter import csr
from .converter.chooser import choose_encodings
from .converter.ir import DenseMatrix
from .costmodel import CostModelError, op_cost
from .errors import FirmwareError

__all__ = ["plan", "Plan", "LayerPlan", "MAX_SPARSITY"]

#: The sparsest a plan goes (a layer keeps at least 0.5% of its weights).
MAX_SPARSITY = 0.995
_GRID = 1000  # sparsities are planned on a 0.001 grid
_BYTES_PROXY = "cortex-m4"  # costs the bytes of a core the cost model has no instruction coefficients for


@dataclass(frozen=True)
class LayerPlan:
    """One prunable layer of a :class:`Plan`.

    Attributes:
        name: the Keras layer's name (the key of ``Plan.sparsity``).
        op: the firmware op it becomes.
        shape: ``(rows, cols)`` of its weight matrix (output units, inputs).
        sparsity: planned fraction of zero weights.
        nnz: nonzero weights left at that sparsity.
        encoding: the encoding ``convert`` is expected to choose.
        flash_bytes: constant bytes of the op (values, indices, pointers, bias and quantization).
        instructions: predicted instructions per inference (every input live).
    """

    name: str
    op: str
    shape: tuple
    sparsity: float
    nnz: int
    encoding: str
    flash_bytes: int
    instructions: float


@dataclass
class Plan:
    """What :func:`plan` chose and why. ``str(plan)`` prints the table and the assumptions.

    Attributes:
        target: the :class:`~tfsparse.Target` planned for.
        kernel: the kernel implementation costed.
        encoding: the ``convert`` encoding policy assumed.
        flash_budget, ram_budget, instructions_budget: the budget (bytes, bytes, instructions or None).
        layers: one :class:`LayerPlan` per prunable layer, in model order.
        flash_bytes: projected flash: model constants + code.
        code_bytes: the code allowance in that total.
        ram_bytes: projected RAM: activation arena + stack + output buffer + statics.
        arena_bytes: the activation arena in that total.
        instructions: projected instructions per inference (every input live).
        margin_bytes: flash kept back for the trained pattern differing from the planned one.
        assumptions: the assumptions behind the numbers, in words.
    """

    target: Target
    kernel: str
    encoding: str
    flash_budget: int
    ram_budget: int
    instructions_budget: Optional[float]
    layers: list
    flash_bytes: int
    code_bytes: int
    ram_bytes: int
    arena_bytes: int
    instructions: float
    margin_bytes: int
    assumptions: list = field(default_factory=list)
    _costs: Optional[_Costs] = field(default=None, repr=False, compare=False)

    def project(self, matrices: dict) -> tuple:
        """Projected ``(flash bytes, instructions)`` of the firmware if the planned layers held ``matrices``
        (layer name -> int8 ``[rows, cols]``; layers not given keep their planned weights). What
        :class:`tfsparse.BudgetMonitor` logs during training; instructions are NaN where not modelled."""
        costs = self._costs
        planned = {}
        for k, layer in enumerate(costs.layers):
            grid = int(round(self.sparsity[layer.name] * _GRID))
            q = matrices.get(layer.name)
            if q is not None and tuple(np.shape(q)) != layer.q.shape:
                raise ValueError(f"layer {layer.name!r}: matrix of shape {np.shape(q)}, the plan has {layer.q.shape}")
            planned[layer.op_index] = costs.layer(k, grid) if q is None else costs.matrix(k, np.asarray(q, np.int8))
        return costs.sum(planned)

    @property
    def sparsity(self) -> dict:
        """``{layer name: target sparsity}`` for every prunable layer."""
        return {layer.name: layer.sparsity for layer in self.layers}

    @property
    def nnz(self) -> int:
        """Nonzero weights the plan keeps in total."""
        return sum(layer.nnz for layer in self.layers)

    @property
    def flash_headroom(self) -> int:
        return self.flash_budget - self.flash_bytes

    @property
    def ram_headroom(self) -> int:
        return self.ram_budget - self.ram_bytes

    def schedules(self, begin_step: int, end_step: int, *, frequency: int = 100, initial_sparsity: float = 0.0,
                  power: int = 3) -> dict:
        """``{layer name: PolynomialDecay}`` reaching each layer's planned sparsity at ``end_step``: the dict
        :func:`tfsparse.prune_low_magnitude` takes as ``pruning_schedule``. Layers planned dense are left out
        (nothing to prune).

        Example:
            >>> pruned = tfsparse.prune_low_magnitude(model, plan.schedules(0, 3000, frequency=100))  # doctest: +SKIP
        """
        from .pruning.schedules import PolynomialDecay

        return {layer.name: PolynomialDecay(min(initial_sparsity, layer.sparsity), layer.sparsity, begin_step, end_step,
                                            power=power, frequency=frequency)
                for layer in self.layers if layer.sparsity > 0}

    def __str__(self) -> str:
        t = self.target
        lines = [f"plan for {t.name} ({t.core}, kernel {self.kernel}, encoding {self.encoding!r}):",
                 f"  {'layer':<14}{'shape':>12}{'sparsity':>10}{'nonzeros':>10}{'encoding':>10}{'flash B':>10}"
                 f"{'instructions':>14}"]
        for layer in self.layers:
            shape = "x".join(map(str, layer.shape))
            instr = f"{layer.instructions:>14,.0f}" if np.isfinite(layer.instructions) else f"{'-':>14}"
            lines.append(f"  {layer.name:<14}{shape:>12}{layer.sparsity:>10.1%}{layer.nnz:>10,}{layer.encoding:>10}"
                         f"{layer.flash_bytes:>10,}{instr}")
        budget_i = "no limit" if self.instructions_budget is None else f"{self.instructions_budget:,.0f}"
        head_i = "" if self.instructions_budget is None else \
            f", headroom {self.instructions_budget - self.instructions:,.0f}"
        known = np.isfinite(self.instructions)
        lines += [f"  flash: {self.flash_bytes:,} of {self.flash_budget:,} bytes (code about {self.code_bytes:,}), "
                  f"headroom {self.flash_headroom:,}",
                  f"  RAM:   {self.ram_bytes:,} of {self.ram_budget:,} bytes (arena {self.arena_bytes:,}), "
                  f"headroom {self.ram_headroom:,}",
                  f"  instructions per inference: {self.instructions:,.0f} (budget {budget_i}{head_i})" if known
                  else f"  instructions per inference: not modelled on {t.core}",
                  f"  nonzero weights kept: {self.nnz:,}",
                  "assumed:"]
        lines += [f"  - {a}" for a in self.assumptions]
        return "\n".join(lines)


@dataclass
class _Prunable:
    name: str
    op_index: int
    q: np.ndarray  # int8 [rows, cols] of the dense model
    order: np.ndarray  # flat indices, largest float magnitude first

    def pruned(self, grid: int) -> np.ndarray:
        keep = self.q.size - int(round(self.q.size * grid / _GRID))
        out = np.zeros_like(self.q)
        kept = self.order[:keep]
        out.flat[kept] = self.q.flat[kept]
        return out


class _Costs:
    """Cost of the model with each prunable layer at a grid sparsity (cached per layer and sparsity)."""

    def __init__(self, base, layers, target, kernel, encoding):
        self.base, self.layers, self.target, self.kernel, self.encoding = base, layers, target, kernel, encoding
        self._cache = {}
        self.code = code_allowance(target, kernel, n_ops=len(base.ops))  # any FC encodings
        self._code_target, self._code_kernel = target, kernel
        self.instructions_known = True
        self.target = target.replace(kernel_impl=kernel)  # the chooser prices the target's default kernel
        try:
            self.fixed = [op_cost(op, base, self.target, kernel=kernel) for op in base.ops]
        except CostModelError:
            # No fitted coefficients for this core: bytes do not depend on the core, so cost them on a core the
            # model knows (its portable C kernel) and report the instructions as unknown.
            self.instructions_known = False
            self.target, self.kernel = get_target(_BYTES_PROXY).replace(kernel_impl="portable"), "portable"
            self.fixed = [op_cost(op, base, self.target, kernel=self.kernel) for op in base.ops]

    def matrix(self, k: int, q: np.ndarray):
        """(OpCost, encoding) of prunable layer ``k`` holding the int8 matrix ``q``, encoded as ``convert``'s
        chooser would encode it under the plan's policy."""
        op = dataclasses.replace(self.base.ops[self.layers[k].op_index], weights=DenseMatrix(np.asarray(q, np.int8)))
        chosen = choose_encodings(self.base.replace(ops=[op]), self.encoding, self.target).ops[0]
        return op_cost(chosen, self.base, self.target, kernel=self.kernel), chosen.weights.encoding

    def layer(self, k: int, grid: int):
        key = (k, grid)
        if key not in self._cache:
            self._cache[key] = self.matrix(k, self.layers[k].pruned(grid))
        return self._cache[key]

    def totals(self, grids) -> tuple:
        return self.sum({layer.op_index: self.layer(k, g) for k, (layer, g) in enumerate(zip(self.layers, grids))})

    def code_bytes(self, planned: dict) -> int:
        """Code allowance with the FC loops of the encodings ``planned`` (op index -> (OpCost, encoding)) and the
        unplanned ops use; a portable convolution links them all."""
        ops = self.base.ops
        if self._code_kernel == "portable" and any(op.kind == "CONV_2D" for op in ops):
            return self.code
        encodings = {planned[i][1] if i in planned else op.weights.encoding
                     for i, op in enumerate(ops) if op.kind == "FULLY_CONNECTED"}
        return code_allowance(self._code_target, self._code_kernel, n_ops=len(ops), fc_encodings=encodings)

    def sum(self, planned: dict) -> tuple:
        """(flash bytes with code, instructions) with the costs of ``planned`` (op index -> (OpCost, encoding))
        replacing the dense ones."""
        flash, instructions = self.code_bytes(planned), 0.0
        for i, cost in enumerate(self.fixed):
            c = planned[i][0] if i in planned else cost
            flash += c.flash_bytes
            instructions += c.worst_case_instructions
        return flash, instructions if self.instructions_known else float("nan")


def _prunable_layers(model, sparse_model) -> list:
    """Pair the model's prunable Keras layers with the converted ops that carry their weights, in order."""
    from .pruning.wrapper import PruneLowMagnitude, is_prunable

    layers = list(model._flatten_layers(include_self=False, recursive=True))
    inner = {id(layer.layer) for layer in layers if isinstance(layer, PruneLowMagnitude)}
    keras_layers = [layer.layer if isinstance(layer, PruneLowMagnitude) else layer for layer in layers
                    if id(layer) not in inner and (isinstance(layer, PruneLowMagnitude) or is_prunable(layer))]
    ops = [(i, op) for i, op in enumerate(sparse_model.ops) if hasattr(op, "weights")]
    if len(ops) != len(keras_layers):
        raise ValueError(f"plan: model {model.name!r} has {len(keras_layers)} prunable layers "
                         f"({', '.join(l.name for l in keras_layers)}) but its int8 conversion has {len(ops)} ops with "
                         "weights; plan supports models whose prunable layers each become one op")
    result = []
    for layer, (index, op) in zip(keras_layers, ops):
        q = csr.decode(op.weights) if not hasattr(op.weights, "weights") else np.asarray(op.weights.weights)
        kernel = np.asarray(layer.get_weights()[0])
        if q.size != kernel.size:
            raise ValueError(f"plan: layer {layer.name!r} has {kernel.size} weights but op {op.name!r} has {q.size}")
        scale = np.ones(q.shape[0]) if op.weight_scale is None else np.broadcast_to(
            np.asarray(op.weight_scale, dtype=np.float64).reshape(-1), (q.shape[0],))
        magnitude = np.abs(q.astype(np.float64)) * scale[:, None]
        order = np.argsort(-magnitude, axis=None, kind="stable")
        result.append(_Prunable(layer.name, index, q.astype(np.int8), order))
    return result


def _search(costs: _Costs, fits) -> list:
    """Grid sparsity per layer: the lowest shared one that fits, then smaller layers made denser."""
    n = len(costs.layers)
    top = int(round(MAX_SPARSITY * _GRID))
    if fits([0] * n):
        return [0] * n
    lo, hi = 0, top  # fits(hi) holds, fits(lo) does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits([mid] * n) else (mid, hi)
    grids = [hi] * n
    for k in sorted(range(n), key=lambda k: costs.layers[k].q.size):
        lo, hi = -1, grids[k]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            trial = grids[:k] + [mid] + grids[k + 1:]
            lo, hi = (lo, mid) if fits(trial) else (mid, hi)
        grids[k] = hi
    return grids


def plan(model, target: Union[str, Target], *, flash: Optional[int] = None, ram: Optional[int] = None,
         instructions: Optional[float] = None, representative_data=None, kernel: Optional[str] = None,
         encoding: str = "smallest", margin: float = 0.01) -> Plan:
    """Per-layer sparsity targets that fit ``model`` into a flash / RAM / instruction budget on ``target``.

    Args:
        model: a built Keras model (dense, or wrapped for pruning) whose prunable layers each become one
            firmware op (Dense stacks today).
        target: a target name (``"cortex-m0"``, ``"stm32l476"``) or a :class:`tfsparse.Target`.
        flash: bytes of flash the model may use, code included (default: the target's flash).
        ram: bytes of RAM it may use: activation arena, stack, output buffer (default: the target's first
            RAM region).
        instructions: instructions per inference allowed (default: no limit), from the shared cost model
            with every input live.
        representative_data: calibration inputs for the one quantization the plan needs (default: uniform
            random inputs; the weights' int8 values, hence the plan, do not depend on them).
        kernel: the kernel implementation to cost (default: the target's).
        encoding: the ``convert`` encoding policy you will use (default ``"smallest"``; ``"default"`` and
            ``"fastest"`` trade bytes for speed). On a core the cost model has no coefficients for, convert
            with ``target="cortex-m4"`` (the bytes are the same) and generate for your core.
        margin: fraction of ``flash`` kept back because the trained weights' pattern differs a little from
            the planned one (relative index encodings depend on the gaps).

    Returns:
        A :class:`Plan`: ``.sparsity`` (layer name -> target), ``.schedules(begin, end)`` for
        :func:`tfsparse.prune_low_magnitude`, and the projected flash, RAM and instructions.

    Raises:
        FirmwareError: the budget cannot be met at any sparsity (RAM does not depend on sparsity; the
            message says by how many bytes or instructions the model misses even at the maximum).
        ValueError: a model whose layers and ops do not pair up, or a bad budget.

    Example:
        >>> p = tfsparse.plan(tfsparse.models.lenet_300_100(), "cortex-m0", flash=64 * 1024, ram=8 * 1024)  # doctest: +SKIP
        >>> p.sparsity                                                                                     # doctest: +SKIP
        {'fc1': 0.9, 'fc2': 0.9, 'fc3': 0.0}
    """
    from .converter.api import convert
    from .converter.quantize import quantize

    tgt = get_target(target)
    kernel = kernel or tgt.kernel_impl
    flash_budget = int(tgt.flash_size if flash is None else flash)
    ram_budget = int(tgt.ram_size if ram is None else ram)
    for what, value in (("flash", flash_budget), ("ram", ram_budget)):
        if value <= 0:
            raise ValueError(f"plan: the {what} budget must be a positive number of bytes, got {value}")
    if not 0 <= margin < 0.5:
        raise ValueError(f"plan: margin must be in [0, 0.5), got {margin}")
    assumptions = []
    if representative_data is None:
        shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        representative_data = np.random.default_rng(0).random((64, *shape), dtype=np.float32)
        assumptions.append("no representative_data: calibrated on uniform random inputs (weights and sizes do not "
                           "depend on it)")
    # Dense and with every unit: the plan's layers must pair with the Keras layers (convert removes dead units
    # after training, which only makes the firmware smaller than planned).
    base = convert(quantize(model, representative_data), encoding="dense", remove_dead=False)
    layers = _prunable_layers(model, base)
    costs = _Costs(base, layers, tgt, kernel, encoding)
    if not costs.instructions_known:
        if instructions is not None:
            raise FirmwareError(f"plan: the cost model has no instruction coefficients for {tgt.core} ({kernel} kernel), "
                                "so an instruction budget cannot be planned there; plan flash and RAM only, or fit the "
                                "coefficients (benchmarks/costmodel_fit.py)")
        assumptions.append(f"instructions not modelled on {tgt.core} (the cost model has no coefficients for it); "
                           "flash and RAM are")
    allowance = ram_allowance(tgt, base.tensors[base.output].nbytes, len(base.ops))
    arena = plan_arena(base, budget=ram_budget - allowance).size  # ADD tables only where they fit
    ram_bytes = arena + allowance
    if ram_bytes > ram_budget:
        raise FirmwareError(
            f"plan: model {model.name!r} needs about {ram_bytes} bytes of RAM on {tgt.name} (activation arena {arena} "
            f"+ stack {tgt.stack_size} + output buffer {tgt.io_buffer} + runtime) but the budget is {ram_budget}: over "
            f"by {ram_bytes - ram_budget} bytes. RAM holds activations, which pruning does not shrink: use narrower "
            "layers, or a target with more RAM")
    dense_flash = costs.totals([0] * len(layers))[0]
    margin_bytes = int(round(margin * min(flash_budget, dense_flash)))

    def fits(grids):
        f, i = costs.totals(grids)
        return f <= flash_budget - margin_bytes and (instructions is None or i <= instructions)

    top = [int(round(MAX_SPARSITY * _GRID))] * len(layers)
    if not fits(top):
        f, i = costs.totals(top)
        misses = []
        if f > flash_budget - margin_bytes:
            code = costs.code_bytes({layer.op_index: costs.layer(k, g) for k, (layer, g) in enumerate(zip(layers, top))})
            misses.append(f"flash: needs {f} bytes (code about {code}) with {margin_bytes} kept as margin, "
                          f"budget {flash_budget}: over by {f + margin_bytes - flash_budget} bytes")
        if instructions is not None and i > instructions:
            misses.append(f"instructions: needs {i:,.0f} per inference, budget {instructions:,.0f}: over by "
                          f"{i - instructions:,.0f}")
        raise FirmwareError(f"plan: model {model.name!r} cannot meet the budget on {tgt.name} even at "
                            f"{MAX_SPARSITY:.1%} sparsity in every layer:\n  " + "\n  ".join(misses)
                            + "\nRaise the budget, or use a smaller model")
    grids = _search(costs, fits)
    flash_bytes, total_instructions = costs.totals(grids)
    code_bytes = costs.code_bytes({layer.op_index: costs.layer(k, g) for k, (layer, g) in enumerate(zip(layers, grids))})
    planned = []
    for layer, g in zip(layers, grids):
        cost, enc = costs.layer(layers.index(layer), g)
        instr = float(cost.worst_case_instructions) if costs.instructions_known else float("nan")
        planned.append(LayerPlan(layer.name, base.ops[layer.op_index].name, tuple(layer.q.shape), g / _GRID,
                                 int(cost.nnz), enc, int(cost.flash_bytes), instr))
    if costs.instructions_known:
        assumptions.append("instructions from the shared cost model (tfsparse.costmodel) with every input live (no "
                           "activation skipping)")
    assumptions += [
        f"each layer keeps its largest-magnitude weights (what prune_low_magnitude keeps), encoded by "
        f"convert(..., encoding={encoding!r})",
        f"code about {code_bytes} bytes for {len(base.ops)} ops with the {kernel} kernel (measured per core, "
        f"with the FC loops of the encodings chosen)",
        f"{margin_bytes} bytes of flash kept as margin ({margin:.0%}): the trained pattern differs from the planned one",
        "after training, tfsparse.generate's size check is the final word",
    ]
    return Plan(target=tgt, kernel=kernel, encoding=encoding, flash_budget=flash_budget, ram_budget=ram_budget,
                instructions_budget=instructions, layers=planned, flash_bytes=int(flash_bytes), code_bytes=code_bytes,
                ram_bytes=ram_bytes, arena_bytes=arena, instructions=float(total_instructions),
                margin_bytes=margin_bytes, assumptions=assumptions, _costs=costs)
