"""Firmware benchmark: LeNet-300-100 and the digits MLP at 80/90/95% sparsity on emulated Cortex-M4, M7, M33.

Questions: how many instructions does one inference take with the defaults a user gets (``convert``
with 500 representative training inputs, and without), with each policy and each encoding, on the
portable and the Cortex-M kernels? What is the worst case (every input live)? Which form does the
chooser give each layer, and why? How close is ``tfsparse.profile``'s prediction to QEMU, per layer
and in total? Flash, arena and B/nonzero of the defaults; TFLM's arena for the same model.

Method: LeNet-300-100 trained 3 epochs on the bundled MNIST digits (the digits MLP 60 epochs on
scikit-learn's 8x8 digits), then pruned to each sparsity with tfsparse.prune_low_magnitude
(PolynomialDecay over 3 epochs, 5 epochs of training); tfsparse.quantize (per-channel int8) ->
tfsparse.convert per configuration (target = the board) -> tfsparse.generate -> tfsparse.run on the
test inputs (LeNet: all 1000 bundled test digits for the defaults on cortex-m4, 200 elsewhere; digits:
200). Instructions: QEMU -icount shift=0 and SysTick; every run is built with the runtime's SysTick
dither (firmware/runtime/tfs_dither.h: each inference starts at another phase of the 40- or
50-instruction tick, over a whole number of periods), so the mean per inference and per op are exact
rather than within a tick. Worst case: the same firmware built with -DTFS_ALL_COLUMNS_LIVE (the
column kernel tests no input against the zero point). Every run's outputs are compared with the TFLM
interpreter on the .tflite. Every encoding and both kernels run on cortex-m4; on M7 and M33 the four
policies and dense with the Cortex-M kernel (the full grid takes longer than the 2-core machine had).
Profile: tfsparse.profile(model, target, inputs=the same int8 inputs,
kernel). TFLM's arena: the PyPI interpreter's print_allocations(). External anchor: real TFLM
(90b983c) + CMSIS-NN (4ab83cc), arm-none-eabi-gcc 12.2, -mcpu=cortex-m4 -mfloat-abi=hard
-mfpu=fpv4-sp-d16, TFLM's flags, dense int8 LeNet-300-100, Invoke() entry to return on mps2-an386
under -icount shift=0: 524,425 instructions (flash 353,776 B).

    .venv/bin/python benchmarks/firmware.py        # writes results/firmware.{json,md,png} (~45 min)
    .venv/bin/python benchmarks/firmware.py --quick   # headline only: LeNet at 90/95% on cortex-m4,
                                                      # policies and dense (results/firmware_headline.*)
    .venv/bin/python benchmarks/firmware.py --model=lenet; ... --model=digits   # in two processes
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
KERNELS = ("cortex-m", "portable")
TFLM_CMSIS_NN_M4 = 524_425  # instructions per LeNet-300-100 inference, see the module docstring
TFLM_CMSIS_NN_FLASH = 353_776
N_HEADLINE = 1000  # LeNet test digits for the defaults on cortex-m4
N_RUN = 200  # inputs per other run (a multiple of the 40- and 50-instruction dither periods)
N_REPRESENTATIVE = 500
# (label, convert policy or encoding, with representative data)
POLICIES = (
    ("default + data", "default", True),
    ("default", "default", False),
    ("smallest", "smallest", False),
    ("fastest", "fastest", False),
)
DONE_WHEN = {0.9: {"mean": 65_000, "worst": 150_000, "bytes_per_nnz": 2.1, "arena": 2_900}, 0.95: {"mean": 40_000}}


def configs():
    from tfsparse.converter.ir import ENCODINGS

    return POLICIES + tuple((enc, enc, enc == "csc8") for enc in ENCODINGS)


def train_models(name):
    """(dense test accuracy, {sparsity: (pruned Keras model, its test accuracy)}, data)."""
    import keras

    import tfsparse
    from tfsparse import datasets, models

    data = datasets.mnist() if name == "lenet" else datasets.digits()
    factory, epochs = (models.lenet_300_100, 3) if name == "lenet" else (models.digits_mlp, 60)
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(0)
    dense = factory(seed=0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    dense.compile(keras.optimizers.Adam(1e-3), loss, metrics=["accuracy"])
    dense.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0)
    dense_accuracy = float(dense.evaluate(x_test, y_test, verbose=0)[1])
    steps = int(np.ceil(len(x_train) / 64))
    out = {}
    for s in SPARSITIES:
        m = keras.models.clone_model(dense)
        m.set_weights(dense.get_weights())
        pruned = tfsparse.prune_low_magnitude(m, tfsparse.PolynomialDecay(0.0, s, 0, 3 * steps, frequency=max(steps // 4, 1)))
        pruned.compile(keras.optimizers.Adam(5e-4), loss, metrics=["accuracy"])
        pruned.fit(x_train, y_train, batch_size=64, epochs=5, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
        final = tfsparse.strip_pruning(pruned)
        final.compile(keras.optimizers.Adam(5e-4), loss, metrics=["accuracy"])
        out[s] = (final, float(final.evaluate(x_test, y_test, verbose=0)[1]))
    return dense_accuracy, out, data


def tflm_reference(tflite: bytes, xq: np.ndarray):
    """(TFLM interpreter outputs, its arena report) for a .tflite."""
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


def run_config(sm, out_dir, target, kernel, xq, reference):
    """One firmware run with exact means, the profile against it, and the worst case when it differs."""
    import tfsparse
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_cflags

    flags = dither_cflags(get_target(target).instructions_per_tick)
    r = tfsparse.run(out_dir, xq, kernel_impl=kernel, extra_cflags=flags)
    prof = tfsparse.profile(sm, target=target, inputs=xq, kernel=kernel)
    measured = r.layer_instructions.mean(axis=0)
    layers = []
    for lp, m in zip(prof.layers, measured):
        layers.append({"name": lp.name, "op": lp.op, "encoding": lp.encoding, "measured": float(m),
                       "predicted": lp.instructions, "error": lp.instructions / m - 1 if m > 0 else 0.0,
                       "worst_predicted": lp.worst_case_instructions, "reason": lp.reason, "removed": lp.removed,
                       "density": lp.input_density})
    row = {"instructions": float(r.instructions.mean()), "max_instructions": float(r.instructions.max()),
           "predicted": prof.instructions, "error": prof.instructions / float(r.instructions.mean()) - 1,
           "worst_predicted": prof.worst_case_instructions, "layers": layers,
           "mismatches_vs_tflm": int((r.outputs != reference).sum()), "outputs_compared": int(r.outputs.size),
           "flash": r.size["flash"], "n_inputs": int(len(xq))}
    if any(l["encoding"] == "csc8" for l in layers):
        w = tfsparse.run(out_dir, xq[: 2 * 50 * 2], kernel_impl=kernel, extra_cflags=flags + " -DTFS_ALL_COLUMNS_LIVE")
        row["worst_measured"] = float(w.instructions.mean())
        row["mismatches_vs_tflm"] += int((w.outputs != reference[: len(w.outputs)]).sum())
        row["outputs_compared"] += int(w.outputs.size)
    else:
        row["worst_measured"] = row["max_instructions"]
    return row


def main() -> int:
    global SPARSITIES, TARGETS
    import tfsparse
    from tfsparse.errors import ConversionError

    t0 = time.time()
    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-bench-fw-"))
    rows, memory_rows, accuracy = [], [], {}
    quick = "--quick" in sys.argv
    if quick:
        SPARSITIES, TARGETS = (0.9, 0.95), ("cortex-m4",)
    names = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--model=")] or ["lenet", "digits"]
    for model_name in ("lenet",) if quick else names:
        dense_accuracy, by_sparsity, data = train_models(model_name)
        (x_train, _), (x_test, y_test) = data
        accuracy[model_name] = {"dense": dense_accuracy, **{str(s): a for s, (_, a) in by_sparsity.items()}}
        print(f"[firmware] trained and pruned {model_name} in {time.time() - t0:.0f} s", flush=True)
        for s, (model, _) in by_sparsity.items():
            tflite = tfsparse.quantize(model, x_train[:N_REPRESENTATIVE])
            n_all = N_HEADLINE if model_name == "lenet" else N_RUN
            probe = tfsparse.convert(tflite, encoding="dense")
            xq_all = probe.quantize_input(x_test[:n_all])
            reference_all, arena = tflm_reference(tflite, xq_all)
            for target in TARGETS:
                # Every encoding and both kernels on cortex-m4; the policies and dense on the other boards.
                full = target == "cortex-m4" and not quick
                for label, policy, with_data in (configs() if full else POLICIES + (("dense", "dense", False),)):
                    try:
                        sm = tfsparse.convert(tflite, encoding=policy, target=target,
                                              representative_data=x_train[:N_REPRESENTATIVE] if with_data else None)
                    except ConversionError as exc:
                        print(f"[firmware] {model_name} {s:.0%} {target} {label}: skipped ({exc})", flush=True)
                        continue
                    out = tfsparse.generate(sm, work / f"{model_name}_{s}_{target}_{label.replace(' ', '_')}", target=target)
                    meta = json.loads((out / "project.json").read_text())
                    summary = sm.summary(print_fn=None)["total"]
                    for kernel in KERNELS if full or target == "cortex-m4" else KERNELS[:1]:
                        headline = model_name == "lenet" and target == "cortex-m4" and label == "default + data" \
                            and kernel == "cortex-m"
                        n = n_all if headline else N_RUN
                        row = run_config(sm, out, target, kernel, xq_all[:n], reference_all[:n])
                        row.update(model=model_name, sparsity=s, target=target, config=label, kernel=kernel,
                                   encodings=[op.weights.encoding for op in sm.fully_connected],
                                   arena=meta["arena_bytes"], model_data=meta["flash_constants_bytes"],
                                   bytes_per_nnz=summary["bytes_per_nonzero"], headline=headline)
                        rows.append(row)
                        print(f"[firmware] {model_name} {s:.0%} {target:10s} {label:15s} {kernel:8s} "
                              f"{row['instructions']:9.0f} instr (pred {row['error']:+.1%}, worst {row['worst_measured']:.0f}) "
                              f"{'/'.join(row['encodings'])}  {row['bytes_per_nnz']:.2f} B/nnz  "
                              f"mismatches {row['mismatches_vs_tflm']}", flush=True)
                memory_rows.append({"model": model_name, "sparsity": s, "target": target, "tflm_arena": arena})
    summary = summarize(rows)
    data = {"method": __doc__.split("\n\n", 2)[2].split("\n\n    .venv")[0], "runs": rows, "memory": memory_rows,
            "accuracy": accuracy, "summary": summary, "seconds": round(time.time() - t0, 1)}
    md = markdown(rows, memory_rows, accuracy, summary)
    if quick:
        path = write_results("firmware_headline", data, md)
        print(md)
        print(f"[firmware] wrote {path} in {time.time() - t0:.0f} s")
        return 0
    name = "firmware" if "lenet" in names else f"firmware_{'_'.join(names)}"
    path = write_results(name, data, md)
    if "lenet" in names:
        plot(rows, RESULTS / "firmware.png")
    print(md)
    print(f"[firmware] wrote {path} and firmware.png in {time.time() - t0:.0f} s")
    return 0


def _get(rows, **key):
    return next((r for r in rows if all(r.get(k) == v for k, v in key.items())), None)


def summarize(rows) -> dict:
    """The issue's done-when checks for LeNet's defaults on cortex-m4, and the profile's worst errors."""
    out = {"done_when": [], "profile_error": {}}
    for s, goal in DONE_WHEN.items():
        r = _get(rows, model="lenet", sparsity=s, target="cortex-m4", config="default + data", kernel="cortex-m")
        if r is None:
            continue
        check = {"sparsity": s, "mean": r["instructions"], "n_inputs": r["n_inputs"], "worst": r["worst_measured"],
                 "bytes_per_nnz": r["bytes_per_nnz"], "arena": r["arena"],
                 "vs_tflm_cmsis_nn": TFLM_CMSIS_NN_M4 / r["instructions"]}
        check["met"] = {k: bool(check[k] <= v) for k, v in goal.items()}
        out["done_when"].append(check)
    for model in ("lenet", "digits"):
        mine = [r for r in rows if r["model"] == model]
        if not mine:
            continue
        layer_errors = [abs(l["error"]) for r in mine for l in r["layers"] if l["op"] != "RESHAPE"]
        out["profile_error"][model] = {
            "runs": len(mine), "max_total": max(abs(r["error"]) for r in mine), "max_layer": max(layer_errors),
            "layers_over_5pct": sum(e > 0.05 for e in layer_errors), "layers": len(layer_errors)}
    out["mismatches"] = sum(r["mismatches_vs_tflm"] for r in rows)
    out["outputs_compared"] = sum(r["outputs_compared"] for r in rows)
    return out


