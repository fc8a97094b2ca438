"""Warnings where pruning breaks a layer: units left with no weights, CSR that costs more than dense, and
sparsity that differs from its target. Pure NumPy on ``[units, inputs]`` matrices; ``sparsity_report``,
``SparseModel.summary()`` and ``tfsparse.profile`` print what :func:`matrix_warnings` finds.

Example:
    >>> w = np.zeros((4, 8)); w[0, :2] = 1.0
    >>> [x.kind for x in matrix_warnings("fc", w, target=0.5)]
    ['dead_units', 'sparsity_off_target']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .converter import csr

__all__ = ["LayerWarning", "matrix_warnings", "model_warnings", "format_warnings", "quantize_per_unit", "TOLERANCE"]

#: Achieved sparsity further than this from the target is flagged (the schedules hit targets to within
#: one weight; int8 rounding can zero a few more).
TOLERANCE = 0.01
#: Constant bytes per output unit besides the weights: int32 bias, multiplier and shift.
_PER_UNIT = 12
_ROW_ENCODINGS = ("abs_u8", "abs_u16", "rel8", "rel4")


@dataclass(frozen=True)
class LayerWarning:
    """``kind`` is ``"dead_units"``, ``"csr_larger_than_dense"`` or ``"sparsity_off_target"``."""

    layer: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"warning: {self.layer}: {self.message}"


def quantize_per_unit(kernel) -> np.ndarray:
    """int8 ``[units, inputs]`` of a Keras kernel ``[..., units]`` with one symmetric scale per unit (max |w| -> 127),
    as TFLite's converter quantizes Dense and Conv weights per channel. Zeros stay zeros."""
    k = np.asarray(kernel, dtype=np.float64)
    m = k.reshape(-1, k.shape[-1]).T
    peak = np.abs(m).max(axis=1, keepdims=True)
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    return np.clip(np.round(m / scale), -127, 127).astype(np.int8)


def matrix_warnings(layer: str, matrix, *, target: Optional[float] = None,
                    tolerance: float = TOLERANCE) -> list:
    """What is wrong with a pruned layer whose weights are ``matrix`` (``[units, inputs]``, float or int8).

    Args:
        layer: the name to print.
        matrix: the layer's weights, one row per output unit.
        target: the sparsity it was pruned to (None: not checked).
        tolerance: allowed difference between achieved and target sparsity.

    Returns:
        A list of :class:`LayerWarning` (empty when the layer is fine).
    """
    m = np.asarray(matrix)
    units, inputs = m.shape
    nonzero = m != 0
    nnz = int(nonzero.sum())
    sparsity = 1.0 - nnz / m.size if m.size else 0.0
    out = []
    dead = int((~nonzero.any(axis=1)).sum())
    if dead and sparsity > 0:
        out.append(LayerWarning(layer, "dead_units", f"{dead} of {units} units have no weights left (each outputs its "
                                                     "bias alone); prune this layer less or rank globally"))
    if 0 < nnz < m.size:
        q = m if m.dtype == np.int8 else quantize_per_unit(m.T)
        candidates = [e for e in _ROW_ENCODINGS if e in csr.available_encodings(inputs)]
        sizes = csr.encoded_sizes(q, candidates)
        best = min(candidates, key=sizes.__getitem__)
        if sizes[best] >= units * inputs:
            per_nz = (sizes[best] + _PER_UNIT * units) / max(int(np.count_nonzero(q)), 1)
            out.append(LayerWarning(layer, "csr_larger_than_dense",
                                    f"its smallest CSR ({best}, {sizes[best]:,} B, {per_nz:.2f} B per nonzero) is not "
                                    f"smaller than dense int8 ({units * inputs:,} B): it stays dense and its pruning "
                                    "saves no flash; prune it further or not at all"))
    if target is not None and abs(sparsity - target) > tolerance:
        out.append(LayerWarning(layer, "sparsity_off_target",
                                f"sparsity {sparsity:.1%} differs from its target {target:.1%} (train to the end of the "
                                "schedule, or check that the layer is wrapped)"))
    return out


def format_warnings(warnings) -> str:
    """One line per warning (empty string for none)."""
    return "\n".join(str(w) for w in warnings)


def model_warnings(sparse_model, targets: Optional[dict] = None) -> list:
    """:func:`matrix_warnings` for every op with weights of a converted ``SparseModel`` (what ``summary()``
    and ``tfsparse.profile`` print); ``targets`` maps op names to target sparsities."""
    out = []
    for op in sparse_model.ops:
        w = getattr(op, "weights", None)
        if w is None:
            continue
        dense = w.weights if not hasattr(w, "row_ptr") else csr.decode(w)
        out += matrix_warnings(op.name, np.asarray(dense).reshape(dense.shape[0], -1),
                               target=(targets or {}).get(op.name))
    return out
