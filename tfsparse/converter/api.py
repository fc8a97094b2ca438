"""``tfsparse.convert``: an int8 ``.tflite`` becomes a :class:`~tfsparse.converter.model.SparseModel`."""

from __future__ import annotations

import os
import pathlib

from ..codegen.targets import get_target
from ..errors import ConversionError
from .chooser import POLICIES, choose_encodings, measure_input_density
from .deadunits import remove_dead_units
from .ir import ENCODINGS
from .model import SparseModel
from .tflite_reader import read

__all__ = ["convert"]

_POLICIES = POLICIES + ENCODINGS


def convert(tflite, *, encoding: str = "default", representative_data=None, target="cortex-m4",
            remove_dead: bool = True) -> SparseModel:
    """Convert a full-integer int8 ``.tflite`` into CSR-encoded int8 tensors.

    Each FULLY_CONNECTED and CONV_2D layer's weights get the encoding (or stay dense) that the policy
    ``encoding`` picks with the cost model of ``target``'s kernels (:mod:`tfsparse.converter.chooser`;
    a convolution's rows are its output channels over ``kh * kw * cin`` taps, and it chooses among the
    forms the convolution kernels implement); fully-connected outputs that no later op reads, or that
    are constants, are removed exactly (:mod:`tfsparse.converter.deadunits`); the input zero point is
    folded into the bias, and the requantization multipliers and softmax parameters are computed as
    TFLite Micro computes them, so :meth:`SparseModel.predict` is bit-exact with the TFLM interpreter.
    Graphs may branch (ADD, CONCATENATION); the ops with a kernel are those of
    ``tfsparse.converter.ops.supported_ops()``. Any other op is kept as a pass-through record with one
    :class:`tfsparse.UnsupportedOpWarning` naming every such op (with its Keras layer and the file):
    ``to_tflite()`` and ``generate(..., tflm=True)`` leave it to TFLM, ``predict`` and the standalone
    ``generate`` refuse it.

    Args:
        tflite: the ``.tflite`` model as bytes, or a path (``str`` / ``os.PathLike``) to one. Made by
            :func:`tfsparse.quantize`, or any int8 model with the supported ops, or one written by
            :meth:`SparseModel.to_tflite`.
        encoding: ``"default"`` (sparse if neither larger nor slower than dense; among those forms the
            smallest product of bytes and predicted instructions), ``"smallest"`` (fewest bytes), ``"fastest"`` (fewest
            predicted instructions), or one encoding of ``tfsparse.converter.ir.ENCODINGS`` forced
            for every layer (``"abs_u8"``, ``"abs_u16"``, ``"abs_u32"``, ``"rel8"``, ``"rel4"``, ``"dense"``).
        representative_data: inputs that look like deployment data (float inputs of the Keras model,
            or int8 inputs of the ``.tflite``), e.g. 500 training samples: each layer's input density
            (fraction of inputs off the zero point) is measured, so forms that skip zero inputs can be
            chosen where they pay. None: row forms only.
        target: the target (name or :class:`~tfsparse.codegen.targets.Target`) whose kernels the cost
            model prices; ``generate`` may still build for another one.
        remove_dead: remove dead and constant fully-connected outputs (exact; ``summary()`` lists them).

    Returns:
        A :class:`tfsparse.SparseModel`.

    Raises:
        ConversionError: a missing or unreadable file, bytes that are not a valid ``.tflite``, a float
            or int16-activation model (use :func:`tfsparse.quantize`), an op whose parameters are
            invalid (named with its index and Keras layer), an unknown ``encoding``, or
            ``representative_data`` of the wrong shape or dtype.

    Example:
        >>> sparse = tfsparse.convert(tfsparse.quantize(model, x_train[:200]))  # doctest: +SKIP
        >>> sparse.summary()  # doctest: +SKIP
        >>> y = sparse.predict(sparse.quantize_input(x_test))  # doctest: +SKIP
    """
    if encoding not in _POLICIES:
        raise ConversionError(f"encoding={encoding!r} is unknown; use one of {', '.join(_POLICIES)}")
    try:
        tgt = get_target(target)
    except ValueError as exc:
        raise ConversionError(str(exc)) from None
    if isinstance(tflite, (bytes, bytearray, memoryview)):
        return _finish(read(bytes(tflite), source="<bytes>", encoding=_read_encoding(encoding)),
                       encoding, representative_data, tgt, remove_dead)
    if not isinstance(tflite, (str, os.PathLike)):
        raise ConversionError(f"tflite must be bytes or a path to a .tflite file, got {type(tflite).__name__}")
    path = pathlib.Path(tflite)
    if not path.is_file():
        raise ConversionError(f"{str(path)!r} does not exist or is not a file; pass the path of a .tflite file or its bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    return _finish(read(data, source=str(path), encoding=_read_encoding(encoding), name=path.stem),
                   encoding, representative_data, tgt, remove_dead)


def _read_encoding(encoding: str) -> str:
    # Policies are applied after dead-unit removal, on dense weights; a named encoding is read as
    # such first so that an impossible one (abs_u8 over 300 columns) is reported with the op.
    return "dense" if encoding in POLICIES else encoding


def _finish(model: SparseModel, encoding, representative_data, target, remove_dead) -> SparseModel:
    if remove_dead:
        model = remove_dead_units(model)
    densities = None if representative_data is None else measure_input_density(model, representative_data)
    model = choose_encodings(model, encoding, target, densities)
    return model.replace(target=target.name)
