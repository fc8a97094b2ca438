"""The intermediate model: plain dataclasses between the ``.tflite`` reader and the code generator.

Data flows one way: Keras model -> int8 ``.tflite`` -> the records of this module (held by a
:class:`tfsparse.converter.model.SparseModel`) -> templates -> C. Templates and the reference executor
see only these records, never Keras or flatbuffer objects.

Conventions
-----------
* Activations are int8 with per-tensor (scale, zero_point); weights are int8 symmetric (zero point 0)
  with one scale per tensor or one per output row ("per channel").
* Fully-connected weights have TFLite's layout ``[out, in]`` (one row per output unit).
* Requantization follows TFLM: ``out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[r],
  shift[r]) + output_zero_point, act_min, act_max)`` with TFLM's default double rounding. ``shift`` is
  TFLM's signed exponent (positive = left shift). Per-tensor layers still store one entry per row so
  kernels need no branch.
* The input zero point is folded into the bias: ``bias[r] = b[r] - input_zero_point * sum_c w[r, c]``,
  so a kernel's inner loop is ``sum w * x`` over the stored nonzeros only.

CSR encodings (one per fully-connected layer; see :mod:`tfsparse.converter.csr`)
-----------------------------------------------------------------------------
``values`` holds the int8 nonzeros row by row. ``row_ptr`` (length ``rows + 1``, uint16 when the
largest entry fits, else uint32) delimits each row's *index entries* (not values: a value pointer
simply advances through ``values`` as entries are consumed in order).

``abs_u8`` / ``abs_u16`` / ``abs_u32``
    one absolute column index per nonzero (``abs_u8`` only when ``in <= 256``, ``abs_u16`` when
    ``in <= 65536``); entry count equals value count, ``indices`` has the matching dtype.
``rel4`` / ``rel8``
    relative gaps of ``bits`` bits. Within a row, a running column ``col`` starts at 0. Each entry
    ``g`` is read in order: if ``g == 2**bits - 1`` it is an *escape*: ``col += 2**bits - 1`` and no
    value is consumed; otherwise ``col += g``, the next value is multiplied with ``x[col]``, then
    ``col += 1``. So ``g`` is the number of zero columns skipped before a nonzero. ``rel4`` packs two
    entries per byte, the earlier entry in the low nibble; rows do not start on byte boundaries
    (entry ``e`` lives in byte ``e >> 1``, nibble ``e & 1``). ``indices`` is a uint8 array of
    ``ceil(entries * bits / 8)`` bytes.
``blk8`` (row form, 8-bit indices in column blocks)
    columns are cut into blocks of 255 (``csr.BLOCK``); ``values`` row by row, ``indices`` uint8 one per
    value: the column minus its block's first column. ``row_ptr`` is not a pointer array here but
    uint8 counts, ``rows * blocks`` of them, row-major: the entries of row ``r`` in column block ``b``
    (a count fits a byte because a block is 255 wide). A kernel walks a row block by block, advancing
    its input pointer by 255 per block. Two bytes per nonzero plus one per (row, block).
``csc8`` (column form, for activation skipping)
    the same layout over the transpose: ``values`` column by column, ``indices`` uint8 row minus its
    row block's first row (blocks of 255 rows), ``row_ptr`` uint8 counts, ``cols * row_blocks`` of them
    (column-major: column ``c``'s count in row block ``b`` is ``row_ptr[c * row_blocks + b]``). A kernel
    starts int32 accumulators in the arena at the *unfolded* bias (``original_bias``, i.e.
    ``bias + input_zero_point * sum_c w[r, c]``), adds ``(x[c] - input_zero_point) * w`` for every column
    whose input differs from the zero point (a column at the zero point costs only its test), then
    requantizes every row. The IR's ``bias`` stays folded for every encoding (the executor is the
    same); the code generator computes the unfolded one.
``dense``
    not CSR: ``dense_weights`` holds the full ``[out, in]`` int8 matrix (chosen when a layer would not
    be smaller than dense int8).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

__all__ = [
    "ENCODINGS",
    "Quantization",
    "Tensor",
    "CSRMatrix",
    "DenseMatrix",
    "FullyConnected",
    "Reshape",
    "Softmax",
    "Op",
]

#: Every weight encoding a fully-connected layer can use, in the order "fastest" prefers them.
ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "blk8", "rel8", "rel4", "csc8", "dense")

#: Fused activations, as TFLite names them.
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    ``scale`` and ``zero_point`` are 1-D arrays: length 1 per tensor, or one entry per slice along
    ``axis`` (per channel).
    """

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass
class Tensor:
    """A tensor of the graph: an activation (``data is None``) or a constant."""

    index: int
    name: str
    shape: tuple
    dtype: str  # numpy dtype name: "int8", "int32", ...
    quantization: Optional[Quantization] = None
    data: Optional[np.ndarray] = None

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass
class CSRMatrix:
    """An int8 ``[rows, cols]`` matrix in one of the CSR encodings described in the module docstring."""

    shape: tuple  # (rows, cols)
    encoding: str
    values: np.ndarray  # int8, nnz
    row_ptr: np.ndarray  # uint16 or uint32, rows + 1; offsets into the index entries (blk8/csc8: uint8 counts)
    indices: np.ndarray  # uint8/uint16/uint32 (absolute) or packed uint8 (relative)
    num_entries: int  # index entries, escapes included (== nnz for absolute encodings)

    @property
    def nnz(self) -> int:
        return int(self.values.size)

    @property
    def nbytes(self) -> int:
        """Bytes of flash the encoded weights take (values + row pointers + indices)."""
        return int(self.values.nbytes + self.row_ptr.nbytes + self.indices.nbytes)


