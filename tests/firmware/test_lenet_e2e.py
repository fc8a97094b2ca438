"""End to end: LeNet-300-100 trained briefly and pruned to 90% -> quantize -> convert -> generate ->
run on emulated Cortex-M4 for 1000 test digits, bit-exact with the TFLM interpreter on the .tflite."""

from __future__ import annotations

import json

import numpy as np
import pytest

SPARSITY = 0.9
N_DIGITS = 1000


@pytest.fixture(scope="module")
def lenet_model(mnist_data):
    """LeNet-300-100 trained for 3 epochs while pruned to 90% with tfsparse's Keras 3 API, stripped."""
    import keras

    import tfsparse
    from tfsparse import models

    (x_train, y_train), _ = mnist_data
    keras.utils.set_random_seed(0)
    steps = 3 * int(np.ceil(len(x_train) / 128))
    pruned = tfsparse.prune_low_magnitude(
        models.lenet_300_100(seed=0), tfsparse.PolynomialDecay(0.0, SPARSITY, 0, steps // 2, frequency=10))
    pruned.compile(keras.optimizers.Adam(2e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pruned.fit(x_train, y_train, batch_size=128, epochs=3, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    return tfsparse.strip_pruning(pruned)


@pytest.fixture(scope="module")
def lenet_tflite(lenet_model, mnist_data, tmp_path_factory):
    """(path of the int8 .tflite, float test digits, labels)."""
    import tfsparse

    (x_train, _), (x_test, y_test) = mnist_data
    path = tmp_path_factory.mktemp("lenet") / "lenet_300_100.tflite"
    path.write_bytes(tfsparse.quantize(lenet_model, x_train[:300]))
    return path, x_test[:N_DIGITS], y_test[:N_DIGITS]


@pytest.fixture(scope="module")
def tflm_reference(lenet_tflite, tflm_invoke):
    """(int8 test digits, TFLM's int8 outputs for the dense .tflite)."""
    import tfsparse

    path, x, _ = lenet_tflite
    xq = tfsparse.convert(path, encoding="dense").quantize_input(x)
    return xq, tflm_invoke(path, xq)


@pytest.fixture(scope="module")
def firmware_runs(lenet_tflite, tflm_reference, tmp_path_factory):
    """encoding policy -> (SparseModel, RunResult) for the default, "fastest" and all-dense conversions."""
    import tfsparse

    path, _, _ = lenet_tflite
    xq, _ = tflm_reference
    runs = {}
    for policy in ("smallest", "fastest", "dense"):
        sparse = tfsparse.convert(path, encoding=policy)
        out = tfsparse.generate(sparse, tmp_path_factory.mktemp(f"fw_{policy}"), target="cortex-m4")
        runs[policy] = (sparse, tfsparse.run(out, xq))
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["smallest", "fastest", "dense"])
def test_firmware_is_bit_exact_with_tflm(firmware_runs, tflm_reference, lenet_tflite, policy):
    _, expected = tflm_reference
    _, y = lenet_tflite[1:]
    sparse, result = firmware_runs[policy]
    assert result.outputs.shape == expected.shape == (N_DIGITS, 10)
    mismatches = int((result.outputs != expected).sum())
    assert mismatches == 0
    # Top-1 accuracy of the firmware equals the int8 model's (TFLM) and the reference executor's.
    acc_fw = float((result.outputs.argmax(1) == y).mean())
    acc_tflm = float((expected.argmax(1) == y).mean())
    assert acc_fw == acc_tflm > 0.85
    xq, _ = tflm_reference
    assert np.array_equal(sparse.predict(xq), result.outputs)
    print(json.dumps({"policy": policy, "mismatches": mismatches, "top1": acc_fw,
                      "encodings": [op.weights.encoding for op in sparse.ops if op.kind == "FULLY_CONNECTED"],
                      "instructions_mean": float(result.instructions.mean()),
                      "instructions_min": int(result.instructions.min()),
                      "instructions_max": int(result.instructions.max()), "size": result.size}))


@pytest.mark.slow
def test_sparse_firmware_is_smaller_and_faster_than_dense(firmware_runs):
    sizes = {p: r.size for p, (_, r) in firmware_runs.items()}
    instr = {p: float(r.instructions.mean()) for p, (_, r) in firmware_runs.items()}
    for policy in ("smallest", "fastest"):
        # 90% of the weights are zero: the model data alone shrinks by well over 3x.
        assert sizes[policy]["flash"] * 2.5 < sizes["dense"]["flash"]
    # Same kernel (the target's default, the Cortex-M one, whose dense path is the SMLAD baseline):
    # absolute indices skip 90% of the MACs for well over 3x; rel4 pays for decoding its nibbles.
    assert instr["fastest"] * 3 < instr["dense"]
    assert instr["smallest"] * 1.4 < instr["dense"]
    assert instr["fastest"] < instr["smallest"]
    assert sizes["smallest"]["flash"] <= sizes["fastest"]["flash"]


@pytest.mark.slow
def test_softmax_head_bit_exact_with_tflm(lenet_model, mnist_data, tmp_path, tflm_invoke):
    """The same network with a Softmax layer: the int8 softmax kernel against TFLM's on 1000 digits."""
    import keras

    import tfsparse

    (x_train, _), (x_test, y_test) = mnist_data
    head = keras.Model(lenet_model.inputs, keras.layers.Softmax()(lenet_model.outputs[0]))
    path = tmp_path / "lenet_softmax.tflite"
    path.write_bytes(tfsparse.quantize(head, x_train[:300]))
    sparse = tfsparse.convert(path)
    assert [op.kind for op in sparse.ops][-1] == "SOFTMAX"
    xq = sparse.quantize_input(x_test[:N_DIGITS])
    expected = tflm_invoke(path, xq)
    result = tfsparse.run(tfsparse.generate(sparse, tmp_path / "fw"), xq)
    assert int((result.outputs != expected).sum()) == 0
    # A real distribution: the most probable class is right for most digits; rows sum to about 1.
    assert (expected.argmax(axis=1) == y_test[:N_DIGITS]).mean() > 0.85
    assert np.all(np.abs((result.outputs.astype(np.int64) + 128).sum(axis=1) - 256) <= 12)
