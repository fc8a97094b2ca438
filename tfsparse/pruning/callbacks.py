"""Keras callbacks: ``UpdatePruningStep`` (required to train) and ``PruningSummaries`` (TensorBoard).

Example:
    >>> model.fit(x, y, epochs=2, callbacks=[UpdatePruningStep(), PruningSummaries("logs")])  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings

import keras
import tensorflow as tf

from .wrapper import PruneLowMagnitude, PruningGroup

__all__ = ["UpdatePruningStep", "PruningSummaries", "pruned_layers", "link_global_ranking"]


def pruned_layers(model):
    """Every :class:`PruneLowMagnitude` in ``model`` (nested models and subclassed attributes included)."""
    if isinstance(model, PruneLowMagnitude):
        return [model]
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True) if isinstance(layer, PruneLowMagnitude)]


def link_global_ranking(layers):
    """Link the wrappers among ``layers`` that update their masks together.

    ``ranking="global"`` wrappers share one threshold. Built ``ranking="local"`` magnitude wrappers
    with the same schedule and pattern keep one threshold each, but are updated by one of them, in
    one branch per step instead of one per layer (the same masks, a cheaper train step).

    Returns:
        The ``ranking="global"`` wrappers.

    Raises:
        ValueError: the global ones do not all use the same schedule (one threshold needs one sparsity).
    """
    group = [layer for layer in layers if layer.ranking == "global"]
    schedules = {repr(layer.pruning_schedule) for layer in group}
    if len(schedules) > 1:
        raise ValueError(
            "layers pruned with ranking='global' must share one pruning schedule, got: "
            + "; ".join(f"{layer.name}: {layer.pruning_schedule!r}" for layer in group)
            + ". Use one schedule, or ranking='local' for per-layer schedules."
        )
    linked = PruningGroup(group)
    for layer in group:
        object.__setattr__(layer, "_pruning_group", linked)
    together = {}
    for layer in layers:
        if layer.ranking != "local":
            continue
        object.__setattr__(layer, "_pruning_group", None)
        if layer.built and layer.pruning_vars and layer.criterion == "magnitude":
            key = (repr(layer.pruning_schedule), layer.block_size, layer.block_pooling_type, layer.sparsity_m_by_n)
            together.setdefault(key, []).append(layer)
    for members in together.values():
        if len(members) > 1:
            linked = PruningGroup(members)
            for layer in members:
                object.__setattr__(layer, "_pruning_group", linked)
    return group


def _step(layer):
    return int(layer.pruning_step.numpy())


class UpdatePruningStep(keras.callbacks.Callback):
    """Starts the pruning step counter; required when training a pruned model (as in tfmot).

    At ``on_train_begin`` it sets every wrapper's ``pruning_step`` from -1 (never trained) to 0 and
    leaves a restored step alone (so a reloaded checkpoint resumes where it stopped), and links the
    layers ranked globally. Steps are then counted inside the compiled train step, so batch hooks
    are not needed (and ``steps_per_execution > 1`` counts every step). ``on_epoch_end`` re-applies
    the masks, a no-op with Keras optimizers, a guard for hand-written update rules.

    In a custom training loop, exactly as tfmot's guide writes it: ``cb.set_model(model);
    cb.on_train_begin()`` before the first step, ``cb.on_train_batch_begin(batch=-1)`` before each step
    (it does nothing here), ``cb.on_epoch_end(batch=-1)`` after each epoch. The hooks keep tfmot's
    argument names (``on_epoch_end(batch, logs)``: tfmot calls the epoch index ``batch``); Keras'
    name ``epoch=`` is accepted too.

    Raises:
        ValueError: at ``on_train_begin``, if the model has no layer wrapped by prune_low_magnitude.

    Example:
        >>> model.fit(x, y, callbacks=[tfsparse.UpdatePruningStep()])  # doctest: +SKIP
    """

    def __init__(self):
        super().__init__()
        self.prunable_layers = []
        self._epoch_start_steps = None
        self._remask = None

    def on_train_begin(self, logs=None):
        self.prunable_layers = pruned_layers(self.model)
        if not self.prunable_layers:
            raise ValueError(
                f"UpdatePruningStep: model {self.model.name!r} has no layer wrapped by "
                "tfsparse.prune_low_magnitude; prune the model first (or drop this callback)."
            )
        if not getattr(self.model, "_call_has_training_arg", True):
            raise ValueError(
                f"UpdatePruningStep: {type(self.model).__name__}.call() has no `training` argument, so Keras never "
                "tells its layers that they are training and nothing would be pruned. Define it as "
                "call(self, inputs, training=None)."
            )
        for layer in self.prunable_layers:
            if not layer.built:
                object.__setattr__(layer, "_start_step_at_zero", True)
            elif _step(layer) < 0:
                layer.pruning_step.assign(0)
        link_global_ranking(self.prunable_layers)
        self._epoch_start_steps = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_steps = [_step(layer) if layer.built else None for layer in self.prunable_layers]

    def on_epoch_end(self, batch=None, logs=None, epoch=None):
        epoch = batch if epoch is None else epoch
        built = tuple(layer for layer in self.prunable_layers if layer.built)
        if self._remask is None or self._remask[0] != built:
            # one compiled call per epoch instead of an eager multiply and assign per weight
            self._remask = (built, tf.function(lambda: [layer.apply_masks() for layer in built] and None))
        self._remask[1]()
        if self._epoch_start_steps is not None and all(
            layer.built and _step(layer) == start for layer, start in zip(self.prunable_layers, self._epoch_start_steps)
        ):
            warnings.warn(
                f"UpdatePruningStep: epoch {epoch} trained without reaching any pruned layer in training mode "
                "(pruning_step did not move): call the pruned layers with training=True.",
                UserWarning,
                stacklevel=2,
            )


class PruningSummaries(keras.callbacks.TensorBoard):
    """TensorBoard callback that also writes each pruned weight's sparsity and threshold.

    Scalars ``<layer>/<weight>/sparsity`` (fraction of zeros in the mask) and
    ``<layer>/<weight>/threshold`` go to ``log_dir/metrics``, at the pruning step, at the start and end
    of every epoch (each step once), and every ``update_freq`` batches when it is an integer or
    ``"batch"``. In a custom training loop, as tfmot's guide: ``cb.set_model(model)``, then
    ``cb.on_epoch_begin(epoch)`` at each epoch start writes the values (no ``on_train_begin`` needed).

    Args:
        log_dir: directory for the event files, a ``str`` or ``os.PathLike`` (created if missing).
        update_freq: ``"epoch"``, ``"batch"`` or an integer number of batches.
        **kwargs: any other ``keras.callbacks.TensorBoard`` argument.

    Raises:
        TypeError: ``log_dir`` is not a path (nothing is created).
        ValueError: an empty ``log_dir``.

    Example:
        >>> model.fit(x, y, callbacks=[UpdatePruningStep(), PruningSummaries("logs")])  # doctest: +SKIP
    """

    def __init__(self, log_dir, update_freq="epoch", **kwargs):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                f"PruningSummaries: log_dir must be a directory path (str or pathlib.Path), got "
                f"{type(log_dir).__module__}.{type(log_dir).__qualname__} {log_dir!r}; e.g. log_dir='logs'."
            )
        log_dir = os.fspath(log_dir)
        if not isinstance(log_dir, str) or not log_dir:
            raise ValueError("PruningSummaries needs a log_dir (the directory TensorBoard reads), e.g. 'logs'.")
        super().__init__(log_dir=log_dir, update_freq=update_freq, **kwargs)
        self._pruning_writer = None
        self._batches_seen = 0
        self._last_logged_step = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._batches_seen = 0
        self._last_logged_step = None

    def _log_pruning(self):
        layers = [layer for layer in pruned_layers(self.model) if layer.built]
        if not layers:
            return
        step = _step(layers[0])
        if step == self._last_logged_step:
            return
        self._last_logged_step = step
        if self._pruning_writer is None:
            self._pruning_writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "metrics"))
        with self._pruning_writer.as_default():
            for layer in layers:
                for w, mask, threshold in layer.pruning_vars:
                    tag = f"{layer.name}/{w.path.split('/')[-1]}"
                    tf.summary.scalar(tag + "/sparsity", 1.0 - tf.reduce_mean(tf.cast(mask.value, tf.float32)), step=step)
                    tf.summary.scalar(tag + "/threshold", threshold.value, step=step)
        self._pruning_writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.update_freq == "epoch":
            return
        self._batches_seen += 1
        freq = 1 if self.update_freq == "batch" else int(self.update_freq)
        if self._batches_seen % freq == 0:
            self._log_pruning()

    def on_epoch_begin(self, epoch, logs=None):
        if not self.write_steps_per_second or getattr(self.model, "optimizer", None) is not None:
            super().on_epoch_begin(epoch, logs)  # Keras' part reads the optimizer, absent in some custom loops
        self._log_pruning()

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self._log_pruning()

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._pruning_writer is not None:
            self._pruning_writer.flush()
