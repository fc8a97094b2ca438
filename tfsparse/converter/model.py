"""The converted model: :class:`SparseModel`, the IR records of :mod:`tfsparse.converter.ir` plus the
methods that run, describe and write them back.

It sits above the executor, the summary and the ``.tflite`` writer (which see only the plain records),
so no converter module imports back into this one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .executor import dequantize_output as _dequantize_output
from .executor import predict as _predict
from .executor import quantize_input as _quantize_input
from .ir import Tensor
from .summary import summary as _summary
from .to_tflite import to_tflite as _to_tflite

__all__ = ["SparseModel"]


@dataclass
class SparseModel:
    """A converted model: tensors, ops in execution order, graph input and output.

    Made by :func:`tfsparse.convert`. ``tensors`` keeps every tensor of the ``.tflite`` at its index;
    activations have ``data is None``. Constants an op consumed (weights, biases, shapes) keep the
    file's data for reference, but op records carry everything a kernel needs (``FullyConnected.weights``
    holds the CSR form): generators emit op records and activation tensors only.

    The methods that compute delegate to :mod:`tfsparse.converter.executor`,
    :mod:`tfsparse.converter.summary` and :mod:`tfsparse.converter.to_tflite`, so the record stays plain data.

    Example:
        >>> sparse = tfsparse.convert("model.tflite")  # doctest: +SKIP
        >>> probs = sparse.dequantize_output(sparse.predict(sparse.quantize_input(x)))  # doctest: +SKIP
    """

    name: str
    tensors: list
    ops: list
    input: int  # tensor index
    output: int  # tensor index
    source: str = ""  # where it came from (file name or "<bytes>"), for banners and errors
    source_sha256: str = ""
    target: str = ""  # the target whose cost model convert() priced (summary and profile default to it)

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    @property
    def input_tensor(self) -> Tensor:
        return self.tensors[self.input]

    @property
    def output_tensor(self) -> Tensor:
        return self.tensors[self.output]

    def replace(self, **changes) -> "SparseModel":
        return dataclasses.replace(self, **changes)

    @property
    def fully_connected(self) -> list:
        """The FULLY_CONNECTED op records, in execution order."""
        return [op for op in self.ops if op.kind == "FULLY_CONNECTED"]

    def predict(self, x) -> np.ndarray:
        """Run the model on int8 inputs, bit-exact with the TFLite Micro interpreter.

        Args:
            x: int8 array of shape ``(N, *input_shape[1:])`` (TFLM's own shapes have batch 1; this
                runs N invocations at once).

        Returns:
            int8 array of shape ``(N, *output_shape[1:])``.

        Raises:
            TypeError: ``x`` is not int8 (use :meth:`quantize_input`).
            ValueError: ``x`` has the wrong shape.
            ConversionError: the model holds ops tfsparse has no kernel for (all named; run it with TFLM).

        Example:
            >>> y = sparse.predict(sparse.quantize_input(x_test))  # doctest: +SKIP
        """
        return _predict(self, x)

    def quantize_input(self, x) -> np.ndarray:
        """Float inputs -> int8 with the input tensor's scale and zero point (round half away from zero).

        Args:
            x: float array shaped like the model input (any batch size).

        Returns:
            int8 array of the same shape.

        Raises:
            ValueError: ``x`` is not shaped (N, input shape) or holds NaN or infinite values.
        """
        return _quantize_input(self, x)

    def dequantize_output(self, y) -> np.ndarray:
        """int8 outputs -> float32 ``scale * (y - zero_point)`` of the output tensor.

        Args:
            y: int8 array from :meth:`predict`.

        Returns:
            float32 array of the same shape.
        """
        return _dequantize_output(self, y)

    def summary(self, print_fn=print) -> dict:
        """Per-layer sizes: shape, density, encoding, dense int8 bytes, sparse bytes, bytes per nonzero.

        Args:
            print_fn: called with the formatted table (``None`` prints nothing).

        Returns:
            ``{"layers": [one dict per FULLY_CONNECTED layer], "total": {...}}`` with the same numbers.

        Example:
            >>> report = sparse.summary()  # doctest: +SKIP
            >>> report["total"]["compression"]  # doctest: +SKIP
        """
        return _summary(self, print_fn=print_fn)

    def to_tflite(self) -> bytes:
        """The same graph as a ``.tflite`` for TFLM where each CSR layer is a CUSTOM op.

        Sparse FULLY_CONNECTED layers become ``TFSPARSE_FULLY_CONNECTED`` custom ops whose CSR arrays,
        folded bias, multipliers and shifts are constant tensors and whose options are a flexbuffer
        map (see :mod:`tfsparse.converter.ops.sparse_fully_connected`); the dense weight buffers are gone.
        Layers kept dense stay builtin FULLY_CONNECTED. ``tfsparse.convert`` reads the result back.

        Returns:
            The flatbuffer as bytes.

        Example:
            >>> pathlib.Path("model_sparse.tflite").write_bytes(sparse.to_tflite())  # doctest: +SKIP
        """
        return _to_tflite(self)
