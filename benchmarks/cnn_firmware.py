"""Build and run one convolutional reference model as standalone firmware on QEMU (helpers for
``benchmarks/cnn.py`` and the end-to-end tests).

:func:`magnitude_pruned_tflite` turns a Keras reference model (``tfsparse.models``) into an int8
``.tflite`` whose Conv2D and Dense kernels are pruned to a sparsity by magnitude, layer by layer;
:func:`run_firmware` converts, generates, builds and runs it on a target and returns the outputs and
the measurements (instructions per inference, flash of the weights and of the whole firmware, arena).

    python benchmarks/cnn_firmware.py ds_cnn --sparsity 0.8 --target cortex-m4
"""

from __future__ import annotations

import argparse
import json
import pathlib
import tempfile

import numpy as np

#: Input shape (without batch) of each reference model, for synthetic calibration and test inputs.
INPUT_SHAPES = {"ds_cnn": (49, 10, 1), "resnet8": (32, 32, 3), "mobilenet_v1": (96, 96, 3),
                "fc_autoencoder": (640,), "mnist_cnn": (28, 28, 1)}


def synthetic_inputs(shape, n: int, rng) -> np.ndarray:
    """``n`` float32 inputs of ``shape``: for images (H, W, C with H, W >= 8), smooth random fields
    (4x4 noise upsampled) with a random brightness and contrast per sample, like natural images whose
    low frequencies survive a deep network; otherwise standard normal."""
    shape = tuple(shape)
    if len(shape) == 3 and shape[0] >= 8 and shape[1] >= 8:
        h, w, c = shape
        low = rng.standard_normal((n, 4, 4, c))
        up = np.repeat(np.repeat(low, -(-h // 4), axis=1), -(-w // 4), axis=2)[:, :h, :w]
        detail = rng.standard_normal((n, h, w, c))
        gain, offset = rng.uniform(0.3, 2.0, (n, 1, 1, 1)), rng.uniform(-1, 1, (n, 1, 1, 1))
        return (gain * (up + 0.3 * detail) + offset).astype(np.float32)
    return rng.standard_normal((n, *shape)).astype(np.float32)


def train_synthetic(model, *, steps: int = 40, batch: int = 32, seed: int = 0):
    """A few optimizer steps on synthetic data of the model's input shape (standard normal inputs;
    labels from a fixed random projection, or the input itself for an autoencoder), so batch
    normalization statistics and weights are those of a trained network, not of the initializers."""
    import keras

    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in model.input_shape[1:])
    x = synthetic_inputs(shape, steps * batch, rng)
    out_dim = int(model.output_shape[-1])
    if tuple(model.output_shape[1:]) == shape:  # autoencoder
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        y = x
    else:
        projection = rng.standard_normal((int(np.prod(shape)), out_dim)).astype(np.float32)
        y = np.argmax(x.reshape(len(x), -1) @ projection, axis=1)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    # A few hundred steps leave batch normalization's moving statistics near their initial values;
    # take them from one large batch instead (momentum 0), as a long training run would have.
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(x[:256], training=True)
    for layer in norms:
        layer.momentum = 0.99
    return model


def magnitude_pruned_tflite(name: str, sparsity: float, *, seed: int = 0, calibration: int = 64,
                            keras_model=None, train_steps: int = 40) -> bytes:
    """The int8 ``.tflite`` of reference model ``name``, trained ``train_steps`` steps on synthetic data
    (:func:`train_synthetic`), with each Conv2D/Dense kernel's smallest ``sparsity`` fraction of
    weights set to zero (depthwise kernels stay dense), calibrated on ``calibration`` synthetic
    inputs (standard normal)."""
    import keras

    import tfsparse
    from tfsparse import models

    model = keras_model if keras_model is not None else getattr(models, name)(seed=seed)
    if train_steps:
        train_synthetic(model, steps=train_steps, seed=seed)
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) and not isinstance(
                layer, keras.layers.DepthwiseConv2D) and sparsity > 0:
            weights = layer.get_weights()
            kernel = weights[0]
            k = int(round(sparsity * kernel.size))
            if k:
                threshold = np.partition(np.abs(kernel).reshape(-1), k - 1)[k - 1]
                kernel = np.where(np.abs(kernel) <= threshold, 0.0, kernel).astype(kernel.dtype)
            layer.set_weights([kernel, *weights[1:]])
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in model.input_shape[1:])
    return tfsparse.quantize(model, synthetic_inputs(shape, calibration, rng))


