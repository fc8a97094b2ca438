"""The methods inside model.fit: exact targets, the gradient criterion, cycle-start-only masks, N:M
after every update, configs that round-trip (also through .keras), errors that name the fix."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.pruning.callbacks import pruned_layers
from tfsparse.pruning.nm import satisfies_m_by_n


def _kernels(model):
    return [np.array(w.numpy()) for layer in pruned_layers(model) for w, _, _ in layer.pruning_vars]


def _schedules():
    return {
        "constant": tfsparse.ConstantSparsity(0.7, 0, frequency=2),
        "polynomial": tfsparse.PolynomialDecay(0.0, 0.7, 0, 6, frequency=2),
        "iterative": tfsparse.IterativeSparsity(0.7, 0.5, cycle_steps=3),
    }


def _optimizer(keras3, criterion, lr=1e-2):
    adam = keras3.optimizers.Adam(lr)
    return tfsparse.GradientSaliency(adam) if criterion == "gradient" else adam


@pytest.mark.slow
@pytest.mark.parametrize("ranking", ["local", "global"])
@pytest.mark.parametrize("schedule", ["constant", "polynomial", "iterative"])
@pytest.mark.parametrize("criterion", ["magnitude", "gradient"])
def test_exact_target_sparsity(keras3, mlp, fit, expected_kept, criterion, schedule, ranking):
    model = tfsparse.prune_low_magnitude(mlp(seed=2), _schedules()[schedule], ranking=ranking, criterion=criterion)
    fit(model, [tfsparse.UpdatePruningStep()], epochs=2, optimizer=_optimizer(keras3, criterion))
    kernels = _kernels(model)
    if ranking == "local":
        assert [np.count_nonzero(k) for k in kernels] == [expected_kept(k.size, 0.7) for k in kernels]
    else:
        assert sum(np.count_nonzero(k) for k in kernels) == expected_kept(sum(k.size for k in kernels), 0.7)


def _two_by_one(keras3, criterion, schedule):
    """Dense(1) on 4 inputs with kernel [10, 0.1, 5, 0.2]: inputs 0 and 2 are always 0 in the data."""
    layer = keras3.layers.Dense(1, use_bias=False, kernel_initializer=keras3.initializers.Constant([[10.0], [0.1], [5.0], [0.2]]))
    model = keras3.Sequential([keras3.Input((4,)), tfsparse.prune_low_magnitude(layer, schedule, criterion=criterion)])
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    x[:, [0, 2]] = 0.0
    y = np.random.default_rng(1).normal(size=(32, 1)).astype(np.float32)
    return model, x, y


@pytest.mark.parametrize("criterion,kept", [("gradient", [0, 1, 0, 1]), ("magnitude", [1, 0, 1, 0])])
def test_gradient_prunes_a_large_weight_with_zero_gradient_first(keras3, criterion, kept):
    model, x, y = _two_by_one(keras3, criterion, tfsparse.ConstantSparsity(0.5, begin_step=3, frequency=100))
    # learning rate 0: the weights stay put, only the gradients differ
    model.compile(optimizer=_optimizer(keras3, criterion, lr=0.0), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    mask = np.array(model.layers[0].pruning_vars[0][1].numpy()).ravel()
    assert mask.tolist() == kept


def test_saliency_is_the_running_mean_of_w_times_gradient(keras3):
    import tensorflow as tf

    model, x, y = _two_by_one(keras3, "gradient", tfsparse.ConstantSparsity(0.5, begin_step=100))
    model.compile(optimizer=tfsparse.GradientSaliency(keras3.optimizers.SGD(0.0)), loss="mse")
    model.fit(x[:24], y[:24], batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    wrapper = model.layers[0]
    kernel = wrapper.layer.kernel
    accumulator, count = getattr(kernel, "_tfsparse_saliency")
    expected = np.zeros((4, 1), np.float32)
    for i in range(3):  # the same three batches, by hand
        with tf.GradientTape() as tape:
            loss = keras3.losses.MeanSquaredError()(y[8 * i : 8 * i + 8], model(x[8 * i : 8 * i + 8]))
        (g,) = tape.gradient(loss, [kernel.value])
        expected += np.abs(kernel.numpy() * g.numpy())
    assert int(count.numpy()) == 3
    np.testing.assert_allclose(accumulator.numpy(), expected, rtol=1e-5)
    assert accumulator.numpy()[[0, 2]].tolist() == [[0.0], [0.0]]


def test_gradient_without_the_optimizer_wrapper_says_what_to_do(keras3, mlp, fit):
    model = tfsparse.prune_low_magnitude(mlp(), tfsparse.ConstantSparsity(0.5, 0, frequency=2), criterion="gradient")
    with pytest.raises(Exception, match=r"GradientSaliency\(keras.optimizers.Adam"):
        fit(model, [tfsparse.UpdatePruningStep()], optimizer=keras3.optimizers.Adam())


class _AfterEveryBatch:
    def __init__(self, keras3, model):
        self.masks, self.kernels = [], []

        class Record(keras3.callbacks.Callback):
            def on_train_batch_end(cb, batch, logs=None):
                self.masks.append([np.array(m.numpy()) for layer in pruned_layers(model) for _, m, _ in layer.pruning_vars])
                self.kernels.append(_kernels(model))

        self.callback = Record()


def test_iterative_mask_changes_only_at_cycle_starts(keras3, mlp, fit, expected_kept):
    schedule = tfsparse.IterativeSparsity(0.9, 0.5, cycle_steps=3)  # 50, 75, 87.5, 90% at steps 0, 3, 6, 9
    model = tfsparse.prune_low_magnitude(mlp(seed=4), schedule)
    record = _AfterEveryBatch(keras3, model)
    fit(model, [tfsparse.UpdatePruningStep(), record.callback], epochs=4)  # 16 steps
    previous = [np.ones_like(m) for m in record.masks[0]]
    changed = []
    for step, masks in enumerate(record.masks):
        if any(not np.array_equal(a, b) for a, b in zip(masks, previous)):
            changed.append(step)
        cycle = min(step // 3, 3)
        sparsity = min(1 - 0.5 ** (cycle + 1), 0.9)
        assert [int(m.sum()) for m in masks] == [expected_kept(m.size, sparsity) for m in masks], step
        previous = masks
    assert changed == [0, 3, 6, 9]


@pytest.mark.parametrize("ranking,criterion,inputs", [("local", "magnitude", 64), ("global", "gradient", 10)])
def test_every_nm_group_holds_m_zeros_after_every_update(keras3, mlp, fit, ranking, criterion, inputs):
    schedule = tfsparse.PolynomialDecay(0.0, 0.8, 0, 9, frequency=1)
    model = tfsparse.prune_low_magnitude(mlp(seed=5, inputs=inputs), schedule, sparsity_m_by_n=(2, 4), ranking=ranking, criterion=criterion)
    record = _AfterEveryBatch(keras3, model)
    fit(model, [tfsparse.UpdatePruningStep(), record.callback], epochs=3, optimizer=_optimizer(keras3, criterion))
    assert len(record.kernels) == 12
    for kernels in record.kernels:
        assert all(satisfies_m_by_n(k, (2, 4)) for k in kernels)
    report = tfsparse.sparsity_report(model)
    assert all(r.m_by_n == (2, 4) and r.satisfies_m_by_n for r in report)
    assert "2:4 ok" in str(report)
    assert report.sparsity == pytest.approx(0.8, abs=0.01)
    # A kernel that breaks the pattern is reported as such.
    layer = pruned_layers(model)[0]
    layer.layer.kernel.assign(np.ones(layer.layer.kernel.shape, np.float32))
    assert "2:4 VIOLATED" in str(tfsparse.sparsity_report(model))


def test_configs_round_trip_through_keras_files(keras3, mlp, fit, tmp_path):
    schedule = tfsparse.IterativeSparsity(0.8, 0.5, cycle_steps=2)
    model = tfsparse.prune_low_magnitude(mlp(seed=6), schedule, sparsity_m_by_n=(1, 4), criterion="gradient")
    fit(model, [tfsparse.UpdatePruningStep()], epochs=1, optimizer=tfsparse.GradientSaliency(keras3.optimizers.Adam(1e-2)))
    for layer in pruned_layers(model):
        config = layer.get_config()
        assert config["sparsity_m_by_n"] == [1, 4] and config["criterion"] == "gradient"
        again = type(layer).from_config(config)
        assert again.get_config() == config
    optimizer_config = model.optimizer.get_config()
    assert tfsparse.GradientSaliency.from_config(optimizer_config).get_config() == optimizer_config
    path = tmp_path / "pruned.keras"
    model.save(path)
    loaded = keras3.models.load_model(path)
    assert isinstance(loaded.optimizer, tfsparse.GradientSaliency)
    for a, b in zip(pruned_layers(model), pruned_layers(loaded)):
        assert b.sparsity_m_by_n == (1, 4) and b.criterion == "gradient" and b.pruning_schedule == schedule
        np.testing.assert_array_equal(a.pruning_vars[0][1].numpy(), b.pruning_vars[0][1].numpy())
    fit(loaded, [tfsparse.UpdatePruningStep()], epochs=1, optimizer=tfsparse.GradientSaliency(keras3.optimizers.Adam(1e-2)))
    assert tfsparse.sparsity_report(loaded).sparsity == pytest.approx(0.8, abs=0.01)
    assert all(r.satisfies_m_by_n for r in tfsparse.sparsity_report(loaded))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(criterion="hessian"), r"criterion='hessian' must be 'magnitude'"),
        (dict(sparsity_m_by_n=(4, 4)), r"sparsity_m_by_n=\(4, 4\) must be a pair of integers \(m, n\) with 0 < m < n"),
        (dict(sparsity_m_by_n=(0, 4)), r"sparsity_m_by_n=\(0, 4\)"),
    ],
)
def test_bad_arguments_are_named(mlp, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tfsparse.prune_low_magnitude(mlp(), **kwargs)


def test_gradient_saliency_wraps_only_optimizers():
    with pytest.raises(TypeError, match=r"GradientSaliency\(keras.optimizers.Adam"):
        tfsparse.GradientSaliency("adam")


@pytest.mark.slow
def test_mirrored_strategy_sees_the_aggregated_gradients(keras3, expected_kept):
    import json
    import os
    import pathlib
    import subprocess
    import sys

    script = pathlib.Path(__file__).with_name("distribute_saliency.py")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT "))[len("RESULT "):])
    for name, layer in result["mirrored"].items():
        ref = result["single"][name]
        assert layer["replicas"] == 2 and layer["saliency_identical"] and layer["count"] == ref["count"] == 8
        # the two replicas' summed gradients are the global batch's gradient: same saliency as one device
        np.testing.assert_allclose(layer["saliency"], ref["saliency"], rtol=1e-4, atol=1e-7)
    pruned = result["pruned"]
    assert all(layer["masks_identical"] and layer["saliency_identical"] for layer in pruned.values())
    total = sum(layer["size"] for layer in pruned.values())
    assert sum(layer["nonzeros"] for layer in pruned.values()) == expected_kept(total, 0.8)


def test_gradient_and_nm_under_xla_with_steps_per_execution(keras3, mlp, fit, expected_kept):
    schedule = tfsparse.PolynomialDecay(0.0, 0.8, 0, 12, frequency=2)
    model = tfsparse.prune_low_magnitude(mlp(seed=7), schedule, criterion="gradient", sparsity_m_by_n=(2, 4), ranking="global")
    fit(model, [tfsparse.UpdatePruningStep()], epochs=4, optimizer=_optimizer(keras3, "gradient"), jit_compile=True, steps_per_execution=2)
    assert [int(layer.pruning_step.numpy()) for layer in pruned_layers(model)] == [16, 16]
    kernels = _kernels(model)
    assert sum(np.count_nonzero(k) for k in kernels) == expected_kept(sum(k.size for k in kernels), 0.8)
    assert all(satisfies_m_by_n(k, (2, 4)) for k in kernels)


def test_prune_scope_knows_the_new_classes(keras3):
    names = ("IterativeSparsity", "FixedMask", "GradientSaliency")
    assert [keras3.saving.get_registered_object(name) for name in names] == [None] * 3
    with tfsparse.prune_scope():
        assert [keras3.saving.get_registered_object(name) for name in names] == [getattr(tfsparse, n) for n in names]
