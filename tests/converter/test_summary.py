"""SparseModel.summary, quantize_input and dequantize_output."""

from __future__ import annotations

import numpy as np

import tfsparse
from tfsparse.converter import csr


def test_summary_numbers(tflite_variants):
    sparse = tfsparse.convert(tflite_variants[("lenet", True, True)][0])
    lines = []
    report = sparse.summary(print_fn=lines.append)
    text = lines[0]
    assert len(report["layers"]) == 3
    for layer, op in zip(report["layers"], sparse.fully_connected):
        rows, cols = op.weights.shape
        assert layer["shape"] == (rows, cols) and layer["dense_bytes"] == rows * cols
        assert layer["sparse_bytes"] == op.weights.nbytes
        assert layer["nnz"] == np.count_nonzero(csr.decode(op.weights))
        assert abs(layer["density"] - layer["nnz"] / (rows * cols)) < 1e-12
        assert abs(layer["bytes_per_nonzero"] * layer["nnz"] - layer["sparse_bytes"]) < 1e-6
        assert layer["name"] in text and layer["encoding"] in text
    total = report["total"]
    assert total["dense_bytes"] == sum(l["dense_bytes"] for l in report["layers"])
    assert total["sparse_bytes"] == sum(l["sparse_bytes"] for l in report["layers"])
    assert abs(total["compression"] - total["dense_bytes"] / total["sparse_bytes"]) < 1e-9
    assert f"{total['sparse_bytes']:,}" in text
    # The 90%-sparse LeNet meets the size target of the default (small *and* fast) policy: <= 2.1 B/nonzero.
    assert total["bytes_per_nonzero"] <= 2.1 and total["compression"] >= 1 / (0.1 * 2.1) - 0.1
    # One table for every op: kernel, predicted instructions, reason.
    assert [r["name"] for r in report["ops"]] == [op.name for op in sparse.ops]
    assert all(r["reason"] and r["instructions"] > 0 for r in report["ops"] if r["op"] == "FULLY_CONNECTED")
    assert "pred. instr" in text and "reason" in text


def test_quantize_and_dequantize(tflite_variants):
    sparse = tfsparse.convert(tflite_variants[("digits", True, True)][0])
    q = sparse.input_tensor.quantization
    x = np.array([[0.0, 1.0, 0.5, -3.0, 99.0] + [0.25] * 59], np.float32)
    xq = sparse.quantize_input(x)
    assert xq.dtype == np.int8
    expected = np.clip(np.floor(x / q.scale[0] + 0.5) + q.zero_point[0], -128, 127)
    assert np.array_equal(xq, expected.astype(np.int8))
    y = sparse.dequantize_output(np.array([[-128, 127, 0]], np.int8))
    assert y.dtype == np.float32 and np.allclose(y, [[0.0, 255 / 256, 128 / 256]])
