"""Firmware benchmark: LeNet-300-100 at 80/90/95% sparsity on emulated Cortex-M4, M7 and M33.

Questions: how many instructions does one inference (and each fully-connected layer) take with the
sparse kernel (each encoding, portable and Cortex-M optimized) against the dense reference kernel and
the DSP dense kernel (CMSIS-NN's SMLAD technique)? How much flash and RAM do sparse and dense
firmwares take, and how does tfsparse's activation arena compare with TFLM's arena for the same model?

Method: LeNet-300-100 trained 3 epochs on the bundled MNIST digits, then pruned to each sparsity with
tfsparse.prune_low_magnitude (PolynomialDecay over 3 epochs, 5 epochs of training); tfsparse.quantize (per-channel int8) -> tfsparse.convert with each encoding policy ->
tfsparse.generate per board -> tfsparse.run on 100 test digits (instructions: QEMU -icount shift=0 and
SysTick, exact to within one tick of 40 or 50 instructions). Every run's outputs are compared with the
TFLM interpreter on the dense .tflite. Per-layer counts come from one-layer firmwares fed that layer's
real input activations. TFLM's arena: the PyPI interpreter's print_allocations(), captured from the
C-level stderr.

    .venv/bin/python benchmarks/firmware.py        # writes results/firmware.{json,md,png}
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _common import RESULTS, markdown_table, write_results  # noqa: E402

SPARSITIES = (0.8, 0.9, 0.95)
TARGETS = ("cortex-m4", "cortex-m7", "cortex-m33")
N_INFER = 100  # test digits per full-model run
N_LAYER = 20  # inputs per one-layer run
# (label, convert encoding policy, kernel implementation)
CONFIGS = (
    ("dense reference", "dense", "portable"),
    ("DSP dense", "dense", "cortex-m"),
    ("fastest, optimized", "fastest", "cortex-m"),
    ("fastest, portable", "fastest", "portable"),
    ("smallest (default), optimized", "smallest", "cortex-m"),
    ("smallest (default), portable", "smallest", "portable"),
    ("abs_u16, optimized", "abs_u16", "cortex-m"),
    ("abs_u16, portable", "abs_u16", "portable"),
    ("abs_u32, optimized", "abs_u32", "cortex-m"),
    ("abs_u32, portable", "abs_u32", "portable"),
    ("rel8, optimized", "rel8", "cortex-m"),
    ("rel8, portable", "rel8", "portable"),
    ("rel4, optimized", "rel4", "cortex-m"),
    ("rel4, portable", "rel4", "portable"),
)
TARGET_RATIOS = {0.9: (6, 3), 0.95: (10, 5)}  # (vs dense reference, vs DSP dense) for "fastest"


def train_models(mnist):
    """(dense test accuracy, {sparsity: (pruned Keras model, its test accuracy)}).

    One dense training run (3 epochs); each sparsity then prunes a copy with tfsparse's own
    prune_low_magnitude (PolynomialDecay from 0 to the target over 3 epochs, 5 epochs in all).
    """
    import keras

    import tfsparse
    from tfsparse import models

    (x_train, y_train), (x_test, y_test) = mnist
    keras.utils.set_random_seed(0)
    dense = models.lenet_300_100(seed=0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    dense.compile(keras.optimizers.Adam(1e-3), loss, metrics=["accuracy"])
    dense.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    dense_accuracy = float(dense.evaluate(x_test, y_test, verbose=0)[1])
    steps = int(np.ceil(len(x_train) / 64))
    out = {}
    for s in SPARSITIES:
        m = keras.models.clone_model(dense)
        m.set_weights(dense.get_weights())
        pruned = tfsparse.prune_low_magnitude(m, tfsparse.PolynomialDecay(0.0, s, 0, 3 * steps, frequency=steps // 4))
        pruned.compile(keras.optimizers.Adam(5e-4), loss, metrics=["accuracy"])
        pruned.fit(x_train, y_train, batch_size=64, epochs=5, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
        final = tfsparse.strip_pruning(pruned)
        final.compile(keras.optimizers.Adam(5e-4), loss, metrics=["accuracy"])
        out[s] = (final, float(final.evaluate(x_test, y_test, verbose=0)[1]))
    return dense_accuracy, out


def tflm_reference(tflite: bytes, xq: np.ndarray):
    """(TFLM interpreter outputs, its arena report) for a dense .tflite."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite)
    outputs = []
    for i in range(len(xq)):
        interpreter.set_input(xq[i : i + 1], 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
    return np.concatenate(outputs), tflm_arena(interpreter)


def tflm_arena(interpreter) -> dict:
    """print_allocations() writes to the C-level stderr: capture file descriptor 2 and parse it."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            interpreter.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    found = {k: int(v) for k, v in re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", text)}
    if "total" not in found:
        raise RuntimeError(f"could not parse TFLM's print_allocations() output:\n{text}")
    return found


def one_layer_models(sparse):
    """(one-layer SparseModel, index of its op) for every FULLY_CONNECTED op."""
    return [(sparse.replace(name=f"{sparse.name}_{op.name}", ops=[op], input=op.input, output=op.output), k)
            for k, op in enumerate(sparse.ops) if op.kind == "FULLY_CONNECTED"]


def layer_inputs(sparse, x):
    """The input activations of every op for the samples ``x`` (chained one-op predicts)."""
    acts = []
    cur = x
    for op in sparse.ops:
        acts.append(cur)
        cur = sparse.replace(ops=[op], input=op.input, output=op.output).predict(cur)
    return acts


def main() -> int:
    import tfsparse
    from tfsparse import datasets

    t0 = time.time()
    mnist = datasets.mnist()
    (x_train, _), (x_test, y_test) = mnist
    dense_accuracy, models_by_sparsity = train_models(mnist)
    print(f"[firmware] trained and pruned LeNet-300-100 in {time.time() - t0:.0f} s", flush=True)

    rows, layer_rows, memory_rows = [], [], []
    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-bench-fw-"))
    for s, (model, keras_accuracy) in models_by_sparsity.items():
        tflite = tfsparse.quantize(model, x_train[:500])
        converted = {p: tfsparse.convert(tflite, encoding=p) for p in {c[1] for c in CONFIGS}}
        xq = converted["dense"].quantize_input(x_test[:N_INFER])
        reference, arena = tflm_reference(tflite, xq)
        accuracy = float(np.mean(reference.argmax(axis=1) == y_test[:N_INFER]))
        inputs = {p: layer_inputs(sm, xq[:N_LAYER]) for p, sm in converted.items()}
        for target in TARGETS:
            projects = {p: tfsparse.generate(sm, work / f"{s}_{target}_{p}", target=target)
                        for p, sm in converted.items()}
            for label, policy, kernel in CONFIGS:
                sm = converted[policy]
                r = tfsparse.run(projects[policy], xq, kernel_impl=kernel)
                mismatches = int((r.outputs != reference).sum())
                per_layer = []
                for sub, k in one_layer_models(sm):
                    proj = tfsparse.generate(sub, work / f"{s}_{target}_{policy}_l{k}", target=target)
                    per_layer.append(float(tfsparse.run(proj, inputs[policy][k], kernel_impl=kernel).instructions.mean()))
                encodings = [op.weights.encoding for op in sm.ops if op.kind == "FULLY_CONNECTED"]
                rows.append({"target": target, "sparsity": s, "config": label, "policy": policy, "kernel": kernel,
                             "encodings": encodings, "instructions": float(r.instructions.mean()),
                             "instructions_per_layer": per_layer, "mismatches_vs_tflm": mismatches,
                             "outputs_compared": int(r.outputs.size), "flash": r.size["flash"], "ram": r.size["ram"],
                             "text": r.size["text"], "data": r.size["data"], "bss": r.size["bss"]})
                print(f"[firmware] {target} {s:.0%} {label:32s} {r.instructions.mean():10.0f} instr  "
                      f"layers {[round(v) for v in per_layer]}  mismatches {mismatches}", flush=True)
            meta = {p: json.loads((projects[p] / "project.json").read_text()) for p in ("smallest", "dense")}
            memory_rows.append({
                "target": target, "sparsity": s, "accuracy_int8_top1_first100": accuracy,
                "accuracy_keras": keras_accuracy, "accuracy_keras_dense": dense_accuracy,
                "model_data_sparse": meta["smallest"]["flash_constants_bytes"],
                "model_data_dense": meta["dense"]["flash_constants_bytes"],
                "arena_tfsparse": meta["smallest"]["arena_bytes"], "tflm_arena": arena,
                "flash_sparse": next(r["flash"] for r in rows if r["target"] == target and r["sparsity"] == s
                                     and r["policy"] == "smallest" and r["kernel"] == "cortex-m"),
                "flash_dense": next(r["flash"] for r in rows if r["target"] == target and r["sparsity"] == s
                                    and r["policy"] == "dense" and r["kernel"] == "cortex-m"),
                "ram_sparse": next(r["ram"] for r in rows if r["target"] == target and r["sparsity"] == s
                                   and r["policy"] == "smallest" and r["kernel"] == "cortex-m"),
                "ram_dense": next(r["ram"] for r in rows if r["target"] == target and r["sparsity"] == s
                                  and r["policy"] == "dense" and r["kernel"] == "cortex-m"),
            })
    summary = summarize(rows, memory_rows)
    data = {"method": __doc__.split("\n\n", 2)[2].split("\n\n    .venv")[0], "n_inputs": N_INFER,
            "n_inputs_per_layer": N_LAYER, "runs": rows, "memory": memory_rows, "summary": summary,
            "seconds": round(time.time() - t0, 1)}
    md = markdown(rows, memory_rows, summary)
    path = write_results("firmware", data, md)
    plot(rows, RESULTS / "firmware.png")
    print(md)
    print(f"[firmware] wrote {path} and firmware.png in {time.time() - t0:.0f} s")
    return 0


def _get(rows, target, s, label):
    return next(r for r in rows if r["target"] == target and r["sparsity"] == s and r["config"] == label)


def summarize(rows, memory_rows) -> list:
    """Per board and sparsity: the ratios the issue sets targets for, and whether they are met."""
    out = []
    for m in memory_rows:
        t, s = m["target"], m["sparsity"]
        fast = _get(rows, t, s, "fastest, optimized")["instructions"]
        ref = _get(rows, t, s, "dense reference")["instructions"]
        dsp = _get(rows, t, s, "DSP dense")["instructions"]
        goal = TARGET_RATIOS.get(s)
        entry = {"target": t, "sparsity": s, "vs_dense_reference": ref / fast, "vs_dsp_dense": dsp / fast,
                 "model_data_fraction": m["model_data_sparse"] / m["model_data_dense"],
                 "arena_fraction_of_tflm": m["arena_tfsparse"] / m["tflm_arena"]["total"]}
        if goal:
            entry["meets_instruction_targets"] = bool(ref / fast >= goal[0] and dsp / fast >= goal[1])
        if s == 0.9:
            entry["meets_memory_targets"] = bool(entry["model_data_fraction"] <= 0.22
                                                 and entry["arena_fraction_of_tflm"] <= 0.25)
        out.append(entry)
    return out


def markdown(rows, memory_rows, summary) -> str:
    labels = [c[0] for c in CONFIGS]
    parts = ["### Instructions per inference (LeNet-300-100, mean of 100 test digits)\n"]
    table = []
    for t in TARGETS:
        for s in SPARSITIES:
            table.append([t, f"{s:.0%}"] + [f"{_get(rows, t, s, lab)['instructions'] / 1000:.0f}k" for lab in labels])
    parts.append(markdown_table(["board", "sparsity"] + labels, table))
    parts.append("\n\n### Speed-up of the fastest encoding with the optimized kernel\n")
    parts.append(markdown_table(
        ["board", "sparsity", "vs dense reference", "vs DSP dense", "target", "met"],
        [[e["target"], f"{e['sparsity']:.0%}", f"{e['vs_dense_reference']:.1f}x", f"{e['vs_dsp_dense']:.1f}x",
          "{}x / {}x".format(*TARGET_RATIOS[e["sparsity"]]) if e["sparsity"] in TARGET_RATIOS else "-",
          {True: "yes", False: "NO"}.get(e.get("meets_instruction_targets"), "-")] for e in summary]))
    parts.append("\n\n### Instructions per fully-connected layer (Cortex-M4; 784-300 / 300-100 / 100-10)\n")
    layer_table = []
    for s in SPARSITIES:
        for lab in labels:
            r = _get(rows, "cortex-m4", s, lab)
            layer_table.append([f"{s:.0%}", lab, "/".join(r["encodings"])]
                               + [f"{v / 1000:.1f}k" for v in r["instructions_per_layer"]])
    parts.append(markdown_table(["sparsity", "kernel", "encodings", "fc 1", "fc 2", "fc 3"], layer_table))
    parts.append("\n\n### Memory (default encoding vs dense; bytes)\n")
    mem = []
    for m, e in zip(memory_rows, summary):
        mem.append([m["target"], f"{m['sparsity']:.0%}", m["model_data_sparse"], m["model_data_dense"],
                    f"{e['model_data_fraction']:.1%}", m["flash_sparse"], m["flash_dense"], m["ram_sparse"],
                    m["ram_dense"], m["arena_tfsparse"], m["tflm_arena"]["total"],
                    f"{e['arena_fraction_of_tflm']:.1%}"])
    parts.append(markdown_table(
        ["board", "sparsity", "model data sparse", "model data dense", "ratio", "flash sparse fw",
         "flash dense fw", "RAM sparse fw", "RAM dense fw", "arena tfsparse", "arena TFLM", "arena ratio"], mem))
    acc = {m["sparsity"]: m["accuracy_keras"] for m in memory_rows}
    parts.append("\n\nTest accuracy of the Keras models (1000 bundled test digits): dense "
                 f"{memory_rows[0]['accuracy_keras_dense']:.1%}, "
                 + ", ".join(f"{s:.0%} sparse {a:.1%}" for s, a in acc.items()) + ".")
    total = sum(r["outputs_compared"] for r in rows)
    bad = sum(r["mismatches_vs_tflm"] for r in rows)
    parts.append(f"\n\nBit-exactness: {bad} mismatches in {total} output elements compared with the TFLM "
                 "interpreter (every run above). Flash = text + data of `arm-none-eabi-size` (rodata is in "
                 "text); RAM = data + bss, which includes the 16 KiB stack reservation and the arena.")
    return "\n".join(parts)


def plot(rows, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["dense reference", "DSP dense", "smallest (default), optimized", "fastest, portable",
              "fastest, optimized"]
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(13, 4.2), sharey=True, squeeze=False)
    axes = axes[0]
    width = 0.8 / len(labels)
    for ax, t in zip(axes, TARGETS):
        for i, lab in enumerate(labels):
            vals = [_get(rows, t, s, lab)["instructions"] for s in SPARSITIES]
            ax.bar(np.arange(len(SPARSITIES)) + (i - len(labels) / 2 + 0.5) * width, vals, width, label=lab)
        ax.set_xticks(np.arange(len(SPARSITIES)), [f"{s:.0%}" for s in SPARSITIES])
        ax.set_yscale("log")
        ax.set_title(t)
        ax.set_xlabel("sparsity")
    axes[0].set_ylabel("instructions per inference")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("LeNet-300-100 on emulated Cortex-M (QEMU, -icount)")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
