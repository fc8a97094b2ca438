"""Oracle run in a subprocess: tfmot 0.8.1's schedules and mask rule (tf_keras), never in pytest's process.

Usage: python tfmot_oracle.py IN.npz OUT.npz

Also writes, beside OUT.npz, tfmot_pruned.keras and tfmot_stripped.keras (see tfmot_save.py).
IN holds ``steps`` and, per case i, ``w_i`` (weights) and ``s_i`` (sparsity). OUT holds, per schedule
j of SCHEDULES, ``should_j`` / ``sparsity_j`` on int64 ``steps``, ``should32_j`` / ``sparsity32_j`` on
the first STEPS_OTHER_DTYPES steps as int32 tensors and ``shouldvar_j`` / ``sparsityvar_j`` read from
an int64 ``tf.Variable``; ``poly_equal_steps`` / ``poly_equal_should`` / ``poly_equal_sparsity`` for
``PolynomialDecay`` with ``begin_step == end_step`` (which tfmot accepts); and per case ``mask_i`` /
``threshold_i`` from ``pruning_impl.Pruning._update_mask``; per block case i (``bw_i`` weights,
``bs_i`` sparsity, ``bb_i`` block size, ``bp_i`` 0 for AVG / 1 for MAX) ``bmask_i`` / ``bthreshold_i``
from ``Pruning._maybe_update_block_mask``.
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfmot_save  # noqa: E402

# (class name, kwargs): the same list the test builds with tfsparse.
SCHEDULES = [
    ("PolynomialDecay", dict(initial_sparsity=0.0, final_sparsity=0.9, begin_step=0, end_step=1260, frequency=10)),
    ("PolynomialDecay", dict(initial_sparsity=0.2, final_sparsity=0.8, begin_step=100, end_step=1000, power=2, frequency=7)),
    ("PolynomialDecay", dict(initial_sparsity=0.5, final_sparsity=0.95, begin_step=3, end_step=333, power=1, frequency=1)),
    ("ConstantSparsity", dict(target_sparsity=0.5, begin_step=10, end_step=500, frequency=25)),
    ("ConstantSparsity", dict(target_sparsity=0.7, begin_step=0, frequency=100)),
    ("ConstantSparsity", dict(target_sparsity=0.6, begin_step=50, end_step=50, frequency=10)),  # one-shot
]
STEPS_OTHER_DTYPES = 200
POLY_EQUAL = dict(initial_sparsity=0.1, final_sparsity=0.8, begin_step=20, end_step=20, frequency=5)


def main(src, dst):
    data = np.load(src)
    steps = data["steps"].astype(np.int64)
    out = {}
    for j, (name, kwargs) in enumerate(SCHEDULES):
        schedule = getattr(tfmot.sparsity.keras, name)(**kwargs)
        values = [schedule(tf.constant(s, tf.int64)) for s in steps]
        out[f"should_{j}"] = np.array([bool(p) for p, _ in values])
        out[f"sparsity_{j}"] = np.array([v.numpy() for _, v in values], np.float32)
        values = [schedule(tf.constant(s, tf.int32)) for s in steps[:STEPS_OTHER_DTYPES]]
        out[f"should32_{j}"] = np.array([bool(p) for p, _ in values])
        out[f"sparsity32_{j}"] = np.array([v.numpy() for _, v in values], np.float32)
        variable = tf.Variable(0, dtype=tf.int64)
        values = []
        for s in steps[:STEPS_OTHER_DTYPES]:
            variable.assign(s)
            values.append(schedule(variable))
        out[f"shouldvar_{j}"] = np.array([bool(p) for p, _ in values])
        out[f"sparsityvar_{j}"] = np.array([v.numpy() for _, v in values], np.float32)
    poly = tfmot.sparsity.keras.PolynomialDecay(**POLY_EQUAL)
    out["poly_equal_steps"] = np.arange(15, 26)
    values = [poly(tf.constant(s, tf.int64)) for s in out["poly_equal_steps"]]
    out["poly_equal_should"] = np.array([bool(p) for p, _ in values])
    out["poly_equal_sparsity"] = np.array([v.numpy() for _, v in values], np.float32)
    i = 0
    while f"w_{i}" in data:
        sparsity = float(data[f"s_{i}"])
        pruning = pruning_impl.Pruning(
            training_step_fn=lambda: tf.constant(0, tf.int64),
            pruning_vars=[],
            pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(sparsity, 0),
            block_size=(1, 1),
            block_pooling_type="AVG",
        )
        threshold, mask = pruning._update_mask(tf.constant(data[f"w_{i}"]))
        out[f"mask_{i}"] = mask.numpy()
        out[f"threshold_{i}"] = np.float32(threshold.numpy())
        i += 1
    i = 0
    while f"bw_{i}" in data:
        pruning = pruning_impl.Pruning(
            training_step_fn=lambda: tf.constant(0, tf.int64),
            pruning_vars=[],
            pruning_schedule=tfmot.sparsity.keras.ConstantSparsity(float(data[f"bs_{i}"]), 0),
            block_size=tuple(int(b) for b in data[f"bb_{i}"]),
            block_pooling_type=("AVG", "MAX")[int(data[f"bp_{i}"])],
        )
        threshold, mask = pruning._maybe_update_block_mask(tf.constant(data[f"bw_{i}"]))
        out[f"bmask_{i}"] = mask.numpy()
        out[f"bthreshold_{i}"] = np.float32(threshold.numpy())
        i += 1
    folder = os.path.dirname(os.path.abspath(dst))
    tfmot_save.main(os.path.join(folder, "tfmot_pruned.keras"), os.path.join(folder, "tfmot_stripped.keras"))
    assert tf.keras.layers.Dense.__module__.startswith("tf_keras"), "tfmot must run on tf_keras"
    np.savez(dst, **out)
    print("ok", len(SCHEDULES), i)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
