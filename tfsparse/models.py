"""Reference models used by the demo, tests, benchmarks and notebooks."""

from __future__ import annotations

__all__ = ["lenet_300_100", "digits_mlp"]


def _mlp(input_dim, hidden, num_classes, name, seed):
    import keras

    init = keras.initializers.GlorotUniform(seed=seed) if seed is not None else "glorot_uniform"
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = inputs
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=init, name=f"fc{i + 1}")(x)
    outputs = keras.layers.Dense(num_classes, kernel_initializer=init, name=f"fc{len(hidden) + 1}")(x)
    return keras.Model(inputs, outputs, name=name)


def lenet_300_100(seed=None):
    """LeNet-300-100 (784-300-100-10, ReLU, logits) for flat 28x28 inputs.

    Args:
        seed: optional integer seed for the weight initializers (reproducible runs).

    Returns:
        An uncompiled Keras 3 functional model; compile it with
        ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.
    """
    return _mlp(784, (300, 100), 10, "lenet_300_100", seed)


def digits_mlp(seed=None):
    """A 64-128-64-10 MLP (ReLU, logits) for scikit-learn's 8x8 digits.

    Args:
        seed: optional integer seed for the weight initializers.

    Returns:
        An uncompiled Keras 3 functional model.
    """
    return _mlp(64, (128, 64), 10, "digits_mlp", seed)