def weight_bytes(sparse_model) -> dict:
    """Flash of the weight arrays (values + indices + pointers) of the prunable ops, and of the same
    weights dense int8."""
    total = dense = 0
    for op in sparse_model.ops:
        w = getattr(op, "weights", None)
        if w is None:
            continue
        total += int(w.nbytes)
        dense += int(np.prod(w.shape))
    return {"weights_bytes": total, "dense_weights_bytes": dense}


def run_firmware(sparse_model, inputs, out_dir, *, target: str = "cortex-m4", kernel_impl=None) -> dict:
    """Generate, build and run ``sparse_model`` on ``target``'s QEMU board for int8 ``inputs``.

    Returns:
        ``outputs`` (int8), ``instructions`` (mean per inference), ``flash`` (whole firmware),
        ``arena`` bytes, ``weights_bytes``/``dense_weights_bytes``, and the RunResult as ``result``.
    """
    import tfsparse

    project = tfsparse.generate(sparse_model, out_dir, target=target)
    result = tfsparse.run(project, inputs, kernel_impl=kernel_impl)
    meta = json.loads((pathlib.Path(project) / "project.json").read_text())
    return {"outputs": result.outputs, "instructions": float(np.mean(result.instructions)),
            "flash": int(result.size["flash"]), "arena": int(meta["arena_bytes"]), "result": result,
            **weight_bytes(sparse_model)}


def _macs(sm, op) -> int:
    w = getattr(op, "weights", None)
    if w is None:
        return 0
    out = np.prod(sm.tensors[op.output].shape[1:-1], dtype=np.int64) if op.kind != "FULLY_CONNECTED" else 1
    return int(out * np.prod(w.shape))


def main(argv=None):
    import tfsparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(INPUT_SHAPES))
    parser.add_argument("--sparsity", type=float, default=0.8)
    parser.add_argument("--target", default="cortex-m4")
    parser.add_argument("--encoding", default=None, help="convert(encoding=...); default: convert's default")
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--tflm", action="store_true", help="compare with the TFLM interpreter")
    args = parser.parse_args(argv)
    tflite = magnitude_pruned_tflite(args.model, args.sparsity)
    sm = tfsparse.convert(tflite, **({"encoding": args.encoding} if args.encoding else {}))
    rng = np.random.default_rng(1)
    x = sm.quantize_input(synthetic_inputs(INPUT_SHAPES[args.model], args.inputs, rng))
    with tempfile.TemporaryDirectory() as tmp:
        r = run_firmware(sm, x, pathlib.Path(tmp) / "fw", target=args.target)
        report = {k: v for k, v in r.items() if k not in ("outputs", "result")}
        report["mismatch_vs_predict"] = int((r["outputs"] != sm.predict(x)).sum())
        if args.tflm:
            from tflite_micro.python.tflite_micro import runtime

            path = pathlib.Path(tmp) / "m.tflite"
            path.write_bytes(tflite)
            interp = runtime.Interpreter.from_file(str(path))
            ref = []
            for i in range(len(x)):
                interp.set_input(x[i : i + 1], 0)
                interp.invoke()
                ref.append(interp.get_output(0).copy())
            report["mismatch_vs_tflm"] = int((r["outputs"] != np.concatenate(ref)).sum())
        per_op = r["result"].layer_instructions.mean(axis=0)
        report["layers"] = [
            f"{op.kind} {getattr(getattr(op, 'weights', None), 'encoding', '')}: {n:.0f} instructions"
            + (f", {n / m:.2f} per MAC" if m else "") for op, n, m in zip(sm.ops, per_op, (_macs(sm, op) for op in sm.ops))]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
