"""Run in a subprocess (logical devices must be set before TensorFlow starts): prune digits_mlp on
one CPU device and under MirroredStrategy on two logical CPU devices; print a JSON summary.

Usage: python distribute_run.py EPOCHS
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import tfsparse  # noqa: E402

SCHEDULE = dict(initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=60, frequency=5)


def train(strategy, epochs):
    (x, y), (xt, yt) = tfsparse.datasets.digits()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=0), tfsparse.PolynomialDecay(**SCHEDULE))
        model.compile(
            keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
        )
    model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    layers = {}
    for w in model.layers:
        if not isinstance(w, tfsparse.PruneLowMagnitude):
            continue
        kernel, mask, _ = w.pruning_vars[0]
        replicas = lambda v: [np.asarray(c.numpy()) for c in getattr(v.value, "values", (v.value,))]  # noqa: E731
        masks, kernels, steps = replicas(mask), replicas(kernel), replicas(w.pruning_step)
        layers[w.layer.name] = {
            "replicas": len(masks),
            "masks_identical": all(np.array_equal(masks[0], m) for m in masks),
            "kernels_identical": all(np.array_equal(kernels[0], k) for k in kernels),
            "zeros_where_masked": all(int(np.count_nonzero(k[masks[0] == 0])) == 0 for k in kernels),
            "steps": [int(s) for s in steps],
            "nonzeros": int(np.count_nonzero(kernels[0])),
            "size": int(kernels[0].size),
            "mask": masks[0].astype(np.uint8).ravel().tolist(),
        }
    accuracy = float(model.evaluate(xt, yt, verbose=0)[1])
    return {"layers": layers, "accuracy": accuracy, "batches": int(np.ceil(len(x) / 64)) * epochs}


def main(epochs):
    single = train(tf.distribute.OneDeviceStrategy("/cpu:0"), epochs)
    mirrored = train(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), epochs)
    print("RESULT " + json.dumps({"single": single, "mirrored": mirrored}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
