import pytest

from tfsparse import models


@pytest.mark.parametrize(
    "factory, layers",
    [(models.lenet_300_100, [(784, 300), (300, 100), (100, 10)]), (models.digits_mlp, [(64, 128), (128, 64), (64, 10)])],
)
def test_reference_models(factory, layers):
    import keras

    model = factory(seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [tuple(layer.kernel.shape) for layer in dense] == layers
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "linear"]
    # Seeded models are reproducible.
    again = factory(seed=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        assert (a == b).all()


@pytest.mark.parametrize(
    "name, input_shape, output_shape, kinds",
    [
        ("ds_cnn", (49, 10, 1), (12,), {"Conv2D": 5, "DepthwiseConv2D": 4, "BatchNormalization": 9, "Dense": 1}),
        ("resnet8", (32, 32, 3), (10,), {"Conv2D": 9, "BatchNormalization": 7, "Add": 3, "Dense": 1}),
        ("mobilenet_v1", (96, 96, 3), (2,), {"Conv2D": 14, "DepthwiseConv2D": 13, "BatchNormalization": 27, "Dense": 1}),
        ("fc_autoencoder", (640,), (640,), {"Dense": 10, "BatchNormalization": 9}),
        ("mnist_cnn", (28, 28, 1), (10,), {"Conv2D": 2, "MaxPooling2D": 2, "Dense": 2}),
    ],
)
def test_mlperf_tiny_models(name, input_shape, output_shape, kinds):
    model = getattr(models, name)(seed=0)
    assert tuple(model.inputs[0].shape[1:]) == input_shape and tuple(model.outputs[0].shape[1:]) == output_shape
    counts = {}
    for layer in model.layers:
        counts[type(layer).__name__] = counts.get(type(layer).__name__, 0) + 1
    assert {k: counts.get(k, 0) for k in kinds} == kinds
    again = getattr(models, name)(seed=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        assert (a == b).all()


def test_mobilenet_v1_width_and_resnet8_filters():
    import keras

    mobilenet = models.mobilenet_v1(alpha=0.25, seed=0)
    pointwise = [layer.filters for layer in mobilenet.layers if type(layer) is keras.layers.Conv2D]
    assert pointwise == [8, 16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256]
    resnet = models.resnet8(seed=0)
    convs = [(layer.filters, layer.kernel_size, layer.strides) for layer in resnet.layers if type(layer) is keras.layers.Conv2D]
    assert [c[0] for c in convs] == [16, 16, 16, 32, 32, 32, 64, 64, 64]
    assert sorted(c for c in convs if c[1] == (1, 1)) == [(32, (1, 1), (2, 2)), (64, (1, 1), (2, 2))]
