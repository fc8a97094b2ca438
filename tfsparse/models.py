"""Reference models used by the demo, tests, benchmarks and notebooks."""

from __future__ import annotations

__all__ = ["lenet_300_100", "digits_mlp", "ds_cnn", "resnet8", "mobilenet_v1", "fc_autoencoder", "mnist_cnn"]


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


# --- MLPerf Tiny reference architectures (Keras 3) -------------------------------------------------
#
# Written from the MLPerf Tiny reference definitions (mlcommons/tiny, benchmark/training/): keyword
# spotting's DS-CNN, image classification's ResNet-8, visual wake words' MobileNetV1 (alpha 0.25) and
# anomaly detection's FC autoencoder. Dropout and weight regularizers are training-only and left out;
# every model returns logits (no final softmax) except the autoencoder, which returns its
# reconstruction. BatchNormalization layers fold into the preceding weights when quantized.


def _init(seed, offset=0):
    import keras

    return keras.initializers.HeNormal(seed=None if seed is None else seed + offset)


def _conv_bn_relu(x, filters, kernel, strides, seed, index, name):
    import keras

    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", kernel_initializer=_init(seed, index),
                            name=name)(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _dw_bn_relu(x, strides, seed, index, name):
    import keras

    x = keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", depthwise_initializer=_init(seed, index),
                                     name=name)(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def ds_cnn(seed=None, num_classes=12):
    """MLPerf Tiny keyword spotting DS-CNN for 49x10x1 MFCC inputs.

    Conv2D 64 10x4 stride 2 SAME + BN + ReLU; 4 x [DepthwiseConv2D 3x3 + BN + ReLU, Conv2D 64 1x1 + BN
    + ReLU]; AveragePooling2D (24, 5) to 1x1; Flatten; Dense ``num_classes`` (logits).

    Args:
        seed: optional integer seed for the weight initializers.
        num_classes: output units (12 keywords).

    Returns:
        An uncompiled Keras 3 functional model.

    Example:
        >>> ds_cnn(seed=0).output.shape  # doctest: +SKIP
        (None, 12)
    """
    import keras

    inputs = keras.Input(shape=(49, 10, 1), name="input")
    x = _conv_bn_relu(inputs, 64, (10, 4), 2, seed, 0, "conv1")
    for i in range(4):
        x = _dw_bn_relu(x, 1, seed, 2 * i + 1, f"dw{i + 1}")
        x = _conv_bn_relu(x, 64, 1, 1, seed, 2 * i + 2, f"pw{i + 1}")
    x = keras.layers.AveragePooling2D(pool_size=(24, 5), name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name="fc")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")


def resnet8(seed=None, num_classes=10):
    """MLPerf Tiny image classification ResNet-8 for 32x32x3 inputs.

    Conv2D 16 3x3 + BN + ReLU; three residual stacks of 16, 32 and 64 filters (strides 1, 2, 2; two 3x3
    convolutions with BN, a 1x1 stride-2 convolution on the shortcut where the shape changes; ADD then
    ReLU); AveragePooling2D 8x8; Flatten; Dense ``num_classes`` (logits).

    Args:
        seed: optional integer seed for the weight initializers.
        num_classes: output units.

    Returns:
        An uncompiled Keras 3 functional model.
    """
    import keras

    inputs = keras.Input(shape=(32, 32, 3), name="input")
    x = _conv_bn_relu(inputs, 16, 3, 1, seed, 0, "conv1")
    index = 1
    for stack, (filters, strides) in enumerate(((16, 1), (32, 2), (64, 2)), start=1):
        y = _conv_bn_relu(x, filters, 3, strides, seed, index, f"stack{stack}_conv1")
        y = keras.layers.Conv2D(filters, 3, padding="same", kernel_initializer=_init(seed, index + 1),
                                name=f"stack{stack}_conv2")(y)
        y = keras.layers.BatchNormalization(name=f"stack{stack}_conv2_bn")(y)
        if strides != 1:
            x = keras.layers.Conv2D(filters, 1, strides=strides, padding="same", kernel_initializer=_init(seed, index + 2),
                                    name=f"stack{stack}_shortcut")(x)
        x = keras.layers.Add(name=f"stack{stack}_add")([x, y])
        x = keras.layers.ReLU(name=f"stack{stack}_relu")(x)
        index += 3
    x = keras.layers.AveragePooling2D(pool_size=8, name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name="fc")(x)
    return keras.Model(inputs, outputs, name="resnet8")


def mobilenet_v1(alpha=0.25, seed=None, num_classes=2, input_shape=(96, 96, 3)):
    """MLPerf Tiny visual wake words MobileNetV1 (96x96x3, 2 classes at ``alpha=0.25``).

    Conv2D 32·alpha 3x3 stride 2 + BN + ReLU; 13 depthwise-separable blocks (DepthwiseConv2D 3x3 + BN +
    ReLU, Conv2D 1x1 + BN + ReLU) of 64, 128, 128, 256, 256, 512, 5 x 512, 1024, 1024 filters times
    ``alpha`` with stride 2 at the 2nd, 4th, 6th and 12th block; AveragePooling2D to 1x1; Flatten;
    Dense ``num_classes`` (logits).

    Args:
        alpha: width multiplier.
        seed: optional integer seed for the weight initializers.
        num_classes: output units.
        input_shape: (height, width, channels).

    Returns:
        An uncompiled Keras 3 functional model.
    """
    import keras

    blocks = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)) + ((512, 1),) * 5 + ((1024, 2), (1024, 1))
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = _conv_bn_relu(inputs, int(32 * alpha), 3, 2, seed, 0, "conv1")
    for i, (filters, strides) in enumerate(blocks, start=1):
        x = _dw_bn_relu(x, strides, seed, 2 * i - 1, f"dw{i}")
        x = _conv_bn_relu(x, int(filters * alpha), 1, 1, seed, 2 * i, f"pw{i}")
    x = keras.layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]), name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, kernel_initializer=keras.initializers.GlorotUniform(seed=seed), name="fc")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v1")


