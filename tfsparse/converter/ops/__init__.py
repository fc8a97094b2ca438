"""Op registry: one small module per op, each registering how to parse, run and write it back.

An op module calls :func:`register` once with

* ``names``: the ``.tflite`` op names it parses (a BuiltinOperator name or a CUSTOM op's code),
* ``kind``: the ``kind`` of the IR record it produces (``FullyConnected.kind`` ...),
* ``parse(ctx) -> record``: build the IR record from an :class:`OpContext`,
* ``execute(op, model, *xs) -> y``: the reference math on int8 arrays that carry a leading batch axis,
  one array per entry of the record's ``inputs``,
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
from ..quant_math import activation_range, multiply_by_quantized_multiplier

__all__ = ["OpKind", "OpContext", "NotRunnable", "register", "parser_for", "kind", "supported_ops", "keras_scope",
           "flat_batch", "batched_shape", "ACTIVATION_NAMES", "ACTIVATION_CODES", "PADDING_CODES", "fused_activation", "window_padding", "windows", "requantize_int8"]

_MODULES = ("fully_connected", "reshape", "softmax", "sparse_fully_connected", "conv_2d", "depthwise_conv_2d",
            "max_pool_2d", "average_pool_2d", "mean", "add", "concatenation", "pad", "quantize", "logistic",
            "expand_dims", "sparse_conv_2d")

# TFLite's ActivationFunctionType values.
ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
ACTIVATION_CODES = {v: k for k, v in ACTIVATION_NAMES.items()}
# TFLite's Padding values (for writing ops back).
PADDING_CODES = {"SAME": 0, "VALID": 1}


class NotRunnable(Exception):
    """Raised by a parser for a valid op whose parameters tfsparse has no kernel for (a grouped
    convolution, a fused TANH...): the reader keeps it as a :class:`~tfsparse.converter.ir.Passthrough`."""


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

    def not_runnable(self, reason: str) -> NotRunnable:
        return NotRunnable(reason)

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


def batched_shape(model, index: int, n: int) -> tuple:
    """The executor's shape of tensor ``index`` for ``n`` samples: the file's leading batch axis of 1
    becomes ``n``; a tensor without one (a rank-1 operand the converter reshaped for broadcasting)
    gains a leading ``n``."""
    shape = tuple(model.tensor(index).shape)
    return (n,) + (shape[1:] if shape and shape[0] == 1 else shape)


def flat_batch(x: np.ndarray, cols: int) -> np.ndarray:
    """``x`` viewed as ``[-1, cols]`` rows (TFLite's FULLY_CONNECTED flattens leading dimensions)."""
    if x.size % cols:
        raise ValueError(f"input of {x.size} elements is not a multiple of the layer's {cols} inputs")
    return x.reshape(-1, cols)


def fused_activation(ctx, output_t):
    """(name, activation_min, activation_max) of the op's fused activation on its int8 output."""
    name = ACTIVATION_NAMES.get(getattr(ctx.options, "fusedActivationFunction", 0) or 0, "?")
    if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise ctx.not_runnable(f"fused activation {name} has no int8 kernel")
    q = output_t.quantization
    lo, hi = activation_range(name, q.scale[0], int(q.zero_point[0]))
    return name, lo, hi


def window_padding(ctx, in_hw, filter_hw, stride_hw, dilation_hw, out_hw):
    """TFLM's ``ComputePaddingHeightWidth``: ``(padding name, (pad_h, pad_w), (offset_h, offset_w))``,
    checking that the output shape is the one SAME or VALID gives."""
    code = getattr(ctx.options, "padding", 0)
    padding = {0: "SAME", 1: "VALID"}.get(code)
    if padding is None:
        raise ctx.error(f"unknown padding code {code}")
    pads, offsets = [], []
    for size, f, s, d, out in zip(in_hw, filter_hw, stride_hw, dilation_hw, out_hw):
        if s < 1 or d < 1:
            raise ctx.error(f"stride {s} and dilation {d} must be >= 1")
        effective = (f - 1) * d + 1
        expected = (size + s - 1) // s if padding == "SAME" else (size - effective + s) // s
        if out != expected:
            raise ctx.error(f"output size {out} does not match {padding} padding (expected {expected})")
        total = max(0, (out - 1) * s + effective - size)
        pads.append(total // 2)
        offsets.append(total % 2)
    return padding, tuple(pads), tuple(offsets)


def windows(x, filter_hw, stride_hw, dilation_hw, pads, out_hw, fill):
    """Every filter window of NHWC ``x``: ``[N, oh, ow, kh, kw, C]``, positions outside the input = ``fill``."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw), (ph, pw), (oh, ow) = filter_hw, stride_hw, dilation_hw, pads, out_hw
    bottom = max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - ph - h)
    right = max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - pw - w)
    xp = np.full((n, ph + h + bottom, pw + w + right, c), fill, dtype=x.dtype)
    xp[:, ph : ph + h, pw : pw + w] = x
    iy = (np.arange(oh) * sh)[:, None] + (np.arange(kh) * dh)[None, :]  # [oh, kh]
    ix = (np.arange(ow) * sw)[:, None] + (np.arange(kw) * dw)[None, :]  # [ow, kw]
    return xp[:, iy[:, None, :, None], ix[None, :, None, :], :]


def requantize_int8(acc, multiplier, shift, zero_point, activation_min, activation_max):
    """``clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + zero_point, min, max)`` as int8."""
    out = multiply_by_quantized_multiplier(acc, np.asarray(multiplier, np.int64), np.asarray(shift, np.int64))
    return np.clip(out + int(zero_point), activation_min, activation_max).astype(np.int8)
