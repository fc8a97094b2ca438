"""CNN benchmark: the MLPerf Tiny reference models at 0 / 80 / 90% sparsity on emulated Cortex-M4.

Questions: how much flash (weight arrays, whole firmware), arena and how many instructions per
inference does each reference model take with the layers ``convert`` chooses (default policy) against
all-dense (same DSP kernels, ``KERNEL_IMPL=cortex-m``)? Per layer: MACs, encoding, instructions and
instructions per MAC, split into MAC loop and requantization (measured per PC, not modelled). ``mnist_cnn``: float, int8 and firmware accuracy. And the external anchor
(real TFLM + CMSIS-NN, dense) from issue 13.

Method: each model from ``tfsparse.models`` (seed 0); mnist_cnn trained 2 epochs on the bundled MNIST
digits, the others 1 epoch on synthetic data of their input shape (no data set ships offline); the
smallest-magnitude 80% / 90% of every Conv2D and Dense kernel (not depthwise) zeroed, mnist_cnn then
fine-tuned 1 epoch with the mask kept; ``tfsparse.quantize`` (per-channel int8) -> ``tfsparse.convert``
(default policy, and ``encoding="dense"``) -> ``tfsparse.generate`` for cortex-m4 -> ``tfsparse.run``
(QEMU mps2-an386, ``-icount shift=0``, SysTick: exact to one tick of 40 instructions) on N_RUN inputs,
every output compared with the TFLM interpreter on the .tflite. Per-layer counts: the same firmware
built with a hook header that runs only op ``k`` (``tfs_bench_only_op``, patched into the ELF), so
each run counts one op on whatever its input buffer holds (data-independent for the row kernels).
A layer's instructions are counted exactly, per guest PC, by a QEMU plugin between the labels the
hooks put right after TFS_BEFORE_OP(k) and before TFS_AFTER_OP(k) (its two SysTick stamps, the call,
the kernel), checked against the SysTick per-op count of the same run (within one tick); each PC is
split into requantization (assembly ranges marked TFS_RQ_BEGIN/END, or DWARF attributing it to a
requantization helper: multiply, shift, zero point, clamp, store) and MAC loop (everything else:
gathers, im2col, column expansion, pointer walking, loop control, setup); see _insn_split.py.

    .venv/bin/python benchmarks/cnn.py [model ...]     # writes results/cnn.{json,md,png}
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _insn_split  # noqa: E402
from _common import RESULTS, markdown_table, write_results  # noqa: E402

MODELS = ("mnist_cnn", "ds_cnn", "resnet8", "fc_autoencoder", "mobilenet_v1")
SPARSITIES = tuple(float(s) for s in os.environ.get("TFS_BENCH_SPARSITIES", "0,0.8,0.9").split(","))
TARGET = "cortex-m4"
N_RUN = 20  # inputs per full-model firmware run
N_ACC = 200  # mnist_cnn test digits run on the firmware for its accuracy
HOOKS = _insn_split.HOOKS
TICK = 40  # instructions per SysTick tick on mps2-an386
#: Issue 13's anchor: real TFLM 90b983c + CMSIS-NN 4ab83cc, arm-none-eabi-gcc 12.2, Cortex-M4F on
#: mps2-an386, Invoke() entry to return, batch-1 int8, dense.
ANCHORS = {
    "ds_cnn": dict(instructions=7_702_027, flash=163_818, model_bytes=50_048, arena=22_828),
    "resnet8": dict(instructions=29_858_038, flash=205_660, model_bytes=97_552, arena=55_004),
}
PRUNABLE = ("Conv2D", "Dense")


def _keras_model(name, sparsity):
    """(model, calibration inputs, test inputs, test labels or None) with ``sparsity`` of each prunable kernel zero."""
    import keras

    from tfsparse import datasets, models

    keras.utils.set_random_seed(0)
    model = getattr(models, name)(seed=0)
    shape = tuple(model.input_shape[1:])
    logits = model.layers[-1].get_config().get("activation") in ("linear", None)
    if name == "mnist_cnn":
        (x_train, y_train), (x_test, y_test) = datasets.mnist(image=True)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    else:
        rng = np.random.default_rng(0)
        x_train = rng.normal(size=(512,) + shape).astype(np.float32)
        x_test = rng.normal(size=(N_RUN,) + shape).astype(np.float32)
        if name == "fc_autoencoder":
            y_train, y_test, loss = x_train, None, "mse"
        else:
            classes = int(model.output_shape[-1])
            y_train, y_test = rng.integers(0, classes, 512), None
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    model.fit(x_train, y_train, batch_size=64, epochs=2 if name == "mnist_cnn" else 1, verbose=0)
    if sparsity:
        masks = {}
        for layer in model.layers:
            if type(layer).__name__ in PRUNABLE:
                w = layer.get_weights()
                masks[layer.name] = np.abs(w[0]) > np.quantile(np.abs(w[0]), sparsity)
                layer.set_weights([w[0] * masks[layer.name], *w[1:]])
        if name == "mnist_cnn":  # fine-tune with the mask kept
            def reapply(*_, **__):
                for layer in model.layers:
                    if layer.name in masks:
                        w = layer.get_weights()
                        layer.set_weights([w[0] * masks[layer.name], *w[1:]])

            model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0,
                      callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=reapply)])
    return model, x_train[:200], x_test, y_test


def _tflm(path, xq):
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    out = []
    for x in xq:
        interpreter.set_input(x[None], 0)
        interpreter.invoke()
        out.append(interpreter.get_output(0).copy())
    return np.concatenate(out)


def _patch_int32(elf: pathlib.Path, symbol: str, value: int) -> None:
    """Set the initial value of a .data int32 ``symbol`` in ``elf``."""
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    address = next(int(line.split()[0], 16) for line in nm.splitlines() if line.split()[-1] == symbol)
    sections = subprocess.run(["arm-none-eabi-readelf", "-SW", str(elf)], capture_output=True, text=True,
                              check=True).stdout
    for line in sections.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[1] == ".data":
            sec_addr, sec_off = int(parts[3], 16), int(parts[4], 16)
            with open(elf, "r+b") as f:
                f.seek(sec_off + address - sec_addr)
                f.write(int(value).to_bytes(4, "little", signed=True))
            return
    raise RuntimeError(f"{elf}: no .data section")


def _per_layer(sparse, project, x1, plugin):
    import tfsparse

    flags = f"-DTFS_HOOKS_HEADER='\"{HOOKS}\"'"
    built = tfsparse.build(project, kernel_impl="cortex-m", extra_cflags=flags)
    pristine = built.elf.read_bytes()
    windows = _insn_split.hook_windows(built.elf)
    counts_file = pathlib.Path(plugin).with_suffix(".txt")
    rows = []
    for k, op in enumerate(sparse.ops):
        built.elf.write_bytes(pristine)  # newer than its sources: run() does not rebuild it
        _patch_int32(built.elf, "tfs_bench_only_op", k)
        res = tfsparse.run(project, x1, kernel_impl="cortex-m", extra_cflags=flags,
                           qemu_args=_insn_split.plugin_args(plugin, counts_file, start=windows[k][0],
                                                             stop=windows[k][1]))
        counts = _insn_split.parse_counts(counts_file)
        part = _insn_split.split(built.elf, counts)
        systick = int(res.layer_instructions[0, k])
        # The window holds the SysTick span (whose count is exact to within one tick) plus the few
        # instructions around the two stamps' loads (5 on cortex-m4, tests/firmware/test_insn_split_qemu.py).
        assert counts.opened == 1 and -TICK < part["instructions"] - systick < TICK + 8, (op.name, part, systick)
        assert part["mac_loop"] + part["requant"] == part["instructions"] == counts.window
        w = getattr(op, "weights", None)
        out = sparse.tensors[op.output].shape
        if op.kind == "CONV_2D":
            macs = int(np.prod(out[1:3])) * w.shape[0] * w.shape[1]
        elif op.kind == "DEPTHWISE_CONV_2D":
            macs = int(np.prod(out[1:])) * op.filter_height * op.filter_width
        elif op.kind == "FULLY_CONNECTED":
            macs = int(w.shape[0] * w.shape[1]) * int(np.prod(sparse.tensors[op.input].shape)) // int(w.shape[1])
        else:
            macs = 0
        instructions = part["instructions"]
        outputs = int(np.prod(out[1:]))
        rows.append(dict(op=op.name, kind=op.kind, encoding=getattr(w, "encoding", ""), macs=macs,
                         nnz=int(getattr(w, "nnz", 0) or (w.weights.size if w is not None and hasattr(w, "weights") else 0)),
                         instructions=instructions, instructions_systick=systick, outputs=outputs,
                         mac_loop=part["mac_loop"], requant=part["requant"],
                         per_mac=round(instructions / macs, 3) if macs else None,
                         mac_loop_per_mac=round(part["mac_loop"] / macs, 3) if macs else None,
                         requant_per_mac=round(part["requant"] / macs, 3) if macs else None,
                         requant_per_output=round(part["requant"] / outputs, 2) if macs else None))
    return rows


def bench_model(name, work: pathlib.Path):
    import tfsparse

    plugin = _insn_split.build_plugin(work)
    out = []
    for sparsity in SPARSITIES:
        t0 = time.time()
        model, x_cal, x_test, y_test = _keras_model(name, sparsity)
        path = work / f"{name}_{int(sparsity * 100)}.tflite"
        path.write_bytes(tfsparse.quantize(model, x_cal))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            chosen = tfsparse.convert(path)
            dense = tfsparse.convert(path, encoding="dense")
        xq = chosen.quantize_input(x_test[:N_RUN])
        oracle = _tflm(path, xq)
        entry = dict(model=name, sparsity=sparsity)
        for label, sm in (("chosen", chosen), ("all_dense", dense)):
            project = tfsparse.generate(sm, work / f"{name}_{int(sparsity * 100)}_{label}", target=TARGET)
            res = tfsparse.run(project, xq, kernel_impl="cortex-m")
            meta = json.loads((project / "project.json").read_text())
            entry[label] = dict(instructions=int(np.median(res.instructions)), flash=int(res.size["flash"]),
                                weights_flash=int(meta["flash_constants_bytes"]), arena=int(meta["arena_bytes"]),
                                mismatches_vs_tflm=int((res.outputs.reshape(oracle.shape) != oracle).sum()),
                                sparse_layers=sum(1 for op in sm.ops if getattr(getattr(op, "weights", None), "encoding",
                                                                                "dense") != "dense"))
            if label == "chosen":
                entry["layers"] = _per_layer(sm, project, xq[:1], plugin)
        entry["speedup_vs_all_dense"] = round(entry["all_dense"]["instructions"] / entry["chosen"]["instructions"], 3)
        if name == "mnist_cnn":
            (_, _), (xt, yt) = tfsparse.datasets.mnist(image=True)
            float_acc = float((np.argmax(model.predict(xt, verbose=0), -1) == yt).mean())
            xq_all = chosen.quantize_input(xt)
            int8_acc = float((np.argmax(chosen.predict(xq_all), -1) == yt).mean())
            project = work / f"{name}_{int(sparsity * 100)}_chosen"
            fw = tfsparse.run(project, xq_all[:N_ACC], kernel_impl="cortex-m")
            entry["accuracy"] = dict(float=float_acc, int8=int8_acc,
                                     firmware=float((np.argmax(fw.outputs.reshape(N_ACC, -1), -1) == yt[:N_ACC]).mean()),
                                     int8_same_inputs=float((np.argmax(chosen.predict(xq_all[:N_ACC]), -1)
                                                             == yt[:N_ACC]).mean()), firmware_inputs=N_ACC,
                                     test_inputs=int(len(yt)))
        entry["seconds"] = round(time.time() - t0, 1)
        print(json.dumps({k: v for k, v in entry.items() if k != "layers"}), flush=True)
        out.append(entry)
    return out


def _markdown(results) -> str:
    rows = []
    for e in results:
        c, d = e["chosen"], e["all_dense"]
        rows.append([e["model"], f"{int(e['sparsity'] * 100)}%", f"{c['instructions']:,}", f"{d['instructions']:,}",
                     f"{e['speedup_vs_all_dense']:.2f}x", f"{c['weights_flash']:,}", f"{d['weights_flash']:,}",
                     f"{c['flash']:,}", f"{c['arena']:,}", c["sparse_layers"], c["mismatches_vs_tflm"]])
    text = ["## Whole model, cortex-m4 (DSP kernels)", "",
            markdown_table(["model", "sparsity", "instructions (chosen)", "instructions (all dense)", "speed-up",
                            "weights B (chosen)", "weights B (dense)", "firmware flash B", "arena B", "sparse layers",
                            "mismatches vs TFLM"], rows), "",
            "## External anchor: real TFLM + CMSIS-NN (dense, issue 13)", "",
            markdown_table(["model", "instructions", "flash B", "model B", "arena B"],
                           [[m, f"{a['instructions']:,}", f"{a['flash']:,}", f"{a['model_bytes']:,}", f"{a['arena']:,}"]
                            for m, a in ANCHORS.items()]), ""]
    for e in results:
        if "accuracy" in e:
            a = e["accuracy"]
            text.append(f"mnist_cnn at {int(e['sparsity'] * 100)}%: float {a['float']:.3f}, int8 {a['int8']:.3f} "
                        f"({a['test_inputs']} test digits); firmware {a['firmware']:.3f} vs int8 {a['int8_same_inputs']:.3f} "
                        f"on the first {a['firmware_inputs']}.")
    text += ["", "## Per layer (chosen layers, one op per run)", "",
             "Instructions between the op's hooks, counted per PC by a QEMU plugin (exact; the SysTick count of the "
             "same run agrees within one tick): requantization = the marked assembly and the C requantization "
             "helpers (multiply, shift, zero point, clamp, store), MAC loop = the rest (gathers, im2col, pointer "
             "walking, loop control, setup). Per MAC for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.", ""]
    fmt = lambda v: "" if v is None else v  # noqa: E731
    for e in results:
        text += [f"### {e['model']} at {int(e['sparsity'] * 100)}%", "",
                 markdown_table(["op", "kind", "encoding", "MACs", "instructions", "per MAC", "MAC loop per MAC",
                                 "requant per MAC", "requant per output"],
                                [[r["op"], r["kind"], r["encoding"], f"{r['macs']:,}", f"{r['instructions']:,}",
                                  fmt(r["per_mac"]), fmt(r.get("mac_loop_per_mac")), fmt(r.get("requant_per_mac")),
                                  fmt(r.get("requant_per_output"))] for r in e["layers"]]), ""]
    return "\n".join(text)


def _plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = sorted({e["model"] for e in results}, key=list(MODELS).index)
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.4), squeeze=False)
    for ax, m in zip(axes[0], models):
        es = [e for e in results if e["model"] == m]
        xs = np.arange(len(es))
        ax.bar(xs - 0.2, [e["all_dense"]["instructions"] / 1e6 for e in es], 0.4, label="all dense")
        ax.bar(xs + 0.2, [e["chosen"]["instructions"] / 1e6 for e in es], 0.4, label="tfsparse (chosen)")
        if m in ANCHORS:
            ax.axhline(ANCHORS[m]["instructions"] / 1e6, color="k", ls="--", lw=1, label="TFLM + CMSIS-NN")
        ax.set_xticks(xs, [f"{int(e['sparsity'] * 100)}%" for e in es])
        ax.set_title(m)
        ax.set_ylabel("M instructions / inference")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help=f"models to measure (default: all of {', '.join(MODELS)}); the other models' rows "
                             "of results/cnn.json are kept, so the tables stay whole")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:  # (argparse's choices= rejects an empty list for nargs="*" on Python < 3.12)
        parser.error(f"unknown model {', '.join(map(repr, unknown))}; choose from {', '.join(MODELS)}")
    names = args.models or list(MODELS)
    kept = []
    if args.models and (RESULTS / "cnn.json").exists():
        old = json.loads((RESULTS / "cnn.json").read_text())
        if old.get("target") == TARGET:
            kept = [e for e in old["results"] if e["model"] not in names]
    results = []
    with tempfile.TemporaryDirectory(prefix="tfsparse-cnn-") as tmp:
        for name in names:  # results are written after each model, so a long run keeps what it measured
            results += bench_model(name, pathlib.Path(tmp))
            merged = sorted(kept + results, key=lambda e: (MODELS.index(e["model"]), e["sparsity"]))
            payload = dict(target=TARGET, n_run=N_RUN, anchors=ANCHORS, results=merged)
            write_results("cnn", payload, _markdown(merged))
            _plot(merged, RESULTS / "cnn.png")


if __name__ == "__main__":
    main(sys.argv[1:])
