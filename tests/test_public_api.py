"""The curated public API: every exported name resolves, and importing tfsparse stays cheap and safe."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import tfsparse


def test_every_exported_name_resolves():
    for name in tfsparse.__all__:
        assert getattr(tfsparse, name) is not None, name
    assert callable(tfsparse.convert) and tfsparse.convert.__module__ == "tfsparse.converter.api"


def test_import_loads_neither_tensorflow_nor_tfmot():
    code = textwrap.dedent(
        """
        import sys, tfsparse
        assert "tensorflow" not in sys.modules, "import tfsparse imported TensorFlow"
        tfsparse.prune_low_magnitude, tfsparse.quantize, tfsparse.generate  # resolve the names
        assert not any(m.startswith("tensorflow_model_optimization") for m in sys.modules), "tfmot was imported"
        import os
        assert os.environ.get("TF_USE_LEGACY_KERAS") in (None, "0"), "tf.keras was switched to Keras 2"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
