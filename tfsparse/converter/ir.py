"""The intermediate model: plain dataclasses between the ``.tflite`` reader and the code generator.

Data flows one way: Keras model -> int8 ``.tflite`` -> the records of this module (held by a
:class:`tfsparse.converter.model.SparseModel`) -> templates -> C. Templates and the reference executor
see only these records, never Keras or flatbuffer objects.

Conventions
-----------
* Every op record has ``inputs`` (the activation tensor indices it reads, in the op's input order;
  constants are folded into the record) and ``output`` (one tensor index), so graphs may branch and
  join; single-input records keep ``input`` with ``inputs == (input,)``. ``kind`` is the TFLite op
  name (``"PASSTHROUGH"`` for an op without a kernel, see :class:`Passthrough`).
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
    "Conv2D",
    "DepthwiseConv2D",
    "MaxPool2D",
    "AveragePool2D",
    "Mean",
    "Add",
    "Concatenation",
    "Pad",
    "Quantize",
    "Logistic",
    "ExpandDims",
    "Passthrough",
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
    # Set by convert's layer chooser and dead-unit pass (tfsparse.converter.chooser / deadunits):
    choice_reason: str = ""  # why this encoding (summary() and profile show it)
    input_density: Optional[np.ndarray] = None  # per input column: fraction of samples != zero point
    input_zero_quads: Optional[np.ndarray] = None  # per 4 input columns: fraction of samples all at it
    removed: str = ""  # what the dead-unit pass removed from this layer
    kind: str = field(default="FULLY_CONNECTED", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Reshape:
    """RESHAPE: a no-op on the bytes (input and output share quantization)."""

    name: str
    input: int
    output: int
    kind: str = field(default="RESHAPE", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


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

    @property
    def inputs(self) -> tuple:
        return (self.input,)



# --- Convolutional and branched graphs ------------------------------------------------------------
#
# Shapes are NHWC with batch 1 in the file (the executor runs N samples at once). Windowed ops carry
# TFLM's padding values: ``padding_height``/``padding_width`` are the rows/columns of implicit padding
# before the first input row/column (``TfLitePaddingValues.height/width``); ``*_offset`` is the odd
# extra row/column after the last one (SAME with an odd total). Input position of output ``(oy, ox)``
# and filter tap ``(ky, kx)``: ``iy = oy * stride_height - padding_height + ky * dilation_height_factor``
# (the same for x); taps outside the input are padding.


@dataclass
class _Conv:
    """Fields CONV_2D and DEPTHWISE_CONV_2D share (TFLM's ``OpDataConv`` names)."""

    name: str
    input: int
    output: int
    weights: Union[CSRMatrix, DenseMatrix]
    bias: np.ndarray  # int32 [cout], input zero point folded in
    multiplier: np.ndarray  # int32 [cout] (TFLM's per_channel_output_multiplier)
    shift: np.ndarray  # int32 [cout] (per_channel_output_shift, positive = left)
    input_zero_point: int
    output_zero_point: int
    activation_min: int
    activation_max: int
    filter_height: int
    filter_width: int
    input_channels: int
    output_channels: int
    stride_height: int
    stride_width: int
    dilation_height_factor: int
    dilation_width_factor: int
    padding: str  # "SAME" or "VALID"
    padding_height: int
    padding_width: int
    padding_height_offset: int = 0
    padding_width_offset: int = 0
    activation: str = "NONE"
    original_bias: Optional[np.ndarray] = None  # int32 [cout] as in the .tflite (None if no bias)
    weight_scale: Optional[np.ndarray] = None  # float per output channel (or one)
    choice_reason: str = ""  # why this encoding (the chooser fills it; summary() shows it)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Conv2D(_Conv):
    """CONV_2D int8 with per-channel (or per-tensor) int8 weights.

    ``weights`` is a :class:`CSRMatrix` or :class:`DenseMatrix` of shape ``[output_channels,
    filter_height * filter_width * input_channels]``: TFLite's OHWI filter with each output channel's
    taps flattened in ``(ky, kx, c)`` order, so column ``(ky * filter_width + kx) * input_channels + c``.
    CSR rows use the fully-connected encodings unchanged.

    ``bias`` has the input zero point folded in (``b - input_zero_point * sum(w[row])``, as for
    FullyConnected), so a padded tap must read the value ``input_zero_point`` (it then contributes
    exactly nothing): a kernel gathers ``x`` with padding filled by ``input_zero_point`` (or skips padded
    taps and adds ``input_zero_point * w`` for them). A 1x1 convolution with stride 1 and no padding
    (``pointwise``) is a fully-connected layer applied to every pixel.
    """

    kind: str = field(default="CONV_2D", init=False)

    @property
    def pointwise(self) -> bool:
        """1x1, stride 1, no padding: an FC over every pixel (``weights`` is ``[cout, cin]``)."""
        return (self.filter_height == self.filter_width == 1 and self.stride_height == self.stride_width == 1
                and self.padding_height == self.padding_width == 0)


@dataclass
class DepthwiseConv2D(_Conv):
    """DEPTHWISE_CONV_2D int8 (depth multiplier >= 1): output channel ``oc = ic * depth_multiplier + m``
    reads only input channel ``ic``.

    ``weights`` is a :class:`DenseMatrix` ``[output_channels, filter_height * filter_width]`` (one row
    per output channel, taps in ``(ky, kx)`` order; TFLite's ``[1, kh, kw, cout]`` filter transposed).
    ``bias`` has the input zero point folded in (padded taps read ``input_zero_point``), as in
    :class:`Conv2D`.
    """

    depth_multiplier: int = 1
    kind: str = field(default="DEPTHWISE_CONV_2D", init=False)


@dataclass
class _Pool:
    name: str
    input: int
    output: int
    filter_height: int
    filter_width: int
    stride_height: int
    stride_width: int
    padding: str
    padding_height: int
    padding_width: int
    activation_min: int
    activation_max: int
    padding_height_offset: int = 0
    padding_width_offset: int = 0
    activation: str = "NONE"

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class MaxPool2D(_Pool):
    """MAX_POOL_2D int8: the largest input of each window (padding never wins), clamped to the
    activation range. Input and output share their quantization."""

    kind: str = field(default="MAX_POOL_2D", init=False)


@dataclass
class AveragePool2D(_Pool):
    """AVERAGE_POOL_2D int8 as TFLM: ``sum`` of the raw int8 inputs inside the input (padding is not
    counted), ``count`` of them, ``avg = (sum + count/2) / count`` if ``sum > 0`` else
    ``(sum - count/2) / count`` (C division, truncating), clamped. Input and output share quantization."""

    kind: str = field(default="AVERAGE_POOL_2D", init=False)


@dataclass
class Mean:
    """MEAN int8 over ``axis`` as TFLM's ``QuantizedMeanOrSum``.

    ``multiplier``/``shift`` are ``QuantizeMultiplier(input_scale / output_scale)`` (TFLM's op data);
    ``mean_multiplier``/``mean_shift`` fold in ``1 / num_elements`` as TFLM's Eval does
    (``s = min(floor(log2(n)), 32, 31 + shift)``, ``mean_multiplier = (multiplier << s) / n``,
    ``mean_shift = shift - s``). Output:
    ``clamp(MultiplyByQuantizedMultiplier(sum - input_zero_point * n, mean_multiplier, mean_shift)
    + output_zero_point, -128, 127)``.
    """

    name: str
    input: int
    output: int
    axis: tuple  # positive axes reduced
    keep_dims: bool
    num_elements: int  # elements per output value
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    mean_multiplier: int
    mean_shift: int
    kind: str = field(default="MEAN", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Add:
    """ADD int8 with TFLM's general rescaling (``left_shift = 20``), numpy broadcasting.

    ``v_i = MultiplyByQuantizedMultiplier((x_i + input{i}_offset) << left_shift, input{i}_multiplier,
    input{i}_shift)``; ``out = clamp(MultiplyByQuantizedMultiplier(v_1 + v_2, output_multiplier,
    output_shift) + output_offset, activation_min, activation_max)``. Offsets are TFLM's: the negated
    input zero points, the output zero point. All shifts are <= 0 (right shifts).
    """

    name: str
    input1: int
    input2: int
    output: int
    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1_multiplier: int
    input1_shift: int
    input2_multiplier: int
    input2_shift: int
    output_multiplier: int
    output_shift: int
    activation_min: int
    activation_max: int
    requires_broadcast: bool = False
    activation: str = "NONE"
    kind: str = field(default="ADD", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input1, self.input2)


@dataclass
class Concatenation:
    """CONCATENATION int8 along ``axis`` (positive); every input shares the output's quantization
    (TFLM requires it), so it copies bytes."""

    name: str
    inputs: tuple
    output: int
    axis: int
    kind: str = field(default="CONCATENATION", init=False)


@dataclass
class Pad:
    """PAD / PADV2 int8: ``paddings`` is ``((before, after), ...)`` per dimension; new elements are
    ``pad_value`` (the output zero point for PAD, the constant for PADV2)."""

    name: str
    input: int
    output: int
    paddings: tuple
    pad_value: int
    kind: str = field(default="PAD", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Quantize:
    """QUANTIZE int8 -> int8 (requantization): ``clamp(MultiplyByQuantizedMultiplier(x - input_zero_point,
    multiplier, shift) + output_zero_point, -128, 127)`` with ``QuantizeMultiplier(in_scale / out_scale)``."""

    name: str
    input: int
    output: int
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    kind: str = field(default="QUANTIZE", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Logistic:
    """LOGISTIC int8 -> int8 (output scale 1/256, zero point -128), TFLM's integer path
    (``reference_integer_ops::Logistic``, not a lookup table): ``d = x - input_zero_point``;
    ``d <= -input_range_radius`` -> -128, ``d >= input_range_radius`` -> 127, else
    ``q = MultiplyByQuantizedMultiplier(d, input_multiplier, input_left_shift)`` read as Q4.27,
    ``clamp(RoundingDivideByPOT(gemmlowp::logistic(q) (Q0.31), 23) - 128, -128, 127)``."""

    name: str
    input: int
    output: int
    input_zero_point: int
    input_range_radius: int
    input_multiplier: int
    input_left_shift: int
    kind: str = field(default="LOGISTIC", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class ExpandDims:
    """EXPAND_DIMS: a no-op on the bytes, like :class:`Reshape` (``axis`` for reports)."""

    name: str
    input: int
    output: int
    axis: int = 0
    kind: str = field(default="EXPAND_DIMS", init=False)

    @property
    def inputs(self) -> tuple:
        return (self.input,)


@dataclass
class Passthrough:
    """An op tfsparse has no kernel for, kept so ``to_tflite()`` / TFLM can run it as a builtin.

    ``predict`` and the standalone generator refuse a model holding one (naming them all).
    Everything needed to write the operator back unchanged:

    ``op_name``
        the BuiltinOperator name (``"TANH"``) or the CUSTOM op's code.
    ``builtin_code`` / ``version``
        the operator code's builtin enum value (``32`` = CUSTOM) and version.
    ``all_inputs`` / ``outputs``
        every input/output tensor index in the operator's order, constants included (``-1`` = an
        optional input left out); constants keep their data in ``SparseModel.tensors``.
    ``options_type`` / ``options``
        the ``BuiltinOptions`` union member name (``"ReshapeOptions"``, ``""`` when none) and its
        fields as a plain dict (the schema object-API attribute names, e.g. ``fusedActivationFunction``).
    ``custom_options``
        a CUSTOM op's option bytes, else None.
    ``layer``
        the Keras layer name the ``.tflite`` gives it (may be ``""``).

    ``inputs`` holds only the activation inputs (tensors computed at run time), as for every record.
    """

    name: str
    op_name: str
    inputs: tuple
    output: int
    all_inputs: tuple
    outputs: tuple
    builtin_code: int
    version: int = 1
    options_type: str = ""
    options: dict = field(default_factory=dict)
    custom_options: Optional[bytes] = None
    layer: str = ""
    kind: str = field(default="PASSTHROUGH", init=False)


Op = Union[FullyConnected, Reshape, Softmax, Conv2D, DepthwiseConv2D, MaxPool2D, AveragePool2D, Mean, Add,
           Concatenation, Pad, Quantize, Logistic, ExpandDims, Passthrough]
