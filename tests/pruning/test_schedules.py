"""Schedules: tfmot's formulas and grid, the end-step fix, validation, config round-trips."""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse.pruning.schedules import ConstantSparsity, PolynomialDecay


def _values(schedule, steps):
    out = [schedule(s) for s in steps]
    return np.array([bool(p) for p, _ in out]), np.array([float(v) for _, v in out])


def test_polynomial_follows_formula_and_clips(tf_keras3):
    s = PolynomialDecay(0.1, 0.9, begin_step=100, end_step=300, power=3, frequency=10)
    steps = np.arange(0, 400, 7)
    should, sparsity = _values(s, steps)
    p = np.clip((steps - 100) / 200, 0, 1)
    np.testing.assert_allclose(sparsity, 0.9 + (0.1 - 0.9) * (1 - p) ** 3, rtol=0, atol=1e-6)
    assert sparsity[steps >= 300].tolist() == pytest.approx([0.9] * int((steps >= 300).sum()))
    expected = (steps >= 100) & (steps <= 300) & ((steps - 100) % 10 == 0)
    np.testing.assert_array_equal(should, expected)


def test_end_step_off_grid_still_prunes(tf_keras3):
    s = PolynomialDecay(0.0, 0.8, begin_step=0, end_step=25, frequency=10)
    should, sparsity = _values(s, range(0, 40))
    assert np.flatnonzero(should).tolist() == [0, 10, 20, 25]
    assert sparsity[25] == pytest.approx(0.8)


def test_constant_sparsity_until_end_or_forever(tf_keras3):
    bounded, value = _values(ConstantSparsity(0.6, begin_step=5, end_step=50, frequency=15), range(0, 80))
    assert np.flatnonzero(bounded).tolist() == [5, 20, 35, 50]
    assert set(value.round(6)) == {0.6}
    forever, _ = _values(ConstantSparsity(0.6, begin_step=0, frequency=1000), [0, 1000, 10**9])
    assert forever.all()


def test_schedule_runs_on_graph_step(tf_keras3):
    tf, _ = tf_keras3
    s = PolynomialDecay(0.0, 0.5, 0, 100, frequency=10)
    fn = tf.function(lambda step: s(step), jit_compile=True)
    should, sparsity = fn(tf.constant(50, tf.int64))
    assert bool(should) and float(sparsity) == pytest.approx(float(s(50)[1]))


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: ConstantSparsity(1.0, 0), "target_sparsity"),
        (lambda: ConstantSparsity(-0.1, 0), "target_sparsity"),
        (lambda: PolynomialDecay(1.5, 0.9, 0, 10), "initial_sparsity"),
        (lambda: PolynomialDecay(0.0, 1.0, 0, 10), "final_sparsity"),
        (lambda: ConstantSparsity(0.5, -1), "begin_step"),
        (lambda: PolynomialDecay(0.0, 0.9, 10, 10), "end_step"),
        (lambda: PolynomialDecay(0.0, 0.9, 10, 5), "end_step"),
        (lambda: PolynomialDecay(0.0, 0.9, 0, -1), "end_step"),
        (lambda: ConstantSparsity(0.5, 10, 9), "end_step"),
        (lambda: ConstantSparsity(0.5, 0, frequency=0), "frequency"),
        (lambda: PolynomialDecay(0.0, 0.9, 0, 10, frequency=-3), "frequency"),
    ],
)
def test_bad_arguments_are_named(tf_keras3, make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


@pytest.mark.parametrize(
    "schedule",
    [PolynomialDecay(0.1, 0.95, 3, 700, power=2, frequency=7), ConstantSparsity(0.75, 2, 90, 4), ConstantSparsity(0.3, 0)],
)
def test_config_round_trips(tf_keras3, schedule):
    _, keras = tf_keras3
    again = type(schedule).from_config(schedule.get_config())
    assert again.get_config() == schedule.get_config() and again == schedule
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
    for step in (0, 5, 90, 700, 701):
        assert [float(v) for v in restored(step)] == [float(v) for v in schedule(step)]
