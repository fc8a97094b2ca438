"""The reference executor: runs a :class:`SparseModel` in NumPy, bit-exact with the TFLM interpreter."""

from __future__ import annotations

import numpy as np

from . import ops
from .quant_math import tflite_round

__all__ = ["predict", "quantize_input", "dequantize_output"]


def predict(model, x) -> np.ndarray:
    """Run ``model`` on a batch of int8 inputs (see :meth:`tfsparse.SparseModel.predict`)."""
    inp = model.input_tensor
    x = np.asarray(x)
    sample_shape = tuple(inp.shape[1:])
    if x.dtype != np.int8:
        raise TypeError(
            f"predict() takes int8 inputs, got {x.dtype}; quantize float inputs with model.quantize_input(x)"
        )
    if tuple(x.shape[1:]) != sample_shape:
        if tuple(x.shape) == sample_shape:
            raise ValueError(f"input shape {x.shape} has no batch axis; pass x[None] for one sample")
        raise ValueError(f"input shape {x.shape} does not match (N, {', '.join(map(str, sample_shape))}) of {inp.name!r}")
    values = {model.input: x}
    for op in model.ops:
        values[op.output] = ops.kind(op.kind).execute(op, model, values[op.input])
    return values[model.output]


def quantize_input(model, x) -> np.ndarray:
    """Float inputs -> int8 with the input tensor's (scale, zero point): round half away from zero, clamp."""
    q = model.input_tensor.quantization
    real = np.asarray(x, np.float32) / np.float32(q.scale[0])
    return np.clip(tflite_round(real) + int(q.zero_point[0]), -128, 127).astype(np.int8)


def dequantize_output(model, y) -> np.ndarray:
    """int8 outputs -> float32 ``scale * (y - zero_point)``."""
    q = model.output_tensor.quantization
    return (np.float32(q.scale[0]) * (np.asarray(y, np.int32) - int(q.zero_point[0]))).astype(np.float32)
