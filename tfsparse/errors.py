"""Exceptions users can catch. Every message names the thing at fault and says what to do."""

from __future__ import annotations

__all__ = ["TfsparseError", "ConversionError", "FirmwareError", "UnsupportedOpWarning"]


class TfsparseError(Exception):
    """Base class of tfsparse's own errors."""


class ConversionError(TfsparseError, ValueError):
    """A model or file that tfsparse cannot quantize or convert (names the op, tensor or file)."""


class UnsupportedOpWarning(UserWarning):
    """``convert`` kept ops it has no kernel for as pass-through records (TFLM can still run them;
    ``predict`` and the standalone ``generate`` cannot). The message names every such op."""


class FirmwareError(TfsparseError, RuntimeError):
    """Generating, building or running firmware failed (shows the tool's output and exit code)."""

    def __init__(self, message, *, command=None, returncode=None, output=""):
        self.command = command
        self.returncode = returncode
        self.output = output
        full = message
        if command is not None:
            full += f"\n  command: {' '.join(map(str, command))}\n  exit code: {returncode}"
        if output:
            full += "\n  output:\n" + "\n".join("    " + line for line in str(output).rstrip().splitlines()[-60:])
        super().__init__(full)
