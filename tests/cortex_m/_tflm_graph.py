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


def graph_file(tflite: bytes, samples: np.ndarray, edit_options=None) -> bytes:
    """The driver's input: tensors (constants with their bytes), operators, then ``samples``.

    ``edit_options(options: bytes) -> bytes``, when given, rewrites every custom op's options.
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
        parts += [_i32(len(name)), name.encode(), _i32(len(inputs), *inputs), _i32(len(outputs), *outputs),
                  _i32(len(options)), options]
    samples = np.ascontiguousarray(samples, dtype=np.int8)
    parts.append(_i32(sub.InputsAsNumpy()[0], sub.OutputsAsNumpy()[0], samples.shape[0]))
    parts.append(samples.tobytes())
    return b"".join(parts)
