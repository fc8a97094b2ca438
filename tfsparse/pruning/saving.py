"""Loading pruned ``.keras`` files: ``prune_scope`` and the messages for files Keras 3 cannot read.

Keras reports a ``.keras`` path that is not a zip archive as "File not found", and a file saved by
tfmot (Keras 2) as a raw config dump. Inside :func:`tfsparse.prune_scope` these become errors that say
what the file is and what to do; the tfmot case is caught by ``PruneLowMagnitude.from_config`` with
or without the scope.
"""

from __future__ import annotations

import os
import re
import zipfile

import keras

__all__ = ["PruneScope", "describe_unreadable_file", "TFMOT_FILE_ERROR"]

TFMOT_FILE_ERROR = (
    "layer {name!r} was saved by tfmot (tensorflow_model_optimization, on Keras 2 / tf_keras): Keras 3 "
    "cannot read tfmot's pruning wrappers. Where tfmot runs, strip the model with "
    "tfmot.sparsity.keras.strip_pruning(model) and save that plain model as .keras; Keras 3 loads it "
    "(keras.models.load_model), and tfsparse.prune_low_magnitude(model, schedule) continues the pruning "
    "(the weights tfmot zeroed are the smallest, so the first mask keeps tfmot's at the same sparsity)."
)

_NOT_FOUND = re.compile(r"File not found: filepath=(?P<path>.*?)\. Please ensure the file is an accessible")


def describe_unreadable_file(path):
    """Why ``path``, which exists, is not a ``.keras`` zip archive, and what to do (None if it is one)."""
    path = os.fspath(path)
    if not os.path.isfile(path) or zipfile.is_zipfile(path):
        return None
    with open(path, "rb") as f:
        head = f.read(64)
    size = os.path.getsize(path)
    if not head:
        what, fix = "empty (0 bytes)", "it was never written completely: save the model again with model.save(path)"
    elif head.startswith(b"\x89HDF\r\n\x1a\n"):
        what, fix = "an HDF5 file (the legacy .h5 format)", "rename it to .h5 and load that: keras.models.load_model('model.h5')"
    elif head.startswith(b"version https://git-lfs"):
        what, fix = "a Git LFS pointer, not the model", "fetch the real file with `git lfs pull`"
    else:
        what, fix = f"not a zip archive ({size} bytes, starting {head[:16]!r})", (
            "it is truncated or not a Keras model: save the model again with model.save(path)"
        )
    return f"{path} exists but is {what}; a .keras file is a zip archive written by model.save('model.keras'): {fix}."


class PruneScope:
    """``keras.saving.custom_object_scope`` with tfsparse's classes, translating unreadable-file errors."""

    def __init__(self, custom_objects):
        self._scope = keras.saving.custom_object_scope(custom_objects)

    def __enter__(self):
        self._scope.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._scope.__exit__(exc_type, exc, tb)
        if isinstance(exc, ValueError):
            found = _NOT_FOUND.search(str(exc))
            message = found and describe_unreadable_file(found.group("path"))
            if message:
                raise ValueError(message) from exc
        return False
