"""``.tflite`` flatbuffer -> :class:`tfsparse.converter.model.SparseModel` (no TensorFlow import).

The flatbuffer is read with the TFLite schema module TensorFlow ships (loaded by file path, so
``tensorflow`` itself is not imported; tflite-micro's copy is the fallback). Each operator goes to
the parser its op module registered in :mod:`tfsparse.converter.ops`.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

from ..errors import ConversionError, UnsupportedOpWarning
from . import ops
from .ir import Passthrough, Quantization, Tensor
from .model import SparseModel
from .schema import TENSOR_TYPES, enum_names, schema

__all__ = ["read"]


def _passthrough(ctx, code, op, options_names) -> Passthrough:
    """The record of an op tfsparse cannot run, with what ``to_tflite`` needs to write it back."""
    options = op.builtinOptions
    fields = {} if options is None else {k: v for k, v in vars(options).items() if not k.startswith("_")}
    layer = ctx.name if not ctx.name.startswith(f"{ctx.op_name.lower()}_") else ""
    for i in ctx.inputs:  # an activation at the graph output is named after the signature: use its input's
        if not layer and i >= 0:
            layer = ops.keras_scope(ctx.tensors[i].name, -2)
    return Passthrough(
        name=ctx.name, op_name=ctx.op_name,
        inputs=tuple(i for i in ctx.inputs if i >= 0 and ctx.tensors[i].data is None),
        output=ctx.outputs[0] if ctx.outputs else -1, all_inputs=tuple(ctx.inputs), outputs=tuple(ctx.outputs),
        builtin_code=int(max(code.builtinCode, code.deprecatedBuiltinCode)), version=int(code.version or 1),
        options_type=options_names.get(op.builtinOptionsType, "") if options is not None else "",
        options=fields, custom_options=ctx.custom_options, layer=layer,
    )

def _unpack(data: bytes, source: str):
    s = schema()
    if len(data) < 8 or not s.Model.ModelBufferHasIdentifier(data, 0):
        what = "empty" if not data else f"{len(data)} bytes without the TFLite identifier 'TFL3'"
        raise ConversionError(f"{source} is not a .tflite flatbuffer ({what}); pass a file made by tfsparse.quantize")
    try:
        model = s.ModelT.InitFromObj(s.Model.GetRootAs(data, 0))
    except Exception as exc:  # flatbuffers raises IndexError, struct.error, ... on damaged bytes
        raise ConversionError(
            f"{source} is truncated or corrupted ({type(exc).__name__}: {exc}); re-create it with tfsparse.quantize"
        ) from None
    if not model.subgraphs or len(model.subgraphs) != 1:
        raise ConversionError(f"{source} has {len(model.subgraphs or [])} subgraphs; tfsparse converts single-subgraph models")
    return model


def _buffer_bytes(model, index: int, data: bytes, source: str) -> bytes:
    if index <= 0 or index >= len(model.buffers or []):
        return b""
    buf = model.buffers[index]
    if buf.offset and buf.offset > 1:  # models > 2 GB keep data outside the flatbuffer
        if buf.offset + buf.size > len(data):
            raise ConversionError(f"{source} is truncated: buffer {index} lies beyond the end of the file")
        return data[buf.offset : buf.offset + buf.size]
    return b"" if buf.data is None else np.asarray(buf.data, np.uint8).tobytes()


def _tensor(model, i: int, t, data: bytes, source: str, type_names) -> Tensor:
    name = (t.name or b"").decode("utf-8", "replace") or f"tensor{i}"
    type_name = type_names.get(t.type, str(t.type))
    dtype = TENSOR_TYPES.get(type_name)
    if dtype is None:
        raise ConversionError(f"{source}: tensor {i} ({name!r}) has type {type_name}, which tfsparse does not read")
    shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
    quant = None
    q = t.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0:
        zp = np.zeros(len(q.scale), np.int64) if q.zeroPoint is None else np.asarray(q.zeroPoint, np.int64)
        quant = Quantization(np.asarray(q.scale, np.float32), zp, int(q.quantizedDimension or 0))
    raw = _buffer_bytes(model, t.buffer, data, source)
    array = None
    if raw or (t.buffer > 0 and 0 in shape):
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if len(raw) != expected:
            raise ConversionError(
                f"{source}: constant tensor {i} ({name!r}) of shape {shape} needs {expected} bytes, its buffer has "
                f"{len(raw)}; the file is corrupted"
            )
        array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return Tensor(index=i, name=name, shape=shape, dtype=dtype, quantization=quant, data=array)


def read(data: bytes, *, source: str = "<bytes>", encoding: str = "smallest", name: str = "") -> SparseModel:
    """Parse ``.tflite`` bytes into a :class:`SparseModel` (see :func:`tfsparse.convert`)."""
    model = _unpack(data, source)
    op_names, type_names, options_names = enum_names()
    graph = model.subgraphs[0]
    try:
        tensors = [_tensor(model, i, t, data, source, type_names) for i, t in enumerate(graph.tensors or [])]
    except ConversionError:
        raise
    except Exception as exc:
        raise ConversionError(f"{source} is corrupted ({type(exc).__name__}: {exc}); re-create it with tfsparse.quantize") from None
    inputs, outputs = list(graph.inputs if graph.inputs is not None else []), list(graph.outputs if graph.outputs is not None else [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise ConversionError(f"{source} has {len(inputs)} inputs and {len(outputs)} outputs; tfsparse needs exactly one of each")
    for role, index in (("input", inputs[0]), ("output", outputs[0])):
        t = tensors[index]
        if t.dtype != "int8":
            raise ConversionError(
                f"{source}: the model {role} {t.name!r} is {t.dtype}; tfsparse converts full-integer int8 models "
                "(int8 input, output and activations): make one with tfsparse.quantize(model, representative_data)"
            )
    records, kept = [], []
    for index, op in enumerate(graph.operators or []):
        try:
            code = model.operatorCodes[op.opcodeIndex]
        except (IndexError, TypeError):
            raise ConversionError(f"{source}: op {index} refers to a missing operator code; the file is corrupted") from None
        op_name = op_names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")
        if op_name == "CUSTOM":
            op_name = (code.customCode or b"").decode("utf-8", "replace")
        custom = None if op.customOptions is None else np.asarray(op.customOptions, np.uint8).tobytes()
        ctx = ops.OpContext(
            index=index, op_name=op_name, inputs=[int(v) for v in (op.inputs if op.inputs is not None else [])],
            outputs=[int(v) for v in (op.outputs if op.outputs is not None else [])], options=op.builtinOptions,
            custom_options=custom, tensors=tensors, source=source, encoding=encoding,
        )
        for k in ctx.inputs + ctx.outputs:
            if k >= len(tensors):
                raise ConversionError(f"{source}: op {index} ({op_name}) refers to tensor {k} of {len(tensors)}; the file is corrupted")
        parse = ops.parser_for(op_name)
        reason = "no kernel"
        if parse is not None:
            try:
                records.append(parse(ctx))
                continue
            except ops.NotRunnable as exc:
                reason = str(exc)
        record = _passthrough(ctx, code, op, options_names)
        records.append(record)
        kept.append((record, reason))
    seen = {}
    for op in records:  # unique op names (generated C identifiers derive from them)
        if op.name in seen:
            op.name = f"{op.name}_{len(seen)}"
        seen[op.name] = op
    if kept:
        listed = "; ".join(f"op {r.name!r} ({r.op_name}{', Keras layer ' + repr(r.layer) if r.layer else ''}): {why}"
                           for r, why in kept)
        warnings.warn(
            f"{source}: tfsparse has no kernel for {len(kept)} op{'s' if len(kept) != 1 else ''}, kept for TFLM "
            f"to run: {listed}. predict() and the standalone generate() refuse this model; to_tflite() and "
            "generate(..., tflm=True) run them with TFLM",
            UnsupportedOpWarning, stacklevel=3,
        )
    for t in tensors:  # the Keras model's name, from a constant's scope ("digits_mlp_1/fc1_1/MatMul")
        if not name and t.data is not None:
            name = ops.keras_scope(t.name, 0)
    return SparseModel(
        name=name or "model",
        tensors=tensors,
        ops=records,
        input=int(inputs[0]),
        output=int(outputs[0]),
        source=source,
        source_sha256=hashlib.sha256(data).hexdigest(),
    )
