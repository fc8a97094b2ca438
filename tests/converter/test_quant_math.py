"""Unit tests of tfsparse.converter.quant_math against the definitions (exact rational arithmetic)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfsparse.converter import quant_math as qm


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=1e-9, max_value=1e4, allow_nan=False))
def test_quantize_multiplier_reconstructs_the_scale(real):
    m, s = qm.quantize_multiplier(real)
    m, s = int(m), int(s)
    if real < 2.0**-32:
        return
    assert (1 << 30) <= m < (1 << 31)
    approx = m * 2.0 ** (s - 31)
    assert abs(approx - real) <= real * 2.0**-30


def test_quantize_multiplier_edges():
    assert [int(v) for v in qm.quantize_multiplier(0.0)] == [0, 0]
    assert [int(v) for v in qm.quantize_multiplier(1.0)] == [1 << 30, 1]
    assert [int(v) for v in qm.quantize_multiplier(0.5)] == [1 << 30, 0]
    # rounds up to 2**31: halve and bump the exponent
    assert [int(v) for v in qm.quantize_multiplier(1.0 - 2.0**-40)] == [1 << 30, 1]
    # below 2**-31 the multiplier is flushed to zero
    assert [int(v) for v in qm.quantize_multiplier(2.0**-40)] == [0, 0]
    m, s = qm.quantize_multiplier(np.array([0.25, 3.0]))
    assert m.dtype == np.int32 and m.tolist() == [1 << 30, 3 << 29] and s.tolist() == [-1, 2]


def test_rounding_divide_by_pot_rounds_half_away_from_zero():
    x = np.array([5, -5, 6, -6, 7, -7, 4, -4])
    assert qm.rounding_divide_by_pot(x, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, -2]
    assert qm.rounding_divide_by_pot(x, 0).tolist() == x.tolist()


def test_saturating_rounding_doubling_high_mul():
    i32min, i32max = -(1 << 31), (1 << 31) - 1
    assert int(qm.saturating_rounding_doubling_high_mul(i32min, i32min)) == i32max
    assert int(qm.saturating_rounding_doubling_high_mul(1 << 30, 1 << 30)) == 1 << 29
    # rounding to nearest of a * b / 2**31; gemmlowp's nudge rounds ties upward for both signs
    assert int(qm.saturating_rounding_doubling_high_mul(3, 1 << 30)) == 2
    assert int(qm.saturating_rounding_doubling_high_mul(-3, 1 << 30)) == -1
    assert int(qm.saturating_rounding_doubling_high_mul(-5, 1 << 30)) == -2


@settings(max_examples=300, deadline=None)
@given(st.integers(-(1 << 24), 1 << 24), st.floats(min_value=1e-6, max_value=0.9))
def test_multiply_by_quantized_multiplier_is_close_to_the_real_product(x, real):
    m, s = qm.quantize_multiplier(real)
    got = int(qm.multiply_by_quantized_multiplier(np.int64(x), m, s))
    exact = Fraction(x) * Fraction(int(m)) * Fraction(2) ** (int(s) - 31)
    assert abs(got - exact) <= 1


def test_activation_ranges():
    assert qm.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert qm.activation_range("RELU", 0.1, -20) == (-20, 127)
    assert qm.activation_range("RELU6", 0.1, -128) == (-128, -68)
    assert qm.activation_range("RELU_N1_TO_1", 0.01, 0) == (-100, 100)
    with pytest.raises(ValueError, match="TANH"):
        qm.activation_range("TANH", 0.1, 0)


def test_softmax_params_follow_the_definitions():
    m, shift, diff_min = qm.softmax_params(1.0, 0.1)
    real = 0.1 * 2**26
    assert abs(m * 2.0 ** (shift - 31) - np.float32(0.1) * 2**26) <= real * 2**-30
    assert diff_min == -int(np.floor(31 * 2**26 / 2**shift))
    with pytest.raises(ValueError):
        qm.softmax_params(1.0, 1e-9)


def test_softmax_output_sums_to_about_one():
    m, shift, diff_min = qm.softmax_params(1.0, 0.05)
    x = np.random.default_rng(0).integers(-128, 128, size=(50, 10)).astype(np.int8)
    y = qm.softmax_int8(x, m, shift, diff_min)
    probs = (y.astype(np.int32) + 128) / 256.0
    ref = np.exp(0.05 * (x.astype(np.float64) - x.max(axis=1, keepdims=True)))
    ref /= ref.sum(axis=1, keepdims=True)
    assert np.abs(probs - ref).max() <= 2.0 / 256
