"""Every op of convolutional and branched graphs against the TFLM interpreter, bit for bit.

Each case is a small Keras model quantized with ``tfsparse.quantize`` (per-channel weights) whose
``.tflite`` holds the op under test with one point of its parameter space (strides, padding,
dilation, depth multiplier, fused activation, different-scale ADD inputs, concatenation axes...).
``predict`` must equal TFLM's outputs on every byte, and the inputs must give distinct outputs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

N_INPUTS = 40


def _layers():
    import keras

    return keras.layers


def _add_broadcast(i):
    L = _layers()
    c = L.Conv2D(4, 3, padding="same")(i)
    return c + L.GlobalAveragePooling2D(keepdims=True)(L.Conv2D(4, 1)(i) * 4.0)


def _sigmoid_concat(i):  # LOGISTIC's fixed output scale forces an int8 -> int8 QUANTIZE before the concat
    L = _layers()
    return L.Concatenate()([L.Activation("sigmoid")(L.Dense(4)(i)), L.Dense(4)(i) * 8.0])


def _residual(i):
    L = _layers()
    x = L.ReLU()(L.BatchNormalization()(L.Conv2D(6, 3, padding="same")(i)))
    y = L.BatchNormalization()(L.Conv2D(6, 3, padding="same")(x))
    return L.ReLU()(L.Add()([x, y]))


# name: (expected op kind, model body, input shape)
CASES = {
    "conv_same_stride2_relu": ("CONV_2D", lambda i: _layers().Conv2D(6, (3, 5), strides=2, padding="same", activation="relu")(i), (9, 11, 3)),
    "conv_valid_dilation2": ("CONV_2D", lambda i: _layers().Conv2D(5, 3, dilation_rate=2)(i), (12, 10, 2)),
    "conv_same_dilation21_relu6": ("CONV_2D", lambda i: _layers().Conv2D(4, 3, dilation_rate=(2, 1), padding="same", activation="relu6")(i), (8, 8, 3)),
    "conv_valid_stride3x2": ("CONV_2D", lambda i: _layers().Conv2D(3, (4, 2), strides=(3, 2))(i), (13, 9, 2)),
    "conv_no_bias_valid": ("CONV_2D", lambda i: _layers().Conv2D(4, 2, use_bias=False)(i), (6, 7, 3)),
    "conv_1x1": ("CONV_2D", lambda i: _layers().Conv2D(7, 1)(i), (5, 5, 4)),
    "conv_1x1_stride2": ("CONV_2D", lambda i: _layers().Conv2D(7, 1, strides=2, padding="same")(i), (7, 7, 4)),
    "depthwise_same_relu": ("DEPTHWISE_CONV_2D", lambda i: _layers().DepthwiseConv2D(3, padding="same", activation="relu")(i), (8, 8, 4)),
    "depthwise_multiplier3_stride2": ("DEPTHWISE_CONV_2D", lambda i: _layers().DepthwiseConv2D((3, 2), strides=2, depth_multiplier=3, padding="same")(i), (9, 8, 2)),
    "depthwise_dilation2_multiplier2": ("DEPTHWISE_CONV_2D", lambda i: _layers().DepthwiseConv2D(3, dilation_rate=2, depth_multiplier=2)(i), (10, 10, 3)),
    "max_pool_same_stride2": ("MAX_POOL_2D", lambda i: _layers().MaxPooling2D(3, strides=2, padding="same")(_layers().Conv2D(3, 1)(i)), (9, 9, 2)),
    "max_pool_valid": ("MAX_POOL_2D", lambda i: _layers().MaxPooling2D((2, 3))(i), (8, 9, 3)),
    "average_pool_same_stride2": ("AVERAGE_POOL_2D", lambda i: _layers().AveragePooling2D(3, strides=2, padding="same")(i), (9, 8, 3)),
    "average_pool_valid": ("AVERAGE_POOL_2D", lambda i: _layers().AveragePooling2D((2, 3))(i), (8, 9, 3)),
    "mean_hw": ("MEAN", lambda i: _layers().GlobalAveragePooling2D()(_layers().Conv2D(16, 1)(i)), (6, 5, 3)),
    "mean_hw_keepdims": ("MEAN", lambda i: _layers().GlobalAveragePooling2D(keepdims=True)(i), (7, 5, 12)),
    "add_different_scales": ("ADD", lambda i: _layers().Add()([_layers().Conv2D(4, 1)(i), _layers().Conv2D(4, 3, padding="same")(i) * 3.0]), (5, 5, 3)),
    "add_fused_relu_residual": ("ADD", _residual, (6, 6, 3)),
    "add_dense_branches": ("ADD", lambda i: _layers().ReLU()(_layers().Add()([_layers().Dense(8)(i), _layers().Dense(8)(i)])), (6,)),
    "add_broadcast": ("ADD", _add_broadcast, (5, 4, 3)),
    "concat_dense_branches": ("CONCATENATION", lambda i: _layers().Concatenate()([_layers().Dense(5, activation="relu")(i), _layers().Dense(3)(i)]), (6,)),
    "concat_channels": ("CONCATENATION", lambda i: _layers().Concatenate(axis=-1)([_layers().Conv2D(2, 1)(i), _layers().Conv2D(3, 3, padding="same")(i)]), (5, 5, 2)),
    "concat_height": ("CONCATENATION", lambda i: _layers().Concatenate(axis=1)([_layers().Conv2D(2, 1)(i), _layers().Conv2D(2, 1)(i)]), (4, 5, 2)),
    "pad": ("PAD", lambda i: _layers().Conv2D(3, 3)(_layers().ZeroPadding2D(((1, 2), (0, 3)))(i)), (5, 5, 2)),
    "logistic": ("LOGISTIC", lambda i: _layers().Activation("sigmoid")(_layers().Dense(16)(i)), (8,)),
    "quantize_int8_to_int8": ("QUANTIZE", _sigmoid_concat, (6,)),
    "conv1d_same_relu": ("CONV_2D", lambda i: _layers().Conv1D(4, 3, padding="same", activation="relu")(i), (12, 3)),
}


def _build(name, body, shape):
    import keras

    keras.utils.set_random_seed(sum(map(ord, name)))
    inputs = keras.Input(shape=shape, name="input")
    return keras.Model(inputs, body(inputs), name=name)


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=(N_INPUTS,) + tuple(shape)).astype(np.float32)


@pytest.fixture(scope="module")
def op_models(tmp_path_factory):
    """{case: path of its int8 .tflite}, quantized once per session."""
    import tfsparse

    root = tmp_path_factory.mktemp("conv_ops")
    out = {}
    for name, (_, body, shape) in CASES.items():
        path = root / f"{name}.tflite"
        path.write_bytes(tfsparse.quantize(_build(name, body, shape), _inputs(shape, 1)[:20]))
        out[name] = path
    return out


def _compare(sparse, path, x, tflm_invoke):
    xq = sparse.quantize_input(x)
    ours = sparse.predict(xq)
    theirs = tflm_invoke(path, xq)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.int8
    mismatches = int(np.count_nonzero(ours != theirs))
    distinct = len(np.unique(theirs.reshape(len(theirs), -1), axis=0))
    return mismatches, distinct, ours.size


@pytest.mark.parametrize("name", list(CASES))
def test_op_bit_exact_with_tflm(name, op_models, tflm_invoke):
    import tfsparse

    kind, _, shape = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every op of these graphs must have a kernel
        sparse = tfsparse.convert(op_models[name])
    assert kind in [op.kind for op in sparse.ops]
    mismatches, distinct, size = _compare(sparse, op_models[name], _inputs(shape), tflm_invoke)
    assert mismatches == 0, f"{name}: {mismatches} of {size} output bytes differ from TFLM"
    assert distinct >= 20


def test_flatten_is_one_reshape_at_batch_one(op_models):
    import tfsparse

    kinds = [op.kind for op in tfsparse.convert(op_models["conv1d_same_relu"]).ops]
    assert kinds == ["RESHAPE", "CONV_2D", "RESHAPE"]


def test_expand_dims_from_a_dynamic_batch_conv1d(tmp_path, tflm_invoke):
    """TFLite's own converter on a dynamic-batch Conv1D emits EXPAND_DIMS + CONV_2D (tfsparse.quantize
    converts at batch 1, where the converter writes a RESHAPE instead)."""
    import tensorflow as tf

    import tfsparse

    model = _build("conv1d_dynamic", lambda i: _layers().Conv1D(4, 3, strides=2, activation="relu")(i), (12, 3))
    x = _inputs((12, 3))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([s[None]] for s in x[:20])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    path = tmp_path / "conv1d.tflite"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        path.write_bytes(converter.convert())
    sparse = tfsparse.convert(path)
    assert "EXPAND_DIMS" in [op.kind for op in sparse.ops]
    mismatches, distinct, _ = _compare(sparse, path, x, tflm_invoke)
    assert mismatches == 0 and distinct >= 20


def _sparse_conv(tmp_path_factory):
    """(path, input shape) of an int8 model of one 80%-pruned 3x3 SAME convolution (built once)."""
    import tfsparse

    path = tmp_path_factory.getbasetemp() / "sparse_conv.tflite"
    shape = (10, 9, 8)
    if not path.exists():
        model = _build("sparse_conv", lambda i: _layers().Conv2D(12, 3, strides=(1, 2), padding="same", activation="relu")(i), shape)
        conv = model.layers[-1]
        kernel, bias = conv.get_weights()
        keep = np.abs(kernel) >= np.quantile(np.abs(kernel), 0.8)
        conv.set_weights([kernel * keep, bias + 0.05])
        path.write_bytes(tfsparse.quantize(model, _inputs(shape, 1)[:20]))
    return path, shape


@pytest.mark.parametrize("encoding", ["smallest", "abs_u8", "abs_u16", "rel8", "rel4", "dense"])
def test_sparse_conv_bit_exact_in_every_encoding(encoding, tmp_path_factory, tflm_invoke):
    """An 80%-pruned 3x3 convolution with SAME padding (padded taps carry the input zero point)."""
    import tfsparse

    path, shape = _sparse_conv(tmp_path_factory)
    sparse = tfsparse.convert(path, encoding=encoding)
    (conv_op,) = [op for op in sparse.ops if op.kind == "CONV_2D"]
    assert conv_op.weights.encoding == (encoding if encoding != "smallest" else conv_op.weights.encoding)
    assert conv_op.weights.shape == (12, 3 * 3 * 8)
    if encoding == "smallest":
        assert conv_op.weights.encoding != "dense" and conv_op.weights.nbytes < 12 * 72
        assert conv_op.choice_reason
    mismatches, distinct, _ = _compare(sparse, path, _inputs(shape), tflm_invoke)
    assert mismatches == 0 and distinct >= 20


@pytest.mark.parametrize("scale", [0.5, 4.0, 20.0])
def test_logistic_every_int8_input(scale, tmp_path, tflm_invoke):
    """All 256 int8 inputs through LOGISTIC (inside, at and beyond the input radius) at three input scales."""
    import tfsparse

    model = _build("sigmoid", lambda i: _layers().Activation("sigmoid")(i), (256,))
    calibration = np.random.default_rng(0).uniform(-scale, scale, (20, 256)).astype(np.float32)
    path = tmp_path / "sigmoid.tflite"
    path.write_bytes(tfsparse.quantize(model, calibration))
    sparse = tfsparse.convert(path)
    assert [op.kind for op in sparse.ops] == ["LOGISTIC"]
    xq = np.arange(-128, 128, dtype=np.int8)[None]
    ours, theirs = sparse.predict(xq), tflm_invoke(path, xq)
    assert np.array_equal(ours, theirs)
    assert len(np.unique(theirs)) > 20


def test_grouped_convolution_passes_through(tmp_path):
    """A valid op whose parameters have no kernel (groups=2) is kept for TFLM and named once."""
    import tfsparse

    model = _build("grouped", lambda i: _layers().Conv2D(4, 3, groups=2, name="grouped_conv")(i), (6, 6, 4))
    path = tmp_path / "grouped.tflite"
    path.write_bytes(tfsparse.quantize(model, _inputs((6, 6, 4))[:20]))
    # (the converter names this op's tensors after nothing of the Keras model: it is "conv_2d_0")
    with pytest.warns(tfsparse.UnsupportedOpWarning, match=r"grouped.tflite.*1 op.*CONV_2D.*grouped convolution"):
        sparse = tfsparse.convert(path)
    (op,) = sparse.ops
    assert op.kind == "PASSTHROUGH" and op.options_type == "Conv2DOptions" and op.options["strideW"] == 1
    assert len(op.all_inputs) == 3 and all(sparse.tensors[i].data is not None for i in op.all_inputs[1:])
    with pytest.raises(tfsparse.ConversionError, match=r"grouped.tflite.*cannot run 1 op: CONV_2D"):
        sparse.predict(sparse.quantize_input(_inputs((6, 6, 4))[:1]))


def test_run_visits_every_op_of_a_branched_graph(op_models):
    """``executor.run`` hands each op its inputs in ``op.inputs`` order (both branches of an ADD)."""
    import tfsparse
    from tfsparse.converter import executor

    sparse = tfsparse.convert(op_models["add_fused_relu_residual"])
    xq = sparse.quantize_input(_inputs((6, 6, 3))[:3])
    seen = []
    out = executor.run(sparse, xq, visit=lambda op, xs, y: seen.append((op.kind, len(xs), y.shape)))
    assert np.array_equal(out, sparse.predict(xq))
    assert [k for k, _, _ in seen] == [op.kind for op in sparse.ops] and ("ADD", 2, (3, 6, 6, 6)) in seen


def test_forced_narrow_encoding_on_a_wide_conv_names_the_layer(tmp_path):
    import tfsparse

    model = _build("wide", lambda i: _layers().Conv2D(4, 3, name="wide_conv")(i), (5, 5, 40))  # 360 taps
    path = tmp_path / "wide.tflite"
    path.write_bytes(tfsparse.quantize(model, _inputs((5, 5, 40))[:20]))
    with pytest.raises(tfsparse.ConversionError, match=r"wide_conv.*abs_u8.*256 columns"):
        tfsparse.convert(path, encoding="abs_u8")
    (op,) = tfsparse.convert(path, encoding="abs_u16").ops
    assert op.weights.encoding in ("abs_u16", "dense") and op.choice_reason


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m0"])
def test_conv_goes_through_the_shared_chooser(target, tmp_path_factory):
    """Each policy picks a convolution's form among the conv kernels' forms by costmodel.op_cost."""
    import dataclasses

    import tfsparse
    from tfsparse import costmodel
    from tfsparse.converter import chooser, csr
    from tfsparse.converter.ops.conv_2d import CONV_ENCODINGS

    path, _ = _sparse_conv(tmp_path_factory)
    dense_model = tfsparse.convert(path, encoding="dense", target=target)
    (op,) = [o for o in dense_model.ops if o.kind == "CONV_2D"]
    w = csr.decode(op.weights)
    cost = {}
    for enc in ("dense",) + chooser.candidates(w.shape[1], False, "CONV_2D"):
        trial = dataclasses.replace(op, weights=csr.encode(w, enc))
        cost[enc] = costmodel.op_cost(trial, dense_model, target)
    assert "csc8" not in cost and set(cost) <= set(CONV_ENCODINGS) and len(cost) > 2
    base = cost["dense"]
    sparse_forms = {e: c for e, c in cost.items() if e != "dense"}
    picked = {}
    for policy in ("smallest", "fastest", "default"):
        (conv,) = [o for o in tfsparse.convert(path, encoding=policy, target=target).ops if o.kind == "CONV_2D"]
        picked[policy] = conv.weights.encoding
        assert conv.choice_reason and conv.weights.encoding in conv.choice_reason
        assert np.array_equal(csr.decode(conv.weights), w)
    smaller = {e: c for e, c in sparse_forms.items() if c.flash_bytes < base.flash_bytes}
    assert picked["smallest"] == (min(smaller, key=lambda e: (smaller[e].flash_bytes, smaller[e].instructions))
                                  if smaller else "dense")
    faster = {e: c for e, c in sparse_forms.items() if c.instructions < base.instructions}
    assert picked["fastest"] == (min(faster, key=lambda e: (faster[e].instructions, faster[e].flash_bytes))
                                 if faster else "dense")
    ok = [e for e, c in sparse_forms.items()
          if c.flash_bytes <= base.flash_bytes and c.instructions <= base.instructions]
    assert (picked["default"] in ok) if ok else picked["default"] == "dense"
    # A form the conv kernels lack falls back to the smallest they have, and says so.
    (conv,) = [o for o in tfsparse.convert(path, encoding="csc8", target=target).ops if o.kind == "CONV_2D"]
    assert conv.weights.encoding == picked["smallest"] and "csc8 has no CONV_2D kernel" in conv.choice_reason


def test_branched_conv_model_summary_profile_and_dead_units(op_models):
    """A residual conv graph (CONV_2D x2 + ADD): densities measured with representative data, one
    summary table with every op, a profile that names what the cost model cannot price, and
    dead-unit elimination that leaves the graph bit-identical."""
    import tfsparse
    from tfsparse import costmodel

    path = op_models["add_fused_relu_residual"]
    x = _inputs((6, 6, 3))[:50]
    sparse = tfsparse.convert(path, representative_data=x)
    kinds = [op.kind for op in sparse.ops]
    assert kinds.count("CONV_2D") == 2 and "ADD" in kinds
    assert all(op.choice_reason for op in sparse.ops if op.kind == "CONV_2D")
    xq = sparse.quantize_input(x)
    assert np.array_equal(sparse.predict(xq), tfsparse.convert(path, remove_dead=False).predict(xq))

    printed = []
    info = sparse.summary(print_fn=printed.append)
    (text,) = printed
    assert [r["op"] for r in info["ops"]] == kinds
    assert [l["op"] for l in info["layers"]] == ["CONV_2D", "CONV_2D"]
    for head in ("layer", "op", "kernel", "encoding", "bytes", "pred. instr", "reason", "removed"):
        assert head in text
    for op in sparse.ops:
        if op.kind == "CONV_2D":
            row = next(r for r in info["ops"] if r["name"] == op.name)
            assert row["instructions"] == pytest.approx(costmodel.op_cost(op, sparse, "cortex-m4").instructions)
            assert op.choice_reason in text

    prof = tfsparse.profile(sparse, "cortex-m4", inputs=x)
    assert [l.op for l in prof.layers] == kinds
    priced = [l for l in prof.layers if l.op in costmodel.COST_FUNCTIONS]
    assert {l.op for l in priced} >= {"CONV_2D", "ADD"} and all(l.instructions > 0 for l in priced)
    assert prof.instructions == pytest.approx(sum(l.instructions for l in priced) + prof.overhead_instructions)
    assert prof.unpriced == () and tuple(prof.to_dict()["unpriced"]) == ()
    assert "not priced" not in str(prof)


@pytest.mark.parametrize("case", ["concat_dense_branches", "add_dense_branches"])
def test_dead_units_skip_branches_exactly(case, op_models):
    """FC outputs that feed ADD / CONCATENATION are left alone; outputs stay bit-identical."""
    import tfsparse

    kept = tfsparse.convert(op_models[case], remove_dead=False)
    sparse = tfsparse.convert(op_models[case])
    xq = sparse.quantize_input(_inputs(kept.input_tensor.shape[1:]))
    assert np.array_equal(sparse.predict(xq), kept.predict(xq))
    assert [op.weights.shape for op in sparse.ops if op.kind == "FULLY_CONNECTED"] == \
        [op.weights.shape for op in kept.ops if op.kind == "FULLY_CONNECTED"]
