"""Session fixtures of the Cortex-M tests: the digits MLP trained briefly, made 90% sparse by zeroing
its smallest weights, quantized to int8, converted with each encoding policy, and the TFLM
interpreter's outputs for the 360 test digits (the bit-exactness oracle)."""

from __future__ import annotations

import numpy as np
import pytest

SPARSITY = 0.9


def _zero_smallest(model, sparsity, masks):
    """Zero the smallest ``sparsity`` fraction of each Dense kernel; masks are computed once, then reused."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = layer.get_weights()
            if layer.name not in masks:
                masks[layer.name] = np.abs(kernel) > np.quantile(np.abs(kernel), sparsity)
            layer.set_weights([kernel * masks[layer.name], bias])


@pytest.fixture(scope="session")
def digits_int8(digits_data, tmp_path_factory):
    """(dense int8 .tflite path, x_test int8, y_test) of the 90%-sparse digits MLP."""
    import keras

    import tfsparse
    from tfsparse import models

    (x_train, y_train), (x_test, y_test) = digits_data
    keras.utils.set_random_seed(0)
    model = models.digits_mlp(seed=0)
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, batch_size=64, epochs=15, verbose=0)
    masks = {}
    _zero_smallest(model, SPARSITY, masks)
    # Masked fine-tuning recovers the accuracy one-shot pruning loses.
    keep_masked = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: _zero_smallest(model, SPARSITY, masks))
    model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0, callbacks=[keep_masked])
    path = tmp_path_factory.mktemp("digits") / "digits_mlp_90.tflite"
    path.write_bytes(tfsparse.quantize(model, x_train[:300]))
    sparse = tfsparse.convert(path)
    return path, sparse.quantize_input(x_test), y_test


@pytest.fixture(scope="session")
def digits_sparse(digits_int8):
    """{encoding policy: SparseModel} for the default ("smallest") and "fastest" policies."""
    import tfsparse

    path = digits_int8[0]
    return {policy: tfsparse.convert(path, encoding=policy) for policy in ("smallest", "fastest")}


@pytest.fixture(scope="session")
def digits_tflm(digits_int8, tflm_invoke):
    """The TFLM interpreter's int8 outputs on the dense .tflite, one invocation per test digit."""
    path, xq, _ = digits_int8
    return tflm_invoke(path, xq)
