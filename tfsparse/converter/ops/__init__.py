"""Op registry: one small module per op, each registering how to parse, run and write it back.

An op module calls :func:`register` once with

* ``names``: the ``.tflite`` op names it parses (a BuiltinOperator name or a CUSTOM op's code),
* ``kind``: the ``kind`` of the IR record it produces (``FullyConnected.kind`` ...),
* ``parse(ctx) -> record``: build the IR record from an :class:`OpContext`,
* ``execute(op, model, x) -> y``: the reference math on int8 arrays that carry a leading batch axis,
* ``emit(op, writer) -> None``: append the op to a :class:`tfsparse.converter.to_tflite` writer.

Adding an op is one file here plus one line in :data:`_MODULES`.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ...errors import ConversionError

__all__ = ["OpKind", "OpContext", "register", "parser_for", "kind", "supported_ops", "keras_scope", "flat_batch"]

_MODULES = ("fully_connected", "reshape", "softmax", "sparse_fully_connected")


@dataclass(frozen=True)
class OpKind:
    """How to run and write back one kind of IR op record."""

    kind: str
    execute: Callable
    emit: Callable


_PARSERS: dict = {}
_KINDS: dict = {}
_LOADED = False


def register(names, kind: str, parse: Callable, execute: Optional[Callable] = None, emit: Optional[Callable] = None):
    """Register an op module's functions (see the module docstring)."""
    for name in names:
        _PARSERS[name] = parse
    if execute is not None:
        _KINDS[kind] = OpKind(kind, execute, emit)


def _load():
    global _LOADED
    if not _LOADED:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _LOADED = True


def parser_for(name: str):
    """The parse function for a ``.tflite`` op name, or None."""
    _load()
    return _PARSERS.get(name)


def kind(name: str) -> OpKind:
    """The :class:`OpKind` of an IR record's ``kind``."""
    _load()
    return _KINDS[name]


def supported_ops() -> tuple:
    """The ``.tflite`` op names tfsparse converts, sorted."""
    _load()
    return tuple(sorted(_PARSERS))


@dataclass
class OpContext:
    """What an op parser sees of one ``.tflite`` operator (no flatbuffer objects leak into the IR)."""

    index: int  # operator index in the subgraph
    op_name: str  # BuiltinOperator name, or the CUSTOM op's code
    inputs: list  # tensor indices (-1 = optional input absent)
    outputs: list
    options: object  # the builtin options object (schema object API) or None
    custom_options: Optional[bytes]  # a CUSTOM op's option bytes (flexbuffer), or None
    tensors: list  # IR Tensors of the subgraph, by index
    source: str
    encoding: str  # the weight encoding policy of convert()

    @property
    def name(self) -> str:
        """A readable name for the op record: the Keras layer of its output (``model_1/fc1_1/MatMul`` ->
        ``fc1``), else of its constant inputs (the graph's output tensor is named after the serving
        signature, not the layer), else ``<op>_<index>``. The reader makes names unique."""
        candidates = [self.tensors[i] for i in self.outputs[:1]]
        candidates += [self.tensors[i] for i in self.inputs if i >= 0 and self.tensors[i].data is not None]
        for tensor in candidates:
            scope = keras_scope(tensor.name, -2)
            if scope:
                return scope
        return f"{self.op_name.lower()}_{self.index}"

    def error(self, message: str) -> ConversionError:
        return ConversionError(f"{self.source}: op {self.index} ({self.op_name}, output {self.name!r}): {message}")

    def expect_io(self, n_inputs: int, n_outputs: int = 1):
        if len(self.inputs) < n_inputs or len(self.outputs) != n_outputs:
            raise self.error(
                f"expected {n_inputs} inputs and {n_outputs} output(s), got {len(self.inputs)} and {len(self.outputs)}"
            )

    def activation(self, index: int, role: str):
        """An int8 per-tensor quantized activation tensor, or a ConversionError saying what to do."""
        t = self.tensors[index]
        if t.dtype != "int8" or t.quantization is None:
            raise self.error(
                f"{role} tensor {t.name!r} is {t.dtype}{'' if t.quantization else ' (not quantized)'}; tfsparse runs "
                "int8 models only: make one with tfsparse.quantize(model, representative_data)"
            )
        if t.quantization.per_channel:
            raise self.error(f"{role} tensor {t.name!r} has per-channel quantization; activations must be per-tensor")
        return t

    def constant(self, index: int, role: str, dtype: str, ndim: Optional[int] = None) -> np.ndarray:
        """The data of a constant input tensor, checked."""
        t = self.tensors[index]
        if t.data is None:
            raise self.error(f"{role} tensor {t.name!r} must be a constant (it is computed at run time)")
        if t.dtype != dtype:
            raise self.error(f"{role} tensor {t.name!r} is {t.dtype}, expected {dtype}")
        if ndim is not None and t.data.ndim != ndim:
            raise self.error(f"{role} tensor {t.name!r} has shape {t.shape}, expected {ndim} dimensions")
        return t.data


def keras_scope(tensor_name: str, position: int) -> str:
    """One ``/`` component of a converter tensor name, without the ``_N`` suffix tracing appends."""
    parts = tensor_name.split(";")[0].split("/")
    if len(parts) < 2:
        return ""
    return re.sub(r"_\d+$", "", parts[position])


def flat_batch(x: np.ndarray, cols: int) -> np.ndarray:
    """``x`` viewed as ``[-1, cols]`` rows (TFLite's FULLY_CONNECTED flattens leading dimensions)."""
    if x.size % cols:
        raise ValueError(f"input of {x.size} elements is not a multiple of the layer's {cols} inputs")
    return x.reshape(-1, cols)
