"""TFLite Micro's integer arithmetic, vectorized with NumPy (int64 lanes emulate C int32 exactly).

Covers what the reference executor and the converter need: ``QuantizeMultiplier`` (double -> Q31
multiplier + exponent), the default double-rounding ``MultiplyByQuantizedMultiplier``, the
fused-activation range, and the int8 softmax (TFLM's ``PreprocessSoftmaxScaling`` /
``CalculateInputRadius`` for the parameters, gemmlowp's fixed-point ``exp_on_negative_values`` and
``one_over_one_plus_x_for_x_in_0_1`` for the kernel). Every function here is written from the
documented behaviour of TFLM's ``quantization_util.cc``, ``common.h`` and ``reference/softmax.h``;
none of it imports TensorFlow.

Example:
    >>> m, s = quantize_multiplier(0.25)
    >>> int(m[()]), int(s[()])
    (1073741824, -1)
    >>> int(multiply_by_quantized_multiplier(np.int64(1000), m, s))
    250
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "tflite_round",
    "quantize_multiplier",
    "saturating_rounding_doubling_high_mul",
    "rounding_divide_by_pot",
    "multiply_by_quantized_multiplier",
    "activation_range",
    "softmax_params",
    "softmax_int8",
]

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

# Fixed-point formats of TFLM's int8 softmax (reference/softmax.h).
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
SOFTMAX_ACCUMULATION_INTEGER_BITS = 12


def tflite_round(x):
    """``TfLiteRound``: round half away from zero (``np.round`` rounds half to even)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_multiplier(real):
    """TFLM's ``QuantizeMultiplier`` for an array of positive doubles.

    Args:
        real: effective scale(s), e.g. ``input_scale * weight_scale / output_scale``.

    Returns:
        ``(multiplier, shift)``: int32 Q31 significands in [2**30, 2**31) (0 for a zero scale) and
        int32 exponents, positive meaning a left shift, shaped like ``real``.
    """
    real = np.asarray(real, dtype=np.float64)
    frac, exp = np.frexp(real)
    q = tflite_round(frac * float(1 << 31)).astype(np.int64)
    exp = exp.astype(np.int64)
    carry = q == (1 << 31)
    q = np.where(carry, q // 2, q)
    exp = np.where(carry, exp + 1, exp)
    # Flush tiny multipliers (shift < -31) to zero, as TFLM does.
    tiny = exp < -31
    q = np.where(tiny | (real == 0), 0, q)
    exp = np.where(tiny | (real == 0), 0, exp)
    return q.astype(np.int32), exp.astype(np.int32)


def _trunc_div(a, b: int):
    """C integer division (truncates toward zero) on int64 arrays."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp's ``SaturatingRoundingDoublingHighMul`` of int32 values held in int64 arrays."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = _trunc_div(ab + nudge, 1 << 31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, high)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp's ``RoundingDivideByPOT``: divide by ``2**exponent``, rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def _saturating_shift_left(x, exponent: int):
    """gemmlowp's ``SaturatingRoundingMultiplyByPOT`` for a positive exponent (int32 saturation)."""
    threshold = (1 << (31 - exponent)) - 1
    out = np.asarray(x, dtype=np.int64) << exponent
    out = np.where(x > threshold, INT32_MAX, out)
    return np.where(x < -threshold, INT32_MIN, out)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLM's default (double rounding) ``MultiplyByQuantizedMultiplier``, elementwise/broadcast.

    Args:
        x: int32 accumulators (any integer array).
        multiplier: int32 Q31 multipliers, broadcastable to ``x``.
        shift: int32 exponents (positive = left), broadcastable to ``x``.

    Returns:
        int64 array of the rescaled values (int32 range).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # C computes x * (1 << left) in int32; wrap the same way.
    scaled = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right)


def activation_range(activation: str, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127):
    """TFLM's ``CalculateActivationRangeQuantized`` for a fused activation on an int8 output.

    Args:
        activation: "NONE", "RELU", "RELU6" or "RELU_N1_TO_1".
        scale: the output tensor's float32 scale.
        zero_point: the output tensor's zero point.

    Returns:
        ``(activation_min, activation_max)`` as Python ints.

    Raises:
        ValueError: an activation TFLM does not fuse into int8 kernels.
    """
    scale = np.float32(scale)

    def quantize(f):
        return int(zero_point + tflite_round(np.float32(f) / scale))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    raise ValueError(f"unsupported fused activation {activation!r}; supported: NONE, RELU, RELU6, RELU_N1_TO_1")


