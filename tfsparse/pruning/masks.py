"""The mask rule: which weights survive (pure TensorFlow math, no Keras, no variables).

One function, :func:`magnitude_masks`, decides every mask. Local ranking calls it with one tensor,
global ranking with all tensors pruned together; other criteria pass ``scores`` (a saliency of the
same shapes) instead of ranking by ``|w|``. It matches tfmot's ``pruning_impl.Pruning._update_mask``:

* ``k = max(round(float32(n) * (1 - sparsity)), 1)`` weights are kept, ``round`` being TensorFlow's
  round-half-to-even, computed in float32;
* the threshold is the k-th largest score, and every score ``>= threshold`` is kept, so ties at the
  threshold are all kept (the achieved sparsity can then be slightly below the target).

tfmot finds the k-th largest by sorting every weight (``top_k`` with ``k = size``). Here it is found
exactly by radix selection on the float32 bit patterns (one counting pass, then a small bucket):
several times faster than a sort on CPU, and XLA-compatible although ``k`` is only known at run time.

Example:
    >>> import numpy as np
    >>> threshold, (mask,) = magnitude_masks([np.array([0.1, -0.4, 0.3, 0.2], np.float32)], 0.5)
    >>> float(threshold), mask.numpy().tolist()
    (0.30000001192092896, [0.0, 1.0, 1.0, 0.0])
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["num_kept", "kth_largest", "magnitude_masks", "block_masks"]


def num_kept(size, sparsity):
    """How many of ``size`` scores survive at ``sparsity``: ``max(round(size * (1 - sparsity)), 1)`` (int32)."""
    kept = tf.round(tf.cast(size, tf.float32) * (1 - tf.cast(sparsity, tf.float32)))
    return tf.cast(tf.maximum(kept, 1), tf.int32)


#: Digits per block in :func:`_select_high_digit`'s two-level count.
_BLOCK = 128
#: Up to this many values, ``top_k`` over all of them costs less than counting 2**15 bins.
_DIRECT_MAX = 4096


def _reflect_negatives(bits):
    """IEEE float32 bits (sign-magnitude) <-> int32 with the floats' order (an involution)."""
    return tf.where(bits < 0, tf.bitwise.bitwise_xor(bits, 0x7FFFFFFF), bits)


