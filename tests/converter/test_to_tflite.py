"""SparseModel.to_tflite: CSR layers become TFSPARSE_FULLY_CONNECTED custom ops that convert() reads back."""

from __future__ import annotations

import numpy as np
import pytest
from flatbuffers import flexbuffers

import tfsparse
from tfsparse.converter.ops.sparse_fully_connected import CUSTOM_CODE, ENCODING_IDS
from tfsparse.converter.schema import schema


def parsed(data):
    s = schema()
    assert s.Model.ModelBufferHasIdentifier(data, 0)
    return s.ModelT.InitFromObj(s.Model.GetRootAs(data, 0))


@pytest.mark.parametrize("encoding", ["smallest", "fastest", "rel8", "abs_u16", "blk8", "csc8"])
def test_custom_op_model_round_trips(tflite_variants, encoding):
    path, x_test, _, _ = tflite_variants[("lenet", True, True)]
    sparse = tfsparse.convert(path, encoding=encoding)
    data = sparse.to_tflite()
    model = parsed(data)
    codes = [(c.builtinCode, (c.customCode or b"").decode()) for c in model.operatorCodes]
    s = schema()
    assert (s.BuiltinOperator.CUSTOM, CUSTOM_CODE) in codes
    graph = model.subgraphs[0]
    customs = [op for op in graph.operators if codes[op.opcodeIndex][1] == CUSTOM_CODE]
    assert len(customs) == len(sparse.fully_connected) == 3
    # The dense weight matrices are gone: no constant tensor has a [out, in] weight shape.
    weight_shapes = {tuple(op.weights.shape) for op in sparse.fully_connected}
    assert not any(tuple(t.shape) in weight_shapes for t in graph.tensors)
    for op, record in zip(customs, sparse.fully_connected):
        options = flexbuffers.Loads(bytes(op.customOptions))
        assert options["encoding"] == record.weights.encoding
        assert options["encoding_id"] == ENCODING_IDS[record.weights.encoding]
        assert (options["rows"], options["cols"]) == record.weights.shape
        values = graph.tensors[op.inputs[1]]
        assert tuple(values.shape) == (record.weights.nnz,)
    # convert() reads it back and predicts exactly as the original SparseModel.
    again = tfsparse.convert(data)
    for a, b in zip(sparse.fully_connected, again.fully_connected):
        assert a.weights.encoding == b.weights.encoding and a.name == b.name
        for field in ("values", "row_ptr", "indices"):
            assert np.array_equal(getattr(a.weights, field), getattr(b.weights, field))
        assert getattr(b.weights, "row_ptr").dtype == a.weights.row_ptr.dtype
        assert np.array_equal(a.bias, b.bias)  # csc8 stores it unfolded; the reader folds it back
    xq = sparse.quantize_input(x_test)
    assert np.array_equal(again.predict(xq), sparse.predict(xq))
    assert again.to_tflite() == data  # writing is deterministic and idempotent


def test_custom_op_model_is_smaller_by_the_weight_savings(tflite_variants):
    path, _, _, _ = tflite_variants[("lenet", False, False)]
    original = path.read_bytes()
    sparse = tfsparse.convert(path)
    data = sparse.to_tflite()
    report = sparse.summary(print_fn=None)["total"]
    savings = report["dense_bytes"] - report["sparse_bytes"]
    rows = sum(op.weights.shape[0] for op in sparse.fully_connected)
    # Per layer the custom op adds multiplier + shift (8 B per row), its options and tensor tables.
    overhead = 8 * rows + 1024 * len(sparse.fully_connected)
    print(f"dense .tflite {len(original)} B, sparse .tflite {len(data)} B, weight savings {savings} B")
    assert len(original) - len(data) >= savings - overhead
    assert len(data) < len(original) / 4


def test_dense_layers_stay_builtin_and_run_in_tflm(tflite_variants, tflm_outputs, tmp_path):
    path, x_test, _, _ = tflite_variants[("digits", False, True)]
    sparse = tfsparse.convert(path, encoding="dense")
    data = sparse.to_tflite()
    codes = {c.builtinCode for c in parsed(data).operatorCodes}
    assert schema().BuiltinOperator.CUSTOM not in codes
    out = tmp_path / "dense.tflite"
    out.write_bytes(data)
    xq = sparse.quantize_input(x_test)
    assert np.array_equal(tflm_outputs(out, xq), sparse.predict(xq))
