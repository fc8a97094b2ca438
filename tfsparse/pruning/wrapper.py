"""``PruneLowMagnitude``: the Keras 3 layer wrapper that holds masks and prunes inside the train step.

How it keeps pruned weights at exactly 0.0 everywhere:

* the wrapper adds, per prunable weight, a ``mask`` (ones at start) and a ``threshold`` variable, and
  one ``pruning_step`` counter (-1 until :class:`~tfsparse.pruning.callbacks.UpdatePruningStep`
  starts training);
* in a training call it asks the schedule about the current step, recomputes the masks when told,
  zeroes the pruned weights, and counts the step, all inside the graph, so ``steps_per_execution > 1``,
  ``jit_compile=True`` and ``tf.distribute`` see every step;
* the mask is also installed as the weight's Keras constraint, which the optimizer applies right after
  every update: weights read between steps, saved checkpoints and stripped models never hold the small
  values tfmot leaks between updates.
"""

from __future__ import annotations

import abc

import keras
import tensorflow as tf

from . import saliency
from .masks import block_masks, magnitude_masks
from .nm import check_m_by_n, nm_masks
from .saving import TFMOT_FILE_ERROR
from .schedules import ConstantSparsity, PruningSchedule

__all__ = [
    "PrunableLayer", "PruneLowMagnitude", "MissingCallbackError", "prunable_weights", "is_prunable", "can_wrap",
    "check_backend",
]

#: Built-in layers and the attribute holding the weight pruned in each (tfmot's registry, in Keras 3).
_PRUNABLE_ATTRS = (
    (keras.layers.Dense, "kernel"),
    (keras.layers.SeparableConv1D, "pointwise_kernel"),
    (keras.layers.SeparableConv2D, "pointwise_kernel"),
    (keras.layers.Conv1D, "kernel"),
    (keras.layers.Conv2D, "kernel"),
    (keras.layers.Conv3D, "kernel"),
    (keras.layers.Conv2DTranspose, "kernel"),
    (keras.layers.Conv3DTranspose, "kernel"),
    (keras.layers.Embedding, "embeddings"),
)

#: Layers with nothing to prune that tfmot still wraps (as no-ops): wrapping them explicitly works here
#: too. Whole-model pruning leaves them unwrapped (same result, fewer wrappers). DepthwiseConv2D is
#: one, as in tfmot's registry (its few weights per channel matter most; the converter keeps them dense).
_NOTHING_TO_PRUNE = tuple(
    getattr(keras.layers, name)
    for name in (
        "DepthwiseConv2D ELU LeakyReLU ReLU Softmax Activation ActivityRegularization Cropping1D Cropping2D Cropping3D "
        "UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D Dropout Flatten "
        "Lambda Masking Permute RepeatVector Reshape SpatialDropout1D SpatialDropout2D SpatialDropout3D "
        "Add Average Concatenate Dot Maximum Minimum Multiply Subtract AlphaDropout GaussianDropout "
        "GaussianNoise BatchNormalization LayerNormalization AveragePooling1D AveragePooling2D "
        "AveragePooling3D GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D "
        "GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D MaxPooling1D MaxPooling2D MaxPooling3D"
    ).split()
    if hasattr(keras.layers, name)
)
RANKINGS = ("local", "global")

CALLBACK_ERROR = (
    "Training a model pruned with tfsparse requires the tfsparse.UpdatePruningStep callback: pass "
    "callbacks=[tfsparse.UpdatePruningStep()] to model.fit, or in a custom training loop call "
    "callback.set_model(model) and callback.on_train_begin() before the first step."
)


class MissingCallbackError(RuntimeError):
    """A pruned layer trained without :class:`tfsparse.UpdatePruningStep` (the message says what to do).

    Raised in Python when the train step is first traced (or run eagerly), before any step runs.
    """

    # TensorFlow's autograph re-raises an exception with this attribute unchanged, instead of inside a
    # StagingError whose message starts with the trace of every function on the way.
    ag_pass_through = True
    # Keras would re-raise it prefixed by "Exception encountered when calling PruneLowMagnitude.call()"
    # and followed by the call's arguments; the message already names the layer.
    _keras_call_info_injected = True


