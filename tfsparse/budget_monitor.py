"""``tfsparse.BudgetMonitor``: projected flash and instructions of the firmware, logged during ``fit``.

At the end of every epoch the current pruned weights of
the planned layers are quantized as the converter will (int8, one symmetric scale per output unit),
encoded and costed exactly as :func:`tfsparse.plan` costs them. The numbers go into ``logs`` (so the
progress bar shows them and a later ``keras.callbacks.TensorBoard`` records them) and, with
``log_dir``, into TensorBoard scalars ``budget/projected_flash_bytes`` and
``budget/projected_instructions``.

Example:
    >>> p = tfsparse.plan(model, "cortex-m0", flash=64 * 1024, ram=8 * 1024)            # doctest: +SKIP
    >>> pruned = tfsparse.prune_low_magnitude(model, p.schedules(0, 2000))            # doctest: +SKIP
    >>> pruned.fit(x, y, epochs=10, callbacks=[tfsparse.UpdatePruningStep(),
    ...                                        tfsparse.BudgetMonitor(p)])           # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from typing import Optional

import keras
import numpy as np

from .layer_health import quantize_per_unit
from .pruning.wrapper import PruneLowMagnitude

__all__ = ["BudgetMonitor"]


class BudgetMonitor(keras.callbacks.Callback):
    """Logs the firmware's projected flash (bytes, code included) and instructions per inference.

    Args:
        plan: the :class:`tfsparse.Plan` the model is trained to.
        log_dir: also write TensorBoard scalars there (``budget/projected_flash_bytes``,
            ``budget/projected_instructions``, ``budget/flash_budget_bytes``).

    The logs keys are ``projected_flash`` and ``projected_instructions`` (the latter only where the
    cost model has coefficients for the core).
    """

    def __init__(self, plan, log_dir: Optional[str] = None):
        super().__init__()
        self.plan = plan
        self.log_dir = log_dir
        self.history = []
        self._writer = None

    def on_train_begin(self, logs=None):
        self.history = []
        self._layers = self._planned_layers()
        if self.log_dir and self._writer is None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "budget"))

    def _planned_layers(self) -> dict:
        found = {}
        for layer in self.model._flatten_layers(include_self=False, recursive=True):
            inner = layer.layer if isinstance(layer, PruneLowMagnitude) else layer
            if inner.name in self.plan.sparsity and inner.name not in found:
                found[inner.name] = layer
        missing = sorted(set(self.plan.sparsity) - set(found))
        if missing:
            raise ValueError(f"BudgetMonitor: the model has no layer named {', '.join(map(repr, missing))} from the "
                             "plan; pass the plan made for this model")
        return found

    def _kernel(self, layer):
        if isinstance(layer, PruneLowMagnitude):
            weight, mask, _ = layer.pruning_vars[0]
            return np.asarray(weight.numpy()) * np.asarray(mask.numpy())
        return np.asarray(layer.get_weights()[0])

    def project(self) -> tuple:
        """``(flash bytes, instructions)`` the firmware would have with the current weights."""
        return self.plan.project({name: quantize_per_unit(self._kernel(layer)) for name, layer in self._layers.items()})

    def _log(self, logs, step):
        flash, instructions = self.project()
        record = {"epoch": step, "projected_flash": int(flash)}
        if math.isfinite(instructions):
            record["projected_instructions"] = float(instructions)
        self.history.append(record)
        if logs is not None:
            logs.update({k: v for k, v in record.items() if k != "epoch"})
        if self._writer is not None:
            import tensorflow as tf

            with self._writer.as_default():
                tf.summary.scalar("budget/projected_flash_bytes", flash, step=step)
                tf.summary.scalar("budget/flash_budget_bytes", self.plan.flash_budget, step=step)
                if math.isfinite(instructions):
                    tf.summary.scalar("budget/projected_instructions", instructions, step=step)
            self._writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        self._log(logs, epoch)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
