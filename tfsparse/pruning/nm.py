"""N:M structured sparsity: at least ``m`` zeros in every ``n`` consecutive weights (pure TensorFlow).

tfmot's meaning of ``sparsity_m_by_n=(m, n)``: ``(2, 4)`` leaves 2 zeros in every 4 consecutive weights
(the pattern sparse tensor cores accelerate), ``(1, 4)`` keeps 3 of 4. Groups run along the *input*
dimension: axis -2 of a kernel (``(in, out)`` for Dense, ``(kh, kw, in, out)`` for convolutions,
``(vocab, dim)`` for Embedding, which is a Dense layer on one-hot inputs); a vector is grouped along
its only axis. When the axis length is not a multiple of ``n`` the last, short group of ``r`` weights
keeps at most ``min(r, n - m)``.

Within a group the ``n - m`` highest scores survive; ties go to the lower index, so every full group
holds at least ``m`` zeros whatever the scores.

A schedule sparsity above ``m / n`` is reached on top of the pattern: :func:`nm_masks` ranks only
the weights the pattern keeps, so the mask both satisfies N:M and hits the target exactly.

Example:
    >>> import numpy as np
    >>> w = np.array([[0.1], [-0.9], [0.5], [0.2]], np.float32)  # one group of 4 along the input axis
    >>> group_mask(np.abs(w), 2, 4).numpy().ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from .masks import magnitude_masks

__all__ = ["check_m_by_n", "group_axis", "group_mask", "nm_masks", "satisfies_m_by_n"]


def check_m_by_n(value, argument="sparsity_m_by_n"):
    """``value`` as an ``(m, n)`` tuple of ints with ``0 < m < n``; None stays None.

    Raises:
        ValueError: anything else, naming ``argument``.
    """
    if value is None:
        return None
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    )
    if not ok or not 0 < value[0] < value[1]:
        raise ValueError(
            f"{argument}={value!r} must be a pair of integers (m, n) with 0 < m < n: at least m zeros in "
            "every n consecutive weights, e.g. (2, 4)."
        )
    return int(value[0]), int(value[1])


def group_axis(rank):
    """The axis N:M groups run along for a weight of ``rank``: the input dimension (-2), or 0 for a vector."""
    return 0 if rank < 2 else rank - 2


def _grouped(x, n, axis, pad_value):
    """``x`` with ``axis`` moved last, padded to a multiple of ``n`` and split into groups of ``n``."""
    x = tf.convert_to_tensor(x)
    rank = len(x.shape)
    perm = [i for i in range(rank) if i != axis] + [axis]
    moved = tf.transpose(x, perm)
    length = int(x.shape[axis])
    pad = -length % n
    if pad:
        paddings = [[0, 0]] * (rank - 1) + [[0, pad]]
        moved = tf.pad(moved, paddings, constant_values=pad_value)
    groups = tf.reshape(moved, [-1, n])
    return groups, tf.shape(moved), perm, length


def group_mask(scores, m, n, axis=None):
    """0/1 float32 mask keeping the ``n - m`` highest ``scores`` of every ``n`` consecutive along ``axis``.

    Args:
        scores: a tensor (e.g. ``|w|``).
        m, n: at least ``m`` zeros per group of ``n``.
        axis: the grouping axis (default :func:`group_axis`).
    """
    scores = tf.cast(tf.convert_to_tensor(scores), tf.float32)
    rank = len(scores.shape)
    axis = group_axis(rank) if axis is None else axis % max(rank, 1)
    groups, moved_shape, perm, length = _grouped(scores, n, axis, -np.inf)
    # Rank within the group (stable: ties go to the lower index); the top n - m survive. Padding
    # (-inf) ranks last, and a finite score always beats it.
    order = tf.argsort(groups, axis=-1, direction="DESCENDING", stable=True)
    ranks = tf.argsort(order, axis=-1, stable=True)
    keep = tf.logical_and(ranks < n - m, groups > -np.inf)
    keep = tf.reshape(tf.cast(keep, tf.float32), moved_shape)[..., :length]
    return tf.transpose(keep, np.argsort(perm))


def nm_masks(weights, sparsity, m_by_n, scores=None):
    """Masks satisfying the N:M pattern and, above ``m / n``, the target sparsity (one threshold).

    Args:
        weights: list of weight tensors ranked together (one for local ranking).
        sparsity: target fraction of zeros across ``weights``; below ``m / n`` the pattern alone decides.
        m_by_n: ``(m, n)``.
        scores: optional scores shaped like ``weights`` (default ``|w|``), all > -2.

    Returns:
        ``(threshold, masks)`` as :func:`tfsparse.pruning.masks.magnitude_masks`.
    """
    m, n = m_by_n
    weights = [tf.convert_to_tensor(w) for w in weights]
    if scores is None:
        scores = [tf.abs(w) for w in weights]
    scores = [tf.cast(s, tf.float32) for s in scores]
    patterns = [group_mask(s, m, n) for s in scores]
    # Weights the pattern drops score -2, below every real score (|w| >= 0, saliency >= -1): the k kept
    # then come from the pattern's survivors, unless k exceeds them (sparsity < m/n), where the pattern
    # alone decides.
    ranked = [tf.where(p > 0, s, -2.0) for s, p in zip(scores, patterns)]
    threshold, masks = magnitude_masks(weights, sparsity, ranked)
    return threshold, [mask * tf.cast(p, mask.dtype) for mask, p in zip(masks, patterns)]


def satisfies_m_by_n(weight, m_by_n):
    """True if every group of ``n`` consecutive weights along the input axis holds at least ``m`` zeros
    (a short last group of ``r``: at least ``r - min(r, n - m)``). NumPy in, bool out."""
    m, n = m_by_n
    w = np.asarray(weight)
    axis = group_axis(w.ndim)
    moved = np.moveaxis(w, axis, -1)
    length = moved.shape[-1]
    full = length - length % n
    zeros = (moved[..., :full] == 0).reshape(*moved.shape[:-1], -1, n).sum(-1)
    ok = bool(np.all(zeros >= m))
    r = length % n
    if r:
        tail_zeros = (moved[..., full:] == 0).sum(-1)
        ok = ok and bool(np.all(tail_zeros >= r - min(r, n - m)))
    return ok