def _value_at_trace_time(variable):
    """The variable's current value read eagerly from inside a trace, or None if it cannot be read."""
    try:
        with tf.init_scope():
            return int(variable.numpy())
    except Exception:  # e.g. a variable created inside this very trace: the graph Assert still guards
        return None


def check_backend(what):
    """Raise if Keras does not run on TensorFlow (masks and step counting are TensorFlow ops)."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"{what} needs Keras on the TensorFlow backend, but Keras runs on {backend!r}. "
            "Set the environment variable KERAS_BACKEND=tensorflow before importing keras."
        )


class PruningGroup:
    """The wrappers ranked together (``ranking="global"``).

    Deliberately not a list: Keras' ``.keras`` saver walks every list attribute of a layer, and would
    file the other members' variables under the first member's path, where loading never finds them.
    """

    __slots__ = ("members",)

    def __init__(self, members):
        self.members = tuple(members)


class PrunableLayer(abc.ABC):
    """Mixin for custom layers that can be pruned: declare which weights to prune.

    Example:
        >>> class MyDense(keras.layers.Dense, PrunableLayer):  # doctest: +SKIP
        ...     def get_prunable_weights(self):
        ...         return [self.kernel]
    """

    @abc.abstractmethod
    def get_prunable_weights(self):
        """The layer's variables to prune (a list; called after the layer is built)."""


def _declares_prunable(layer):
    return isinstance(layer, PrunableLayer) or callable(getattr(layer, "get_prunable_weights", None))


def is_prunable(layer):
    """True if ``layer`` is a built-in prunable layer or declares ``get_prunable_weights()``."""
    return _declares_prunable(layer) or any(isinstance(layer, cls) for cls, _ in _PRUNABLE_ATTRS)


def can_wrap(layer):
    """True if ``PruneLowMagnitude`` accepts ``layer``: prunable, or one of tfmot's no-op layers."""
    return is_prunable(layer) or isinstance(layer, _NOTHING_TO_PRUNE)


def prunable_weights(layer):
    """The variables pruning applies to in a built ``layer`` (empty if it has none)."""
    if _declares_prunable(layer):
        return list(layer.get_prunable_weights())
    for cls, attr in _PRUNABLE_ATTRS:
        if isinstance(layer, cls):
            return [getattr(layer, attr)]
    return []


class _MaskConstraint:
    """Keras constraint ``w -> inner(w) * mask``, applied by the optimizer after every update."""

    def __init__(self, mask, inner=None):
        self.mask = mask
        self.inner = inner

    def __call__(self, w):
        if self.inner is not None:
            w = self.inner(w)
        return w * (self.mask if self.mask.dtype == w.dtype else tf.cast(self.mask, w.dtype))


def _short_name(variable):
    return variable.path.split("/")[-1] if hasattr(variable, "path") else variable.name.split(":")[0]


def _checked_arguments(layer, pruning_schedule, block_size, block_pooling_type, sparsity_m_by_n, ranking):
    """Validate PruneLowMagnitude's arguments; returns the schedule (default or deserialized)."""
    check_backend("PruneLowMagnitude")
    if isinstance(layer, PruneLowMagnitude):
        raise ValueError(f"layer {layer.name!r} is already wrapped by PruneLowMagnitude; wrap it only once.")
    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(
            f"PruneLowMagnitude wraps a Keras 3 layer, got {type(layer).__module__}.{type(layer).__name__}. "
            "(A tf_keras / Keras 2 layer cannot be wrapped: build the model with `import keras`.)"
        )
    if isinstance(layer, keras.Model):
        raise ValueError(
            f"{layer.name!r} is a model: prune a model with tfsparse.prune_low_magnitude(model), "
            "which wraps its prunable layers."
        )
    if not can_wrap(layer):
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) cannot be pruned: tfsparse prunes Dense, "
            "Conv1D/2D/3D, Conv2D/3DTranspose, SeparableConv1D/2D (pointwise) and Embedding kernels "
            "and wraps tfmot's weightless layers as no-ops; for a custom layer, subclass "
            "tfsparse.PrunableLayer and return its weights to prune from get_prunable_weights()."
        )
    if pruning_schedule is None:
        pruning_schedule = ConstantSparsity(0.5, 0)
    if isinstance(pruning_schedule, dict):
        pruning_schedule = keras.saving.deserialize_keras_object(pruning_schedule)
    if not isinstance(pruning_schedule, PruningSchedule):
        raise TypeError(
            f"pruning_schedule must be a tfsparse.PruningSchedule (e.g. PolynomialDecay(0, 0.9, 0, 1000)), "
            f"got {pruning_schedule!r}."
        )
    if (
        not isinstance(block_size, (tuple, list))
        or len(block_size) != 2
        or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in block_size)
    ):
        raise ValueError(f"block_size={block_size!r} must be two integers > 0 (block height, width), e.g. (1, 4).")
    if tuple(block_size) != (1, 1) and sparsity_m_by_n is not None:
        raise ValueError(
            f"block_size={tuple(block_size)} and sparsity_m_by_n={sparsity_m_by_n!r} are two different patterns: "
            "pass one of them (tfmot would silently ignore block_size)."
        )
    if block_pooling_type not in ("AVG", "MAX"):
        raise ValueError(f"block_pooling_type={block_pooling_type!r} must be 'AVG' or 'MAX'.")
    if ranking not in RANKINGS:
        raise ValueError(f"ranking={ranking!r} must be 'local' or 'global'.")
    return pruning_schedule


