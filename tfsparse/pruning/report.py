"""``sparsity_report``: nonzeros and sparsity of every prunable weight of a model, as a table.

Example:
    >>> print(sparsity_report(model))  # doctest: +SKIP
    layer  weight  shape       nonzeros  sparsity
    fc1    kernel  (784, 300)  23520     90.00%
    ...
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from ..layer_health import matrix_warnings
from .nm import satisfies_m_by_n
from .wrapper import PruneLowMagnitude, is_prunable, prunable_weights

__all__ = ["WeightSparsity", "SparsityReport", "sparsity_report"]


@dataclass(frozen=True)
class WeightSparsity:
    """One prunable weight: its layer, name, shape, nonzero count and sparsity (fraction of zeros).

    ``m_by_n`` is the layer's N:M pattern (``sparsity_m_by_n``) and ``satisfies_m_by_n`` whether the
    weight holds at least m zeros in every n consecutive along the input dimension (both None when the
    layer has no pattern, e.g. after ``strip_pruning``).
    """

    layer: str
    weight: str
    shape: tuple
    nonzeros: int
    size: int
    m_by_n: tuple | None = None
    satisfies_m_by_n: bool | None = None  # None when the layer has no N:M pattern

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nonzeros / self.size if self.size else 0.0


class SparsityReport(list):
    """A list of :class:`WeightSparsity` rows that prints as a table (with a total line), followed by the
    warnings of :mod:`tfsparse.layer_health` (``.warnings``): units left with no weights, layers whose CSR
    costs more than dense, sparsity off its target."""

    warnings: list = []

    @property
    def nonzeros(self) -> int:
        return sum(r.nonzeros for r in self)

    @property
    def size(self) -> int:
        return sum(r.size for r in self)

    @property
    def sparsity(self) -> float:
        """Sparsity over all the prunable weights together."""
        return 1.0 - self.nonzeros / self.size if self.size else 0.0

    def __str__(self) -> str:
        rows = [("layer", "weight", "shape", "nonzeros", "sparsity")]
        rows += [(r.layer, r.weight, str(r.shape), str(r.nonzeros), f"{r.sparsity:.2%}") for r in self]
        rows.append(("total", "", "", str(self.nonzeros), f"{self.sparsity:.2%}"))
        if any(r.m_by_n for r in self):  # N:M column only when a layer has a pattern
            marks = ["N:M"] + [f"{r.m_by_n[0]}:{r.m_by_n[1]} {'ok' if r.satisfies_m_by_n else 'VIOLATED'}" if r.m_by_n else "" for r in self]
            rows = [(*row, mark) for row, mark in zip(rows, marks + [""])]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        table = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
        return table + "".join(f"\n{w}" for w in self.warnings)

    def _repr_pretty_(self, printer, cycle):  # IPython / Jupyter display
        printer.text(str(self))


def sparsity_report(model, targets=None):
    """Nonzeros and sparsity of every prunable weight of ``model`` (pruned, stripped or plain).

    Args:
        model: a Keras 3 model or layer. Wrapped layers report their pruned weights; unwrapped
            Dense, Conv, SeparableConv (pointwise), Embedding and PrunableLayer layers their kernels.
        targets: ``{layer name: target sparsity}`` (e.g. ``tfsparse.plan(...).sparsity``) to check the
            achieved sparsity against; wrapped layers are checked against their schedule's final
            sparsity anyway.

    Returns:
        A :class:`SparsityReport` (a list of :class:`WeightSparsity`) that prints as a table.

    Raises:
        TypeError: ``model`` is not a Keras layer or model.
        ValueError: the model is not built or has no prunable weight.

    Example:
        >>> print(sparsity_report(tfsparse.strip_pruning(pruned)))  # doctest: +SKIP
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"sparsity_report expects a Keras model or layer, got {type(model).__name__}.")
    layers = model._flatten_layers(include_self=True, recursive=True)
    report = SparsityReport()
    warnings = []
    inside_wrappers = {id(l.layer) for l in layers if isinstance(l, PruneLowMagnitude)}
    for layer in layers:
        if id(layer) in inside_wrappers or isinstance(layer, keras.Model) or not layer.built:
            continue
        pattern = None
        if isinstance(layer, PruneLowMagnitude):
            owner, weights = layer.layer, [w for w, _, _ in layer.pruning_vars]
            pattern = layer.sparsity_m_by_n
        elif is_prunable(layer):
            owner, weights = layer, prunable_weights(layer)
        else:
            continue
        for w in weights:
            value = np.asarray(w.numpy())
            report.append(
                WeightSparsity(owner.name, w.path.split("/")[-1], tuple(value.shape), int(np.count_nonzero(value)), int(value.size),
                               pattern, None if pattern is None else satisfies_m_by_n(value, pattern))
            )
            if value.ndim >= 2 and not isinstance(owner, keras.layers.Embedding):
                target = (targets or {}).get(owner.name, _schedule_target(layer))
                warnings += matrix_warnings(owner.name, value.reshape(-1, value.shape[-1]).T, target=target)
    if not report:
        raise ValueError(
            f"sparsity_report: {model.name!r} has no built prunable weight (Dense, Conv1D, Conv2D, "
            "Embedding or PrunableLayer); build the model first."
        )
    report.warnings = warnings
    return report


def _schedule_target(layer):
    """Final sparsity of a wrapped layer's schedule (None: unwrapped or a schedule without one)."""
    schedule = getattr(layer, "pruning_schedule", None) if isinstance(layer, PruneLowMagnitude) else None
    return getattr(schedule, "final_sparsity", getattr(schedule, "target_sparsity", None))
