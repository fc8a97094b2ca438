"""N:M mask math: the pattern holds for any scores and shape; the target is reached on top of it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st



from tfsparse.pruning import nm


@st.composite
def weights_and_pattern(draw):
    n = draw(st.integers(2, 8))
    m = draw(st.integers(1, n - 1))
    shape = draw(st.sampled_from([(13,), (8, 3), (11, 5), (3, 3, 9, 2), (2, 1, 6, 4)]))
    seed = draw(st.integers(0, 2**16))
    w = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    if draw(st.booleans()):  # ties: coarse values
        w = np.round(w)
    return w, m, n


def _groups(mask, n):
    """The mask's groups along the input axis: (full groups of n, the short tail or None)."""
    moved = np.moveaxis(mask, nm.group_axis(mask.ndim), -1)
    full = moved.shape[-1] - moved.shape[-1] % n
    tail = moved[..., full:] if full < moved.shape[-1] else None
    return moved[..., :full].reshape(-1, n), tail


@settings(max_examples=60, deadline=None)
@given(weights_and_pattern())
def test_every_group_keeps_the_top_n_minus_m(case):
    w, m, n = case
    mask = nm.group_mask(np.abs(w), m, n).numpy()
    full, tail = _groups(mask, n)
    assert np.all(full.sum(-1) == n - m)
    if tail is not None:
        assert np.all(tail.sum(-1) == min(tail.shape[-1], n - m))
    # the kept weights are the largest of their group
    scores, _ = _groups(np.abs(w), n)
    for group, kept in zip(scores, full):
        if kept.any() and (1 - kept).any():
            assert group[kept > 0].min() >= group[kept == 0].max()
    assert nm.satisfies_m_by_n(w * mask, (m, n))


@settings(max_examples=40, deadline=None)
@given(weights_and_pattern(), st.floats(0.0, 0.99))
def test_nm_masks_reach_the_target_above_m_over_n(expected_kept, case, sparsity):
    w, m, n = case
    magnitudes = np.random.default_rng(w.size).permutation(w.size).reshape(w.shape) + 1.0
    w = (np.where(w < 0, -1.0, 1.0) * magnitudes).astype(np.float32)  # distinct magnitudes: no ties
    _, (mask,) = nm.nm_masks([w], sparsity, (m, n))
    mask = mask.numpy()
    assert nm.satisfies_m_by_n(w * mask, (m, n))
    pattern_kept = int(nm.group_mask(np.abs(w), m, n).numpy().sum())
    assert int(mask.sum()) == min(pattern_kept, expected_kept(w.size, sparsity))


def test_global_nm_masks_share_one_threshold(expected_kept):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(8, 4)).astype(np.float32), 3 * rng.normal(size=(12, 2)).astype(np.float32)
    threshold, masks = nm.nm_masks([a, b], 0.8, (2, 4))
    masks = [mk.numpy() for mk in masks]
    assert sum(int(mk.sum()) for mk in masks) == expected_kept(a.size + b.size, 0.8)
    for w, mk in zip((a, b), masks):
        assert nm.satisfies_m_by_n(w * mk, (2, 4))
        assert np.all(np.abs(w)[mk > 0] >= float(threshold))


def test_satisfies_detects_a_violation():
    w = np.ones((8, 2), np.float32)
    w[[0, 1, 4, 5], :] = 0
    assert nm.satisfies_m_by_n(w, (2, 4))
    w[1, 1] = 0.5
    assert not nm.satisfies_m_by_n(w, (2, 4))


@pytest.mark.parametrize("bad", [(2, 2), (4, 2), (0, 4), (1.0, 4), (2,), "2:4", (True, 4)])
def test_bad_m_by_n_is_named(bad):
    with pytest.raises(ValueError, match=r"sparsity_m_by_n=.*0 < m < n"):
        nm.check_m_by_n(bad)