@dataclass
class DenseMatrix:
    """An int8 ``[rows, cols]`` matrix kept dense."""

    weights: np.ndarray  # int8 [rows, cols]
    encoding: str = "dense"

    @property
    def shape(self) -> tuple:
        return tuple(self.weights.shape)

    @property
    def nnz(self) -> int:
        return int(np.count_nonzero(self.weights))

    @property
    def nbytes(self) -> int:
        return int(self.weights.nbytes)


@dataclass
class FullyConnected:
    """FULLY_CONNECTED with int8 input/output, int8 weights and folded int32 bias."""

    name: str
    input: int  # tensor index
    output: int  # tensor index
    weights: Union[CSRMatrix, DenseMatrix]
    bias: np.ndarray  # int32 [rows], input zero point folded in
    multiplier: np.ndarray  # int32 [rows]
    shift: np.ndarray  # int32 [rows], TFLM convention (positive = left)
    output_zero_point: int
    activation_min: int
    activation_max: int
    activation: str = "NONE"
    original_bias: Optional[np.ndarray] = None  # int32 [rows] as in the .tflite (None if no bias)
    weight_scale: Optional[np.ndarray] = None  # float per row or per tensor, for reports
    kind: str = field(default="FULLY_CONNECTED", init=False)


@dataclass
class Reshape:
    """RESHAPE: a no-op on the bytes (input and output share quantization)."""

    name: str
    input: int
    output: int
    kind: str = field(default="RESHAPE", init=False)


@dataclass
class Softmax:
    """SOFTMAX int8 -> int8 with TFLM's fixed-point parameters (computed in the converter).

    The output is always scale 1/256, zero point -128 (TFLM requires it). The three integers are
    exactly the ``SoftmaxParams`` fields TFLM's ``SoftmaxPrepare`` fills for int8 -> int8, so a C
    kernel can pass them to TFLM's ``reference_ops::Softmax`` (or an equivalent) as they are:

    ``beta``
        the op's float32 ``beta`` (documentation only; already folded into ``input_multiplier``).
    ``input_multiplier``
        int32 Q31 significand of ``min(beta * input_scale * 2**26, 2**31 - 1)`` (TFLM's
        ``PreprocessSoftmaxScaling`` with 5 integer bits; ``QuantizeMultiplier`` on the double).
    ``input_left_shift``
        its exponent (>= 0): ``input_multiplier * 2**(input_left_shift - 31)`` is that real value.
        Per row, ``diff = x[c] - max(x)`` becomes the Q5.26 value
        ``SaturatingRoundingDoublingHighMul(diff * 2**input_left_shift, input_multiplier)``
        (TFLM's ``MultiplyByQuantizedMultiplierGreaterThanOne``).
    ``diff_min``
        ``-floor((2**5 - 1) * 2**26 / 2**input_left_shift)`` (TFLM's ``CalculateInputRadius``): entries
        with ``diff < diff_min`` contribute nothing to the sum of exponentials and output -128.
    """

    name: str
    input: int
    output: int
    beta: float
    input_multiplier: int
    input_left_shift: int
    diff_min: int
    kind: str = field(default="SOFTMAX", init=False)


Op = Union[FullyConnected, Reshape, Softmax]
