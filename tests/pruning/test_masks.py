"""The mask rule: k as tfmot computes it, ties kept, one threshold for global ranking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfsparse.pruning.masks import magnitude_masks, num_kept


@pytest.mark.parametrize(
    "size, sparsity, k",
    [(10, 0.25, 8), (6, 0.25, 4), (100, 0.9, 10), (7, 0.99, 1), (1, 0.5, 1), (5, 0.0, 5), (3, 0.5, 2)],
)
def test_num_kept_rounds_half_to_even_and_keeps_one(tf_keras3, size, sparsity, k):
    # 7.5 -> 8, 4.5 -> 4, 1.5 -> 2 (TensorFlow rounds half to even, in float32)
    assert int(num_kept(size, sparsity)) == k


def test_ties_at_threshold_are_all_kept(tf_keras3):
    w = np.array([[0.5, -0.2, 0.2], [0.2, 0.1, -0.5]], np.float32)
    threshold, (mask,) = magnitude_masks([w], 0.5)  # k = 3: 0.5, 0.5, then three tied 0.2
    assert float(threshold) == pytest.approx(0.2)
    np.testing.assert_array_equal(mask.numpy(), np.abs(w) >= np.float32(0.2))
    assert int(mask.numpy().sum()) == 5


def test_all_zero_weights_keep_everything(tf_keras3):
    threshold, (mask,) = magnitude_masks([np.zeros((4, 4), np.float32)], 0.9)
    assert float(threshold) == 0.0 and mask.numpy().all()


@settings(max_examples=25, deadline=None)
@given(
    shape_a=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    shape_b=st.tuples(st.integers(1, 20), st.integers(1, 20)),
    sparsity=st.floats(0.0, 0.99),
    seed=st.integers(0, 2**31 - 1),
)
def test_distinct_magnitudes_keep_exactly_k(tf_keras3, shape_a, shape_b, sparsity, seed):
    rng = np.random.default_rng(seed)
    n = shape_a[0] * shape_a[1] + shape_b[0] * shape_b[1]
    values = rng.permutation(np.arange(1, n + 1, dtype=np.float32)) * rng.choice([-1, 1], n).astype(np.float32)
    a = values[: shape_a[0] * shape_a[1]].reshape(shape_a)
    b = values[shape_a[0] * shape_a[1] :].reshape(shape_b)
    k = int(num_kept(n, sparsity))
    threshold, (ma, mb) = magnitude_masks([a, b], sparsity)
    kept = int(ma.numpy().sum() + mb.numpy().sum())
    assert kept == k
    assert float(threshold) == np.sort(np.abs(values))[::-1][k - 1]
    # local ranking of a alone reaches a's own k
    _, (only_a,) = magnitude_masks([a], sparsity)
    assert int(only_a.numpy().sum()) == int(num_kept(a.size, sparsity))


def test_scores_replace_magnitude(tf_keras3):
    w = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    saliency = np.array([4.0, 3.0, 2.0, 1.0], np.float32)
    _, (mask,) = magnitude_masks([w], 0.5, scores=[saliency])
    assert mask.numpy().tolist() == [1.0, 1.0, 0.0, 0.0]


_XLA_KTH = None


@pytest.fixture(scope="module", autouse=True)
def _xla_kth(tf_keras3):
    global _XLA_KTH
    from tfsparse.pruning.masks import kth_largest

    _XLA_KTH = tf_keras3[0].function(kth_largest, jit_compile=True, reduce_retracing=True)


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32) | st.sampled_from([0.0, -0.0, 1.5, -1.5]), min_size=1, max_size=200),
    data=st.data(),
)
def test_kth_largest_is_exact_for_any_sign(tf_keras3, values, data):
    from tfsparse.pruning.masks import kth_largest

    tf, _ = tf_keras3
    values = np.array(values, np.float32)
    k = data.draw(st.integers(1, values.size))
    expected = float(np.sort(values)[::-1][k - 1])
    assert float(kth_largest(values, k)) == expected  # top_k over all (few values)
    assert _radix_kth(values, k) == expected  # radix selection (many values)
    assert float(_XLA_KTH(tf.constant(values), tf.constant(k))) == expected  # bisection under XLA


def _radix_kth(values, k, **kwargs):
    """kth_largest through the radix path whatever the size."""
    from tfsparse.pruning import masks

    saved, masks._DIRECT_MAX = masks._DIRECT_MAX, 0
    try:
        return float(masks.kth_largest(values, k, **kwargs))
    finally:
        masks._DIRECT_MAX = saved


@pytest.mark.parametrize("magnitudes", [False, True])
def test_radix_selection_is_exact_on_a_layer_sized_vector(tf_keras3, magnitudes):
    """60,000 values over 40 octaves with ties and zeros: each k (block edges of the two-level count
    included) gives the k-th largest, and the masks the k kept values plus the ties at the threshold."""
    from tfsparse.pruning.masks import kth_largest, magnitude_masks

    rng = np.random.default_rng(7)
    values = (rng.normal(size=60_000) * 2.0 ** rng.integers(-20, 20, 60_000)).astype(np.float32)
    values[:5000] = 0.0
    values[5000:9000] = np.float32(0.125)
    values[9000:9100] = -values[9100:9200]
    if magnitudes:
        values = np.abs(values)
    ranked = np.sort(values)[::-1]
    ks = sorted({1, 2, 127, 128, 129, 4096, 30_000, 55_000, 59_999, 60_000, *rng.integers(1, 60_001, 20).tolist()})
    for k in ks:
        got = float(kth_largest(values, k, nonnegative=magnitudes, signed_zeros=not magnitudes))
        assert got == float(ranked[k - 1]), k
    assert float(kth_largest(values.reshape(300, 200), 4096, nonnegative=magnitudes)) == float(ranked[4095])  # any shape
    _, (mask,) = magnitude_masks([values.reshape(300, 200)], 0.75)
    threshold = np.sort(np.abs(values))[::-1][15_000 - 1]
    np.testing.assert_array_equal(mask.numpy().ravel(), (np.abs(values) >= threshold).astype(np.float32))


@pytest.mark.parametrize("nonnegative", [False, True])
def test_kth_largest_keeps_subnormals(tf_keras3, nonnegative):
    """TensorFlow's CPU kernels flush subnormals to zero in float arithmetic; the selection works on bits."""
    from tfsparse.pruning.masks import kth_largest

    tf, _ = tf_keras3
    values = np.array([1.0, 1.0, 2.2956085455553797e-39, 0.0], np.float32)
    assert float(kth_largest(values, 3, nonnegative=nonnegative)) == float(values[2])
    assert float(_XLA_KTH(tf.constant(values), tf.constant(3))) == float(values[2])
