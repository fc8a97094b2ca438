"""Bad input gets an error naming the argument and the fix; wrapper configs round-trip."""

from __future__ import annotations

import pytest

import tfsparse


def test_not_implemented_arguments_say_so(tf_keras3):
    _, keras = tf_keras3
    with pytest.raises(NotImplementedError, match="pruning_policy=.*XNNPack.*not for Cortex-M"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), pruning_policy=object())
    # block_size is implemented: tests/pruning/test_tfmot_usage.py
    # sparsity_m_by_n is implemented (issue 8): tests/pruning_methods/test_training.py


def test_wrong_objects_are_named(tf_keras3):
    _, keras = tf_keras3
    with pytest.raises(TypeError, match="expects a Keras 3 layer.*numpy.ndarray"):
        import numpy as np

        tfsparse.prune_low_magnitude(np.zeros(3))
    with pytest.raises(ValueError, match="'rnn' \\(LSTM\\) cannot be pruned.*PrunableLayer"):
        tfsparse.prune_low_magnitude(keras.layers.LSTM(4, name="rnn"))
    wrapped = tfsparse.prune_low_magnitude(keras.layers.Dense(4, name="d"))
    with pytest.raises(ValueError, match="already wrapped"):
        tfsparse.prune_low_magnitude(wrapped)
    with pytest.raises(ValueError, match="ranking='best'"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), ranking="best")
    with pytest.raises(TypeError, match="pruning_schedule must be"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), pruning_schedule=0.5)
    with pytest.raises(TypeError, match="only accepted when pruning a model"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4), {"d": tfsparse.ConstantSparsity(0.5, 0)})
    with pytest.raises(TypeError, match="strip_pruning expects a Keras model"):
        tfsparse.strip_pruning(wrapped)


def test_model_with_nothing_prunable(tf_keras3):
    _, keras = tf_keras3
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Activation("relu")], name="plain")
    with pytest.raises(ValueError, match="model 'plain' has nothing to prune"):
        tfsparse.prune_low_magnitude(model)
    with pytest.raises(ValueError, match="has no layer wrapped"):
        callback = tfsparse.UpdatePruningStep()
        callback.set_model(model)
        callback.on_train_begin()
    with pytest.raises(ValueError, match="'plain' has no built prunable weight"):
        tfsparse.sparsity_report(model)


def test_non_tensorflow_backend_is_refused(tf_keras3, monkeypatch):
    _, keras = tf_keras3
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=tensorflow"):
        tfsparse.prune_low_magnitude(keras.layers.Dense(4))


def test_strip_of_untrained_model_warns(tf_keras3):
    model = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=0))
    with pytest.warns(UserWarning, match="never trained with tfsparse.UpdatePruningStep"):
        tfsparse.strip_pruning(model)


def test_wrapper_config_round_trips(tf_keras3):
    _, keras = tf_keras3
    layer = tfsparse.prune_low_magnitude(
        keras.layers.Dense(7, activation="relu", name="fc"),
        tfsparse.PolynomialDecay(0.1, 0.9, 5, 50, power=2, frequency=3),
        block_pooling_type="MAX",
        ranking="global",
    )
    config = layer.get_config()
    again = tfsparse.PruneLowMagnitude.from_config(config)
    assert again.get_config() == config
    assert again.pruning_schedule == layer.pruning_schedule and again.ranking == "global"
    assert again.layer.get_config() == layer.layer.get_config() and again.name == "prune_low_magnitude_fc"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, tfsparse.PruneLowMagnitude) and restored.get_config() == config
