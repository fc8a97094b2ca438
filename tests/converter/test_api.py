"""The public names: tfsparse.convert is the function whatever was imported first, and needs no TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import textwrap



def test_public_names_resolve():
    import tfsparse.converter.api
    import tfsparse.converter.ir
    import tfsparse.converter.quantize

    assert tfsparse.SparseModel is tfsparse.converter.model.SparseModel
    assert tfsparse.quantize is tfsparse.converter.quantize.quantize
    assert issubclass(tfsparse.ConversionError, ValueError)
    for method in ("predict", "summary", "quantize_input", "dequantize_output", "to_tflite"):
        assert callable(getattr(tfsparse.SparseModel, method))


def test_convert_in_a_fresh_process_without_tensorflow(tflite_variants):
    """``tfsparse.convert`` stays the function whatever was imported first (the package is
    ``tfsparse.converter``). Converting, predicting and writing back never import TensorFlow."""
    path = tflite_variants[("digits", True, True)][0]
    code = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        import tfsparse.converter.quantize  # importing submodules first must not shadow the function
        import tfsparse
        assert tfsparse.convert.__module__ == "tfsparse.converter.api", tfsparse.convert
        sparse = tfsparse.convert({str(path)!r})
        y = sparse.predict(np.zeros((3, 64), np.int8))
        again = tfsparse.convert(sparse.to_tflite(), encoding="rel8")
        assert np.array_equal(again.predict(np.zeros((3, 64), np.int8)), y)
        assert "tensorflow" not in sys.modules, "convert imported TensorFlow"
        print("ok", y.shape)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok (3, 10)"
