"""Full-integer int8 quantization of a Keras 3 model with TensorFlow's own TFLite converter."""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np

from .._quiet import quiet_native_output
from ..errors import ConversionError

__all__ = ["quantize"]


def _strip_wrappers(model):
    """The model without pruning wrappers (tfsparse's ``strip_pruning``), or the model itself."""
    if any(type(layer).__name__ == "PruneLowMagnitude" for layer in getattr(model, "layers", ())):
        from ..pruning.api import strip_pruning

        return strip_pruning(model)
    return model


def _batch_one(model, input_shape):
    """The model behind a batch-1 input: the converter then folds Flatten into one RESHAPE (a dynamic
    batch makes it SHAPE + STRIDED_SLICE + PACK + RESHAPE), and TFLM runs batch 1 anyway."""
    import keras

    inp = keras.Input(batch_shape=(1,) + tuple(input_shape[1:]), name="input")
    return keras.Model(inp, model(inp), name=model.name)


def _check_finite(samples: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(samples)
    if bad.any():
        rows = np.unique(np.argwhere(bad)[:, 0]) if samples.ndim > 1 else np.argwhere(bad)[:, 0]
        raise ConversionError(
            f"representative_data{where} holds {int(bad.sum())} NaN or infinite values (in {len(rows)} of "
            f"{len(samples)} samples, first sample {int(rows[0])}); calibration needs finite inputs: drop or "
            "fix those samples (e.g. x[np.isfinite(x).all(axis=tuple(range(1, x.ndim)))])"
        )


def _representative_dataset(representative_data, input_shape):
    """The converter's ``representative_dataset`` callable from an array or a callable."""
    if callable(representative_data):

        def checked():
            for i, batch in enumerate(representative_data()):
                for array in batch:
                    _check_finite(np.asarray(array, np.float32), f" (batch {i} from the callable)")
                yield batch

        return checked
    try:
        samples = np.asarray(representative_data, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ConversionError(
            "representative_data must be an array of samples (first axis = samples) or a callable "
            f"returning an iterator of input lists; got {type(representative_data).__name__}"
        ) from exc
    expected = tuple(input_shape[1:])
    if samples.ndim < 1 or samples.shape[0] == 0 or tuple(samples.shape[1:]) != expected:
        raise ConversionError(
            f"representative_data has shape {samples.shape}; expected (samples, {', '.join(map(str, expected))}) "
            "to match the model input"
        )
    _check_finite(samples, "")

    def gen():
        for sample in samples:
            yield [sample[None, ...]]

    return gen


def quantize(model, representative_data, *, per_channel: bool = True) -> bytes:
    """Quantize a Keras 3 model to a full-integer int8 ``.tflite`` (int8 input and output).

    TensorFlow's ``tf.lite.TFLiteConverter`` does the work (weights int8 symmetric, activations int8
    calibrated on ``representative_data``, int32 biases); a model wrapped for pruning is stripped
    first. A weight that is exactly zero stays exactly zero.

    Args:
        model: a built Keras 3 model with one input and one output (Keras 3 on the TensorFlow backend).
        representative_data: calibration inputs: an array whose first axis is samples (float, shaped
            like the model input without the batch axis), or a callable returning an iterator of
            ``[input_batch]`` lists, as the converter's ``representative_dataset`` takes.
        per_channel: one weight scale per output unit of each Dense layer (the converter's default);
            ``False`` gives one scale per Dense layer.

    Returns:
        The ``.tflite`` flatbuffer as bytes; pass it to :func:`tfsparse.convert`.

    Raises:
        ConversionError: the model has several inputs or outputs, ``representative_data`` does not
            match the input or holds NaN or infinite values, or the converter fails (its message is
            included).

    Example:
        >>> tflite = tfsparse.quantize(model, x_train[:200])  # doctest: +SKIP
        >>> sparse = tfsparse.convert(tflite)  # doctest: +SKIP
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    model = _strip_wrappers(model)
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(model.outputs) != 1:
        raise ConversionError(
            f"model {getattr(model, 'name', model)!r} must be a built Keras model with exactly one input "
            "and one output (call it once on data or give it a keras.Input)"
        )
    input_shape = tuple(inputs[0].shape)
    converter = tf.lite.TFLiteConverter.from_keras_model(_batch_one(model, input_shape))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative_dataset(representative_data, input_shape)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    if not per_channel:
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    # Keras' export prints "Saved artifact at ..." and the converter logs its graph passes from C++:
    # both are parked and shown only if the conversion fails.
    try:
        with quiet_native_output(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
            return bytes(converter.convert())
    except ConversionError:
        raise
    except Exception as exc:  # the converter raises many types; keep its message
        raise ConversionError(f"the TFLite converter failed on model {model.name!r}: {exc}") from exc
