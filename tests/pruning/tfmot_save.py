"""Run in a subprocess: save a model pruned with tfmot 0.8.1 (tf_keras / Keras 2) as PRUNED.keras, and
the same model after tfmot's strip_pruning as STRIPPED.keras.

Usage: python tfmot_save.py PRUNED.keras STRIPPED.keras (tfmot_oracle.py calls main() too)
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_model_optimization as tfmot  # noqa: E402


def main(path, stripped_path):
    model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(4, name="fc")])
    pruned = tfmot.sparsity.keras.prune_low_magnitude(model, tfmot.sparsity.keras.ConstantSparsity(0.5, 0, frequency=1))
    pruned.compile("sgd", "mse")
    pruned.fit(np.ones((4, 8)), np.ones((4, 4)), verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    pruned.save(path)
    tfmot.sparsity.keras.strip_pruning(pruned).save(stripped_path)
    print("saved", path, stripped_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
