"""``to_tflite()`` of convolutional and branched graphs: only the layers tfsparse runs sparse become
custom ops (TFSPARSE_CONV_2D, TFSPARSE_FULLY_CONNECTED); every other op, pass-through ops tfsparse has
no kernel for included, is written back as the TFLM builtin it was. The TFLM interpreter runs the
all-dense ``to_tflite()`` bit-exactly like the original ``.tflite``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from flatbuffers import flexbuffers

import tfsparse
from tfsparse.converter.schema import enum_names, schema
from tfsparse.converter.tflite_reader import UnsupportedOpWarning


@pytest.fixture(scope="session")
def branched_conv_tflite(tmp_path_factory):
    """(path, float inputs) of a small int8 graph with every op kind the converter writes back, a
    branch (ADD, CONCATENATION) and a TANH that tfsparse cannot run (a pass-through); 80% of the
    Conv2D / Dense weights are zero."""
    import keras

    keras.utils.set_random_seed(7)
    L = keras.layers
    inp = keras.Input((24, 24, 3))
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_a")(inp)
    y = L.DepthwiseConv2D(3, padding="same", activation="relu6", name="dw")(x)
    y = L.Conv2D(8, 1, name="pw")(y)
    z = L.Add(name="add")([x, y])
    z = L.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(z)
    p = L.MaxPooling2D(2, name="maxpool")(z)
    q = L.AveragePooling2D(2, name="avgpool")(z)
    c = L.Concatenate(name="concat")([p, q])
    c = L.Conv2D(12, 3, dilation_rate=2, padding="valid", name="conv_dil")(c)
    t = L.Activation("tanh", name="tanh")(c)
    g = L.GlobalAveragePooling2D(name="gap")(t)
    out = L.Dense(5, name="fc")(g)
    model = keras.Model(inp, out)
    for layer in model.layers:
        if type(layer) in (L.Conv2D, L.Dense):
            w = layer.get_weights()
            w[0] = w[0] * (np.abs(w[0]) > np.quantile(np.abs(w[0]), 0.8))
            layer.set_weights(w)
    x_data = np.random.default_rng(0).normal(size=(48, 24, 24, 3)).astype(np.float32)
    path = tmp_path_factory.mktemp("branched") / "branched_conv.tflite"
    path.write_bytes(tfsparse.quantize(model, x_data))
    return path, x_data


def _op_names(data: bytes):
    s = schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAs(data, 0))
    names = enum_names()[0]
    codes = [names[max(c.builtinCode, c.deprecatedBuiltinCode)] if c.builtinCode != 32 else c.customCode.decode()
             for c in model.operatorCodes]
    return [codes[op.opcodeIndex] for op in model.subgraphs[0].operators], model


def _convert(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedOpWarning)
        return tfsparse.convert(path, **kwargs)


def test_dense_to_tflite_runs_in_tflm_like_the_original(branched_conv_tflite, tflm_invoke, tmp_path):
    path, x = branched_conv_tflite
    dense = _convert(path, encoding="dense")
    assert "PASSTHROUGH" in [op.kind for op in dense.ops]
    data = dense.to_tflite()
    names, _ = _op_names(data)
    original, _ = _op_names(path.read_bytes())
    assert names == original  # every op kept as the builtin it was, TANH included
    (tmp_path / "dense.tflite").write_bytes(data)
    xq = dense.quantize_input(x[:16])
    expected = tflm_invoke(path, xq)
    got = tflm_invoke(tmp_path / "dense.tflite", xq)
    assert int((got != expected).sum()) == 0


def test_sparse_layers_become_custom_ops_and_round_trip(branched_conv_tflite):
    path, x = branched_conv_tflite
    sparse = _convert(path, encoding="rel8")
    data = sparse.to_tflite()
    names, model = _op_names(data)
    sparse_convs = [op for op in sparse.ops if op.kind == "CONV_2D"]
    assert names.count("TFSPARSE_CONV_2D") == len(sparse_convs) == 3
    assert names.count("TFSPARSE_FULLY_CONNECTED") == 1
    assert "CONV_2D" not in names and "FULLY_CONNECTED" not in names
    for kept in ("DEPTHWISE_CONV_2D", "ADD", "PAD", "MAX_POOL_2D", "AVERAGE_POOL_2D", "CONCATENATION", "TANH", "MEAN"):
        assert kept in names
    graph = model.subgraphs[0]
    dil = next(op for op, name in zip(graph.operators, names) if name == "TFSPARSE_CONV_2D"
               and flexbuffers.Loads(bytes(op.customOptions))["dilation_height_factor"] == 2)
    options = flexbuffers.Loads(bytes(dil.customOptions))
    assert (options["padding"], options["filter_height"], options["input_channels"], options["rows"]) == ("VALID", 3, 16, 12)
    back = _convert(data)
    assert [op.kind for op in back.ops] == [op.kind for op in sparse.ops]
    assert [getattr(getattr(op, "weights", None), "encoding", None) for op in back.ops] == [
        getattr(getattr(op, "weights", None), "encoding", None) for op in sparse.ops]
    with pytest.raises(tfsparse.errors.ConversionError, match="tanh"):
        sparse.predict(sparse.quantize_input(x[:2]))
