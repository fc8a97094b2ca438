"""One worker of a MultiWorkerMirroredStrategy pruning run (the test starts two on localhost).

Usage: TF_CONFIG=... python mwms_worker.py OUT_DIR EPOCHS
Trains digits_mlp pruned with PolynomialDecay under MultiWorkerMirroredStrategy, then writes
OUT_DIR/worker<i>.npz (each pruned kernel, mask and step) and, on the chief (worker 0) only,
OUT_DIR/pruned.keras.

The loop is a custom one (``strategy.run``), as TensorFlow's multi-worker guide writes it: Keras
3.15's ``model.fit`` fails under MultiWorkerMirroredStrategy before its first step, with or without
tfsparse (keras-team/keras#20585: it reduces the first batch's structure with a collective op that
only takes tensors).
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(2)

import keras  # noqa: E402

if os.environ.get("TFS_DEBUG"):
    keras.config.disable_traceback_filtering()

import tfsparse  # noqa: E402

SCHEDULE = dict(initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=16, frequency=4)
GLOBAL_BATCH = 64


def main(out_dir, epochs):
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    (x, y), _ = tfsparse.datasets.digits()
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = data.with_options(options)
    with strategy.scope():
        model = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=0), tfsparse.PolynomialDecay(**SCHEDULE))
        optimizer = keras.optimizers.Adam(1e-3)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
        model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # for the checkpoint
    step_callback = tfsparse.UpdatePruningStep()
    step_callback.set_model(model)
    step_callback.on_train_begin()

    @tf.function
    def train_step(batch):
        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(loss_fn(yb, model(xb, training=True)), global_batch_size=GLOBAL_BATCH)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))

        strategy.run(step, args=batch)

    distributed = strategy.experimental_distribute_dataset(data)
    steps = 0
    for epoch in range(epochs):
        for batch in distributed:
            train_step(batch)
            steps += 1
        step_callback.on_epoch_end(epoch=epoch)
    arrays = {}
    for layer in tfsparse.pruning.callbacks.pruned_layers(model):
        kernel, mask, _ = layer.pruning_vars[0]
        arrays[f"{layer.layer.name}_kernel"] = kernel.numpy()
        arrays[f"{layer.layer.name}_mask"] = mask.numpy()
        arrays[f"{layer.layer.name}_step"] = np.int64(layer.pruning_step.numpy())
    arrays["steps_run"] = np.int64(steps)
    np.savez(os.path.join(out_dir, f"worker{task['index']}.npz"), **arrays)
    if task["index"] == 0:  # the chief writes the checkpoint
        model.save(os.path.join(out_dir, "pruned.keras"))
    print("done", task["index"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