def softmax_params(beta: float, input_scale: float):
    """TFLM's int8 softmax parameters, as its ``SoftmaxPrepare`` computes them.

    Args:
        beta: the op's float32 beta.
        input_scale: the input tensor's float32 scale.

    Returns:
        ``(input_multiplier, input_left_shift, diff_min)`` as Python ints: ``input_multiplier`` and
        ``input_left_shift`` from ``QuantizeMultiplier(min(beta * input_scale * 2**26, 2**31 - 1))``
        (``PreprocessSoftmaxScaling`` with 5 integer bits), ``diff_min = -floor((2**5 - 1) * 2**26 /
        2**input_left_shift)`` (``CalculateInputRadius``).
    """
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)),
               float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"softmax beta * input_scale * 2**26 = {real} must be > 1 (TFLM requires it)")
    m, s = quantize_multiplier(real)
    m, s = int(m), int(s)
    radius = np.floor(
        1.0 * ((1 << SOFTMAX_SCALED_DIFF_INTEGER_BITS) - 1) * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)) / float(1 << s)
    )
    return m, s, -int(radius)


# --- gemmlowp fixed point (int32 raw values in int64 lanes) -------------------------------------


def _add(a, b):
    """int32 addition with wraparound (gemmlowp's raw ``+`` on FixedPoint)."""
    return ((np.asarray(a, dtype=np.int64) + b + (1 << 31)) % (1 << 32)) - (1 << 31)


def _mul(a, b):
    return saturating_rounding_doubling_high_mul(a, b)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    """Q0.31 -> Q0.31: exp(a) for a in [-1/4, 0), Taylor expansion around -1/8."""
    constant_term = 1895147668  # exp(-1/8)
    constant_1_over_3 = 715827883
    x = _add(a, 1 << 28)  # a + 1/8
    x2 = _mul(x, x)
    x3 = _mul(x2, x)
    x4 = _mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(_add(_mul(_add(x4_over_4, x3), constant_1_over_3), x2), 1)
    return _add(constant_term, _mul(constant_term, _add(x, poly)))


# exp(-2**k) in Q0.31 for the barrel shifter, k = -2 .. 4.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int = SOFTMAX_SCALED_DIFF_INTEGER_BITS):
    """gemmlowp's ``exp_on_negative_values``: Q(integer_bits).(31-integer_bits) raw <= 0 -> Q0.31 raw."""
    a = np.asarray(a, dtype=np.int64)
    frac_bits = 31 - integer_bits
    one_quarter = 1 << (frac_bits - 2)
    a_mod_quarter_minus_one_quarter = _add(a & (one_quarter - 1), -one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        _saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits)
    )
    remainder = _add(a_mod_quarter_minus_one_quarter, -a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = (remainder & (1 << (frac_bits + exponent))) != 0
            result = np.where(bit, _mul(result, multiplier), result)
    return np.where(a == 0, INT32_MAX, result)


def _one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp's Newton-Raphson reciprocal: Q0.31 a in [0, 1) -> Q0.31 1 / (1 + a)."""
    s = np.asarray(a, dtype=np.int64) + INT32_MAX
    half_denominator = _trunc_div(s + np.where(s >= 0, 1, -1), 2)  # RoundingHalfSum(a, One)
    x = _add(1515870810, _mul(half_denominator, -1010580540))  # Q2.29: 48/17 - 32/17 * d
    one_q2 = 1 << 29
    for _ in range(3):
        one_minus = _add(one_q2, -_mul(half_denominator, x))
        x = _add(x, _saturating_shift_left(_mul(x, one_minus), 2))
    return _saturating_shift_left(x, 1)


def _count_leading_zeros_u32(x):
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    out = np.full(x.shape, 32, dtype=np.int64)
    nz = x > 0
    out[nz] = 31 - np.floor(np.log2(x[nz].astype(np.float64))).astype(np.int64)
    return out


def softmax_int8(x, input_multiplier: int, input_left_shift: int, diff_min: int):
    """TFLM's reference int8 -> int8 softmax over the last axis (output scale 1/256, zero point -128).

    Args:
        x: int8 array, softmax over the last axis.
        input_multiplier, input_left_shift, diff_min: from :func:`softmax_params`.

    Returns:
        int8 array shaped like ``x``.
    """
    x = np.asarray(x, dtype=np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    valid = diff >= diff_min
    # MultiplyByQuantizedMultiplierGreaterThanOne: x * 2**left_shift, then the doubling high mul.
    rescaled = saturating_rounding_doubling_high_mul(np.where(valid, diff, 0) << input_left_shift, input_multiplier)
    exp_q0 = exp_on_negative_values(rescaled)
    exp_acc = rounding_divide_by_pot(exp_q0, SOFTMAX_ACCUMULATION_INTEGER_BITS)  # Rescale<12>
    sum_of_exps = np.where(valid, exp_acc, 0).sum(axis=-1, keepdims=True)
    headroom_plus_one = _count_leading_zeros_u32(sum_of_exps)
    num_bits_over_unit = SOFTMAX_ACCUMULATION_INTEGER_BITS - headroom_plus_one
    shifted_sum_minus_one = _add((sum_of_exps << headroom_plus_one) & 0xFFFFFFFF, -(1 << 31))
    shifted_scale = _one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one)
    unsat = rounding_divide_by_pot(_mul(shifted_scale, exp_q0), num_bits_over_unit + 31 - 8)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8)
