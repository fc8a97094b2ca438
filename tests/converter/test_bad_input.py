"""Inputs convert() and quantize() refuse, each with a ConversionError that says what to do."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse import ConversionError


@pytest.fixture(scope="module")
def small_model():
    from tfsparse import models

    return models.digits_mlp(seed=1)


@pytest.fixture(scope="module")
def float_tflite(small_model):
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(small_model).convert()


@pytest.fixture(scope="module")
def int16_tflite(small_model, digits_data):
    import tensorflow as tf

    (x, _), _ = digits_data
    converter = tf.lite.TFLiteConverter.from_keras_model(small_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([s[None]] for s in x[:50])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = tf.int16
    converter.inference_output_type = tf.int16
    return converter.convert()


@pytest.fixture(scope="module")
def valid_tflite(small_model, digits_data):
    (x, _), _ = digits_data
    return tfsparse.quantize(small_model, x[:50])


def test_float_model_says_use_quantize(float_tflite, tmp_path):
    path = tmp_path / "float_model.tflite"
    path.write_bytes(float_tflite)
    with pytest.raises(ConversionError, match=r"float32.*tfsparse\.quantize") as info:
        tfsparse.convert(path)
    assert "float_model.tflite" in str(info.value)


def test_int16_activation_model_says_use_quantize(int16_tflite):
    with pytest.raises(ConversionError, match=r"int16.*tfsparse\.quantize"):
        tfsparse.convert(int16_tflite)


@pytest.mark.parametrize("data", [b"", b"\x00" * 3, b"not a flatbuffer at all, just text"])
def test_empty_or_foreign_bytes(data, tmp_path):
    path = tmp_path / "broken.tflite"
    path.write_bytes(data)
    with pytest.raises(ConversionError, match="broken.tflite.*not a .tflite"):
        tfsparse.convert(path)
    with pytest.raises(ConversionError, match="<bytes>"):
        tfsparse.convert(data)


def test_truncated_file_names_the_file(valid_tflite, tmp_path):
    path = tmp_path / "cut.tflite"
    for size in (16, 100, len(valid_tflite) // 2, len(valid_tflite) - 100):
        path.write_bytes(valid_tflite[:size])
        with pytest.raises(ConversionError, match="cut.tflite"):
            tfsparse.convert(path)


def test_corrupted_bytes_raise_only_conversion_errors(valid_tflite):
    """Damaged files either still parse (damage inside weight data) or raise ConversionError, never a
    flatbuffers/struct/numpy traceback."""
    rng = np.random.default_rng(0)
    raised = 0
    for trial in range(150):
        data = bytearray(valid_tflite)
        start = int(rng.integers(0, min(len(data), 3000)))
        data[start : start + 16] = rng.integers(0, 256, 16).astype(np.uint8).tobytes()
        try:
            tfsparse.convert(bytes(data))
        except ConversionError as exc:
            assert "<bytes>" in str(exc)
            raised += 1
    assert raised > 0


def test_missing_path(tmp_path):
    missing = tmp_path / "nowhere" / "model.tflite"
    with pytest.raises(ConversionError, match="model.tflite.*does not exist"):
        tfsparse.convert(missing)
    with pytest.raises(ConversionError, match="does not exist"):
        tfsparse.convert(str(missing))
    with pytest.raises(ConversionError, match="bytes or a path"):
        tfsparse.convert(12)


def test_ops_without_kernel_pass_through_with_one_warning_naming_all(digits_data, tmp_path):
    import warnings

    import keras

    from tfsparse import UnsupportedOpWarning

    (x, _), _ = digits_data
    inputs = keras.Input((64,))
    h = keras.layers.Dense(16, activation="tanh", name="squash")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="tanh", name="head")(h))
    path = tmp_path / "tanh_mlp.tflite"
    path.write_bytes(tfsparse.quantize(model, x[:20]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sparse = tfsparse.convert(path)
    found = [w for w in caught if issubclass(w.category, UnsupportedOpWarning)]
    assert len(found) == 1, [str(w.message) for w in caught]
    message = str(found[0].message)
    assert str(path) in message and "<bytes>" not in message
    assert "TANH" in message and "'squash'" in message and "'head'" in message
    kept = [op for op in sparse.ops if op.kind == "PASSTHROUGH"]
    assert [op.op_name for op in kept] == ["TANH", "TANH"] and [op.layer for op in kept] == ["squash", "head"]
    assert all(op.all_inputs and op.outputs and op.builtin_code > 0 for op in kept)
    with pytest.raises(ConversionError, match=r"tanh_mlp.tflite.*cannot run 2 ops: TANH.*squash.*TANH.*head"):
        sparse.predict(sparse.quantize_input(x[:2]))


def test_unknown_encoding(valid_tflite):
    with pytest.raises(ConversionError, match="encoding='tiny'.*smallest"):
        tfsparse.convert(valid_tflite, encoding="tiny")


def test_user_file_is_left_alone(valid_tflite, tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(valid_tflite)
    before = path.stat().st_mtime_ns
    tfsparse.convert(path).to_tflite()
    assert path.read_bytes() == valid_tflite and path.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]


def test_predict_refuses_float_and_misshaped_inputs(valid_tflite):
    sparse = tfsparse.convert(valid_tflite)
    with pytest.raises(TypeError, match="quantize_input"):
        sparse.predict(np.zeros((2, 64), np.float32))
    with pytest.raises(ValueError, match="batch axis"):
        sparse.predict(np.zeros(64, np.int8))
    with pytest.raises(ValueError, match="does not match"):
        sparse.predict(np.zeros((2, 63), np.int8))


def test_quantize_refuses_mismatched_representative_data(small_model):
    with pytest.raises(ConversionError, match=r"representative_data has shape \(5, 3\)"):
        tfsparse.quantize(small_model, np.zeros((5, 3), np.float32))
