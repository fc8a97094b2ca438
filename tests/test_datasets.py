import numpy as np

from tfsparse import datasets


def _check(split, n_train, n_test, dim):
    (x_train, y_train), (x_test, y_test) = split
    assert x_train.shape == (n_train, dim) and x_test.shape == (n_test, dim)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.max() == 1.0
    assert y_train.shape == (n_train,) and y_test.shape == (n_test,)
    assert np.issubdtype(y_train.dtype, np.integer)
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    # Shuffled: the sources are sorted by class, the loaders must not be.
    assert np.count_nonzero(np.diff(y_train)) > n_train // 2
    # No sample is in both splits.
    train_rows = {row.tobytes() for row in x_train}
    assert sum(row.tobytes() in train_rows for row in x_test) <= n_test // 50  # duplicates in the source only


def test_mnist_split(mnist_data):
    _check(mnist_data, 4000, 1000, 784)
    (_, y_train), (_, y_test) = mnist_data
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10


def test_digits_split(digits_data):
    _check(digits_data, 1437, 360, 64)
    assert np.bincount(digits_data[1][1]).tolist() == [36] * 10


def test_loaders_are_deterministic(mnist_data):
    (x_train, y_train), _ = datasets.mnist()
    np.testing.assert_array_equal(x_train, mnist_data[0][0])
    np.testing.assert_array_equal(y_train, mnist_data[0][1])


def test_mnist_images_are_the_same_digits(mnist_data):
    (x_img, y_img), (x_test_img, y_test_img) = datasets.mnist(image=True)
    (x, y), (x_test, y_test) = mnist_data
    assert x_img.shape == (4000, 28, 28, 1) and x_test_img.shape == (1000, 28, 28, 1)
    assert np.array_equal(x_img.reshape(4000, 784), x) and np.array_equal(y_img, y)
    assert np.array_equal(x_test_img.reshape(1000, 784), x_test) and np.array_equal(y_test_img, y_test)
