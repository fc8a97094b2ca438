"""Pruning schedules: when masks update and to what sparsity (tfmot's semantics, Keras 3 serializable).

A schedule called with a training step returns ``(should_prune, sparsity)`` as TensorFlow tensors,
so it runs inside the compiled train step (``steps_per_execution > 1``, ``jit_compile=True``).

Differences from tfmot, on purpose:

* the mask also updates at ``end_step`` when ``end_step`` is off the ``frequency`` grid, so the final
  sparsity is always reached (tfmot stops at the last grid step before ``end_step``);
* ``PolynomialDecay`` with ``end_step == begin_step`` is rejected: tfmot accepts it and divides by
  zero, so its one pruning step (``step == begin_step``) computes a NaN sparsity. ``ConstantSparsity``
  with ``end_step == begin_step`` is tfmot's one-shot schedule and is accepted, as in tfmot;
* ``get_config()`` returns the constructor arguments (Keras 3 convention) and round-trips through
  ``from_config`` and ``keras.saving.serialize_keras_object``.

Example:
    >>> s = PolynomialDecay(0.0, 0.9, begin_step=0, end_step=1000, frequency=100)
    >>> should_prune, sparsity = s(500)
    >>> bool(should_prune), round(float(sparsity), 4)
    (True, 0.7875)
"""

from __future__ import annotations

import abc
import numbers

import keras
import tensorflow as tf

__all__ = ["PruningSchedule", "ConstantSparsity", "PolynomialDecay", "FixedMask"]


