"""Fully-connected kernels and encodings: instructions per layer, bytes per nonzero, arena.

Questions: on LeNet-300-100 at 90% and 95% sparsity, how many instructions does each weight encoding
(abs_u16 = "fastest", the blocked row form blk8, the column form csc8 that skips inputs at the zero
point, rel4 = "smallest") take per layer and per inference with the portable and the Cortex-M kernel;
what does each store per nonzero (values + indices + every pointer or count); and what do models
choosing per layer (the column form where inputs are mostly at the zero point, blk8 elsewhere) cost?

Method: LeNet-300-100 trained 3 epochs on the bundled MNIST digits, pruned with
tfsparse.prune_low_magnitude (PolynomialDecay to the target over 3 epochs, 5 epochs), quantized with
500 training digits; converted with one encoding for every layer (plus the mixed model); generated for
each board and run on the first 1000 test digits (QEMU -icount shift=0, SysTick: exact to one tick).
Every output is compared with the TFLM interpreter on the dense .tflite. Per-layer counts come from
one-layer firmwares fed that layer's real input activations (100 digits); "all live" feeds the same
layers inputs with no value at the input zero point (the column form's worst case), and the model's
worst case is the sum of its layers' all-live counts plus the other ops.

    .venv/bin/python benchmarks/fc_kernels.py [--boards cortex-m4,cortex-m7,cortex-m33] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _common import markdown_table, write_results  # noqa: E402
from firmware import tflm_reference  # noqa: E402

SPARSITIES = (0.9, 0.95)
# One encoding for every layer, or one per fully-connected layer ("csc8,blk8,blk8": a per-layer choice).
ENCODINGS = ("abs_u16", "blk8", "csc8", "rel4", "csc8,blk8,blk8", "csc8,csc8,blk8")
KERNELS = ("cortex-m", "portable")
N_TEST = 1000
N_LAYER = 100


def pruned_tflite(sparsity: float, cache: pathlib.Path) -> bytes:
    """The int8 .tflite of LeNet-300-100 pruned to ``sparsity`` (trained once, cached)."""
    path = cache / f"lenet_300_100_{int(round(sparsity * 100))}.tflite"
    if path.is_file():
        return path.read_bytes()
    import keras

    import tfsparse
    from tfsparse import datasets, models

    (x_train, y_train), _ = datasets.mnist()
    keras.utils.set_random_seed(0)
    dense = models.lenet_300_100(seed=0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    dense.compile(keras.optimizers.Adam(1e-3), loss)
    dense.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    steps = int(np.ceil(len(x_train) / 64))
    pruned = tfsparse.prune_low_magnitude(dense, tfsparse.PolynomialDecay(0.0, sparsity, 0, 3 * steps,
                                                                          frequency=steps // 4))
    pruned.compile(keras.optimizers.Adam(5e-4), loss)
    pruned.fit(x_train, y_train, batch_size=64, epochs=5, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    data = tfsparse.quantize(tfsparse.strip_pruning(pruned), x_train[:500])
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def convert(tflite: bytes, encoding: str):
    """The SparseModel with one encoding, or with a comma-separated encoding per FC layer."""
    import tfsparse

    per_layer = encoding.split(",")
    models = {e: tfsparse.convert(tflite, encoding=e) for e in set(per_layer)}
    if len(per_layer) == 1:
        return models[encoding]
    ops, k = [], 0
    for i, op in enumerate(models[per_layer[0]].ops):
        if op.kind == "FULLY_CONNECTED":
            op, k = models[per_layer[k]].ops[i], k + 1
        ops.append(op)
    return models[per_layer[0]].replace(ops=ops)


def weight_bytes(sm) -> tuple:
    """(bytes of values + indices + pointers of every FC layer, nonzeros)."""
    fcs = [op for op in sm.ops if op.kind == "FULLY_CONNECTED"]
    return sum(op.weights.nbytes for op in fcs), sum(op.weights.nnz for op in fcs)


def main() -> int:
    import tfsparse
    from tfsparse import datasets

    parser = argparse.ArgumentParser()
    parser.add_argument("--boards", default="cortex-m4,cortex-m7,cortex-m33")
    parser.add_argument("--cache", default=str(pathlib.Path(tempfile.gettempdir()) / "tfsparse-bench-models"))
    parser.add_argument("--n-test", type=int, default=N_TEST)
    args = parser.parse_args()
    boards = args.boards.split(",")
    t0 = time.time()
    _, (x_test, _) = datasets.mnist()
    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-bench-fc-"))
    rows = []
    for s in SPARSITIES:
        tflite = pruned_tflite(s, pathlib.Path(args.cache))
        xq = tfsparse.convert(tflite).quantize_input(x_test[: args.n_test])
        reference, _ = tflm_reference(tflite, xq)
        for encoding in ENCODINGS:
            sm = convert(tflite, encoding)
            nbytes, nnz = weight_bytes(sm)
            acts = [xq[:N_LAYER]]
            for op in sm.ops:
                acts.append(sm.replace(ops=[op], input=op.input, output=op.output).predict(acts[-1]))
            for board in boards:
                project = tfsparse.generate(sm, work / f"{s}_{encoding}_{board}", target=board)
                arena = json.loads((project / "project.json").read_text())["arena_bytes"]
                for kernel in KERNELS if board == "cortex-m4" else ("cortex-m",):
                    r = tfsparse.run(project, xq, kernel_impl=kernel)
                    layers, live, fcs = [], [], []
                    for k, op in enumerate(sm.ops):
                        if op.kind != "FULLY_CONNECTED":
                            continue
                        sub = sm.replace(name=f"l{k}", ops=[op], input=op.input, output=op.output)
                        proj = tfsparse.generate(sub, work / f"{s}_{encoding}_{board}_l{k}", target=board)
                        x = acts[k]
                        layers.append(float(tfsparse.run(proj, x, kernel_impl=kernel).instructions.mean()))
                        zp = int(sm.tensor(op.input).quantization.zero_point[0])
                        alive = np.where(x == zp, np.int8(zp + 1 if zp < 127 else zp - 1), x)
                        live.append(float(tfsparse.run(proj, alive[:10], kernel_impl=kernel).instructions.mean()))
                        fcs.append(op.weights.encoding)
                    other = float(r.instructions.mean()) - sum(layers)
                    row = {"sparsity": s, "encoding": encoding, "board": board, "kernel": kernel, "encodings": fcs,
                           "instructions_mean": float(r.instructions.mean()), "instructions_max": int(r.instructions.max()),
                           "worst_case_all_live": sum(live) + other, "layers": layers, "layers_all_live": live,
                           "bytes_per_nnz": nbytes / nnz, "weight_bytes": nbytes, "nnz": nnz, "arena": arena,
                           "flash": r.size["flash"], "mismatches_vs_tflm": int((r.outputs != reference).sum()),
                           "outputs_compared": int(r.outputs.size)}
                    rows.append(row)
                    print(f"[fc_kernels] {s:.0%} {encoding:10s} {board:10s} {kernel:8s} mean {row['instructions_mean']:9.0f} "
                          f"worst {row['worst_case_all_live']:9.0f} layers {[round(v) for v in layers]} "
                          f"B/nnz {row['bytes_per_nnz']:.3f} arena {arena} mism {row['mismatches_vs_tflm']}", flush=True)
    table = [[f"{r['sparsity']:.0%}", r["encoding"], r["board"], r["kernel"], f"{r['instructions_mean']:,.0f}",
              f"{r['worst_case_all_live']:,.0f}", " / ".join(f"{v:,.0f}" for v in r["layers"]),
              " / ".join(f"{v:,.0f}" for v in r["layers_all_live"]), f"{r['bytes_per_nnz']:.3f}", str(r["arena"]),
              f"{r['mismatches_vs_tflm']} of {r['outputs_compared']}"] for r in rows]
    md = "### Fully-connected kernels on LeNet-300-100 (instructions per inference, mean of the test digits)\n\n"
    md += markdown_table(["sparsity", "encoding", "board", "kernel", "mean", "worst case (all live)",
                          "fc1 / fc2 / fc3", "fc1 / fc2 / fc3 all live", "B/nnz", "arena B", "mismatches vs TFLM"], table)
    data = {"method": __doc__.split("\n\n", 2)[2].split("\n\n    .venv")[0], "n_test": args.n_test, "runs": rows,
            "seconds": round(time.time() - t0, 1)}
    path = write_results("fc_kernels", data, md)
    print(md)
    print(f"[fc_kernels] wrote {path} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
