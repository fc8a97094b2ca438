"""Fixtures for the pruning-methods tests: Keras 3 in process, small digits data, a tiny MLP."""

from __future__ import annotations

import sys

import numpy as np
import pytest


@pytest.fixture(scope="session")
def keras3():
    import keras

    assert keras.__version__.startswith("3."), keras.__version__
    assert "tensorflow_model_optimization" not in sys.modules, "tfmot must only run in a subprocess"
    return keras


@pytest.fixture(scope="session")
def digits256(digits_data):
    """256 training digits (4 batches of 64)."""
    (x, y), _ = digits_data
    return np.asarray(x[:256], np.float32), np.asarray(y[:256])


@pytest.fixture(scope="session")
def mlp(keras3):
    """``mlp(seed, inputs=64)``: a built 64-24-10 MLP with seeded initial weights."""

    def mlp(seed=0, inputs=64):
        init = keras3.initializers.GlorotUniform(seed=seed)
        return keras3.Sequential(
            [
                keras3.Input((inputs,)),
                keras3.layers.Dense(24, activation="relu", kernel_initializer=init, name="fc1"),
                keras3.layers.Dense(10, kernel_initializer=init, name="fc2"),
            ]
        )

    return mlp


@pytest.fixture(scope="session")
def fit(keras3, digits256):
    """``fit(model, callbacks, epochs=1, optimizer=None)``: compile with a fresh optimizer and train."""

    def fit(model, callbacks, epochs=1, optimizer=None, **kwargs):
        x, y = digits256
        model.compile(
            optimizer=optimizer or keras3.optimizers.Adam(1e-2),
            loss=keras3.losses.SparseCategoricalCrossentropy(from_logits=True),
            **kwargs,
        )
        keras3.utils.set_random_seed(0)
        model.fit(x[:, : model.input_shape[-1]], y, batch_size=64, epochs=epochs, verbose=0, callbacks=list(callbacks))
        return model

    return fit


@pytest.fixture(scope="session")
def expected_kept():
    """tfmot's k: max(round(float32(size) * (1 - sparsity)), 1), half to even, in float32."""

    def expected_kept(size, sparsity):
        kept = np.round(np.float32(size) * (np.float32(1.0) - np.float32(sparsity)))
        return int(max(kept, 1))

    return expected_kept
