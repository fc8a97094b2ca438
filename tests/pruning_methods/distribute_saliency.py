"""Run in a subprocess (logical devices must be set before TensorFlow starts): accumulate gradient
saliency with SGD(0) (weights fixed) on one device and under MirroredStrategy on two logical CPUs,
then train with criterion="gradient" under MirroredStrategy; print a JSON summary."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import tfsparse  # noqa: E402


def replicas(v):
    return [np.asarray(c.numpy()) for c in getattr(v.value, "values", (v.value,))]


def run(strategy, schedule, lr, epochs):
    (x, y), _ = tfsparse.datasets.digits()
    x, y = x[:512], y[:512]
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=0), schedule, criterion="gradient", ranking="global")
        model.compile(tfsparse.GradientSaliency(keras.optimizers.SGD(lr)), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    out = {}
    for w in model.layers:
        if isinstance(w, tfsparse.PruneLowMagnitude):
            kernel, mask, _ = w.pruning_vars[0]
            accumulator, count = getattr(kernel, "_tfsparse_saliency")
            out[w.layer.name] = {
                "replicas": len(replicas(mask)),
                "masks_identical": all(np.array_equal(replicas(mask)[0], m) for m in replicas(mask)),
                "saliency_identical": all(np.array_equal(replicas(accumulator)[0], a) for a in replicas(accumulator)),
                "saliency": replicas(accumulator)[0].ravel().tolist(),
                "count": int(replicas(count)[0]),
                "nonzeros": int(np.count_nonzero(replicas(kernel)[0])),
                "size": int(replicas(kernel)[0].size),
            }
    return out


never = tfsparse.ConstantSparsity(0.8, begin_step=10_000)
result = {
    "single": run(tf.distribute.OneDeviceStrategy("/cpu:0"), never, 0.0, 1),
    "mirrored": run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), never, 0.0, 1),
    "pruned": run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), tfsparse.PolynomialDecay(0.0, 0.8, 0, 20, frequency=4), 1e-2, 3),
}
print("RESULT " + json.dumps(result))