def markdown(rows, memory_rows, accuracy, summary) -> str:
    labels = [c[0] for c in configs()]
    parts = ["### Defaults on Cortex-M4 (LeNet-300-100, 500 representative training digits, Cortex-M kernel)\n"]
    head = []
    for c in summary["done_when"]:
        goal = DONE_WHEN[c["sparsity"]]
        fmt = lambda k, v: f"{v:,.0f}" + (f" (goal <= {goal[k]:,}: {'met' if c['met'][k] else 'NOT met'})" if k in goal else "")
        head.append([f"{c['sparsity']:.0%}", fmt("mean", c["mean"]) + f" over {c['n_inputs']}", fmt("worst", c["worst"]),
                     f"{c['bytes_per_nnz']:.2f}" + (f" (goal <= 2.1: {'met' if c['met']['bytes_per_nnz'] else 'NOT met'})"
                                                   if "bytes_per_nnz" in goal else ""),
                     fmt("arena", c["arena"]), f"{c['vs_tflm_cmsis_nn']:.1f}x"])
    parts.append(markdown_table(["sparsity", "mean instructions", "worst case", "B/nonzero", "arena B",
                                 f"fewer than TFLM + CMSIS-NN ({TFLM_CMSIS_NN_M4:,})"], head))
    for model in ("lenet", "digits"):
        title = "LeNet-300-100" if model == "lenet" else "digits MLP (64-128-64-10)"
        for kernel in KERNELS:
            parts.append(f"\n\n### {title}: instructions per inference, {kernel} kernel (QEMU, exact mean)\n")
            table = []
            for t in TARGETS:
                for s in SPARSITIES:
                    cells = []
                    for lab in labels:
                        r = _get(rows, model=model, target=t, sparsity=s, config=lab, kernel=kernel)
                        cells.append("-" if r is None else f"{r['instructions'] / 1000:.1f}k")
                    table.append([t, f"{s:.0%}"] + cells)
            parts.append(markdown_table(["board", "sparsity"] + labels, table))
    parts.append("\n\n### Per-layer choice of the defaults with representative data (cortex-m4, Cortex-M kernel)\n")
    table = []
    for model in ("lenet", "digits"):
        for s in SPARSITIES:
            r = _get(rows, model=model, target="cortex-m4", sparsity=s, config="default + data", kernel="cortex-m")
            if r is None:
                continue
            for l in r["layers"]:
                if l["op"] == "FULLY_CONNECTED":
                    table.append([model, f"{s:.0%}", l["name"], l["encoding"], f"{l['density']:.0%}" if l["density"] is not None else "-",
                                  f"{l['measured']:,.0f}", f"{l['predicted']:,.0f}", f"{l['worst_predicted']:,.0f}",
                                  l["reason"], l["removed"] or "-"])
    parts.append(markdown_table(["model", "sparsity", "layer", "form", "input density", "QEMU instr", "predicted",
                                 "worst (predicted)", "reason", "removed"], table))
    parts.append("\n\n### Worst case (every input live) vs mean, LeNet-300-100, Cortex-M kernel\n")
    table = []
    for t in TARGETS:
        for s in SPARSITIES:
            r = _get(rows, model="lenet", target=t, sparsity=s, config="default + data", kernel="cortex-m")
            if r:
                table.append([t, f"{s:.0%}", f"{r['instructions']:,.0f}", f"{r['worst_measured']:,.0f}",
                              f"{r['worst_predicted']:,.0f}"])
    parts.append(markdown_table(["board", "sparsity", "mean (QEMU)", "worst (QEMU, all columns live)",
                                 "worst (profile)"], table))
    parts.append("\n\n### Profile error (predicted / QEMU - 1), every configuration above\n")
    table = []
    for model in ("lenet", "digits"):
        for t in TARGETS:
            for kernel in KERNELS:
                mine = [r for r in rows if r["model"] == model and r["target"] == t and r["kernel"] == kernel]
                if not mine:
                    continue
                errs = [l["error"] for r in mine for l in r["layers"] if l["op"] != "RESHAPE"]
                table.append([model, t, kernel, len(mine), f"{max(abs(r['error']) for r in mine):.2%}",
                              f"{max(abs(e) for e in errs):.2%}", sum(abs(e) > 0.05 for e in errs), len(errs)])
    parts.append(markdown_table(["model", "board", "kernel", "runs", "max total error", "max layer error",
                                 "layers over 5%", "layers"], table))
    parts.append("\n\n### Memory of the defaults with data (bytes)\n")
    table = []
    for m in memory_rows:
        r = _get(rows, model=m["model"], target=m["target"], sparsity=m["sparsity"], config="default + data",
                 kernel="cortex-m")
        d = _get(rows, model=m["model"], target=m["target"], sparsity=m["sparsity"], config="dense", kernel="cortex-m")
        if r:
            table.append([m["model"], m["target"], f"{m['sparsity']:.0%}", r["model_data"], d["model_data"] if d else "-",
                          f"{r['bytes_per_nnz']:.2f}", r["flash"], d["flash"] if d else "-", r["arena"],
                          m["tflm_arena"]["total"]])
    parts.append(markdown_table(["model", "board", "sparsity", "model data", "model data dense", "B/nonzero",
                                 "firmware flash", "dense firmware flash", "arena", "TFLM arena"], table))
    parts.append("\n\nTest accuracy of the Keras models: " + "; ".join(
        f"{m}: dense {a['dense']:.1%}, " + ", ".join(f"{float(k):.0%} {v:.1%}" for k, v in a.items() if k != "dense")
        for m, a in accuracy.items()) + ".")
    parts.append(f"\n\nBit-exactness: {summary['mismatches']} mismatches in {summary['outputs_compared']} output "
                 "elements compared with the TFLM interpreter (every run above). Flash = text + data of "
                 "`arm-none-eabi-size`; model data = the generated weight and quantization arrays.")
    return "\n".join(parts)


def plot(rows, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["dense", "smallest", "fastest", "default", "default + data"]
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(13, 4.2), sharey=True, squeeze=False)
    axes = axes[0]
    width = 0.8 / len(labels)
    for ax, t in zip(axes, TARGETS):
        for i, lab in enumerate(labels):
            vals = [(_get(rows, model="lenet", target=t, sparsity=s, config=lab, kernel="cortex-m") or {}).get("instructions", np.nan)
                    for s in SPARSITIES]
            ax.bar(np.arange(len(SPARSITIES)) + (i - len(labels) / 2 + 0.5) * width, vals, width, label=lab)
        ax.axhline(TFLM_CMSIS_NN_M4, color="k", ls="--", lw=1, label="TFLM + CMSIS-NN (M4)")
        ax.set_xticks(np.arange(len(SPARSITIES)), [f"{s:.0%}" for s in SPARSITIES])
        ax.set_yscale("log")
        ax.set_title(t)
        ax.set_xlabel("sparsity")
    axes[0].set_ylabel("instructions per inference")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(labels) + 1, fontsize=8)
    fig.suptitle("LeNet-300-100 on emulated Cortex-M (QEMU, -icount), Cortex-M kernels")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
