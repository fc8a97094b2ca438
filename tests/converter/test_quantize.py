"""tfsparse.quantize: the TFLite converter's int8 model, zeros kept, per-channel switch, wrappers stripped."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tfsparse


def kernels(model):
    import keras

    return [layer.get_weights()[0] for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def test_zero_weights_stay_zero(sparse_keras_models, tflite_variants):
    model, _ = sparse_keras_models["lenet"]
    for per_channel in (True, False):
        path = tflite_variants[("lenet", per_channel, False)][0]
        sparse = tfsparse.convert(path, encoding="dense", remove_dead=False)  # the file's shapes
        for kernel, op in zip(kernels(model), sparse.fully_connected):
            w = op.weights.weights
            assert w.shape == kernel.T.shape
            assert np.all(w[kernel.T == 0] == 0)
            # Extra zeros only where the float weight rounds to 0 at its scale.
            extra = (w == 0) & (kernel.T != 0)
            scale = np.broadcast_to(op.weight_scale.reshape(-1, 1), w.shape)
            assert np.all(np.abs(kernel.T[extra]) <= scale[extra] * 0.5 + 1e-12)


def test_per_channel_switch(tflite_variants):
    for per_channel in (True, False):
        sparse = tfsparse.convert(tflite_variants[("digits", per_channel, False)][0])
        for op in sparse.fully_connected:
            assert op.weight_scale.size == (op.weights.shape[0] if per_channel else 1)
            assert op.multiplier.shape == (op.weights.shape[0],)
            if not per_channel:
                assert len(set(op.multiplier.tolist())) == 1 and len(set(op.shift.tolist())) == 1


def test_int8_input_and_output(tflite_variants):
    sparse = tfsparse.convert(tflite_variants[("lenet", True, True)][0])
    assert sparse.input_tensor.dtype == sparse.output_tensor.dtype == "int8"
    assert sparse.input_tensor.shape == (1, 784) and sparse.output_tensor.shape == (1, 10)
    q = sparse.output_tensor.quantization
    assert float(q.scale[0]) == 1 / 256 and int(q.zero_point[0]) == -128


def test_callable_representative_data(sparse_keras_models, tflite_variants):
    model, ((x_train, _), (x_test, _)) = sparse_keras_models["digits"]
    data = tfsparse.quantize(model, lambda: ([s[None]] for s in x_train[:300]), per_channel=True)
    from_array = tfsparse.convert(tflite_variants[("digits", True, False)][0])
    from_callable = tfsparse.convert(data)
    xq = from_array.quantize_input(x_test)
    assert np.array_equal(from_array.predict(xq), from_callable.predict(xq))


def test_pruning_wrappers_are_stripped(digits_data):
    from tfsparse import models

    (x, _), _ = digits_data
    wrapped = tfsparse.prune_low_magnitude(models.digits_mlp(seed=0), pruning_schedule=tfsparse.ConstantSparsity(0.5, 0))
    sparse = tfsparse.convert(tfsparse.quantize(wrapped, x[:50]))
    assert [op.kind for op in sparse.ops] == ["FULLY_CONNECTED"] * 3


def test_converting_lenet_takes_under_two_seconds(tflite_variants):
    path = tflite_variants[("lenet", True, True)][0]
    start = time.process_time()  # CPU time: the machine is shared
    sparse = tfsparse.convert(path)
    elapsed = time.process_time() - start
    print(f"convert(LeNet-300-100, 90% sparse): {elapsed:.3f} s CPU")
    assert elapsed <= 2.0 and len(sparse.fully_connected) == 3


def test_quantize_prints_nothing(sparse_keras_models, capfd):
    """The converter's C++ log lines and Keras' "Saved artifact" line are parked (shown only on failure)."""
    model = sparse_keras_models["digits"][0]
    capfd.readouterr()
    tflite = tfsparse.quantize(model, np.random.default_rng(0).random((20, 64), dtype=np.float32))
    out, err = capfd.readouterr()
    assert tflite[4:8] == b"TFL3"
    assert out == "" and err == "", (out, err)


def test_quantize_is_silent_in_interactive_sessions(sparse_keras_models):
    """Jupyter: TensorFlow sets its Python logger to INFO ("INFO:tensorflow:Assets written to ...")."""
    import logging

    logger = logging.getLogger("tensorflow")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        tfsparse.quantize(sparse_keras_models["digits"][0], np.random.default_rng(0).random((10, 64), dtype=np.float32))
        assert logger.level == logging.INFO  # restored
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [r.getMessage() for r in records if r.levelno < logging.WARNING] == []


@pytest.mark.parametrize("where", ["all", "one"])
def test_quantize_refuses_non_finite_calibration_data(sparse_keras_models, where):
    x = np.random.default_rng(0).random((10, 64), dtype=np.float32)
    if where == "all":
        x[:] = np.nan
    else:
        x[3, 5] = np.inf
    n = 640 if where == "all" else 1
    with pytest.raises(tfsparse.ConversionError, match=rf"representative_data holds {n} NaN or infinite values"):
        tfsparse.quantize(sparse_keras_models["digits"][0], x)
    with pytest.raises(tfsparse.ConversionError, match=r"representative_data \(batch 0 from the callable\) holds"):
        tfsparse.quantize(sparse_keras_models["digits"][0], lambda: iter([[x[None, 3]]]))


def test_quantize_input_checks_shape_and_finiteness(tflite_variants):
    sparse = tfsparse.convert(tflite_variants[("digits", True, False)][0])
    with pytest.raises(ValueError, match=r"quantize_input\(\): input shape \(2, 63\) does not match \(N, 64\)"):
        sparse.quantize_input(np.zeros((2, 63), np.float32))
    with pytest.raises(ValueError, match=r"input shape \(2, 8, 8\) does not match \(N, 64\).*x.reshape\(len\(x\), 64\)"):
        sparse.quantize_input(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"no batch axis; expected \(N, 64\)"):
        sparse.quantize_input(np.zeros(64, np.float32))
    x = np.zeros((3, 64), np.float32)
    x[1, 7] = np.nan
    with pytest.raises(ValueError, match=r"1 of 192 input values are NaN or infinite \(first at index \(1, 7\)"):
        sparse.quantize_input(x)
