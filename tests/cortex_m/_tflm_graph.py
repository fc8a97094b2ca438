"""Writes the graph file ``tflm_api_double/driver.cc`` reads, from ``.tflite`` bytes (TFLite schema)."""

from __future__ import annotations

import struct

import numpy as np

from tfsparse.converter.schema import enum_names, schema

#: TFLite schema TensorType name -> (TfLiteType value of TFLM's C API, numpy dtype).
_TYPES = {
    "INT8": (9, np.int8),
    "UINT8": (3, np.uint8),
    "INT16": (7, np.int16),
    "UINT16": (17, np.uint16),
    "INT32": (2, np.int32),
    "UINT32": (16, np.uint32),
}


def _i32(*values) -> bytes:
    return struct.pack(f"<{len(values)}i", *(int(v) for v in values))


def standalone_offsets(sparse_model, target="cortex-m4") -> list:
    """Per op of ``sparse_model``: [op index, n inputs, arena offsets of its inputs, of its output,
    of the graph input] in the generated standalone model (how the double runs builtins with
    tfsparse's kernels; ``to_tflite()`` writes one operator per IR op, in order)."""
    from tfsparse.codegen.context import build_context
    from tfsparse.codegen.targets import get_target

    ctx = build_context(sparse_model, get_target(target))
    offset = {b["index"]: b["offset"] for b in ctx.buffers}
    return [[k, len(op.inputs), *(offset[t] for t in op.inputs), offset[op.output], ctx.input.offset]
            for k, op in enumerate(sparse_model.ops)]


def graph_file(tflite: bytes, samples: np.ndarray, edit_options=None, offsets=None) -> bytes:
    """The driver's input: tensors (constants with their bytes), operators, then ``samples``.

    ``edit_options(options: bytes) -> bytes``, when given, rewrites every custom op's options;
    ``offsets`` (:func:`standalone_offsets`) lets builtins run with the standalone model's kernels.
    """
    builtin_names, type_names, _ = enum_names()
    model = schema().Model.GetRootAs(tflite, 0)
    assert model.SubgraphsLength() == 1, "the test double runs single-subgraph models"
    sub = model.Subgraphs(0)
    parts = [_i32(sub.TensorsLength())]
    for i in range(sub.TensorsLength()):
        t = sub.Tensors(i)
        code, dtype = _TYPES[type_names[t.Type()]]
        shape = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        buf = model.Buffers(t.Buffer())
        data = buf.DataAsNumpy() if buf is not None and buf.DataLength() else None
        parts.append(_i32(code, len(shape), *shape, nbytes, data is not None))
        if data is not None:
            raw = np.asarray(data, dtype=np.uint8).tobytes()
            assert len(raw) == nbytes, f"tensor {i}: {len(raw)} data bytes for shape {shape}"
            parts.append(raw)
    parts.append(_i32(sub.OperatorsLength()))
    for k in range(sub.OperatorsLength()):
        op = sub.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = builtin_names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        if name == "CUSTOM":
            name = code.CustomCode().decode()
        options = np.asarray(op.CustomOptionsAsNumpy(), np.uint8).tobytes() if op.CustomOptionsLength() else b""
        if edit_options is not None and options:
            options = edit_options(options)
        inputs, outputs = op.InputsAsNumpy().tolist(), op.OutputsAsNumpy().tolist()
        op_offsets = offsets[k] if offsets is not None else []
        parts += [_i32(len(name)), name.encode(), _i32(len(inputs), *inputs), _i32(len(outputs), *outputs),
                  _i32(len(options)), options, _i32(len(op_offsets), *op_offsets)]
    samples = np.ascontiguousarray(samples, dtype=np.int8)
    parts.append(_i32(sub.InputsAsNumpy()[0], sub.OutputsAsNumpy()[0], samples.shape[0]))
    parts.append(samples.tobytes())
    return b"".join(parts)
