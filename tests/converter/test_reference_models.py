"""The five MLPerf Tiny reference models end to end in the NumPy executor, against TFLM.

Each is trained briefly, 80% pruned (Conv2D and Dense kernels), quantized (``reference_models``
fixture, cached on disk), converted with the default policy and run on 120 inputs; its logits and its
softmax outputs must equal the TFLM interpreter's byte for byte, and the logits must differ between
inputs (>= 20 distinct vectors) so that 0 mismatches means something.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tfsparse
from tfsparse.converter.schema import enum_names, schema

NAMES = ("mnist_cnn", "ds_cnn", "resnet8", "mobilenet_v1", "fc_autoencoder")
# Ops the reference models may contain after conversion (BatchNormalization leaves none of its own).
ALLOWED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE", "ADD",
           "SOFTMAX"}


def _convert(path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pass-through op in any reference model
        return tfsparse.convert(path, **options)


def _file_ops(path) -> list:
    s = schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAs(path.read_bytes(), 0))
    names = enum_names()[0]
    codes = [names[max(c.builtinCode, c.deprecatedBuiltinCode)] for c in model.operatorCodes]
    return [codes[op.opcodeIndex] for op in model.subgraphs[0].operators]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_reference_model_bit_exact_with_tflm(name, reference_models, tflm_invoke):
    ref = reference_models[name]
    assert len(ref.x_test) >= 100
    for path in dict.fromkeys([ref.tflite_logits, ref.tflite]):
        sparse = _convert(path)
        xq = sparse.quantize_input(ref.x_test)
        ours, theirs = sparse.predict(xq), tflm_invoke(path, xq)
        mismatches = int(np.count_nonzero(ours != theirs))
        assert mismatches == 0, f"{path.name}: {mismatches} of {ours.size} output bytes differ from TFLM"
        if path == ref.tflite_logits:
            assert len(np.unique(theirs.reshape(len(theirs), -1), axis=0)) >= 20


@pytest.mark.parametrize("name", NAMES)
def test_batchnorm_folds_into_the_weights(name, reference_models):
    """No op of BatchNormalization's own survives, and each Keras Conv/Dense layer is exactly one op."""
    import keras

    from tfsparse import models

    model = getattr(models, name)(seed=0)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == (name != "mnist_cnn")
    ops = _file_ops(reference_models[name].tflite)
    assert set(ops) <= ALLOWED, sorted(set(ops) - ALLOWED)

    def count(*types):
        return sum(type(layer) in types for layer in model.layers)

    assert ops.count("DEPTHWISE_CONV_2D") == count(keras.layers.DepthwiseConv2D)
    assert ops.count("CONV_2D") == count(keras.layers.Conv2D)
    assert ops.count("FULLY_CONNECTED") == count(keras.layers.Dense)
    assert ops.count("ADD") == count(keras.layers.Add)
    # Batch 1: Flatten is one RESHAPE, or none when FULLY_CONNECTED reads the pooled 1x1 map directly.
    assert ops.count("RESHAPE") <= count(keras.layers.Flatten)


@pytest.mark.parametrize("name", NAMES)
def test_pruned_layers_stay_sparse(name, reference_models):
    """Every Conv2D/Dense op holds 20% nonzeros (before dead-unit elimination, which drops all-zero
    rows and columns and so raises the density of what stays) and the default policy stores it as
    CSR, with the chooser's reason (dense only where every sparse form is larger or slower);
    resnet8's and mnist_cnn's weight arrays are <= 40% of their dense int8 weights, under the default
    policy and under "smallest"."""
    kinds = ("CONV_2D", "FULLY_CONNECTED")
    for op in _convert(reference_models[name].tflite, remove_dead=False).ops:
        if op.kind in kinds:
            rows, cols = op.weights.shape
            assert 0.15 <= op.weights.nnz / (rows * cols) <= 0.205, op.name
    sparse = _convert(reference_models[name].tflite)
    weighted = [op for op in sparse.ops if op.kind in kinds]
    assert weighted
    for op in weighted:
        # A layer may stay dense only where the cost model says every sparse form is larger or slower
        # (mnist_cnn's conv1: 144 weights over one input channel, where the dense kernel is faster).
        if op.weights.encoding == "dense":
            assert op.choice_reason.startswith("dense: every sparse form is larger or slower"), (op.name, op.choice_reason)
        else:
            assert op.weights.encoding in op.choice_reason, op.name
    # ... and those are small: the sparse layers hold at least 99% of the weights.
    held = sum(int(np.prod(op.weights.shape)) for op in weighted if op.weights.encoding != "dense")
    assert held >= 0.99 * sum(int(np.prod(op.weights.shape)) for op in weighted), name
    if name in ("resnet8", "mnist_cnn"):
        # The size goal holds under the default policy (smallest product of bytes and predicted
        # instructions: resnet8's larger convolutions and mnist_cnn's 800-input Dense layer take rel4)
        # and under "smallest".
        for policy, model in (("default", sparse), ("smallest", _convert(reference_models[name].tflite, encoding="smallest"))):
            chosen = [op for op in model.ops if op.kind in kinds]
            sparse_bytes = sum(op.weights.nbytes for op in chosen)
            dense_bytes = sum(int(np.prod(op.weights.shape)) for op in chosen)
            assert sparse_bytes <= 0.40 * dense_bytes, (policy, sparse_bytes / dense_bytes)
    report = sparse.summary(print_fn=None)
    assert [layer["name"] for layer in report["layers"]] == [
        op.name for op in sparse.ops if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]


def test_mnist_cnn_int8_accuracy_close_to_float(reference_models):
    ref = reference_models["mnist_cnn"]
    sparse = _convert(ref.tflite_logits)
    int8 = np.mean(sparse.predict(sparse.quantize_input(ref.x_test)).argmax(axis=1) == ref.y_test)
    float_ = np.mean(ref.float_outputs.argmax(axis=1) == ref.y_test)
    assert float_ >= 0.85 and abs(int8 - float_) <= 0.02
