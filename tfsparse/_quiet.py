"""Keep TensorFlow's native log lines (C++ start-up, converter dumps) away from users unless a step fails."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile


@contextlib.contextmanager
def quiet_native_output():
    """Park the stdout/stderr file descriptors in a temporary file; replay it if the block fails.

    TensorFlow's C++ start-up lines (oneDNN, CUDA probes) and the TFLite converter's dumps bypass
    Python's streams and logging levels; a user of the CLI or the demo wants them only when
    something went wrong.
    """
    # In an interactive session (Jupyter, IPython) TensorFlow's Python logger is set to INFO and its
    # handler writes to the sys.stdout of that moment ("INFO:tensorflow:Assets written to ..." from
    # every SavedModel export), which no descriptor or sys.stdout swap reaches: raise its level.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    if tf_logger.getEffectiveLevel() < logging.WARNING:
        tf_logger.setLevel(logging.WARNING)
    try:
        with _park_descriptors():
            yield
    finally:
        tf_logger.setLevel(level)


@contextlib.contextmanager
def _park_descriptors():
    # Native code writes to the process's descriptors 1 and 2, whatever sys.stdout/sys.stderr are
    # (pytest, Jupyter and IDEs replace those objects).
    fds = [1, 2]
    try:
        for fd in fds:
            os.fstat(fd)
    except OSError:  # a process started without them
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    with tempfile.TemporaryFile() as captured:
        for fd in fds:
            os.dup2(captured.fileno(), fd)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, keep in zip(fds, saved):
                os.dup2(keep, fd)
                os.close(keep)
            if failed:
                captured.seek(0)
                sys.stderr.write(captured.read().decode(errors="replace"))
