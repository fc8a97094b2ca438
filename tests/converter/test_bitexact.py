"""SparseModel.predict is bit-exact with the TFLM interpreter on the test digits (90% sparse models)."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse

VARIANTS = [(m, pc, sm) for m in ("lenet", "digits") for pc in (True, False) for sm in (False, True)]


@pytest.mark.parametrize("model_key, per_channel, softmax", VARIANTS)
def test_predict_matches_tflm(tflite_variants, tflm_outputs, model_key, per_channel, softmax):
    path, x_test, y_test, float_accuracy = tflite_variants[(model_key, per_channel, softmax)]
    sparse = tfsparse.convert(path)
    assert [op.kind for op in sparse.ops][-1] == ("SOFTMAX" if softmax else "FULLY_CONNECTED")
    encodings = [op.weights.encoding for op in sparse.fully_connected]
    assert all(e != "dense" for e in encodings[:2]), encodings  # the 90% sparse hidden layers are CSR
    scales = [op.weight_scale.size for op in sparse.fully_connected]
    assert all((s > 1) == per_channel for s in scales)
    xq = sparse.quantize_input(x_test)
    ours = sparse.predict(xq)
    ref = tflm_outputs(path, xq)
    assert ours.dtype == np.int8 and ours.shape == ref.shape == (len(x_test), 10)
    mismatches = int(np.count_nonzero(ours != ref))
    print(f"{model_key} per_channel={per_channel} softmax={softmax}: {ref.size} elements, {mismatches} mismatches")
    assert mismatches == 0
    if model_key == "lenet":
        assert len(x_test) == 1000
    # Quantization keeps the sparse float model's accuracy (far above chance).
    accuracy = float(np.mean(ours.argmax(axis=1) == y_test))
    print(f"  accuracy: int8 sparse {accuracy:.3f}, float sparse {float_accuracy:.3f}")
    assert accuracy > 0.5 and abs(accuracy - float_accuracy) < 0.03


@pytest.mark.parametrize("encoding", ["fastest", "abs_u16", "rel8", "rel4", "blk8", "csc8", "dense"])
def test_every_encoding_is_bit_exact(tflite_variants, tflm_outputs, encoding):
    path, x_test, _, _ = tflite_variants[("digits", True, True)]
    sparse = tfsparse.convert(path, encoding=encoding)
    reference = tfsparse.convert(path)
    xq = sparse.quantize_input(x_test)
    assert np.array_equal(sparse.predict(xq), reference.predict(xq))
    assert np.array_equal(sparse.predict(xq), tflm_outputs(path, xq))
