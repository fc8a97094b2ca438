"""Iterative prune -> fine-tune: a fixed fraction of the remaining weights goes at each cycle start.

Han et al. (2015) style: at ``begin_step + c * cycle_steps`` (cycle ``c = 0, 1, ...``) the mask is
recomputed to sparsity ``min(1 - (1 - rate) ** (c + 1), final_sparsity)``; in between the mask is left
alone for ``cycle_steps`` fine-tuning steps. The last cycle is the first whose sparsity reaches
``final_sparsity``; after it the mask never changes again.

Example:
    >>> s = IterativeSparsity(0.9, rate_per_cycle=0.2, cycle_steps=100)
    >>> s.num_cycles, s.end_step
    (11, 1000)
    >>> [round(float(s(step)[1]), 3) for step in (0, 100, 1000)], bool(s(150)[0])
    ([0.2, 0.36, 0.9], False)
"""

from __future__ import annotations

import math
import numbers

import keras
import tensorflow as tf

from .schedules import PruningSchedule, _check_sparsity

__all__ = ["IterativeSparsity", "check_rate", "cycle_sparsity"]


def check_rate(rate, argument):
    """Raise unless ``rate`` is a number strictly between 0 and 1."""
    if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0.0 < float(rate) < 1.0:
        raise ValueError(
            f"{argument}={rate!r} must be a number in (0, 1): the fraction of the remaining weights pruned "
            f"each time, e.g. {argument}=0.2."
        )


def cycle_sparsity(rate, cycles):
    """Sparsity after ``cycles`` prunings of ``rate`` of the remaining weights: ``1 - (1 - rate) ** cycles``."""
    return 1.0 - (1.0 - rate) ** cycles


@keras.saving.register_keras_serializable(package="tfsparse")
class IterativeSparsity(PruningSchedule):
    """Prune ``rate_per_cycle`` of the remaining weights every ``cycle_steps`` steps up to ``final_sparsity``.

    Args:
        final_sparsity: the sparsity of the last cycle, in (0, 1).
        rate_per_cycle: fraction of the *remaining* weights pruned at each cycle start, in (0, 1).
        cycle_steps: fine-tuning steps between cycle starts (> 0); the mask does not change in between.
        begin_step: the first cycle start (>= 0).

    Attributes:
        num_cycles: cycles needed to reach ``final_sparsity``.
        end_step: the last cycle start (``begin_step + (num_cycles - 1) * cycle_steps``).
        frequency: equal to ``cycle_steps``.

    Raises:
        ValueError: an argument out of range (the message names it).

    Example:
        >>> schedule = IterativeSparsity(0.9, 0.2, cycle_steps=500)  # doctest: +SKIP
        >>> pruned = tfsparse.prune_low_magnitude(model, schedule)  # doctest: +SKIP
    """

    def __init__(self, final_sparsity, rate_per_cycle=0.2, cycle_steps=100, begin_step=0):
        _check_sparsity(final_sparsity, "final_sparsity")
        if final_sparsity == 0:
            raise ValueError("final_sparsity=0 prunes nothing; pass the sparsity to reach, e.g. 0.9.")
        check_rate(rate_per_cycle, "rate_per_cycle")
        if not isinstance(cycle_steps, numbers.Integral) or isinstance(cycle_steps, bool) or cycle_steps <= 0:
            raise ValueError(f"cycle_steps={cycle_steps!r} must be an integer > 0 (fine-tuning steps per cycle).")
        if not isinstance(begin_step, numbers.Integral) or begin_step < 0:
            raise ValueError(f"begin_step={begin_step!r} must be an integer >= 0 (the first cycle start).")
        self.final_sparsity = float(final_sparsity)
        self.rate_per_cycle = float(rate_per_cycle)
        self.cycle_steps = int(cycle_steps)
        self.begin_step = int(begin_step)
        # Smallest c with 1 - (1 - rate)^c >= final (a tolerance keeps exact hits, e.g. 0.36 at c = 2).
        cycles = math.log1p(-self.final_sparsity) / math.log1p(-self.rate_per_cycle)
        self.num_cycles = max(1, math.ceil(cycles - 1e-9))
        self.end_step = self.begin_step + (self.num_cycles - 1) * self.cycle_steps
        self.frequency = self.cycle_steps

    def __call__(self, step):
        step = tf.convert_to_tensor(step, dtype=tf.int64)
        should_prune = self._should_prune_in_step(step, self.begin_step, self.end_step, self.frequency)
        cycle = tf.clip_by_value((step - self.begin_step) // self.cycle_steps, 0, self.num_cycles - 1)
        remaining = tf.pow(tf.constant(1.0 - self.rate_per_cycle, tf.float64), tf.cast(cycle + 1, tf.float64))
        sparsity = tf.minimum(tf.cast(1.0 - remaining, tf.float32), self.final_sparsity)
        return should_prune, sparsity

    def get_config(self):
        return {
            "final_sparsity": self.final_sparsity,
            "rate_per_cycle": self.rate_per_cycle,
            "cycle_steps": self.cycle_steps,
            "begin_step": self.begin_step,
        }