def fc_autoencoder(seed=None, input_dim=640):
    """MLPerf Tiny anomaly detection FC autoencoder: 640 -> 4 x [Dense 128 + BN + ReLU] -> Dense 8 + BN +
    ReLU -> 4 x [Dense 128 + BN + ReLU] -> Dense 640 (the reconstruction).

    Args:
        seed: optional integer seed for the weight initializers.
        input_dim: input and output width.

    Returns:
        An uncompiled Keras 3 functional model; train it with a mean squared error on its input.
    """
    import keras

    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input(shape=(input_dim,), name="input")
    x = inputs
    for i, units in enumerate((128,) * 4 + (8,) + (128,) * 4, start=1):
        x = keras.layers.Dense(units, kernel_initializer=init, name=f"fc{i}")(x)
        x = keras.layers.BatchNormalization(name=f"fc{i}_bn")(x)
        x = keras.layers.ReLU(name=f"fc{i}_relu")(x)
    outputs = keras.layers.Dense(input_dim, kernel_initializer=init, name="fc10")(x)
    return keras.Model(inputs, outputs, name="fc_autoencoder")


def mnist_cnn(seed=None, num_classes=10):
    """A small MNIST CNN for 28x28x1 images (``tfsparse.datasets.mnist(image=True)``).

    Conv2D 16 3x3 ReLU; MaxPool 2; Conv2D 32 3x3 ReLU; MaxPool 2; Flatten; Dense 64 ReLU; Dense
    ``num_classes`` (logits).

    Args:
        seed: optional integer seed for the weight initializers.
        num_classes: output units.

    Returns:
        An uncompiled Keras 3 functional model.
    """
    import keras

    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input(shape=(28, 28, 1), name="input")
    x = keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer=init, name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer=init, name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(64, activation="relu", kernel_initializer=init, name="fc1")(x)
    outputs = keras.layers.Dense(num_classes, kernel_initializer=init, name="fc2")(x)
    return keras.Model(inputs, outputs, name="mnist_cnn")
