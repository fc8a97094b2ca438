"""The layer chooser: which weight encoding (or dense) each prunable op gets, by policy and cost model.

Every candidate encoding of an op is encoded and priced with :func:`tfsparse.costmodel.op_cost` on the
target's kernel (flash bytes, predicted mean instructions at the op's measured input density).

Policies (``convert(encoding=...)``):

``"default"``
    sparse if neither larger nor slower than dense; among the sparse forms that qualify, the one with
    the smallest product of bytes and predicted instructions (small *and* fast: halving either counts
    the same), ties to the smaller.
``"smallest"``
    the fewest bytes (dense when no sparse form is smaller); ties go to the faster form.
``"fastest"``
    the fewest predicted instructions (dense when no sparse form is faster); ties go to the smaller.
an encoding name
    that encoding for every op (forced, even if larger than dense).

Layers read from ``TFSPARSE_FULLY_CONNECTED`` custom ops (``SparseModel.to_tflite``) keep the encoding
they were written with unless an encoding name is forced.

CONV_2D goes through the same policies, choosing among the forms the convolution kernels implement
(:data:`tfsparse.converter.ops.conv_2d.CONV_ENCODINGS`: the row encodings and dense), priced by the
cost model's CONV_2D function (on Cortex-M the four-pixel sparse convolution or the dense DSP
convolution; on the portable kernel per-pixel FC rows plus the im2col gather). A forced encoding the convolution kernels lack falls back to the smallest form they have,
and the reason says so.

Forms that skip zero inputs (their cost depends on the input density) are candidates only when the
op's input density was measured (``representative_data``); without data the row forms are used.
Each op's ``choice_reason`` says what was chosen and why, with the numbers.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import costmodel
from ..codegen.targets import get_target
from ..errors import ConversionError
from . import csr, ops
from .executor import run
from .ir import ENCODINGS, DenseMatrix
from .ops.conv_2d import CONV_ENCODINGS

__all__ = ["POLICIES", "choose_encodings", "measure_input_density", "candidates", "op_inputs"]

POLICIES = ("default", "smallest", "fastest")
#: Encodings whose kernels skip inputs at the zero point (cost depends on input density). The speed
#: kernels' column forms register here.
ACTIVATION_SKIPPING = frozenset(e for e in ENCODINGS if e.startswith("csc"))
#: op kind -> the encodings its kernels implement (dense included).
KERNEL_ENCODINGS = {"FULLY_CONNECTED": ENCODINGS, "CONV_2D": CONV_ENCODINGS}


def candidates(cols: int, measured: bool, kind: str = "FULLY_CONNECTED") -> tuple:
    """Sparse encodings to price for a ``kind`` layer of ``cols`` inputs (column forms only with measured
    density; only the forms that kind's kernels implement)."""
    out = []
    for enc in KERNEL_ENCODINGS[kind]:
        if enc == "dense":
            continue
        if enc in ACTIVATION_SKIPPING and not measured:
            continue
        if enc in csr.ABSOLUTE and cols > csr.ABSOLUTE[enc][1]:
            continue
        out.append(enc)
    return tuple(out)


def _dense(w) -> np.ndarray:
    return w.weights if isinstance(w, DenseMatrix) else csr.decode(w)


def measure_input_density(model, data) -> dict:
    """``{op name: {"density": per-column fraction of samples whose input differs from the input zero
    point, "zero_quads": per group of four columns the fraction of samples with all four at it}}``
    for every FULLY_CONNECTED op (see :func:`tfsparse.costmodel.input_activity`).

    Args:
        model: a :class:`~tfsparse.SparseModel`.
        data: float inputs of the Keras model (quantized with the model's input scale), or int8
            inputs of the ``.tflite``; shape ``(N, *input_shape[1:])``.

    Raises:
        ConversionError: wrong dtype or shape (says which is expected).
    """
    x = np.asarray(data)
    shape = tuple(model.input_tensor.shape[1:])
    if x.ndim == len(shape) and tuple(x.shape) == shape:
        x = x[None]
    if tuple(x.shape[1:]) != shape or x.shape[0] == 0:
        raise ConversionError(f"representative_data has shape {x.shape}; expected (N, {', '.join(map(str, shape))}) "
                              f"like the model input {model.input_tensor.name!r}")
    if x.dtype == np.int8:
        pass
    elif np.issubdtype(x.dtype, np.floating):
        x = model.quantize_input(x)
    else:
        raise ConversionError(f"representative_data is {x.dtype}; pass the float inputs of the Keras model or the "
                              "int8 inputs of the .tflite")
    density = {}
    for op, args in op_inputs(model, x):
        if op.kind == "FULLY_CONNECTED":
            cols = op.weights.shape[1]
            zp = int(model.tensors[op.input].quantization.zero_point[0])
            p, zero_quads = costmodel.input_activity(ops.flat_batch(args[0], cols) != zp, cols)
            density[op.name] = {"density": p, "zero_quads": zero_quads}
    return density


def op_inputs(model, x) -> list:
    """``[(op, [its input arrays in op.inputs order]), ...]`` for every op, from one run of the reference
    executor on int8 ``x`` (:func:`tfsparse.converter.executor.run`; graphs may branch and join)."""
    seen = []
    run(model, x, visit=lambda op, xs, out: seen.append((op, xs)))
    return seen


def _price(op, model, target, kernel, enc, dense, density):
    weights = csr.encode(dense, enc)
    trial = dataclasses.replace(op, weights=weights)
    return weights, costmodel.op_cost(trial, model, target, kernel=kernel, live_fraction=density)


def _fmt(enc, cost) -> str:
    return f"{enc} {cost.flash_bytes:,} B / {cost.instructions:,.0f} instr"


def _choose_op(op, model, target, kernel, policy, density):
    dense = _dense(op.weights)
    if policy in ENCODINGS and policy not in KERNEL_ENCODINGS[op.kind]:
        weights, reason = _choose_op(op, model, target, kernel, "smallest", density)
        return weights, f"{policy} has no {op.kind} kernel; {reason}"
    if policy in ENCODINGS:
        try:
            weights = csr.encode(dense, policy)
        except ValueError as exc:
            raise ConversionError(f"op {op.name!r}: {exc}; pick another encoding or a policy "
                                  f"({', '.join(POLICIES)})") from None
        return weights, f"encoding={policy!r} forced"
    if not isinstance(op.weights, DenseMatrix):
        # Read from a tfsparse custom op (SparseModel.to_tflite): its encoding was chosen.
        return op.weights, f"{op.weights.encoding} as stored in the .tflite (TFSPARSE_{op.kind})"
    base_w, base = _price(op, model, target, kernel, "dense", dense, density)
    priced = {}
    for enc in candidates(dense.shape[1], density is not None, op.kind):
        try:
            priced[enc] = _price(op, model, target, kernel, enc, dense, density)
        except costmodel.CostModelError:
            continue  # no coefficients for this form on this core: not a candidate
    if policy in ("smallest", "fastest"):
        # smallest: fewest bytes, then fewer instructions; fastest: the other way round.
        key = ((lambda c: (c.flash_bytes, c.instructions)) if policy == "smallest"
               else (lambda c: (c.instructions, c.flash_bytes)))
        better = {e: p for e, p in priced.items() if key(p[1])[0] < key(base)[0]}
        if not better:
            what = "smaller" if policy == "smallest" else "faster"
            return base_w, f"dense: no sparse form is {what} than {_fmt('dense', base)}"
        enc = min(better, key=lambda e: key(better[e][1]))
        return better[enc][0], f"{policy}: {_fmt(enc, better[enc][1])} vs {_fmt('dense', base)}"
    ok = {e: p for e, p in priced.items()
          if p[1].flash_bytes <= base.flash_bytes and p[1].instructions <= base.instructions}
    if not ok:
        return base_w, f"dense: every sparse form is larger or slower than {_fmt('dense', base)}"
    enc = min(ok, key=lambda e: (ok[e][1].flash_bytes * ok[e][1].instructions, ok[e][1].flash_bytes))
    where = "" if density is None else f" at input density {float(np.mean(density['density'])):.0%}"
    return ok[enc][0], (f"smallest bytes x instructions{where}: {_fmt(enc, ok[enc][1])} vs {_fmt('dense', base)}")


def choose_encodings(model, policy: str, target, densities=None):
    """A copy of ``model`` whose FULLY_CONNECTED and CONV_2D ops carry the encoding ``policy`` picks.

    Args:
        model: a :class:`~tfsparse.SparseModel` (any encodings; weights are re-encoded).
        policy: ``"default"``, ``"smallest"``, ``"fastest"`` or an encoding name.
        target: target name or :class:`~tfsparse.codegen.targets.Target` whose default kernel is priced.
        densities: ``{op name: input activity}`` from :func:`measure_input_density`, or None.

    Returns:
        The new model; each FC and CONV_2D op has ``choice_reason`` set, each FC op ``input_density``.
    """
    tgt = get_target(target)
    new_ops = []
    for op in model.ops:
        if op.kind == "CONV_2D":  # row forms only: their cost does not depend on the input density
            weights, reason = _choose_op(op, model, tgt, tgt.kernel_impl, policy, None)
            op = dataclasses.replace(op, weights=weights, choice_reason=reason)
        elif op.kind == "FULLY_CONNECTED":
            density = None if densities is None else densities.get(op.name)
            weights, reason = _choose_op(op, model, tgt, tgt.kernel_impl, policy, density)
            op = dataclasses.replace(op, weights=weights, choice_reason=reason,
                                     input_density=None if density is None else density["density"],
                                     input_zero_quads=None if density is None else density["zero_quads"])
        new_ops.append(op)
    return model.replace(ops=new_ops)
