"""Session fixtures for the converter tests: briefly trained reference models made 90% sparse by
zeroing their smallest weights, quantized once per variant, and the TFLM interpreter's outputs."""

from __future__ import annotations

import numpy as np
import pytest

SPARSITY = 0.9


def zero_smallest(model, sparsity, masks=None):
    """Zero the smallest-magnitude ``sparsity`` fraction of every Dense kernel (in place).

    Returns the masks (layer name -> bool keep-array); pass them back to re-apply the same masks.
    """
    import keras

    masks = {} if masks is None else masks
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = layer.get_weights()
            if layer.name not in masks:
                keep = np.ones(kernel.size, bool)
                keep[np.argsort(np.abs(kernel), axis=None)[: int(round(sparsity * kernel.size))]] = False
                masks[layer.name] = keep.reshape(kernel.shape)
            layer.set_weights([kernel * masks[layer.name], bias])
    return masks


def with_softmax(model):
    import keras

    return keras.Model(model.inputs, keras.layers.Softmax(name="softmax")(model.outputs[0]), name=model.name + "_softmax")


def train_sparse(factory, data, epochs, sparsity=SPARSITY):
    import keras

    (x, y), _ = data
    keras.utils.set_random_seed(0)
    model = factory(seed=0)
    model.compile(keras.optimizers.Adam(2e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    masks = zero_smallest(model, sparsity)
    # One masked fine-tuning epoch recovers most of the accuracy one-shot pruning loses.
    reapply = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: zero_smallest(model, sparsity, masks))
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, callbacks=[reapply])
    return model


@pytest.fixture(scope="session")
def sparse_keras_models(mnist_data, digits_data):
    from tfsparse import models

    return {
        "lenet": (train_sparse(models.lenet_300_100, mnist_data, 1), mnist_data),
        "digits": (train_sparse(models.digits_mlp, digits_data, 30), digits_data),
    }


@pytest.fixture(scope="session")
def tflite_variants(sparse_keras_models, tmp_path_factory):
    """{(model, per_channel, softmax): (path, x_test float, y_test, float Keras accuracy)}, 8 variants."""
    import tfsparse

    root = tmp_path_factory.mktemp("tflite")
    out = {}
    for key, (model, ((x_train, _), (x_test, y_test))) in sparse_keras_models.items():
        float_accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
        for softmax in (False, True):
            m = with_softmax(model) if softmax else model
            for per_channel in (True, False):
                path = root / f"{key}_{'pc' if per_channel else 'pt'}{'_softmax' if softmax else ''}.tflite"
                path.write_bytes(tfsparse.quantize(m, x_train[:300], per_channel=per_channel))
                out[(key, per_channel, softmax)] = (path, x_test, y_test, float_accuracy)
    return out


@pytest.fixture(scope="session")
def tflm_outputs(tflm_invoke):
    """``tflm_outputs(path, xq)``: the TFLM interpreter's int8 outputs for a batch, one invocation per sample."""
    return tflm_invoke
