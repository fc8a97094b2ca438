"""The reference executor: runs a :class:`SparseModel` in NumPy, bit-exact with the TFLM interpreter."""

from __future__ import annotations

import numpy as np

from ..errors import ConversionError
from . import ops
from .quant_math import tflite_round

__all__ = ["predict", "run", "quantize_input", "dequantize_output", "describe_passthrough"]


def predict(model, x) -> np.ndarray:
    """Run ``model`` on a batch of int8 inputs (see :meth:`tfsparse.SparseModel.predict`)."""
    passthrough = [op for op in model.ops if op.kind == "PASSTHROUGH"]
    if passthrough:
        raise ConversionError(
            f"{model.source or model.name}: tfsparse cannot run {describe_passthrough(passthrough)}; run the model "
            "with TFLM instead (model.to_tflite() or generate(..., tflm=True))"
        )
    inp = model.input_tensor
    x = np.asarray(x)
    if x.dtype != np.int8:
        raise TypeError(
            f"predict() takes int8 inputs, got {x.dtype}; quantize float inputs with model.quantize_input(x)"
        )
    _check_batch_shape(x, inp, "predict()")
    return run(model, x)


def run(model, x: np.ndarray, visit=None) -> np.ndarray:
    """Execute the ops in order on int8 ``x`` (checked by the caller); ``visit(op, inputs, output)`` sees
    each op's input arrays (in ``op.inputs`` order) and its output, e.g. to measure activations.

    Values are keyed by tensor index, so graphs may branch and join (ADD, CONCATENATION); each
    activation is freed after its last reader.
    """
    values = {model.input: x}
    last_use = {}
    for i, op in enumerate(model.ops):
        for t in op.inputs:
            last_use[t] = i
    for i, op in enumerate(model.ops):
        missing = [t for t in op.inputs if t not in values]
        if missing:
            raise ConversionError(f"op {i} ({op.name!r}) reads tensor {missing[0]} before any op writes it")
        xs = [values[t] for t in op.inputs]
        values[op.output] = ops.kind(op.kind).execute(op, model, *xs)
        if visit is not None:
            visit(op, xs, values[op.output])
        for t in set(op.inputs):
            if last_use.get(t) == i and t != model.output:
                del values[t]
    return values[model.output]


def describe_passthrough(records) -> str:
    """``"2 ops: TANH (layer 'act'), GATHER (op 7)"``: every pass-through op with its Keras layer."""
    names = [f"{op.op_name} ({'layer ' + repr(op.layer) if op.layer else 'op ' + repr(op.name)})" for op in records]
    return f"{len(names)} op{'s' if len(names) != 1 else ''}: " + ", ".join(names)


def _check_batch_shape(x: np.ndarray, inp, what: str) -> None:
    """``x`` must be a batch of samples shaped like the input tensor: (N, *input shape without batch)."""
    sample_shape = tuple(inp.shape[1:])
    if tuple(x.shape[1:]) == sample_shape and x.ndim == len(sample_shape) + 1:
        return
    expected = f"(N, {', '.join(map(str, sample_shape))})"
    if tuple(x.shape) == sample_shape:
        raise ValueError(f"{what}: input shape {x.shape} has no batch axis; expected {expected}: pass x[None] for one sample")
    hint = ""
    if x.ndim >= 1 and x.shape[0] and x.size // x.shape[0] == int(np.prod(sample_shape)):
        hint = f"; reshape it with x.reshape(len(x), {', '.join(map(str, sample_shape))})"
    raise ValueError(f"{what}: input shape {x.shape} does not match {expected} of input tensor {inp.name!r}{hint}")


def quantize_input(model, x) -> np.ndarray:
    """Float inputs -> int8 with the input tensor's (scale, zero point): round half away from zero, clamp."""
    inp = model.input_tensor
    q = inp.quantization
    try:
        x = np.asarray(x, np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"quantize_input() takes a float array, got {type(x).__name__} ({exc})") from exc
    _check_batch_shape(x, inp, "quantize_input()")
    bad = ~np.isfinite(x)
    if bad.any():
        first = np.argwhere(bad)[0]
        raise ValueError(
            f"quantize_input(): {int(bad.sum())} of {x.size} input values are NaN or infinite (first at index "
            f"{tuple(int(i) for i in first)}: {x[tuple(first)]}); int8 has no such values: clean the data first"
        )
    real = x / np.float32(q.scale[0])
    return np.clip(tflite_round(real) + int(q.zero_point[0]), -128, 127).astype(np.int8)


def dequantize_output(model, y) -> np.ndarray:
    """int8 outputs -> float32 ``scale * (y - zero_point)``."""
    q = model.output_tensor.quantization
    return (np.float32(q.scale[0]) * (np.asarray(y, np.int32) - int(q.zero_point[0]))).astype(np.float32)
