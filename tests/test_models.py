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
