"""``tfsparse.convert``: an int8 ``.tflite`` becomes a :class:`~tfsparse.converter.model.SparseModel`."""

from __future__ import annotations

import os
import pathlib

from ..errors import ConversionError
from .ir import ENCODINGS
from .model import SparseModel
from .tflite_reader import read

__all__ = ["convert"]

_POLICIES = ("smallest", "fastest") + ENCODINGS


def convert(tflite, *, encoding: str = "smallest") -> SparseModel:
    """Convert a full-integer int8 ``.tflite`` into CSR-encoded int8 tensors.

    Every FULLY_CONNECTED and CONV_2D layer's weights are stored in the CSR encoding ``encoding`` picks
    (a layer that would not be smaller than dense int8 stays dense; a convolution's rows are its output
    channels over ``kh * kw * cin`` taps), the input zero point is folded into the bias, and the
    requantization parameters are computed as TFLite Micro computes them, so
    :meth:`SparseModel.predict` is bit-exact with the TFLM interpreter. Graphs may branch (ADD,
    CONCATENATION); the ops with a kernel are those of ``tfsparse.converter.ops.supported_ops()``.
    Any other op is kept as a pass-through record with one :class:`tfsparse.UnsupportedOpWarning` naming every
    such op (with its Keras layer and the file): ``to_tflite()`` and ``generate(..., tflm=True)`` leave
    it to TFLM, ``predict`` and the standalone ``generate`` refuse it.

    Args:
        tflite: the ``.tflite`` model as bytes, or a path (``str`` / ``os.PathLike``) to one. Made by
            :func:`tfsparse.quantize`, or any int8 model with the supported ops, or one written by
            :meth:`SparseModel.to_tflite`.
        encoding: ``"smallest"`` (default: fewest bytes per layer), ``"fastest"`` (cheapest to decode:
            absolute indices), or one encoding of ``tfsparse.converter.ir.ENCODINGS`` for every layer
            (``"abs_u8"``, ``"abs_u16"``, ``"abs_u32"``, ``"rel8"``, ``"rel4"``, ``"dense"``).

    Returns:
        A :class:`tfsparse.SparseModel`.

    Raises:
        ConversionError: a missing or unreadable file, bytes that are not a valid ``.tflite``, a float
            or int16-activation model (use :func:`tfsparse.quantize`), an op whose parameters are
            invalid (named with its index and Keras layer), or an unknown ``encoding``.

    Example:
        >>> sparse = tfsparse.convert(tfsparse.quantize(model, x_train[:200]))  # doctest: +SKIP
        >>> sparse.summary()  # doctest: +SKIP
        >>> y = sparse.predict(sparse.quantize_input(x_test))  # doctest: +SKIP
    """
    if encoding not in _POLICIES:
        raise ConversionError(f"encoding={encoding!r} is unknown; use one of {', '.join(_POLICIES)}")
    if isinstance(tflite, (bytes, bytearray, memoryview)):
        return read(bytes(tflite), source="<bytes>", encoding=encoding)
    if not isinstance(tflite, (str, os.PathLike)):
        raise ConversionError(f"tflite must be bytes or a path to a .tflite file, got {type(tflite).__name__}")
    path = pathlib.Path(tflite)
    if not path.is_file():
        raise ConversionError(f"{str(path)!r} does not exist or is not a file; pass the path of a .tflite file or its bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConversionError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    return read(data, source=str(path), encoding=encoding, name=path.stem)
