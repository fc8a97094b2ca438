"""tfsparse: unstructured pruning for Keras 3 that pays off on Cortex-M.

Prune inside ``model.fit`` with tfmot's names, quantize and convert to CSR-encoded int8, generate C
that runs bit-exact with TFLite Micro on Cortex-M.

``import tfsparse`` is cheap: names load their submodule (and TensorFlow) on first use.

Example:
    >>> import tfsparse
    >>> tfsparse.PolynomialDecay(0.0, 0.9, 0, 1000)(500)[0]  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from . import _keras_registration

__version__ = "0.1.0"

# Public name -> submodule that defines it. Loaded lazily (PEP 562) so that importing tfsparse does
# not import TensorFlow, and never imports tfmot (which flips tf.keras to Keras 2 process-wide).
_EXPORTS = {
    # pruning (Keras 3, tfmot-compatible names)
    "prune_low_magnitude": "tfsparse.pruning.api",
    "strip_pruning": "tfsparse.pruning.api",
    "prune_scope": "tfsparse.pruning.api",
    "sparsity_report": "tfsparse.pruning.report",
    "PruningSchedule": "tfsparse.pruning.schedules",
    "PolynomialDecay": "tfsparse.pruning.schedules",
    "ConstantSparsity": "tfsparse.pruning.schedules",
    "UpdatePruningStep": "tfsparse.pruning.callbacks",
    "PruningSummaries": "tfsparse.pruning.callbacks",
    "PrunableLayer": "tfsparse.pruning.wrapper",
    "PruneLowMagnitude": "tfsparse.pruning.wrapper",
    "GradientSaliency": "tfsparse.pruning.saliency",
    "IterativeSparsity": "tfsparse.pruning.iterative",
    "find_lottery_ticket": "tfsparse.pruning.lottery",
    "random_reinit": "tfsparse.pruning.lottery",
    "LotteryTicket": "tfsparse.pruning.lottery",
    "FixedMask": "tfsparse.pruning.schedules",
    # conversion
    "quantize": "tfsparse.converter.quantize",
    "convert": "tfsparse.converter.api",
    "SparseModel": "tfsparse.converter.model",
    "ConversionError": "tfsparse.errors",
    "UnsupportedOpWarning": "tfsparse.errors",
    # code generation and firmware
    "generate": "tfsparse.codegen.project",
    "run": "tfsparse.firmware",
    "build": "tfsparse.firmware",
    "RunResult": "tfsparse.firmware",
    "FirmwareError": "tfsparse.errors",
    # targets: emulated boards, preset parts, your own part
    "Target": "tfsparse.codegen.targets",
    "MemoryRegion": "tfsparse.codegen.targets",
    "get_target": "tfsparse.codegen.targets",
    "profile": "tfsparse.profiling",
    # planning from a budget
    "plan": "tfsparse.plan",
    "Plan": "tfsparse.plan",
    "BudgetMonitor": "tfsparse.budget_monitor",
}
_SUBMODULES = ("datasets", "models", "plot", "cli")

__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


# keras.models.load_model("pruned.keras") right after `import tfsparse`: the serializable classes
# register when Keras is imported (not now: that would import TensorFlow).
_keras_registration.install()


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"tfsparse.{name}")
    raise AttributeError(f"module 'tfsparse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