def _check_sparsity(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= float(value) < 1.0:
        raise ValueError(
            f"{name}={value!r} is not a valid sparsity: it must be a number in [0, 1) "
            f"(the fraction of weights set to zero), e.g. {name}=0.9."
        )


def _check_steps(begin_step, end_step, frequency, allow_endless):
    if not isinstance(begin_step, numbers.Integral) or begin_step < 0:
        raise ValueError(f"begin_step={begin_step!r} must be an integer >= 0 (the first training step that prunes).")
    if not isinstance(end_step, numbers.Integral):
        raise ValueError(f"end_step={end_step!r} must be an integer.")
    if end_step == -1 and not allow_endless:
        raise ValueError(
            "end_step=-1 is not allowed for PolynomialDecay: the decay needs an end. Pass the step at "
            "which the final sparsity is reached, or use ConstantSparsity(..., end_step=-1)."
        )
    if end_step != -1 and end_step < begin_step:
        raise ValueError(
            f"end_step={end_step} must be >= begin_step={begin_step}"
            + (" (or -1 to prune until training ends)" if allow_endless else "")
            + " (tfmot refuses it too)."
        )
    if end_step == begin_step and not allow_endless:
        raise ValueError(
            f"end_step={end_step} equals begin_step: PolynomialDecay needs end_step > begin_step to decay "
            "(tfmot accepts it but divides by zero and prunes to a NaN sparsity at that step). For a one-shot "
            f"prune at step {begin_step}, use ConstantSparsity(final_sparsity, {begin_step}, {end_step})."
        )
    if not isinstance(frequency, numbers.Integral) or frequency <= 0:
        raise ValueError(f"frequency={frequency!r} must be an integer > 0 (masks update every `frequency` steps).")


def _as_int64(step):
    """A step (Python int, NumPy integer, int32/int64 tensor or ``tf.Variable``) as an int64 tensor."""
    step = tf.convert_to_tensor(step)
    if not step.dtype.is_integer:
        raise TypeError(f"a pruning step must be an integer (or integer tensor), got {step.dtype.name}.")
    return tf.cast(step, tf.int64)


class PruningSchedule(abc.ABC):
    """Base class of pruning schedules.

    Subclasses implement ``__call__(step) -> (should_prune, sparsity)`` with TensorFlow ops and
    ``get_config()``; register them with ``keras.saving.register_keras_serializable`` to save models.
    """

    begin_step: int
    end_step: int
    frequency: int

    def _should_prune_in_step(self, step, begin_step, end_step, frequency):
        """True when ``begin <= step <= end`` (or ``end == -1``) and the step is on the frequency grid.

        Unlike tfmot, ``step == end_step`` is always a pruning step, even off the grid.
        """
        step = _as_int64(step)
        if not all(isinstance(v, numbers.Integral) for v in (begin_step, end_step, frequency)):
            # a custom schedule passing tensors: the general formula
            in_range = tf.logical_and(step >= begin_step, tf.logical_or(step <= end_step, end_step < 0))
            on_grid = tf.equal(tf.math.floormod(step - begin_step, frequency), 0)
            return tf.logical_and(in_range, tf.logical_or(on_grid, tf.equal(step, end_step)))
        # begin/end/frequency are Python ints: only the comparisons that can fail become ops (one
        # train step runs this once per pruned layer).
        should = step >= begin_step
        if end_step >= 0:
            should = tf.logical_and(should, step <= end_step)
        if frequency > 1:
            on_grid = tf.equal(tf.math.floormod(step - begin_step, frequency), 0)
            if end_step >= 0 and (end_step - begin_step) % frequency:
                on_grid = tf.logical_or(on_grid, tf.equal(step, end_step))
            should = tf.logical_and(should, on_grid)
        return should

    @abc.abstractmethod
    def __call__(self, step):
        """Returns ``(should_prune, sparsity)`` for ``step`` (bool and float32 tensors)."""

    @abc.abstractmethod
    def get_config(self):
        """The constructor arguments."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@keras.saving.register_keras_serializable(package="tfsparse")
class ConstantSparsity(PruningSchedule):
    """Constant sparsity, applied every ``frequency`` steps from ``begin_step`` to ``end_step``.

    Args:
        target_sparsity: fraction of weights set to zero, in [0, 1).
        begin_step: first step that prunes (>= 0).
        end_step: last step that prunes (>= begin_step; equal: a one-shot prune at that step), or -1
            to prune until training ends.
        frequency: masks update every ``frequency`` steps (> 0).

    Raises:
        ValueError: an argument out of range (the message names it).

    Example:
        >>> bool(ConstantSparsity(0.5, begin_step=0, frequency=10)(20)[0])
        True
    """

    def __init__(self, target_sparsity, begin_step, end_step=-1, frequency=100):
        _check_sparsity(target_sparsity, "target_sparsity")
        _check_steps(begin_step, end_step, frequency, allow_endless=True)
        self.target_sparsity = float(target_sparsity)
        self.begin_step = int(begin_step)
        self.end_step = int(end_step)
        self.frequency = int(frequency)

    def __call__(self, step):
        should_prune = self._should_prune_in_step(step, self.begin_step, self.end_step, self.frequency)
        return should_prune, tf.constant(self.target_sparsity, dtype=tf.float32)

    def get_config(self):
        return {
            "target_sparsity": self.target_sparsity,
            "begin_step": self.begin_step,
            "end_step": self.end_step,
            "frequency": self.frequency,
        }


@keras.saving.register_keras_serializable(package="tfsparse")
class PolynomialDecay(PruningSchedule):
    """Sparsity rising from ``initial_sparsity`` to ``final_sparsity`` along a polynomial.

    ``s = s_f + (s_i - s_f) * (1 - p) ** power`` with ``p = clip((step - begin) / (end - begin), 0, 1)``
    (Zhu & Gupta 2017), computed in float32 exactly as tfmot does.

    Args:
        initial_sparsity: sparsity at ``begin_step``, in [0, 1).
        final_sparsity: sparsity from ``end_step`` on, in [0, 1).
        begin_step: first step that prunes (>= 0).
        end_step: step at which ``final_sparsity`` is reached (> begin_step); the mask is updated
            there even when it is off the ``frequency`` grid.
        power: exponent of the decay (3 rises fast then plateaus).
        frequency: masks update every ``frequency`` steps (> 0).

    Raises:
        ValueError: an argument out of range (the message names it).

    Example:
        >>> round(float(PolynomialDecay(0.0, 0.8, 0, 100, power=1)(50)[1]), 4)
        0.4
    """

    def __init__(self, initial_sparsity, final_sparsity, begin_step, end_step, power=3, frequency=100):
        _check_sparsity(initial_sparsity, "initial_sparsity")
        _check_sparsity(final_sparsity, "final_sparsity")
        _check_steps(begin_step, end_step, frequency, allow_endless=False)
        self.initial_sparsity = float(initial_sparsity)
        self.final_sparsity = float(final_sparsity)
        self.begin_step = int(begin_step)
        self.end_step = int(end_step)
        self.power = power
        self.frequency = int(frequency)

    def __call__(self, step):
        step = _as_int64(step)
        # Same float32 op sequence as tfmot, so values match bit for bit.
        p = tf.cast(step - self.begin_step, tf.float32) / tf.constant(self.end_step - self.begin_step, tf.float32)
        p = tf.minimum(1.0, tf.maximum(0.0, p))
        sparsity = (self.initial_sparsity - self.final_sparsity) * tf.pow(1 - p, self.power) + self.final_sparsity
        should_prune = self._should_prune_in_step(step, self.begin_step, self.end_step, self.frequency)
        return should_prune, sparsity

    def get_config(self):
        return {
            "initial_sparsity": self.initial_sparsity,
            "final_sparsity": self.final_sparsity,
            "begin_step": self.begin_step,
            "end_step": self.end_step,
            "power": self.power,
            "frequency": self.frequency,
        }


@keras.saving.register_keras_serializable(package="tfsparse")
class FixedMask(PruningSchedule):
    """A schedule that never updates the mask: the layer trains with the mask it holds.

    Example:
        >>> bool(FixedMask()(100)[0])
        False
    """

    begin_step = 0
    end_step = -1
    frequency = 1

    def __call__(self, step):
        return tf.constant(False), tf.constant(0.0, tf.float32)

    def get_config(self):
        return {}