def _select_high_digit(high, k, bins=1 << 16):
    """The high digit (0..bins-1) holding the k-th largest key, and how many keys lie above it."""
    # The raw op keeps the bin count a compile-time constant (tf.math.bincount computes it).
    counts = tf.raw_ops.DenseBincount(input=high, size=tf.constant(bins, tf.int32), weights=tf.constant([], tf.int32))
    # Counts from the top in two levels (blocks of _BLOCK digits, then the digits of one block): on CPU
    # a cumsum over all the bins costs more than the counting pass itself, two small ones almost nothing.
    per_block = tf.reshape(counts, [bins // _BLOCK, _BLOCK])
    block_counts = tf.reduce_sum(per_block, axis=1)
    block_from_top = tf.cumsum(block_counts, reverse=True)  # block_from_top[b] = count(digit >= b * _BLOCK)
    block = tf.reduce_sum(tf.cast(block_from_top >= k, tf.int32)) - 1
    in_block = per_block[block]
    from_top = tf.cumsum(in_block, reverse=True) + (block_from_top[block] - block_counts[block])
    digit = tf.reduce_sum(tf.cast(from_top >= k, tf.int32)) - 1  # from_top[digit] = count(key digit >= ...)
    return block * _BLOCK + digit, from_top[digit] - in_block[digit]


def _in_xla():
    # TensorFlow enters an XLA control-flow context while tracing a jit_compile'd function.
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import control_flow_util

    return control_flow_util.GraphOrParentsInXlaContext(ops.get_default_graph())


def _bisect(keys, k):
    """The largest key ``t`` with ``count(keys >= t) >= k``: at most 32 fused counting passes."""

    def body(lo, hi):
        mid = lo + (hi - lo + 1) // 2
        enough = tf.reduce_sum(tf.cast(keys >= mid, tf.int32)) >= k
        return tf.where(enough, mid, lo), tf.where(enough, hi, mid - 1)

    keys = tf.cast(keys, tf.int64)  # so that hi - lo cannot overflow
    lo, _ = tf.while_loop(lambda lo, hi: lo < hi, body, (tf.reduce_min(keys), tf.reduce_max(keys)), maximum_iterations=33)
    return tf.cast(lo, tf.int32)


def _radix_select(keys, k, nonnegative):
    """The k-th largest of int32 ``keys``: count the high 16 bits, then rank the one bucket that holds it."""
    if nonnegative:
        high = tf.bitwise.right_shift(keys, 16)  # 0..0x7F80 for finite floats >= 0
        top, above = _select_high_digit(high, k, bins=1 << 15)
    else:
        high = tf.bitwise.right_shift(keys, 16) + (1 << 15)  # signed high half, shifted to 0..65535
        top, above = _select_high_digit(high, k)
    # The keys sharing that high digit are few: rank them directly.
    candidates = tf.boolean_mask(keys, tf.equal(high, top))
    return tf.math.top_k(candidates, k - above, sorted=True).values[-1]


def kth_largest(values, k, nonnegative=False, *, signed_zeros=True):
    """The ``k``-th largest of the float32 vector ``values`` (1-based ``k``), exactly.

    Radix selection on order-preserving 32-bit keys: one counting pass over the high 16 bits finds
    the bucket holding the answer, whose few keys are then ranked directly. Up to ``_DIRECT_MAX``
    values (a size known when tracing), ``top_k`` over all keys, cheaper than counting 2**15 bins.
    Under XLA, which lowers a 65536-bin count to a one-hot product and needs static shapes, a
    bisection on the keys instead. ``nonnegative=True`` (magnitudes): the float bits already sort as
    integers, and half the bins do. ``signed_zeros=False``: ``values`` hold no -0.0 (``tf.abs``'s
    output), which saves two passes.
    """
    # -0.0 -> +0.0 on the bits: a float "+ 0.0" would also flush subnormals to zero (TensorFlow runs
    # CPU kernels with flush-to-zero), and the k-th largest of [1, 1, 2.3e-39] is 2.3e-39, not 0.
    keys = tf.bitcast(tf.reshape(tf.cast(values, tf.float32), [-1]), tf.int32)
    if signed_zeros:
        keys = tf.where(tf.equal(keys, tf.int32.min), tf.zeros_like(keys), keys)
    reflect = (lambda x: x) if nonnegative else _reflect_negatives
    keys = reflect(keys)
    k = tf.cast(k, tf.int32)
    size = keys.shape.num_elements()
    if _in_xla():
        bits = _bisect(keys, k)
    elif size is not None and size <= _DIRECT_MAX:
        bits = tf.math.top_k(keys, k, sorted=True).values[-1]
    else:
        bits = _radix_select(keys, k, nonnegative)
    return tf.bitcast(reflect(bits), tf.float32)


def magnitude_masks(weights, sparsity, scores=None, nonnegative=None):
    """Masks keeping the highest-scoring weights, with one threshold across all ``weights``.

    Args:
        weights: a list of weight tensors (one for per-tensor ranking, several for global ranking).
        sparsity: the fraction of all their elements to zero, a float or scalar tensor in [0, 1).
        scores: optional list of tensors shaped like ``weights`` to rank by (default ``|w|``).
        nonnegative: the scores are known to be >= 0 (a faster selection); default: when ``scores``
            is None (``|w|``).

    Returns:
        ``(threshold, masks)``: the k-th largest score (float32 scalar) and one 0/1 mask per weight,
        in the weight's dtype.
    """
    weights = [tf.convert_to_tensor(w) for w in weights]
    if nonnegative is None:
        nonnegative = scores is None
    signed_zeros = scores is not None  # |w| has no -0.0
    if scores is None:
        scores = [tf.abs(w) for w in weights]
    scores = [tf.cast(s, tf.float32) for s in scores]
    flat = tf.concat([tf.reshape(s, [-1]) for s in scores], axis=0) if len(scores) > 1 else tf.reshape(scores[0], [-1])
    k = num_kept(tf.size(flat), sparsity)
    threshold = kth_largest(flat, k, nonnegative=nonnegative, signed_zeros=signed_zeros)
    masks = [tf.cast(s >= threshold, w.dtype) for s, w in zip(scores, weights)]
    return threshold, masks


def _pool_blocks(scores, block_size, pooling_type):
    """Pool a 2-D score matrix over ``block_size`` tiles (SAME padding: edge tiles pool what they hold).

    The same op sequence as tfmot's ``factorized_pool`` (rows, then columns, as two 1-D pools), so the
    pooled values, and therefore the masks, are the same bit for bit.
    """
    height, width = scores.shape
    x = tf.reshape(scores, [1, 1, height, width])
    x = tf.nn.pool(x, window_shape=[1, block_size[0]], pooling_type=pooling_type, strides=[1, block_size[0]], padding="SAME")
    x = tf.transpose(x, perm=[0, 1, 3, 2])
    x = tf.nn.pool(x, window_shape=[1, block_size[1]], pooling_type=pooling_type, strides=[1, block_size[1]], padding="SAME")
    return tf.reshape(tf.transpose(x, perm=[0, 1, 3, 2]), [-(-height // block_size[0]), -(-width // block_size[1])])


def _expand_blocks(block_mask, block_size, shape):
    """Each block's 0/1 back onto its ``block_size`` tile of a ``shape`` matrix (edge tiles cut)."""
    full = tf.repeat(tf.repeat(block_mask, block_size[0], axis=0), block_size[1], axis=1)
    return full[: shape[0], : shape[1]]


def block_masks(weights, sparsity, block_size, pooling_type="AVG", scores=None):
    """Block sparsity (tfmot's ``block_size``): whole ``block_size`` tiles of 2-D weights kept or zeroed.

    Each tile is scored by the average (``"AVG"``) or maximum (``"MAX"``) of its scores (default
    ``|w|``); the tiles are then ranked by :func:`magnitude_masks`' rule (one threshold across all
    ``weights``), so ``sparsity`` counts tiles, as in tfmot.

    Returns:
        ``(threshold, masks)`` as :func:`magnitude_masks`, masks shaped like ``weights``.
    """
    weights = [tf.convert_to_tensor(w) for w in weights]
    nonnegative = scores is None
    if scores is None:
        scores = [tf.abs(w) for w in weights]
    pooled = [_pool_blocks(tf.cast(s, tf.float32), block_size, pooling_type) for s in scores]
    threshold, block_mask = magnitude_masks(pooled, sparsity, pooled, nonnegative=nonnegative)
    masks = [tf.cast(_expand_blocks(m, block_size, w.shape), w.dtype) for m, w in zip(block_mask, weights)]
    return threshold, masks

