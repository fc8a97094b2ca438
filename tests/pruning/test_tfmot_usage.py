"""tfmot code that runs unchanged: models without an input shape, weightless layers wrapped as no-ops,
block sparsity, strip_pruning of subclassed models."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.pruning.callbacks import pruned_layers
from tfsparse.pruning.masks import num_kept


def _fit(model, compile_model, data, epochs=1):
    (x, y), _ = data
    compile_model(model).fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    return model


def test_sequential_without_input_shape(tf_keras3, small_data, compile_model):
    _, keras = tf_keras3
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(32, activation="relu", name="h"), keras.layers.Dense(10, name="out")])
    assert not model.built
    pruned = tfsparse.prune_low_magnitude(model, tfsparse.ConstantSparsity(0.7, 0, frequency=2))
    assert [w.layer.name for w in pruned_layers(pruned)] == ["h", "out"]
    _fit(pruned, compile_model, small_data)
    for w in pruned_layers(pruned):
        kernel = w.pruning_vars[0][0].numpy()
        assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.7)), w.name
    stripped = tfsparse.strip_pruning(pruned)
    (_, _), (xt, _) = small_data
    np.testing.assert_array_equal(stripped.predict(xt, verbose=0), pruned.predict(xt, verbose=0))


def test_weightless_layers_wrap_as_noops(tf_keras3, compile_model):
    """tfmot's way of pruning a model: wrap every layer (clone_function), weightless ones included."""
    _, keras = tf_keras3
    image = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(4, 3, padding="same", name="conv")(image)
    a = keras.layers.BatchNormalization(name="bn")(a)
    a = keras.layers.MaxPooling2D(2, name="pool")(a)
    b = keras.layers.AveragePooling2D(2, name="avg")(keras.layers.Conv2D(4, 1, name="conv1x1")(image))
    a = keras.layers.Add(name="add")([a, b])
    a = keras.layers.Flatten(name="flat")(a)
    a = keras.layers.Dropout(0.2, name="drop")(a)
    out = keras.layers.Dense(10, name="head")(keras.layers.ReLU(name="relu")(a))
    model = keras.Model(image, out)
    schedule = tfsparse.ConstantSparsity(0.5, 0, frequency=1)
    pruned = keras.models.clone_model(model, clone_function=lambda layer: tfsparse.prune_low_magnitude(layer, schedule))
    wrappers = {w.layer.name: w for w in pruned_layers(pruned)}
    assert set(wrappers) == {"conv", "bn", "pool", "conv1x1", "avg", "add", "flat", "drop", "relu", "head"}
    rng = np.random.default_rng(0)
    x, y = rng.random((96, 8, 8, 1), np.float32), rng.integers(0, 10, 96)
    compile_model(pruned).fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    for name, wrapper in wrappers.items():
        assert int(wrapper.pruning_step.numpy()) == 3, name
        if name in ("conv", "conv1x1", "head"):
            kernel = wrapper.pruning_vars[0][0].numpy()
            assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.5)), name
        else:
            assert wrapper.pruning_vars == [], name  # nothing to prune, as tfmot's registry says
    stripped = tfsparse.strip_pruning(pruned)
    assert not pruned_layers(stripped)
    np.testing.assert_allclose(stripped.predict(x, verbose=0), pruned.predict(x, verbose=0), rtol=0, atol=0)
    report = tfsparse.sparsity_report(pruned)
    assert sorted(r.layer for r in report) == ["conv", "conv1x1", "head"]


def test_block_sparsity_trains_whole_blocks(tf_keras3, small_data, compile_model):
    _, keras = tf_keras3
    schedule = tfsparse.PolynomialDecay(0.0, 0.75, 0, 12, frequency=3)
    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=4), schedule, block_size=(2, 4), block_pooling_type="MAX")
    _fit(pruned, compile_model, small_data, epochs=2)
    for w in pruned_layers(pruned):
        kernel, mask, _ = (v.numpy() for v in w.pruning_vars[0])
        rows, cols = -(-mask.shape[0] // 2), -(-mask.shape[1] // 4)
        padded = np.pad(mask, ((0, rows * 2 - mask.shape[0]), (0, cols * 4 - mask.shape[1])), mode="edge")
        blocks = padded.reshape(rows, 2, cols, 4)
        assert (blocks.min(axis=(1, 3)) == blocks.max(axis=(1, 3))).all(), w.name  # every block all 0 or all 1
        assert int(blocks.max(axis=(1, 3)).sum()) == int(num_kept(rows * cols, 0.75)), w.name
        assert np.count_nonzero(kernel[mask == 0]) == 0
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(pruned_layers(pruned)[0]))
    assert restored.block_size == (2, 4) and restored.block_pooling_type == "MAX"


def test_block_sparsity_errors_name_the_layer(tf_keras3):
    _, keras = tf_keras3
    conv = tfsparse.prune_low_magnitude(keras.layers.Conv2D(4, 3, name="c3"), block_size=(2, 2))
    with pytest.raises(ValueError, match="layer 'c3': block_size=\\(2, 2\\) needs 2-D weights.*kernel has shape \\(3, 3, 1, 4\\)"):
        conv.build((None, 8, 8, 1))
    with pytest.raises(ValueError, match="two different patterns"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), block_size=(1, 4), sparsity_m_by_n=(2, 4))
    with pytest.raises(ValueError, match="block_size=\\(0, 2\\) must be two integers > 0"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), block_size=(0, 2))


def test_strip_pruning_of_subclassed_model(tf_keras3, small_data, compile_model):
    _, keras = tf_keras3
    schedule = tfsparse.ConstantSparsity(0.6, 0, frequency=2)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = tfsparse.prune_low_magnitude(keras.layers.Dense(32, activation="relu", name="hidden"), schedule)
            self.blocks = [tfsparse.prune_low_magnitude(keras.layers.Dense(16, activation="relu", name="b0"), schedule), keras.layers.Dropout(0.1)]
            self.out = keras.layers.Dense(10, name="out")

        def call(self, inputs, training=None):
            h = self.hidden(inputs, training=training)
            for block in self.blocks:
                h = block(h, training=training)
            return self.out(h)

    net = _fit(Net(), compile_model, small_data)
    (x, y), (xt, _) = small_data
    before = net.predict(xt, verbose=0)
    masks = {w.layer.name: w.pruning_vars[0][1].numpy() for w in pruned_layers(net)}
    stripped = tfsparse.strip_pruning(net)
    assert stripped is net  # stripped in place: Keras cannot copy a subclassed model
    assert not pruned_layers(stripped)
    assert isinstance(stripped.hidden, keras.layers.Dense) and isinstance(stripped.blocks[0], keras.layers.Dense)
    assert sorted(v.path.split("/")[-1] for v in stripped.weights) == ["bias"] * 3 + ["kernel"] * 3
    np.testing.assert_array_equal(stripped.predict(xt, verbose=0), before)
    for layer in (stripped.hidden, stripped.blocks[0]):
        kernel = layer.kernel.numpy()
        assert np.count_nonzero(kernel[masks[layer.name] == 0]) == 0
        assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.6))
        assert layer.kernel.constraint is None  # the mask no longer constrains the weight
    stripped.fit(x[:64], y[:64], verbose=0)  # trains again as a plain model (Keras re-traces its step)
