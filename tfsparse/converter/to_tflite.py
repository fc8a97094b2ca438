"""``SparseModel.to_tflite``: write the IR back as a ``.tflite`` where CSR layers are CUSTOM ops.

Only the layers tfsparse runs sparse become custom ops (``TFSPARSE_FULLY_CONNECTED``,
``TFSPARSE_CONV_2D``); every other op is written back as the TFLM builtin it was, pass-through
records of ops tfsparse has no kernel for included (with their constants, options and version).
"""

from __future__ import annotations

import flatbuffers
import numpy as np

from . import ops
from .schema import TENSOR_TYPES, enum_names, schema

__all__ = ["to_tflite", "Writer"]

_TENSOR_TYPE_CODES = {dtype: name for name, dtype in TENSOR_TYPES.items()}


class Writer:
    """Accumulates buffers, tensors, operator codes and operators of one subgraph (object API)."""

    def __init__(self, model):
        self.model = model
        self.s = schema()
        self._buffers = [self.s.BufferT()]  # buffer 0: the empty sentinel every .tflite starts with
        self._tensors = []
        self._operators = []
        self._opcodes = {}
        self._mapped = {}

    def _add_tensor(self, name, shape, dtype, quantization, data=None) -> int:
        s = self.s
        t = s.TensorT()
        t.name = name.encode()
        t.shape = np.asarray(shape, np.int32)
        t.type = getattr(s.TensorType, _TENSOR_TYPE_CODES[np.dtype(dtype).name])
        buf = s.BufferT()
        if data is not None:
            buf.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
        self._buffers.append(buf)
        t.buffer = len(self._buffers) - 1
        if quantization is not None:
            q = s.QuantizationParametersT()
            q.scale = np.asarray(quantization.scale, np.float32)
            q.zeroPoint = np.asarray(quantization.zero_point, np.int64)
            q.quantizedDimension = int(quantization.axis)
            t.quantization = q
        self._tensors.append(t)
        return len(self._tensors) - 1

    def tensor_index(self, ir_index: int) -> int:
        """The new index of a tensor of the IR (added on first use, with its data if it is a constant
        a pass-through op reads); ``-1`` (an optional input left out) stays ``-1``."""
        if ir_index < 0:
            return -1
        if ir_index not in self._mapped:
            t = self.model.tensor(ir_index)
            self._mapped[ir_index] = self._add_tensor(t.name, t.shape, t.dtype, t.quantization, t.data)
        return self._mapped[ir_index]

    def constant(self, name: str, array, quantization=None) -> int:
        """Add a constant tensor ``<model name>/<name>`` holding ``array``; returns its index."""
        array = np.asarray(array)
        return self._add_tensor(f"{self.model.name}/{name}", array.shape, array.dtype, quantization, array)

    def _opcode(self, builtin: str, custom: str = None, version: int = 1) -> int:
        key = (custom or builtin, version)
        if key not in self._opcodes:
            s = self.s
            code = s.OperatorCodeT()
            value = getattr(s.BuiltinOperator, builtin)
            code.builtinCode = value
            code.deprecatedBuiltinCode = min(value, 127)
            code.version = version
            if custom:
                code.customCode = custom.encode()
            self._opcodes[key] = (len(self._opcodes), code)
        return self._opcodes[key][0]

    def _operator(self, opcode, inputs, outputs):
        op = self.s.OperatorT()
        op.opcodeIndex = opcode
        op.inputs = np.asarray(inputs, np.int32)
        op.outputs = np.asarray(outputs, np.int32)
        self._operators.append(op)
        return op

    def builtin(self, name: str, inputs, outputs, options_name: str, **fields) -> None:
        """Add a builtin op with its options table (``fields`` are the options' attributes; ``options_name``
        ``""`` for none)."""
        s = self.s
        op = self._operator(self._opcode(name), inputs, outputs)
        if not options_name:  # an op without options (LOGISTIC)
            return
        options = getattr(s, options_name + "T")()
        for key, value in fields.items():
            setattr(options, key, value)
        op.builtinOptionsType = getattr(s.BuiltinOptions, options_name)
        op.builtinOptions = options

    def custom(self, code: str, inputs, outputs, options: bytes) -> None:
        """Add a CUSTOM op with flexbuffer options."""
        op = self._operator(self._opcode("CUSTOM", code), inputs, outputs)
        op.customOptions = np.frombuffer(bytes(options), np.uint8)
        op.customOptionsFormat = self.s.CustomOptionsFormat.FLEXBUFFERS

    def passthrough(self, op) -> None:
        """Write a :class:`~tfsparse.converter.ir.Passthrough` record back as the operator it was."""
        builtin_names = enum_names()[0]
        builtin = builtin_names.get(op.builtin_code, op.op_name)
        custom = op.op_name if builtin == "CUSTOM" else None
        record = self._operator(self._opcode(builtin, custom, op.version), [self.tensor_index(i) for i in op.all_inputs],
                                [self.tensor_index(i) for i in op.outputs])
        if custom is not None and op.custom_options is not None:
            record.customOptions = np.frombuffer(bytes(op.custom_options), np.uint8)
            record.customOptionsFormat = self.s.CustomOptionsFormat.FLEXBUFFERS
        if op.options_type:
            options = getattr(self.s, op.options_type + "T")()
            for key, value in op.options.items():
                setattr(options, key, value)
            record.builtinOptionsType = getattr(self.s.BuiltinOptions, op.options_type)
            record.builtinOptions = options

    def finish(self, inputs, outputs, description: str) -> bytes:
        s = self.s
        graph = s.SubGraphT()
        graph.tensors, graph.operators = self._tensors, self._operators
        graph.inputs = np.asarray(inputs, np.int32)
        graph.outputs = np.asarray(outputs, np.int32)
        graph.name = b"main"
        model = s.ModelT()
        model.version = 3
        model.description = description.encode()
        model.operatorCodes = [code for _, code in sorted(self._opcodes.values(), key=lambda v: v[0])]
        model.subgraphs = [graph]
        model.buffers = self._buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def to_tflite(model) -> bytes:
    """See :meth:`tfsparse.SparseModel.to_tflite`."""
    enum_names()  # fail early (ConversionError) when no schema module is installed
    writer = Writer(model)
    graph_input = writer.tensor_index(model.input)
    for op in model.ops:
        if op.kind == "PASSTHROUGH":
            writer.passthrough(op)
        else:
            ops.kind(op.kind).emit(op, writer)
    graph_output = writer.tensor_index(model.output)
    return writer.finish([graph_input], [graph_output], f"tfsparse: {model.name}")
