"""Register tfsparse's Keras-serializable classes as soon as Keras is imported.

``import tfsparse`` must not import TensorFlow, yet ``keras.models.load_model("pruned.keras")`` right
after it must find ``tfsparse>PruneLowMagnitude``. Keras finds custom classes only in its registry, so
they are registered at the moment Keras itself finishes importing (on the TensorFlow backend, which
has then loaded TensorFlow anyway): a one-shot import hook on the ``keras`` package, or at once when
Keras is already imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: Importing these registers every serializable class of tfsparse (``@register_keras_serializable``).
SERIALIZABLE_MODULES = (
    "tfsparse.pruning.schedules",
    "tfsparse.pruning.wrapper",
    "tfsparse.pruning.iterative",
    "tfsparse.pruning.saliency",
)


def register():
    """Import the modules that register tfsparse's classes, if Keras runs on TensorFlow."""
    keras = sys.modules.get("keras")
    try:
        if keras is None or keras.backend.backend() != "tensorflow":
            return
        for name in SERIALIZABLE_MODULES:
            importlib.import_module(name)
    except Exception:  # never break the user's `import keras`; using a tfsparse name registers too
        return


class _LoaderThenRegister(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        register()

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _KerasImportHook(importlib.abc.MetaPathFinder):
    """Finds ``keras`` with the other finders and wraps its loader; removes itself on first use."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        uninstall()
        spec = importlib.util.find_spec("keras")
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _LoaderThenRegister(spec.loader)
        return spec


def uninstall():
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _KerasImportHook)]


def install():
    """Register now if Keras is loaded, else when it is imported."""
    if "keras" in sys.modules:
        register()
    elif not any(isinstance(f, _KerasImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasImportHook())
