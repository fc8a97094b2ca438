"""Random fully-connected layers and TFLM's fully-connected arithmetic in vectorized NumPy.

The NumPy requantization follows TFLM's formulas literally (truncating division, remainder/threshold
rounding), not the shift form the Cortex-M kernel uses, so the two are independent.
"""

from __future__ import annotations

import numpy as np

from tfsparse.converter import csr


def tflm_requantize(acc, multiplier, shift, zp, act_min, act_max) -> np.ndarray:
    """TFLM's MultiplyByQuantizedMultiplier (double rounding) + zero point, clamped; int8 result."""
    acc = np.asarray(acc, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    a = ((acc << left) & 0xFFFFFFFF).astype(np.uint32).view(np.int32).astype(np.int64)
    ab = a * m
    q = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(q >= 0, q >> 31, -((-q) >> 31))
    high = np.where((a == -(2**31)) & (m == -(2**31)), 2**31 - 1, high)
    mask = (np.int64(1) << right) - 1
    rem = high & mask
    threshold = (mask >> 1) + (high < 0)
    out = (high >> right) + (rem > threshold)
    out = ((out + zp + 2**31) % 2**32) - 2**31  # TFLM adds the zero point in int32
    return np.clip(out, act_min, act_max).astype(np.int8)


def reference_fc(dense_w, bias, multiplier, shift, zp, act_min, act_max, x) -> np.ndarray:
    """int8 outputs [batches, rows] of the dense int8 product, TFLM arithmetic (int32 wrap-around)."""
    acc = x.astype(np.int64) @ dense_w.astype(np.int64).T + bias.astype(np.int64)
    acc = ((acc + 2**31) % 2**32) - 2**31
    return tflm_requantize(acc, multiplier, shift, zp, act_min, act_max)


def random_layer(rng: np.random.Generator, rows: int, cols: int, density: float, extreme: bool = False):
    """A random layer: int8 weights (some all-zero rows), folded bias, TFLM-style multipliers/shifts."""
    w = rng.integers(-128, 128, size=(rows, cols), dtype=np.int16).astype(np.int8)
    w[rng.random((rows, cols)) >= density] = 0
    w[rng.random(rows) < 0.1] = 0  # all-zero rows
    if extreme:
        bias = rng.choice(np.array([-(2**31), 2**31 - 1, 0, -(2**30), 2**30], dtype=np.int64), size=rows)
        multiplier = rng.choice(np.array([0, 1 << 30, 2**31 - 1, (1 << 30) + 1], dtype=np.int64), size=rows)
        shift = rng.choice(np.array([-31, -30, -1, 0, 1, 30], dtype=np.int64), size=rows)
    else:
        bias = rng.integers(-(1 << 20), 1 << 20, size=rows)
        multiplier = rng.integers(1 << 30, 2**31, size=rows)
        shift = rng.integers(-14, 2, size=rows)
    zp = int(rng.integers(-128, 128))
    in_zp = int(rng.integers(-128, 128))
    lo, hi = sorted(int(v) for v in rng.integers(-128, 128, size=2))
    if rng.random() < 0.5:
        lo, hi = -128, 127
    return {
        "w": w,
        "bias": bias.astype(np.int32),
        "multiplier": multiplier.astype(np.int32),
        "shift": shift.astype(np.int32),
        "zp": zp,
        "in_zp": in_zp,  # the input zero point (only the column form, csc8, reads it)
        "act_min": lo,
        "act_max": hi,
    }


def random_cases(seed: int, count: int):
    """``count`` (layer, encoding, x) cases over every encoding, edge shapes and extreme parameters."""
    rng = np.random.default_rng(seed)
    col_choices = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255, 256, 257, 300, 784]
    cases = []
    while len(cases) < count:
        rows = int(rng.choice([1, 2, 3, 5, 8, 17, 64, 255, 256, 300]))
        cols = int(rng.choice(col_choices))
        density = float(rng.choice([0.0, 0.02, 0.05, 0.1, 0.3, 0.7, 1.0]))
        layer = random_layer(rng, rows, cols, density, extreme=rng.random() < 0.15)
        x = rng.integers(-128, 128, size=(int(rng.integers(1, 4)), cols)).astype(np.int8)
        x[rng.random(x.shape) < rng.choice([0.0, 0.5, 0.9, 1.0])] = layer["in_zp"]  # skipped columns
        for enc in csr.available_encodings(cols) + ("dense",):
            cases.append((layer, enc, x))
    # Wide layers: gaps longer than every gap width, more than 65536 columns (abs_u32, rel escapes).
    for cols in (65537, 70001):
        layer = random_layer(rng, 3, cols, 0.0005)
        layer["w"][1, -1] = 77
        x = rng.integers(-128, 128, size=(1, cols)).astype(np.int8)
        for enc in csr.available_encodings(cols) + ("dense",):
            cases.append((layer, enc, x))
    return cases

#: Every encoding the kernels implement.
ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "blk8", "rel8", "rel4", "csc8", "dense")
