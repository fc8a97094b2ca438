"""Training with the wrapper the ways Keras 3 users train: fit (incl. steps_per_execution and XLA),
custom loops, subclassed models, clone_model; exact targets and exact zeros throughout."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.pruning.masks import num_kept

STEPS_PER_EPOCH = 8  # 512 samples, batch 64


from tfsparse.pruning.callbacks import pruned_layers as _wrappers


def _assert_exact_target(model, sparsity):
    for w in _wrappers(model):
        kernel = w.pruning_vars[0][0].numpy()
        assert np.count_nonzero(kernel) == int(num_kept(kernel.size, sparsity)), w.name


def _fit(model, compile_model, data, epochs, **compile_kwargs):
    (x, y), _ = data
    compile_model(model, **compile_kwargs)
    return model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])


class _ZerosBetweenSteps:
    """Checks after every batch that the weights read mid-training hold exact zeros where masked."""

    def __new__(cls, keras):
        class Check(keras.callbacks.Callback):
            violations = 0
            batches = 0

            def on_train_batch_end(self, batch, logs=None):
                Check.batches += 1
                for w in _wrappers(self.model):
                    kernel, mask, _ = (v.numpy() for v in w.pruning_vars[0])
                    Check.violations += int(np.count_nonzero(kernel[mask == 0]))

        return Check()


def test_fit_reaches_target_with_exact_zeros_and_leaves_original_alone(tf_keras3, small_data, compile_model):
    tf, keras = tf_keras3
    base = tfsparse.models.digits_mlp(seed=0)
    before = [w.copy() for w in base.get_weights()]
    # end_step 20 is off the frequency-3 grid: the final mask must still be applied there
    pruned = tfsparse.prune_low_magnitude(base, tfsparse.PolynomialDecay(0.0, 0.8, 0, 20, frequency=3))
    assert [l.name for l in _wrappers(pruned)] == ["prune_low_magnitude_fc1", "prune_low_magnitude_fc2", "prune_low_magnitude_fc3"]
    check = _ZerosBetweenSteps(keras)
    (x, y), (xt, _) = small_data
    compile_model(pruned)
    pruned.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep(), check])
    assert check.batches == 3 * STEPS_PER_EPOCH and check.violations == 0
    assert all(int(w.pruning_step.numpy()) == 3 * STEPS_PER_EPOCH for w in _wrappers(pruned))
    _assert_exact_target(pruned, 0.8)
    for a, b in zip(before, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    stripped = tfsparse.strip_pruning(pruned)
    assert [l.name for l in stripped.layers] == [l.name for l in base.layers]
    assert [type(l) for l in stripped.layers] == [type(l) for l in base.layers]
    np.testing.assert_array_equal(pruned.predict(xt, verbose=0), stripped.predict(xt, verbose=0))
    report = tfsparse.sparsity_report(stripped)
    assert [r.layer for r in report] == ["fc1", "fc2", "fc3"]
    assert report.nonzeros == sum(int(num_kept(r.size, 0.8)) for r in report)
    assert "fc1" in str(report) and "total" in str(report)


@pytest.mark.parametrize("steps_per_execution, jit_compile", [(4, False), (3, True)])
def test_steps_counted_inside_graph(tf_keras3, small_data, compile_model, steps_per_execution, jit_compile):
    schedule = tfsparse.PolynomialDecay(0.0, 0.75, 0, 22, frequency=4)
    reference = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=1), schedule)
    _fit(reference, compile_model, small_data, 3)
    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=1), schedule)
    _fit(pruned, compile_model, small_data, 3, steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    for ref, got in zip(_wrappers(reference), _wrappers(pruned)):
        assert int(got.pruning_step.numpy()) == int(ref.pruning_step.numpy()) == 3 * STEPS_PER_EPOCH
        if not jit_compile:  # same graph ops in the same order: identical training
            np.testing.assert_array_equal(got.pruning_vars[0][1].numpy(), ref.pruning_vars[0][1].numpy())
    _assert_exact_target(pruned, 0.75)


def test_custom_training_loop_drives_callback_by_hand(tf_keras3, small_data):
    tf, keras = tf_keras3
    (x, y), _ = small_data
    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=2), tfsparse.ConstantSparsity(0.7, 0, frequency=5))
    optimizer = keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    step_callback = tfsparse.UpdatePruningStep()
    step_callback.set_model(pruned)
    step_callback.on_train_begin()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, pruned(xb, training=True))
        grads = tape.gradient(loss, pruned.trainable_variables)
        optimizer.apply_gradients(zip(grads, pruned.trainable_variables))

    for epoch in range(2):
        for i in range(STEPS_PER_EPOCH):
            step_callback.on_train_batch_begin(batch=-1)
            train_step(x[i * 64 : (i + 1) * 64], y[i * 64 : (i + 1) * 64])
        step_callback.on_epoch_end(batch=epoch)
    assert int(_wrappers(pruned)[0].pruning_step.numpy()) == 2 * STEPS_PER_EPOCH
    _assert_exact_target(pruned, 0.7)
    pruned(x[:64], training=True)  # an eager training call counts too
    assert int(_wrappers(pruned)[0].pruning_step.numpy()) == 2 * STEPS_PER_EPOCH + 1


def test_layers_wrapped_one_by_one_in_subclassed_model(tf_keras3, small_data, compile_model):
    _, keras = tf_keras3

    def make(with_training_arg):
        class Net(keras.Model):
            def __init__(self):
                super().__init__()
                schedule = tfsparse.ConstantSparsity(0.6, 0, frequency=2)
                self.hidden = tfsparse.prune_low_magnitude(keras.layers.Dense(32, activation="relu"), schedule)
                self.out = tfsparse.prune_low_magnitude(keras.layers.Dense(10), schedule)

            if with_training_arg:

                def call(self, inputs, training=None):
                    return self.out(self.hidden(inputs))

            else:

                def call(self, inputs):
                    return self.out(self.hidden(inputs))

        return Net()

    net = make(True)
    _fit(net, compile_model, small_data, 2)
    _assert_exact_target(net, 0.6)
    with pytest.raises(ValueError, match=r"call\(\) has no `training` argument"):
        _fit(make(False), compile_model, small_data, 1)
    with pytest.raises(ValueError, match="subclassed model"):
        tfsparse.prune_low_magnitude(net)


def test_clone_model_with_clone_function(tf_keras3, small_data, compile_model):
    _, keras = tf_keras3
    base = tfsparse.models.digits_mlp(seed=3)

    def apply_pruning(layer):
        if isinstance(layer, keras.layers.Dense) and layer.name != "fc3":
            return tfsparse.prune_low_magnitude(layer, tfsparse.ConstantSparsity(0.5, 0, frequency=1))
        return layer

    pruned = keras.models.clone_model(base, clone_function=apply_pruning)
    _fit(pruned, compile_model, small_data, 1)
    assert [w.layer.name for w in _wrappers(pruned)] == ["fc1", "fc2"]
    _assert_exact_target(pruned, 0.5)
    report = {r.layer: r for r in tfsparse.sparsity_report(tfsparse.strip_pruning(pruned))}
    assert report["fc3"].nonzeros == report["fc3"].size


def test_training_without_callback_says_which_callback(tf_keras3, small_data, compile_model):
    """The error comes before any step, short, the fix first (not after a graph trace)."""
    (x, y), _ = small_data
    for run_eagerly, jit_compile in ((False, False), (False, True), (True, False)):
        pruned = compile_model(tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=0)), run_eagerly=run_eagerly, jit_compile=jit_compile)
        with pytest.raises(tfsparse.pruning.wrapper.MissingCallbackError) as info:
            pruned.fit(x, y, epochs=1, verbose=0)
        message = str(info.value)
        assert message.startswith("prune_low_magnitude_fc1: Training a model pruned with tfsparse requires"), message
        assert "callbacks=[tfsparse.UpdatePruningStep()]" in message and len(message) < 400, message
        assert isinstance(info.value, RuntimeError)


def test_global_ranking_shares_one_threshold(tf_keras3, small_data, compile_model):
    pruned = tfsparse.prune_low_magnitude(
        tfsparse.models.digits_mlp(seed=4), tfsparse.PolynomialDecay(0.0, 0.85, 0, 12, frequency=5), ranking="global"
    )
    _fit(pruned, compile_model, small_data, 2)
    wrappers = _wrappers(pruned)
    thresholds = {float(w.pruning_vars[0][2].numpy()) for w in wrappers}
    assert len(thresholds) == 1 and thresholds.pop() > 0
    report = tfsparse.sparsity_report(pruned)
    assert report.nonzeros == int(num_kept(report.size, 0.85))
    assert len({round(r.sparsity, 3) for r in report}) > 1  # layers end at different sparsities
    with pytest.raises(ValueError, match="one schedule"):
        tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(), {"fc1": tfsparse.ConstantSparsity(0.5, 0)}, ranking="global")


def test_per_layer_schedules_from_a_dict(tf_keras3, small_data, compile_model):
    schedules = {"fc1": tfsparse.ConstantSparsity(0.9, 0, frequency=4), "fc2": tfsparse.ConstantSparsity(0.5, 0, frequency=4)}
    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=5), schedules)
    _fit(pruned, compile_model, small_data, 1)
    report = {r.layer: r for r in tfsparse.sparsity_report(pruned)}
    assert report["fc1"].nonzeros == int(num_kept(64 * 128, 0.9))
    assert report["fc2"].nonzeros == int(num_kept(128 * 64, 0.5))
    assert report["fc3"].nonzeros == report["fc3"].size  # not named: left dense
    with pytest.raises(ValueError, match="does not have: \\['nope'\\]"):
        tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(), {"nope": tfsparse.ConstantSparsity(0.5, 0)})


def test_every_prunable_layer_type_and_one_skip_warning(tf_keras3, compile_model):
    _, keras = tf_keras3

    @keras.saving.register_keras_serializable(package="tfsparse_tests")
    class Scale(keras.layers.Layer, tfsparse.PrunableLayer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="glorot_uniform", name="w")

        def call(self, inputs):
            return inputs @ self.w

        def get_prunable_weights(self):
            return [self.w]

    image = keras.Input((8, 8, 1), name="image")
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    a = keras.layers.Conv2D(8, 3, name="conv2d")(image)
    a = keras.layers.BatchNormalization(name="bn")(a)
    a = keras.layers.DepthwiseConv2D(3, name="depthwise")(a)
    a = keras.layers.Flatten()(a)
    b = keras.layers.Embedding(50, 8, name="embedding")(tokens)
    b = keras.layers.Conv1D(8, 3, name="conv1d")(b)
    b = keras.layers.GlobalAveragePooling1D()(b)
    merged = keras.layers.Concatenate()([a, b])
    merged = Scale(name="scale")(merged)
    out = keras.layers.Dense(10, name="head")(merged)
    model = keras.Model([image, tokens], out)
    with pytest.warns(UserWarning) as record:
        pruned = tfsparse.prune_low_magnitude(model, tfsparse.ConstantSparsity(0.5, 0, frequency=1))
    messages = [str(r.message) for r in record if "left dense" in str(r.message)]
    assert len(messages) == 1 and "bn (BatchNormalization)" in messages[0]
    assert "depthwise (DepthwiseConv2D)" in messages[0]  # tfmot's registry leaves depthwise kernels dense too
    assert sorted(w.layer.name for w in _wrappers(pruned)) == ["conv1d", "conv2d", "embedding", "head", "scale"]
    rng = np.random.default_rng(0)
    xs = [rng.random((128, 8, 8, 1), np.float32), rng.integers(0, 50, (128, 6))]
    compile_model(pruned).fit(xs, rng.integers(0, 10, 128), batch_size=32, epochs=1, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    _assert_exact_target(pruned, 0.5)
    stripped = tfsparse.strip_pruning(pruned)
    np.testing.assert_allclose(stripped.predict(xs, verbose=0), pruned.predict(xs, verbose=0), rtol=0, atol=0)


@pytest.mark.slow
def test_stripped_model_converts_with_tflite_converter(tf_keras3, small_data, compile_model, tmp_path):
    tf, _ = tf_keras3
    (x, y), (xt, _) = small_data
    pruned = tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=6), tfsparse.PolynomialDecay(0.0, 0.9, 0, 8, frequency=2))
    _fit(pruned, compile_model, small_data, 2)
    stripped = tfsparse.strip_pruning(pruned)
    flatbuffer = tf.lite.TFLiteConverter.from_keras_model(stripped).convert()
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], (len(xt), 64))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], xt)
    interpreter.invoke()
    np.testing.assert_allclose(interpreter.get_tensor(out["index"]), stripped.predict(xt, verbose=0), atol=1e-4)
    constants = [interpreter.get_tensor(d["index"]) for d in interpreter.get_tensor_details() if d["shape"].tolist() == [128, 64]]
    assert constants and all(np.count_nonzero(c) == int(num_kept(c.size, 0.9)) for c in constants)
