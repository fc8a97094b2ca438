"""PruningSummaries writes per-layer sparsity and threshold that TensorBoard's event reader reads back."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse


@pytest.mark.slow
def test_summaries_read_back_by_tensorboard(tf_keras3, small_data, compile_model, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    (x, y), _ = small_data
    pruned = compile_model(tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=9), tfsparse.PolynomialDecay(0.0, 0.6, 0, 8, frequency=2)))
    log_dir = tmp_path / "logs"
    pruned.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=[tfsparse.UpdatePruningStep(), tfsparse.PruningSummaries(str(log_dir))])
    events = EventAccumulator(str(log_dir / "metrics"), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    for layer in ("fc1", "fc2", "fc3"):
        sparsity = events.Tensors(f"prune_low_magnitude_{layer}/kernel/sparsity")
        threshold = events.Tensors(f"prune_low_magnitude_{layer}/kernel/threshold")
        # at each epoch start (as tfmot) and end, each step once
        assert [e.step for e in sparsity] == [0, 8, 16] and [e.step for e in threshold] == [0, 8, 16]
        values = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in sparsity]
        assert values[-1] == pytest.approx(0.6, abs=1e-3) and values[1] > 0.3 and values[0] == 0.0
        assert float(tensor_util.make_ndarray(threshold[-1].tensor_proto)) > 0
    assert len(tags) == 6
    assert any(p.name.startswith("events") for p in (log_dir / "train").iterdir())  # the usual TensorBoard logs too
    assert np.isfinite(pruned.evaluate(x, y, verbose=0)[0])


def test_custom_loop_as_tfmot_guide_writes_it(tf_keras3, small_data, tmp_path):
    """tfmot's comprehensive guide, custom training loop section, with tfsparse's names: the hooks take
    tfmot's argument names, and PruningSummaries.on_epoch_begin (no on_train_begin) writes the values."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tf, keras = tf_keras3
    (x, y), _ = small_data
    model = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=3), tfsparse.ConstantSparsity(0.5, 0, frequency=2))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam()
    unused_arg = -1
    model.optimizer = optimizer
    step_callback = tfsparse.UpdatePruningStep()
    step_callback.set_model(model)
    log_callback = tfsparse.PruningSummaries(log_dir=str(tmp_path / "logs"))
    log_callback.set_model(model)
    step_callback.on_train_begin()
    for _ in range(2):
        log_callback.on_epoch_begin(epoch=unused_arg)
        for i in range(3):
            step_callback.on_train_batch_begin(batch=unused_arg)
            with tf.GradientTape() as tape:
                logits = model(x[i * 64 : (i + 1) * 64], training=True)
                loss_value = loss(y[i * 64 : (i + 1) * 64], logits)
                grads = tape.gradient(loss_value, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
        step_callback.on_epoch_end(batch=unused_arg)
    log_callback.on_epoch_begin(epoch=unused_arg)
    step_callback.on_epoch_end(epoch=2)  # Keras' name for the argument works too
    events = EventAccumulator(str(tmp_path / "logs" / "metrics"), size_guidance={"tensors": 0})
    events.Reload()
    sparsity = events.Tensors("prune_low_magnitude_fc1/kernel/sparsity")
    assert [e.step for e in sparsity] == [0, 3, 6]
    from tensorboard.util import tensor_util

    assert float(tensor_util.make_ndarray(sparsity[-1].tensor_proto)) == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize("log_dir", [object(), 3, None, b"logs"])
def test_log_dir_that_is_not_a_path_is_refused_and_creates_nothing(tf_keras3, tmp_path, monkeypatch, log_dir):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match="log_dir must be a directory path"):
        tfsparse.PruningSummaries(log_dir=log_dir)
    with pytest.raises(ValueError, match="needs a log_dir"):
        tfsparse.PruningSummaries(log_dir="")
    assert list(tmp_path.iterdir()) == []


def test_log_dir_may_be_a_pathlib_path(tf_keras3, tmp_path):
    callback = tfsparse.PruningSummaries(log_dir=tmp_path / "logs")
    assert callback.log_dir == str(tmp_path / "logs")
