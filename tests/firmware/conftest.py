"""Fixtures of the firmware tests: the sanitized host harness (built once per session) and an
independent NumPy statement of TFLM's fully-connected arithmetic used to cross-check the converter's
``SparseModel.predict`` on random layers."""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse.codegen import hostbuild


@pytest.fixture(scope="session")
def sanitized_harness(tmp_path_factory):
    """The kernels + harness built for the host with -Wall -Wextra -Werror and ASan + UBSan."""
    return hostbuild.build_harness(tmp_path_factory.mktemp("host") / "host_harness", sanitize=True)


def _mbqm(acc, mult, shift):
    """TFLM MultiplyByQuantizedMultiplier (double rounding), Python ints, written out once more."""
    left, right = max(shift, 0), max(-shift, 0)
    a = acc * (1 << left)
    a = ((a + (1 << 31)) % (1 << 32)) - (1 << 31)  # int32 wrap of the left shift
    if a == mult == -(1 << 31):
        high = (1 << 31) - 1
    else:
        ab = a * mult
        nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
        t = ab + nudge
        high = abs(t) >> 31
        high = -high if t < 0 else high
    mask = (1 << right) - 1
    rem = high & mask
    thr = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if rem > thr else 0)


def fc_reference(w_dense, bias, mult, shift, zp, lo, hi, x):
    """int8 [batches, rows] = TFLM fully connected of int8 x [batches, cols] (scalar Python ints)."""
    acc = x.astype(np.int64) @ w_dense.astype(np.int64).T + bias.astype(np.int64)
    out = np.empty(acc.shape, dtype=np.int8)
    for (b, r), a in np.ndenumerate(acc):
        a = ((int(a) + (1 << 31)) % (1 << 32)) - (1 << 31)
        out[b, r] = min(max(_mbqm(a, int(mult[r]), int(shift[r])) + zp, lo), hi)
    return out


@pytest.fixture(scope="session")
def fc_ref():
    return fc_reference
