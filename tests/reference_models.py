"""The five MLPerf Tiny reference models, briefly trained, pruned to 80% and quantized, cached on disk.

Used by the ``reference_models`` session fixture of ``tests/conftest.py`` (and loadable by path from
benchmarks). For each model: a few hundred Adam steps on data of the right shape (real bundled MNIST
for ``mnist_cnn``; for the others synthetic data with class templates so the models learn something
and their outputs differ), then the smallest 80% of every Conv2D and Dense kernel are zeroed
(depthwise kernels stay dense) and kept zero through a short fine-tune, then ``tfsparse.quantize``
writes the logits model and, for the classifiers, the same model with a final softmax.

The cache key hashes this file, ``tfsparse/models.py`` and ``tfsparse/converter/quantize.py``, so a
change to either rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import numpy as np

NAMES = ("mnist_cnn", "ds_cnn", "resnet8", "mobilenet_v1", "fc_autoencoder")
SPARSITY = 0.8
N_TEST = 120
#: (training samples, epochs before pruning, fine-tune epochs) at batch 32.
RECIPES = {
    "mnist_cnn": (4000, 2, 1),
    "ds_cnn": (1024, 3, 1),
    "resnet8": (1024, 3, 1),
    "mobilenet_v1": (768, 3, 1),
    "fc_autoencoder": (2048, 4, 1),
}
CLASSES = {"ds_cnn": 12, "resnet8": 10, "mobilenet_v1": 2, "mnist_cnn": 10}


class Reference:
    """One cached reference model: paths and arrays (all float inputs, shaped like the model input)."""

    def __init__(self, name: str, root: pathlib.Path):
        self.name = name
        self.root = root
        self.tflite = root / f"{name}.tflite"  # int8, final softmax for the classifiers
        self.tflite_logits = root / f"{name}_logits.tflite"  # int8, before the softmax (== tflite for the autoencoder)
        self.keras = root / f"{name}.keras"  # the pruned float model (logits)
        data = np.load(root / f"{name}_data.npz")
        self.x_calibration = data["x_calibration"]
        self.x_test = data["x_test"]
        self.y_test = data["y_test"]  # labels (classifiers) or the clean targets (autoencoder)
        self.float_outputs = data["float_outputs"]  # the float Keras model's outputs on x_test (logits)

    def __repr__(self):
        return f"Reference({self.name!r}, {self.root})"


def _synthetic(name, shape, n, rng):
    """Inputs with structure: class templates plus noise (classifiers), a rank-8 signal (autoencoder)."""
    if name == "fc_autoencoder":
        basis = rng.normal(size=(8,) + shape).astype(np.float32)
        clean = (rng.normal(size=(n, 8)).astype(np.float32) @ basis.reshape(8, -1)).reshape((n,) + shape) * 0.3
        return clean + 0.1 * rng.normal(size=clean.shape).astype(np.float32), clean
    templates = rng.normal(size=(CLASSES[name],) + shape).astype(np.float32)
    y = rng.integers(0, CLASSES[name], n)
    return (templates[y] + 1.5 * rng.normal(size=(n,) + shape)).astype(np.float32), y


def _data(name, shape, n, seed):
    rng = np.random.default_rng(seed)
    if name == "mnist_cnn":
        from tfsparse import datasets

        (x, y), (x_test, y_test) = datasets.mnist(image=True)
        return (x[:n], y[:n]), (x_test[:N_TEST], y_test[:N_TEST])
    x, y = _synthetic(name, shape, n + N_TEST, rng)
    return (x[:n], y[:n]), (x[n:], y[n:])


def prunable(model):
    """The Conv2D and Dense layers (DepthwiseConv2D is a Conv2D subclass in no Keras 3 version, but be explicit)."""
    import keras

    return [layer for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
            and not isinstance(layer, keras.layers.DepthwiseConv2D)]


def _train(name, factory, seed):
    import keras

    keras.utils.set_random_seed(seed)
    model = factory(seed=seed)
    shape = tuple(model.inputs[0].shape[1:])
    n, epochs, tune = RECIPES[name]
    (x, y), (x_test, y_test) = _data(name, shape, n, seed)
    if name == "fc_autoencoder":
        loss, target, target_test = "mse", y, y_test
    else:
        loss, target, target_test = keras.losses.SparseCategoricalCrossentropy(from_logits=True), y, y_test
    model.compile(keras.optimizers.Adam(2e-3), loss)
    model.fit(x, target, batch_size=32, epochs=epochs, verbose=0)
    masks = {}
    for layer in prunable(model):
        w = layer.kernel.numpy()
        keep = np.ones(w.size, bool)
        keep[np.argsort(np.abs(w), axis=None)[: int(round(SPARSITY * w.size))]] = False
        masks[layer.name] = keep.reshape(w.shape).astype(np.float32)
        layer.kernel.assign(w * masks[layer.name])

    def reapply(batch, logs):
        for layer in prunable(model):
            layer.kernel.assign(layer.kernel * masks[layer.name])

    model.fit(x, target, batch_size=32, epochs=tune, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=reapply)])
    _recalibrate_batchnorm(model, x[:256])
    return model, x, x_test, target_test


def _recalibrate_batchnorm(model, x):
    """Moving statistics = the statistics of one large batch through the pruned model (a short
    fine-tune barely moves them with Keras' momentum of 0.99, and stale ones can silence every ReLU)."""
    import keras

    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def _with_softmax(model):
    import keras

    return keras.Model(model.inputs, keras.layers.Softmax(name="softmax")(model.outputs[0]), name=model.name)


def cache_key() -> str:
    here = pathlib.Path(__file__).resolve()
    package = here.parents[1] / "tfsparse"
    h = hashlib.sha256()
    for path in (here, package / "models.py", package / "converter" / "quantize.py"):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build(name: str, root: pathlib.Path, seed: int = 0) -> Reference:
    """Train, prune, quantize ``name`` into ``root`` unless a complete cached copy is there."""
    root = pathlib.Path(root)
    done = root / f"{name}.done"
    if done.exists() and json.loads(done.read_text()).get("key") == cache_key():
        return Reference(name, root)
    import tfsparse
    from tfsparse import models

    root.mkdir(parents=True, exist_ok=True)
    model, x, x_test, y_test = _train(name, getattr(models, name), seed)
    calibration = x[:100]
    float_outputs = model.predict(x_test, verbose=0, batch_size=64)
    logits = tfsparse.quantize(model, calibration)
    final = logits if name == "fc_autoencoder" else tfsparse.quantize(_with_softmax(model), calibration)
    # Each file is written under a private name and renamed into place, so two test sessions building
    # the same cache at once never read a half-written file; the .done marker comes last.
    stage = root / f".{name}.{os.getpid()}"
    stage.mkdir(exist_ok=True)
    model.save(stage / f"{name}.keras")
    (stage / f"{name}_logits.tflite").write_bytes(logits)
    (stage / f"{name}.tflite").write_bytes(final)
    np.savez(stage / f"{name}_data.npz", x_calibration=calibration, x_test=x_test, y_test=y_test,
             float_outputs=float_outputs)
    (stage / f"{name}.done").write_text(json.dumps({"key": cache_key()}))
    for suffix in (".keras", "_logits.tflite", ".tflite", "_data.npz", ".done"):
        os.replace(stage / f"{name}{suffix}", root / f"{name}{suffix}")
    stage.rmdir()
    return Reference(name, root)


def build_all(root: pathlib.Path) -> dict:
    return {name: build(name, root) for name in NAMES}
