"""IterativeSparsity: values, config round-trip, bad arguments (training behaviour in test_training)."""

from __future__ import annotations

import math

import pytest


from tfsparse.pruning.iterative import IterativeSparsity


@pytest.mark.parametrize("final,rate,cycle,begin", [(0.9, 0.2, 100, 0), (0.5, 0.3, 7, 5), (0.98, 0.5, 13, 2), (0.36, 0.2, 10, 0)])
def test_values_on_every_step(final, rate, cycle, begin):
    s = IterativeSparsity(final, rate, cycle_steps=cycle, begin_step=begin)
    cycles = math.ceil(math.log(1 - final) / math.log(1 - rate) - 1e-9)
    assert s.num_cycles == cycles and s.end_step == begin + (cycles - 1) * cycle
    for step in range(0, s.end_step + 3 * cycle):
        should, sparsity = s(step)
        c = min(max((step - begin) // cycle, 0), cycles - 1)
        assert bool(should) == (begin <= step <= s.end_step and (step - begin) % cycle == 0), step
        assert float(sparsity) == pytest.approx(min(1 - (1 - rate) ** (c + 1), final), abs=1e-6), step
    assert float(s(s.end_step)[1]) == pytest.approx(final, abs=1e-7)


def test_config_round_trips(keras3):
    s = IterativeSparsity(0.9, 0.25, cycle_steps=40, begin_step=3)
    assert IterativeSparsity.from_config(s.get_config()) == s
    again = keras3.saving.deserialize_keras_object(keras3.saving.serialize_keras_object(s))
    assert again == s and again.get_config() == s.get_config()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(final_sparsity=1.0), "final_sparsity"),
        (dict(final_sparsity=0.0), "final_sparsity=0"),
        (dict(final_sparsity=0.9, rate_per_cycle=0.0), r"rate_per_cycle=0.0 must be a number in \(0, 1\)"),
        (dict(final_sparsity=0.9, rate_per_cycle=1.0), "rate_per_cycle"),
        (dict(final_sparsity=0.9, rate_per_cycle=-0.2), "rate_per_cycle"),
        (dict(final_sparsity=0.9, cycle_steps=0), "cycle_steps=0"),
        (dict(final_sparsity=0.9, begin_step=-1), "begin_step=-1"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        IterativeSparsity(**kwargs)
