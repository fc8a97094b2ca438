"""Fixtures for the pruning tests: small data, a compile helper, a fit helper (Keras 3, in process)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def tf_keras3():
    """(tensorflow, keras) with Keras 3 (asserts that no test flipped tf.keras to Keras 2)."""
    import keras
    import tensorflow as tf

    assert keras.__version__.startswith("3."), keras.__version__
    assert "tensorflow_model_optimization" not in sys.modules, "tfmot must only run in a subprocess"
    return tf, keras


@pytest.fixture(scope="session")
def small_data(digits_data):
    """The first 512 training digits (8 batches of 64) and the test split."""
    (x, y), (xt, yt) = digits_data
    return (x[:512], y[:512]), (xt, yt)


@pytest.fixture(scope="session")
def compile_model(tf_keras3):
    _, keras = tf_keras3

    def compile_model(model, **kwargs):
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            **kwargs,
        )
        return model

    return compile_model


@pytest.fixture(scope="session")
def run_script():
    """Run a Python script in a fresh interpreter (for tfmot / tf.distribute), return its stdout."""

    def run_script(path, *args, env=None, timeout=600):
        full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
        proc = subprocess.run(
            [sys.executable, str(path), *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout
        )
        assert proc.returncode == 0, f"{path} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        return proc.stdout

    return run_script
