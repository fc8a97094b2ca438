"""How small are CSR-encoded weights? LeNet-300-100 at 80/90/95% sparsity, every encoding.

Trains LeNet-300-100 briefly on the bundled MNIST digits, zeroes the smallest-magnitude weights of
each layer (one-shot magnitude pruning plus three masked fine-tuning epochs), quantizes with
``tfsparse.quantize`` (per-channel) and converts with every encoding policy. Reports bytes per nonzero
and compression against dense int8 weights beside the entropy bound (1 byte of value + H(d)/d bits
of position, d the density), the conversion time and the time to encode one 4096x4096 layer.

Run: ``.venv/bin/python benchmarks/csr_size.py`` (writes ``results/csr_size.{json,md}``).
"""

from __future__ import annotations

import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import markdown_table, write_results  # noqa: E402

SPARSITIES = (0.8, 0.9, 0.95)
POLICIES = ("smallest", "fastest", "abs_u16", "rel8", "rel4")


def entropy_bound(density: float) -> float:
    """Bytes per nonzero: 1 value byte + H(d)/d bits of position (H the binary entropy)."""
    if density <= 0 or density >= 1:
        return 1.0
    h = -density * math.log2(density) - (1 - density) * math.log2(1 - density)
    return 1.0 + h / density / 8.0


def train_lenet(data):
    import keras

    from tfsparse import models

    (x, y), _ = data
    keras.utils.set_random_seed(0)
    model = models.lenet_300_100(seed=0)
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    return model


def prune_copy(model, data, sparsity):
    """A copy with the smallest ``sparsity`` of each Dense kernel zeroed, fine-tuned three epochs under the mask."""
    import keras

    (x, y), _ = data
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    dense = [layer for layer in clone.layers if isinstance(layer, keras.layers.Dense)]
    masks = []
    for layer in dense:
        kernel = layer.get_weights()[0]
        keep = np.ones(kernel.size, bool)
        keep[np.argsort(np.abs(kernel), axis=None)[: int(round(sparsity * kernel.size))]] = False
        masks.append(keep.reshape(kernel.shape))

    def apply(*_args, **_kwargs):
        for layer, mask in zip(dense, masks):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel * mask, bias])

    apply()
    clone.compile(keras.optimizers.Adam(5e-4), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    clone.fit(x, y, batch_size=64, epochs=3, verbose=0, callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=apply)])
    return clone


def time_encode_4096():
    from tfsparse.converter import csr

    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, size=(4096, 4096)).astype(np.int8)
    w[rng.random(w.shape) < 0.9] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    m = csr.choose(w, "smallest")
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "encoding": m.encoding,
            "bytes_per_nonzero": m.nbytes / m.nnz}


def main():
    import tensorflow  # noqa: F401  (timed conversions start after TensorFlow is imported)

    import tfsparse
    from tfsparse import datasets

    data = datasets.mnist()
    (x_train, _), (x_test, y_test) = data
    base = train_lenet(data)
    results = []
    for sparsity in SPARSITIES:
        model = prune_copy(base, data, sparsity)
        tflite = tfsparse.quantize(model, x_train[:500])
        for policy in POLICIES:
            wall, cpu = time.perf_counter(), time.process_time()
            sparse = tfsparse.convert(tflite, encoding=policy)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            total = sparse.summary(print_fn=None)["total"]
            layers = sparse.summary(print_fn=None)["layers"]
            entry = {
                "sparsity": sparsity,
                "encoding": policy,
                "layer_encodings": [l["encoding"] for l in layers],
                "nnz": total["nnz"],
                "dense_int8_bytes": total["dense_bytes"],
                "sparse_bytes": total["sparse_bytes"],
                "bytes_per_nonzero": total["bytes_per_nonzero"],
                "compression": total["compression"],
                "entropy_bound_bytes_per_nonzero": entropy_bound(total["density"]),
                "entropy_bound_compression": total["dense_bytes"] / (total["nnz"] * entropy_bound(total["density"])),
                "convert_wall_s": wall,
                "convert_cpu_s": cpu,
            }
            if policy == "smallest":
                xq = sparse.quantize_input(x_test)
                entry["int8_accuracy"] = float(np.mean(sparse.predict(xq).argmax(axis=1) == y_test))
            results.append(entry)
            print(f"{sparsity:.0%} {policy:9s} {entry['bytes_per_nonzero']:.3f} B/nz  {entry['compression']:.2f}x  "
                  f"(bound {entry['entropy_bound_bytes_per_nonzero']:.3f} B/nz)  convert {wall:.3f} s")
    encode = time_encode_4096()
    print(f"encode 4096x4096 at 90%: {encode['wall_s']:.3f} s wall, {encode['cpu_s']:.3f} s CPU ({encode['encoding']})")

    rows = []
    for sparsity in SPARSITIES:
        group = [r for r in results if r["sparsity"] == sparsity]
        cells = [f"{sparsity:.0%}"]
        for policy in POLICIES:
            r = next(g for g in group if g["encoding"] == policy)
            cells.append(f"{r['bytes_per_nonzero']:.2f} B ({r['compression']:.2f}×)")
        cells.append(f"{group[0]['entropy_bound_bytes_per_nonzero']:.2f} B ({group[0]['entropy_bound_compression']:.2f}×)")
        cells.append(f"{group[0]['int8_accuracy']:.3f}")
        rows.append(cells)
    headers = ["sparsity"] + [f"`{p}`" for p in POLICIES] + ["entropy bound", "int8 accuracy"]
    default = {r["sparsity"]: r for r in results if r["encoding"] == "smallest"}
    markdown = (
        "Bytes per nonzero weight (compression vs dense int8 weights) of LeNet-300-100's three layers, "
        "per encoding policy; `smallest` is the default.\n\n"
        + markdown_table(headers, rows)
        + f"\n\nConverting LeNet-300-100 (90%, default encoding): {default[0.9]['convert_wall_s'] * 1000:.0f} ms wall "
        f"after TensorFlow is imported; encoding one 4096×4096 layer at 90%: {encode['wall_s']:.2f} s wall "
        f"({encode['cpu_s']:.2f} s CPU, `{encode['encoding']}`, {encode['bytes_per_nonzero']:.2f} B/nonzero)."
    )
    write_results("csr_size", {"results": results, "encode_4096": encode}, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
