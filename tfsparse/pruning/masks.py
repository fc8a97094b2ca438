"""The mask rule: which weights survive (pure TensorFlow math, no Keras, no variables).

One function, :func:`magnitude_masks`, decides every mask. Local ranking calls it with one tensor,
global ranking with all tensors pruned together; other criteria pass ``scores`` (a saliency of the
same shapes) instead of ranking by ``|w|``. It matches tfmot's ``pruning_impl.Pruning._update_mask``:

* ``k = max(round(float32(n) * (1 - sparsity)), 1)`` weights are kept, ``round`` being TensorFlow's
  round-half-to-even, computed in float32;
* the threshold is the k-th largest score, and every score ``>= threshold`` is kept, so ties at the
  threshold are all kept (the achieved sparsity can then be slightly below the target).

Example:
    >>> import numpy as np
    >>> threshold, (mask,) = magnitude_masks([np.array([0.1, -0.4, 0.3, 0.2], np.float32)], 0.5)
    >>> float(threshold), mask.numpy().tolist()
    (0.30000001192092896, [0.0, 1.0, 1.0, 0.0])
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["num_kept", "magnitude_masks"]


def num_kept(size, sparsity):
    """How many of ``size`` scores survive at ``sparsity``: ``max(round(size * (1 - sparsity)), 1)`` (int32)."""
    kept = tf.round(tf.cast(size, tf.float32) * (1 - tf.cast(sparsity, tf.float32)))
    return tf.cast(tf.maximum(kept, 1), tf.int32)


def magnitude_masks(weights, sparsity, scores=None):
    """Masks keeping the highest-scoring weights, with one threshold across all ``weights``.

    Args:
        weights: a list of weight tensors (one for per-tensor ranking, several for global ranking).
        sparsity: the fraction of all their elements to zero, a float or scalar tensor in [0, 1).
        scores: optional list of tensors shaped like ``weights`` to rank by (default ``|w|``).

    Returns:
        ``(threshold, masks)``: the k-th largest score (float32 scalar) and one 0/1 mask per weight,
        in the weight's dtype.
    """
    weights = [tf.convert_to_tensor(w) for w in weights]
    if scores is None:
        scores = [tf.abs(w) for w in weights]
    scores = [tf.cast(s, tf.float32) for s in scores]
    flat = tf.concat([tf.reshape(s, [-1]) for s in scores], axis=0)
    k = num_kept(tf.size(flat), sparsity)
    threshold = tf.gather(tf.sort(flat, direction="DESCENDING"), k - 1)
    masks = [tf.cast(s >= threshold, w.dtype) for s, w in zip(scores, weights)]
    return threshold, masks