@keras.saving.register_keras_serializable(package="tfsparse")
class PruneLowMagnitude(keras.layers.Wrapper):
    """A layer whose prunable weights are magnitude-pruned during training (tfmot's wrapper, Keras 3).

    Usually created by :func:`tfsparse.prune_low_magnitude`. Training it requires the
    :class:`tfsparse.UpdatePruningStep` callback.

    Args:
        layer: the Keras layer to prune: Dense, Conv1D/2D/3D, Conv2D/3DTranspose, SeparableConv1D/2D
            (pointwise kernel), Embedding, or a layer implementing :class:`PrunableLayer`; or a layer
            that tfmot wraps as a no-op (Dropout, pooling, Flatten, Add, BatchNormalization,
            DepthwiseConv2D, ...).
        pruning_schedule: a :class:`PruningSchedule` (default ``ConstantSparsity(0.5, 0)``).
        block_size: ``(height, width)`` of the blocks pruned together in 2-D weights (tfmot's block
            sparsity: blocks ranked by their pooled magnitude, ``sparsity`` counts blocks); ``(1, 1)``:
            unstructured.
        block_pooling_type: ``"AVG"`` or ``"MAX"``: how a block's magnitudes are pooled.
        sparsity_m_by_n: ``(m, n)``: at least ``m`` zeros in every ``n`` consecutive weights along the
            input dimension (tfmot's meaning; ``0 < m < n``), recomputed at every mask update; a
            schedule sparsity above ``m / n`` is reached on top of the pattern. None: unstructured.
        ranking: ``"local"`` (each weight keeps its own top ``1 - sparsity``) or ``"global"`` (one
            threshold across every ``"global"`` wrapper of the model being trained).
        criterion: ``"magnitude"`` (rank by ``|w|``) or ``"gradient"`` (rank by the mean of
            ``|w * dL/dw|`` since the last mask update; compile with
            ``optimizer=tfsparse.GradientSaliency(...)``).
        **kwargs: Keras layer arguments (``name``...; default name ``prune_low_magnitude_<layer>``).

    Raises:
        TypeError: ``layer`` is not a Keras layer, or the schedule is not a PruningSchedule.
        ValueError: the layer cannot be pruned, or is already wrapped; a bad ``ranking``, ``criterion``
            or ``sparsity_m_by_n``.
        ValueError (at build): ``block_size != (1, 1)`` on a weight that is not 2-D.

    Example:
        >>> dense = PruneLowMagnitude(keras.layers.Dense(10), ConstantSparsity(0.8, 0))  # doctest: +SKIP
    """

    def __init__(
        self,
        layer,
        pruning_schedule=None,
        block_size=(1, 1),
        block_pooling_type="AVG",
        sparsity_m_by_n=None,
        ranking="local",
        criterion="magnitude",
        **kwargs,
    ):
        pruning_schedule = _checked_arguments(layer, pruning_schedule, block_size, block_pooling_type, sparsity_m_by_n, ranking)
        sparsity_m_by_n = check_m_by_n(sparsity_m_by_n)
        saliency.check_criterion(criterion)
        kwargs.setdefault("name", f"prune_low_magnitude_{layer.name}")
        super().__init__(layer, **kwargs)
        self.pruning_schedule = pruning_schedule
        self.block_size = tuple(block_size)
        self.block_pooling_type = block_pooling_type
        self.sparsity_m_by_n = sparsity_m_by_n
        self.ranking = ranking
        self.criterion = criterion
        # [(weight, mask, threshold)], set untracked: the weights belong to the inner layer.
        object.__setattr__(self, "pruning_vars", [])
        # Wrappers ranked together (ranking="global"); linked by UpdatePruningStep.on_train_begin and by
        # prune_low_magnitude(model), as a plain attribute so Keras does not track it as sublayers.
        object.__setattr__(self, "_pruning_group", None)
        # Set by UpdatePruningStep when training starts before this layer is built (subclassed models
        # build inside the first train step): the counter then starts at 0 instead of -1.
        object.__setattr__(self, "_start_step_at_zero", False)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        weights = prunable_weights(self.layer)  # none: a no-op wrapper that only counts steps (as tfmot's)
        if self.block_size != (1, 1):
            for w in weights:
                if len(w.shape) != 2:
                    raise ValueError(
                        f"layer {self.layer.name!r}: block_size={self.block_size} needs 2-D weights (Dense, "
                        f"Embedding), but {_short_name(w)} has shape {tuple(w.shape)}; use block_size=(1, 1) "
                        "for this layer (tfmot refuses it too)."
                    )
        pruning_vars = []
        for w in weights:
            name = _short_name(w)
            mask = self.add_weight(
                name=f"{name}_mask", shape=w.shape, dtype=w.dtype, initializer="ones",
                trainable=False, aggregation="only_first_replica",
            )
            threshold = self.add_weight(
                name=f"{name}_threshold", shape=(), dtype="float32", initializer="zeros",
                trainable=False, aggregation="only_first_replica",
            )
            w.constraint = _MaskConstraint(mask, w.constraint)
            pruning_vars.append((w, mask, threshold))
        object.__setattr__(self, "pruning_vars", pruning_vars)
        if self.criterion == "gradient":
            saliency.add_saliency_variables(self, _short_name)
        self.pruning_step = self.add_weight(
            name="pruning_step", shape=(), dtype="int64",
            initializer=keras.initializers.Constant(0 if self._start_step_at_zero else -1),
            trainable=False, aggregation="only_first_replica",
        )
        self.built = True

    # -- training-time update ---------------------------------------------------------------------

    def _managed_vars(self):
        """The (weight, mask, threshold) triples this wrapper updates.

        Global ranking: the first wrapper of the group ranks and updates the whole group at once (one
        threshold, computed once per step); the others only count steps. Local ranking: its own, or,
        when linked with wrappers of the same schedule, the first of them updates every member, each
        with its own threshold.
        """
        group = self._pruning_group.members if self._pruning_group is not None else ()
        if self.ranking == "local":
            if self not in group:
                return self.pruning_vars
            return [triple for member in group for triple in member.pruning_vars] if group[0] is self else []
        if not group or self not in group:
            raise MissingCallbackError(f"{self.name}: ranking='global' needs the layers ranked together. " + CALLBACK_ERROR)
        return [triple for member in group for triple in member.pruning_vars] if group[0] is self else []

    def _new_masks(self, sparsity, pruning_vars, step):
        """[(threshold, mask)] per triple of ``pruning_vars``, from the current weights (no assignment)."""
        weights = [w for w, _, _ in pruning_vars]
        scores = saliency.saliency_scores(weights, step) if self.criterion == "gradient" else [None] * len(weights)

        def rule(ws, ss):
            if self.sparsity_m_by_n is not None:
                return nm_masks(ws, sparsity, self.sparsity_m_by_n, ss)
            if self.block_size != (1, 1):
                return block_masks(ws, sparsity, self.block_size, self.block_pooling_type, ss)
            return magnitude_masks(ws, sparsity, ss)

        if self.ranking == "global":
            threshold, masks = rule(weights, None if scores[0] is None else scores)
            return [(threshold, mask) for mask in masks]
        results = [rule([w], None if s is None else [s]) for w, s in zip(weights, scores)]
        return [(threshold, mask) for threshold, (mask,) in results]

    @staticmethod
    def _assign_masks(pruning_vars, results):
        for (w, mask, threshold), (new_threshold, new_mask) in zip(pruning_vars, results):
            mask.assign(new_mask)
            threshold.assign(tf.cast(new_threshold, threshold.dtype))
            w.assign(w * new_mask)

    def _training_update(self):
        step = tf.convert_to_tensor(self.pruning_step)
        # Known at trace time (the usual case), a started counter costs no op per step; only when the
        # value cannot be read while tracing does the graph check it (XLA drops that assert: the step
        # then stays at -1 and nothing is pruned).
        current = int(step) if tf.executing_eagerly() else _value_at_trace_time(self.pruning_step)
        if current is not None and current < 0:
            raise MissingCallbackError(f"{self.name}: " + CALLBACK_ERROR)
        started = True if current is not None else step >= 0
        deps = [] if started is True else [tf.debugging.Assert(started, [f"{self.name}: " + CALLBACK_ERROR])]
        managed = self._managed_vars()  # fails at trace time when global ranking is not linked
        with tf.control_dependencies(deps):
            if managed:
                # A step of -1 (not started) is before every begin_step: no update. The sparsity is
                # computed only in the branch that updates (graph pruning drops the unused outputs).
                update = self.pruning_schedule(step)[0]
                new_masks = lambda: self._new_masks(self.pruning_schedule(step)[1], managed, step)  # noqa: E731
                if tf.distribute.has_strategy() and tf.distribute.in_cross_replica_context() is False:
                    # Assigning a distributed variable synchronizes replicas (merge_call), which
                    # TensorFlow forbids inside tf.cond: choose the values in the cond, assign outside.
                    current = [(threshold.value, mask.value) for _, mask, threshold in managed]
                    self._assign_masks(managed, tf.cond(update, new_masks, lambda: current))
                else:
                    tf.cond(update, lambda: self._assign_masks(managed, new_masks()), lambda: None)
                if self.criterion == "gradient":
                    saliency.reset_saliency([w for w, _, _ in managed], update)
            self.pruning_step.assign_add(1 if started is True else tf.cast(started, tf.int64))

    def call(self, inputs, training=None, **kwargs):
        if training is None:
            training = False
        if isinstance(training, bool):
            if training:
                self._training_update()
        else:
            tf.cond(tf.cast(training, tf.bool), self._training_update, lambda: None)
        return self.layer(inputs, **kwargs)

    def apply_masks(self):
        """Multiply every pruned weight by its mask now (idempotent; used at epoch ends)."""
        for w, mask, _ in self.pruning_vars:
            w.assign(w * mask)

    def unwrap(self):
        """Apply the masks for good, give the weights back their own constraints, return the inner layer.

        The wrapper must not train afterwards (its masks no longer constrain the weights).
        """
        self.apply_masks()
        for w, _, _ in self.pruning_vars:
            if isinstance(w.constraint, _MaskConstraint):
                w.constraint = w.constraint.inner
        return self.layer

    # -- serialization ----------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pruning_schedule": keras.saving.serialize_keras_object(self.pruning_schedule),
                "block_size": list(self.block_size),
                "block_pooling_type": self.block_pooling_type,
                "sparsity_m_by_n": None if self.sparsity_m_by_n is None else list(self.sparsity_m_by_n),
                "ranking": self.ranking,
                "criterion": self.criterion,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        schedule = config.get("pruning_schedule")
        if isinstance(schedule, dict) and "module" not in schedule and "registered_name" not in schedule:
            # tfmot writes its schedules as {"class_name", "config"}; Keras 3's serializer never does.
            raise ValueError(TFMOT_FILE_ERROR.format(name=config.get("name")))
        config = dict(config)
        layer = keras.saving.deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        schedule = keras.saving.deserialize_keras_object(config.pop("pruning_schedule"), custom_objects=custom_objects)
        return cls(layer, schedule, **config)


# tfmot's files name the wrapper "PruneLowMagnitude" without a package: found under that name too,
# from_config then says the file comes from tfmot and what to do, instead of Keras' config dump.
keras.saving.get_custom_objects().setdefault("PruneLowMagnitude", PruneLowMagnitude)
