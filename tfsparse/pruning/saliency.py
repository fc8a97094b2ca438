"""Gradient saliency ``|w * dL/dw|``: the optimizer wrapper that sees gradients, and the running mean.

Keras 3's ``fit`` shows gradients to no layer or callback; the optimizer is the one object that
receives them every step. :class:`GradientSaliency` wraps the optimizer you would use anyway (as
Keras' ``LossScaleOptimizer`` does): before delegating each update it adds ``|w * g|`` to a per-weight
accumulator that the pruning wrapper (``criterion="gradient"``) owns. Under ``tf.distribute`` the
gradients are first summed across replicas (the same all-reduce the optimizer does), so every replica
accumulates the same values and the masks stay identical. When the wrapper recomputes its mask it
ranks by the *mean* of the accumulator over the steps since the previous mask update (so one noisy
batch does not decide), then resets it. Before any gradient is seen (a first mask update at step 0),
the mean is undefined and ``|w|`` is used. Training without the wrapper stops at the next mask update
with an error naming it; under ``jit_compile=True`` (XLA drops assertions) it cannot stop, and the
layers then silently rank by ``|w|``.

Example:
    >>> pruned = tfsparse.prune_low_magnitude(model, schedule, criterion="gradient")  # doctest: +SKIP
    >>> pruned.compile(optimizer=tfsparse.GradientSaliency(keras.optimizers.Adam(1e-3)),
    ...                loss="sparse_categorical_crossentropy")  # doctest: +SKIP
    >>> pruned.fit(x, y, callbacks=[tfsparse.UpdatePruningStep()])  # doctest: +SKIP
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["CRITERIA", "GradientSaliency", "add_saliency_variables", "saliency_scores", "reset_saliency"]

CRITERIA = ("magnitude", "gradient")

# Attribute set on a pruned weight (a keras.Variable) whose saliency is tracked: (accumulator, count).
_ATTR = "_tfsparse_saliency"

MISSING_OPTIMIZER = (
    "criterion='gradient' ranks weights by |w * dL/dw|, but no gradient reached the pruned layers since the "
    "last mask update: compile the model with the optimizer wrapped, "
    "optimizer=tfsparse.GradientSaliency(keras.optimizers.Adam(...)), or in a custom training loop apply "
    "gradients through a GradientSaliency optimizer."
)


def check_criterion(criterion):
    if criterion not in CRITERIA:
        raise ValueError(
            f"criterion={criterion!r} must be 'magnitude' (rank by |w|, the default) or 'gradient' "
            "(rank by the running mean of |w * dL/dw|, with optimizer=tfsparse.GradientSaliency(...))."
        )


def add_saliency_variables(wrapper, short_name):
    """Create, in ``wrapper``, an accumulator and a step count per pruned weight and mark the weight.

    Called by ``PruneLowMagnitude.build`` when ``criterion="gradient"``.
    """
    for w, _, _ in wrapper.pruning_vars:
        name = short_name(w)
        accumulator = wrapper.add_weight(
            name=f"{name}_saliency", shape=w.shape, dtype="float32", initializer="zeros",
            trainable=False, aggregation="only_first_replica",
        )
        count = wrapper.add_weight(
            name=f"{name}_saliency_steps", shape=(), dtype="int64", initializer="zeros",
            trainable=False, aggregation="only_first_replica",
        )
        object.__setattr__(w, _ATTR, (accumulator, count))


def saliency_scores(weights, step):
    """Mean ``|w * g|`` since the last mask update per weight (``|w|`` where none was seen yet).

    Scores are >= -1: weights whose mean is 0 get ``-1 / (1 + |w|)``.

    Asserts (in the graph) that gradients arrived when ``step > 0``: a missing :class:`GradientSaliency`.
    """
    counts = [getattr(w, _ATTR)[1] for w in weights]
    seen = tf.reduce_all([c > 0 for c in counts]) if counts else tf.constant(True)
    check = tf.debugging.Assert(tf.logical_or(seen, step <= 0), [MISSING_OPTIMIZER])
    with tf.control_dependencies([check]):
        scores = []
        for w in weights:
            accumulator, count = getattr(w, _ATTR)
            magnitude = tf.abs(tf.cast(w, tf.float32))
            mean = accumulator / tf.cast(tf.maximum(count, 1), tf.float32)
            # Weights no gradient reached (inputs that are always 0, dead units) would all tie at 0 and,
            # ties being kept, the target would be missed: rank them below every positive saliency, in
            # the order of |w| (-1 / (1 + |w|) lies in [-1, 0)).
            no_gradient = -1.0 / (1.0 + magnitude)
            scores.append(tf.where(count > 0, tf.where(mean > 0, mean, no_gradient), magnitude))
    return scores


def reset_saliency(weights, updated):
    """Zero the accumulators of ``weights`` where the bool tensor ``updated`` is true (outside any cond)."""
    for w in weights:
        accumulator, count = getattr(w, _ATTR)
        accumulator.assign(tf.where(updated, tf.zeros_like(accumulator), accumulator))
        count.assign(tf.where(updated, tf.zeros_like(count), count))


@keras.saving.register_keras_serializable(package="tfsparse")
class GradientSaliency(keras.optimizers.Optimizer):
    """Optimizer wrapper that feeds ``|w * dL/dw|`` to layers pruned with ``criterion="gradient"``.

    Every step, for each weight pruned with ``criterion="gradient"``, it sums the gradient across
    replicas (under ``tf.distribute``; a no-op on one device), adds ``|w * g|`` (``w`` before the update)
    to the layer's saliency accumulator, then lets ``inner_optimizer`` apply the gradients unchanged.
    Other weights, and models without such layers, train exactly as with ``inner_optimizer``. TensorFlow
    backend only (tfsparse pruning is).

    Args:
        inner_optimizer: the Keras 3 optimizer that updates the weights (e.g. ``keras.optimizers.Adam()``).
        name: optimizer name.

    Raises:
        TypeError: ``inner_optimizer`` is not a Keras 3 optimizer.

    Example:
        >>> model.compile(optimizer=GradientSaliency(keras.optimizers.Adam(1e-3)), loss="mse")  # doctest: +SKIP
    """

    def __init__(self, inner_optimizer, name=None, **kwargs):
        if not isinstance(inner_optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "GradientSaliency wraps a Keras 3 optimizer instance, e.g. "
                f"GradientSaliency(keras.optimizers.Adam(1e-3)); got {inner_optimizer!r}."
            )
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.inner_optimizer = inner_optimizer

    def build(self, var_list):
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        # The base constructor sets learning_rate before inner_optimizer exists.
        if "inner_optimizer" in self.__dict__:
            self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise NotImplementedError("GradientSaliency runs on the TensorFlow backend only (stateful apply).")

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            with keras.name_scope(self.name):
                self.build(trainable_variables)
            self.built = True
        variables = trainable_variables if trainable_variables is not None else self._trainable_variables
        self._accumulate(list(grads), list(variables))
        self.inner_optimizer.apply(grads, trainable_variables)

    @staticmethod
    def _accumulate(grads, variables):
        tracked = [(g, v) for g, v in zip(grads, variables) if g is not None and hasattr(v, _ATTR)]
        if not tracked:
            return
        dense = [tf.convert_to_tensor(g) for g, _ in tracked]  # IndexedSlices (Embedding) -> dense
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            dense = context.all_reduce(tf.distribute.ReduceOp.SUM, dense)
        for g, (_, v) in zip(dense, tracked):
            accumulator, count = getattr(v, _ATTR)
            accumulator.assign_add(tf.abs(tf.cast(v.value, tf.float32) * tf.cast(g, tf.float32)))
            count.assign_add(tf.constant(1, tf.int64))

    def get_config(self):
        return {"name": self.name, "inner_optimizer": keras.saving.serialize_keras_object(self.inner_optimizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = keras.saving.deserialize_keras_object(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
