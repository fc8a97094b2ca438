"""Fixtures of the CLI tests: a pruned digits MLP on disk and its ``tfsparse export``."""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse import cli


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, digits_data):
    """A pruned digits MLP saved as .keras, with calibration, test inputs and labels as .npy files."""
    import keras

    import tfsparse
    from tfsparse import models

    (x_train, y_train), (x_test, y_test) = digits_data
    keras.utils.set_random_seed(1)
    schedule = tfsparse.ConstantSparsity(0.8, begin_step=0, frequency=20)
    pruned = tfsparse.prune_low_magnitude(models.digits_mlp(seed=1), pruning_schedule=schedule)
    pruned.compile(optimizer=keras.optimizers.Adam(3e-3),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    pruned.fit(x_train, y_train, batch_size=32, epochs=4, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    final = tfsparse.strip_pruning(pruned)
    root = tmp_path_factory.mktemp("cli")
    final.save(root / "model.keras")
    np.save(root / "calib.npy", x_train[:200])
    np.save(root / "x_test.npy", x_test[:120])
    np.save(root / "y_test.npy", y_test[:120])
    kernels = {layer.name: layer.kernel.numpy() for layer in final.layers if hasattr(layer, "kernel")}
    return root, kernels


@pytest.fixture(scope="session")
def exported(workspace):
    """``tfsparse export`` of the workspace model (in-process), returning the project directory."""
    root, _ = workspace
    out = root / "fw"
    code = cli.main(["-q", "export", str(root / "model.keras"), "--calibration", str(root / "calib.npy"), "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture(scope="session")
def tflm_reference(tflm_invoke):
    """``f(tflite_path, float_inputs) -> int8 outputs`` of the TFLM interpreter (the bit-exactness oracle),
    with inputs quantized from the interpreter's own input parameters (not tfsparse's)."""
    from tflite_micro.python.tflite_micro import runtime

    def reference(tflite_path, x):
        params = runtime.Interpreter.from_file(str(tflite_path)).get_input_details(0)["quantization_parameters"]
        scale, zero_point = params["scales"][0], int(params["zero_points"][0])
        real = x / np.float32(scale)
        q = np.clip(np.sign(real) * np.floor(np.abs(real) + 0.5) + zero_point, -128, 127).astype(np.int8)
        return tflm_invoke(tflite_path, q)

    return reference
