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
test inputs. The full grid: every policy and every encoding, both kernels, on cortex-m4, cortex-m7
and cortex-m33, both models, 80/90/95%. Inputs per run: the first 1000 LeNet test digits for the
defaults with data on cortex-m4 (the headline), else two dither periods (80 on the 40-instruction
boards, 100 on the M33's 50). Instructions: QEMU -icount shift=0 and SysTick; every run is built
with the runtime's SysTick dither (firmware/runtime/tfs_dither.h: each inference starts at another
phase of the tick, over a whole number of periods), so the mean per inference and per op are exact
rather than within a tick. Worst case: the same firmware built with -DTFS_ALL_COLUMNS_LIVE (the
column kernel tests no input against the zero point). Every run's outputs are compared with the
TFLM interpreter on the .tflite. Configurations whose generated model (C source) is identical to
one already measured on the same board and kernel (e.g. encoding="blk8" and the no-data default
when the chooser picks blk8 everywhere) reuse that firmware's counts and outputs ("same firmware
as" in the JSON); their profile is computed anew. Profile: tfsparse.profile(model, target,
inputs=the same int8 inputs, kernel). TFLM's arena: the PyPI interpreter's print_allocations().
External anchor: real TFLM (90b983c) + CMSIS-NN (4ab83cc), arm-none-eabi-gcc 12.2,
-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16, TFLM's flags, dense int8 LeNet-300-100,
Invoke() entry to return on mps2-an386 under -icount shift=0: 524,425 instructions (flash
353,776 B).

    .venv/bin/python benchmarks/firmware.py        # the full grid in 2 processes: results/firmware.{json,md,png}
    .venv/bin/python benchmarks/firmware.py --quick   # headline only: LeNet at 90/95% on cortex-m4,
                                                      # policies and dense (results/firmware_headline.*)
    options: --model=lenet|digits, --target=cortex-m4 (repeatable), --jobs=N (default 2);
    --render writes firmware.md and .png again from firmware.json; --reuse=OLD.json takes the QEMU counts
    of every run whose firmware OLD.json measured (same model, board, encodings, kernel, inputs: after a
    cost-model change with the same kernels) and measures the rest
Trained, pruned and quantized models are cached (TFSPARSE_BENCH_CACHE, default
$TMPDIR/tfsparse-bench-cache), keyed by the training code, the package sources it uses and the
TensorFlow/Keras versions.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.metadata
import inspect
import json
import multiprocessing
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
MODELS = ("lenet", "digits")
TFLM_CMSIS_NN_M4 = 524_425  # instructions per LeNet-300-100 inference, see the module docstring
TFLM_CMSIS_NN_FLASH = 353_776
N_HEADLINE = 1000  # LeNet test digits for the defaults on cortex-m4
N_PERIODS = 2  # inputs per other run: this many dither periods (exact means over whole periods)
N_REPRESENTATIVE = 500
CACHE = pathlib.Path(os.environ.get("TFSPARSE_BENCH_CACHE") or pathlib.Path(tempfile.gettempdir()) / "tfsparse-bench-cache")
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


def load_data(name):
    from tfsparse import datasets

    return datasets.mnist() if name == "lenet" else datasets.digits()


def train_models(name):
    """(dense test accuracy, {sparsity: (pruned Keras model, its test accuracy)}, data)."""
    import keras

    import tfsparse
    from tfsparse import models

    data = load_data(name)
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


def _cache_key(name) -> str:
    """Training code, the package sources it runs and the TF/Keras versions: a changed one retrains."""
    import tfsparse

    root = pathlib.Path(tfsparse.__file__).parent
    h = hashlib.sha256(f"{name} {SPARSITIES} {N_REPRESENTATIVE}".encode())
    h.update(inspect.getsource(train_models).encode())
    for path in sorted([*root.glob("pruning/*.py"), root / "models.py", root / "datasets.py",
                        root / "converter" / "quantize.py"]):
        h.update(path.read_bytes())
    for package in ("tensorflow", "keras"):
        h.update(importlib.metadata.version(package).encode())
    return h.hexdigest()[:16]


def trained(name):
    """(dense accuracy, {sparsity: (int8 .tflite bytes, accuracy)}): from the cache, else trained, quantized and cached."""
    folder = CACHE / f"{name}-{_cache_key(name)}"
    meta = folder / "accuracy.json"
    if meta.is_file():
        acc = json.loads(meta.read_text())
        return acc["dense"], {s: ((folder / f"{s}.tflite").read_bytes(), acc[str(s)]) for s in SPARSITIES}, True
    import tfsparse

    dense_accuracy, by_sparsity, data = train_models(name)
    x_train = data[0][0]
    out = {s: (tfsparse.quantize(m, x_train[:N_REPRESENTATIVE]), a) for s, (m, a) in by_sparsity.items()}
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for s, (tflite, _) in out.items():
        (tmp / f"{s}.tflite").write_bytes(tflite)
    (tmp / "accuracy.json").write_text(json.dumps({"dense": dense_accuracy, **{str(s): a for s, (_, a) in out.items()}}))
    if not folder.exists():
        tmp.rename(folder)  # whole or not at all
    return dense_accuracy, out, False


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


_C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def firmware_key(out_dir) -> str:
    """The generated model's C (comments dropped): equal keys build the same firmware."""
    h = hashlib.sha256()
    for path in sorted(pathlib.Path(out_dir).glob("*.[ch]")):
        h.update(path.name.encode() + _C_COMMENT.sub("", path.read_text()).encode())
    return h.hexdigest()


def measure(out_dir, target, kernel, xq, reference, worst: bool) -> dict:
    """QEMU counts (exact means) and mismatches of one firmware; with ``worst`` also the all-live build."""
    import tfsparse
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_cflags

    flags = dither_cflags(get_target(target).instructions_per_tick)
    r = tfsparse.run(out_dir, xq, kernel_impl=kernel, extra_cflags=flags)
    m = {"instructions": float(r.instructions.mean()), "max_instructions": float(r.instructions.max()),
         "layers": r.layer_instructions.mean(axis=0).tolist(), "mismatches_vs_tflm": int((r.outputs != reference).sum()),
         "outputs_compared": int(r.outputs.size), "flash": r.size["flash"], "n_inputs": int(len(xq))}
    if worst:
        w = tfsparse.run(out_dir, xq, kernel_impl=kernel, extra_cflags=flags + " -DTFS_ALL_COLUMNS_LIVE")
        m["worst_measured"] = float(w.instructions.mean())
        m["worst_layers"] = w.layer_instructions.mean(axis=0).tolist()
        m["mismatches_vs_tflm"] += int((w.outputs != reference).sum())
        m["outputs_compared"] += int(w.outputs.size)
    else:
        m["worst_measured"] = m["max_instructions"]
    return m


def compare(sm, target, kernel, xq, m) -> dict:
    """One result row: the measurement against tfsparse.profile, per layer and in total."""
    import tfsparse

    prof = tfsparse.profile(sm, target=target, inputs=xq, kernel=kernel)
    layers = []
    for i, (lp, meas) in enumerate(zip(prof.layers, m["layers"])):
        layer = {"name": lp.name, "op": lp.op, "encoding": lp.encoding, "measured": meas, "predicted": lp.instructions,
                 "error": lp.instructions / meas - 1 if meas > 0 else 0.0, "worst_predicted": lp.worst_case_instructions,
                 "reason": lp.reason, "removed": lp.removed, "density": lp.input_density}
        if "worst_layers" in m:
            w = m["worst_layers"][i]
            layer["worst_measured"] = w
            layer["worst_error"] = lp.worst_case_instructions / w - 1 if w > 0 else 0.0
        layers.append(layer)
    row = {k: v for k, v in m.items() if k not in ("layers", "worst_layers")}
    row.update(predicted=prof.instructions, error=prof.instructions / m["instructions"] - 1,
               worst_predicted=prof.worst_case_instructions, layers=layers)
    return row


def n_inputs(model_name, target, label, kernel) -> int:
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_period

    if model_name == "lenet" and target == "cortex-m4" and label == "default + data" and kernel == "cortex-m":
        return N_HEADLINE
    return N_PERIODS * dither_period(get_target(target).instructions_per_tick)


def _firmware_identity(model_name, s, target, encodings, kernel, n) -> str:
    """What makes two runs the same firmware: the pruned model, the board, each layer's encoding (convert is
    deterministic given them), the kernel and the inputs."""
    return f"{model_name}|{s}|{target}|{'/'.join(encodings)}|{kernel}|{n}"


def stored_measurements(path) -> dict:
    """{firmware identity: the QEMU measurement} of a stored firmware.json (see ``--reuse``)."""
    out = {}
    data = json.loads(pathlib.Path(path).read_text())
    for r in data["runs"]:
        m = {k: r[k] for k in ("instructions", "max_instructions", "mismatches_vs_tflm", "outputs_compared", "flash",
                               "n_inputs", "worst_measured")}
        m["layers"] = [l["measured"] for l in r["layers"]]
        if all("worst_measured" in l for l in r["layers"]):
            m["worst_layers"] = [l["worst_measured"] for l in r["layers"]]
        m["measured_at"] = r.get("measured_at") or data["environment"]["date"]
        out[_firmware_identity(r["model"], r["sparsity"], r["target"], r["encodings"], r["kernel"], r["n_inputs"])] = m
    return out


def measure_unit(model_name, s, target, unit_dir, labels, reuse=None) -> tuple:
    """Every configuration in ``labels`` and both kernels of one (model, sparsity, board): (rows, skipped, seconds).

    ``reuse``: a stored firmware.json whose QEMU counts are taken for every run that builds the same firmware
    (same kernels: only the cost model or the report changed); the others are measured."""
    import tfsparse
    from tfsparse.errors import ConversionError

    t0 = time.time()
    stored = stored_measurements(reuse) if reuse else {}
    unit_dir = pathlib.Path(unit_dir)
    blob = np.load(unit_dir.parent / f"{model_name}_{s}.npz")
    tflite, x_rep, xq_all, reference_all = blob["tflite"].tobytes(), blob["x_rep"], blob["xq"], blob["reference"]
    rows, skipped, seen = [], [], {}
    for label, policy, with_data in (c for c in configs() if c[0] in labels):
        try:
            sm = tfsparse.convert(tflite, encoding=policy, target=target, representative_data=x_rep if with_data else None)
        except ConversionError as exc:
            skipped.append({"model": model_name, "sparsity": s, "target": target, "config": label, "reason": str(exc)})
            print(f"[firmware] {model_name} {s:.0%} {target} {label}: skipped ({exc})", flush=True)
            continue
        out = tfsparse.generate(sm, unit_dir / label.replace(" ", "_").replace("+", "with"), target=target)
        meta = json.loads((out / "project.json").read_text())
        summary = sm.summary(print_fn=None)["total"]
        encodings = [op.weights.encoding for op in sm.fully_connected]
        key = firmware_key(out)
        for kernel in KERNELS:
            n = n_inputs(model_name, target, label, kernel)
            same = seen.get((key, kernel, n))
            old = stored.get(_firmware_identity(model_name, s, target, encodings, kernel, n))
            if same is None and old is not None and ("csc8" not in encodings or "worst_layers" in old):
                m = dict(old, reused=True)
                seen[(key, kernel, n)] = (label, m)
            elif same is None:
                m = measure(out, target, kernel, xq_all[:n], reference_all[:n], worst="csc8" in encodings)
                m["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
                seen[(key, kernel, n)] = (label, m)
            else:
                m = dict(same[1], same_firmware_as=same[0])
            row = compare(sm, target, kernel, xq_all[:n], m)
            row.update(model=model_name, sparsity=s, target=target, config=label, kernel=kernel, encodings=encodings,
                       arena=meta["arena_bytes"], model_data=meta["flash_constants_bytes"],
                       bytes_per_nnz=summary["bytes_per_nonzero"],
                       headline=n == N_HEADLINE and model_name == "lenet")
            rows.append(row)
            worst_layer = max((abs(l["error"]) for l in row["layers"] if l["op"] != "RESHAPE"), default=0.0)
            print(f"[firmware] {model_name} {s:.0%} {target:10s} {label:15s} {kernel:8s} "
                  f"{row['instructions']:9.0f} instr (pred {row['error']:+.1%}, layers <= {worst_layer:.1%}, "
                  f"worst {row['worst_measured']:.0f}) {'/'.join(encodings)}  {row['bytes_per_nnz']:.2f} B/nnz  "
                  f"mismatches {row['mismatches_vs_tflm']}{' (same firmware as ' + same[0] + ')' if same else ''}",
                  flush=True)
    return rows, skipped, time.time() - t0


def _arg(name, default):
    found = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith(f"--{name}=")]
    return tuple(found) if found else default


def main() -> int:
    global SPARSITIES, TARGETS
    import tfsparse

    t0 = time.time()
    quick = "--quick" in sys.argv
    if "--render" in sys.argv:  # the markdown and plot again from results/firmware.json, nothing measured
        data = json.loads((RESULTS / "firmware.json").read_text())
        SPARSITIES = tuple(sorted({r["sparsity"] for r in data["runs"]}))
        TARGETS = tuple(t for t in TARGETS if any(r["target"] == t for r in data["runs"]))
        data["summary"] = summarize(data["runs"])
        keep = {k: v for k, v in data.items() if k != "benchmark"}  # the measurement's environment stays
        write_results("firmware", keep, markdown(data["runs"], data.get("skipped", []), data["memory"],
                                                 data["accuracy"], data["summary"], data.get("not_run", ())))
        plot(data["runs"], RESULTS / "firmware.png")
        return 0
    names = ("lenet",) if quick else _arg("model", MODELS)
    targets = ("cortex-m4",) if quick else _arg("target", TARGETS)
    jobs = int(_arg("jobs", ("2",))[0])
    reuse = _arg("reuse", (None,))[0]
    sparsities = (0.9, 0.95) if quick else SPARSITIES
    labels = tuple(c[0] for c in (POLICIES + (("dense", "dense", False),) if quick else configs()))
    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-bench-fw-"))
    memory_rows, accuracy, units = [], {}, []
    for model_name in names:
        dense_accuracy, by_sparsity, cached = trained(model_name)
        (x_train, _), (x_test, _) = load_data(model_name)
        accuracy[model_name] = {"dense": dense_accuracy, **{str(s): a for s, (_, a) in by_sparsity.items()}}
        print(f"[firmware] {model_name}: {'cached models' if cached else 'trained, pruned and quantized'} "
              f"({time.time() - t0:.0f} s)", flush=True)
        for s in sparsities:
            tflite = by_sparsity[s][0]
            xq = tfsparse.convert(tflite, encoding="dense").quantize_input(x_test[:N_HEADLINE])
            reference, arena = tflm_reference(tflite, xq)
            np.savez(work / f"{model_name}_{s}.npz", tflite=np.frombuffer(tflite, np.uint8), x_rep=x_train[:N_REPRESENTATIVE],
                     xq=xq, reference=reference)
            for target in targets:
                memory_rows.append({"model": model_name, "sparsity": s, "target": target, "tflm_arena": arena})
                units.append((model_name, s, target, str(work / f"{model_name}_{s}_{target}"), labels, reuse))
    # Board by board (M4 first), LeNet before the digits MLP: a run stopped early still has whole boards.
    units.sort(key=lambda u: (targets.index(u[2]), names.index(u[0])))
    rows, skipped, done = [], [], set()
    name = "firmware_headline" if quick else "firmware" if set(names) == set(MODELS) and set(targets) == set(TARGETS) \
        else "firmware_" + "_".join(names + targets)
    SPARSITIES, TARGETS = sparsities, targets
    # Two processes: each unit builds and runs its firmware alone.
    # The results are written after every unit, so a run stopped early leaves what finished (and says what did not).
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(measure_unit, *u): u for u in units}
        for f in concurrent.futures.as_completed(futures):
            r, sk, seconds = f.result()
            rows += r
            skipped += sk
            u = futures[f]
            done.add(u[:3])
            print(f"[firmware] done {u[0]} {u[1]:.0%} {u[2]}: {len(r)} runs in {seconds:.0f} s "
                  f"({time.time() - t0:.0f} s so far)", flush=True)
            md, path = _write(name, units, done, rows, skipped, memory_rows, accuracy, labels, t0)
    print(md)
    print(f"[firmware] wrote {path} in {time.time() - t0:.0f} s")
    return 0


def _write(name, units, done, rows, skipped, memory_rows, accuracy, labels, t0):
    order = {u[:3]: i for i, u in enumerate(units)}
    label_order = {lab: i for i, lab in enumerate(labels)}
    rows.sort(key=lambda r: (order[r["model"], r["sparsity"], r["target"]], label_order[r["config"]], KERNELS.index(r["kernel"])))
    not_run = [{"model": u[0], "sparsity": u[1], "target": u[2]} for u in units if u[:3] not in done]
    summary = summarize(rows)
    data = {"method": __doc__.split("\n\n", 2)[2].split("\n\n    .venv")[0], "runs": rows, "skipped": skipped,
            "not_run": not_run, "memory": memory_rows, "accuracy": accuracy, "summary": summary,
            "seconds": round(time.time() - t0, 1)}
    md = markdown(rows, skipped, memory_rows, accuracy, summary, not_run)
    path = write_results(name, data, md)
    if name == "firmware":
        plot(rows, RESULTS / "firmware.png")
    return md, path


def _get(rows, **key):
    return next((r for r in rows if all(r.get(k) == v for k, v in key.items())), None)


def _layer_errors(rows):
    return [abs(l["error"]) for r in rows for l in r["layers"] if l["op"] != "RESHAPE"]


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
    for model in MODELS:
        mine = [r for r in rows if r["model"] == model]
        if not mine:
            continue
        errors = _layer_errors(mine)
        out["profile_error"][model] = {
            "runs": len(mine), "max_total": max(abs(r["error"]) for r in mine), "max_layer": max(errors),
            "layers_over_5pct": sum(e > 0.05 for e in errors), "layers": len(errors)}
    if rows:
        errors = _layer_errors(rows)
        out["profile_error"]["all"] = {"runs": len(rows), "max_total": max(abs(r["error"]) for r in rows),
                                       "max_layer": max(errors), "layers_over_5pct": sum(e > 0.05 for e in errors),
                                       "layers": len(errors)}
    measured_worst = [r for r in rows if any("worst_error" in l for l in r["layers"])]
    if measured_worst:  # the all-columns-live builds against the profile's worst case
        out["worst_case_error"] = {
            "runs": len(measured_worst),
            "max_total": max(abs(r["worst_predicted"] / r["worst_measured"] - 1) for r in measured_worst),
            "max_layer": max(abs(l["worst_error"]) for r in measured_worst for l in r["layers"]
                             if "worst_error" in l and l["op"] != "RESHAPE")}
    out["mismatches"] = sum(r["mismatches_vs_tflm"] for r in rows)
    out["outputs_compared"] = sum(r["outputs_compared"] for r in rows)
    out["firmware_runs"] = sum("same_firmware_as" not in r for r in rows)
    out["reused_runs"] = sum("same_firmware_as" not in r and bool(r.get("reused")) for r in rows)
    out["measured_at"] = sorted({r["measured_at"][:16] for r in rows if "measured_at" in r})
    return out


def _title(model):
    return "LeNet-300-100" if model == "lenet" else "digits MLP (64-128-64-10)"


def markdown(rows, skipped, memory_rows, accuracy, summary, not_run=()) -> str:
    labels = [c[0] for c in configs()]
    models = [m for m in MODELS if any(r["model"] == m for r in rows)]
    parts = []
    if not_run:
        parts.append(f"**Not run** (the benchmark was stopped before these {len(not_run)} units finished; their "
                     "boards and sparsities are missing from every table below): " + "; ".join(
                         f"{u['model']} {u['sparsity']:.0%} {u['target']}" for u in not_run) + ".\n")
    if "all" in summary["profile_error"]:
        pe = summary["profile_error"]["all"]
        parts.append(f"**Profile vs QEMU**: over {pe['runs']} runs ({', '.join(map(_title, models))}; "
                     f"{', '.join(TARGETS)}; both kernels), `tfsparse.profile` is off by at most "
                     f"**{pe['max_layer']:.2%} per layer** and **{pe['max_total']:.2%} in total**; "
                     f"{pe['layers_over_5pct']} of {pe['layers']} layers are off by more than 5%. "
                     + ("Worst case (every input live, the {runs} runs with a column-form layer, built with "
                        "-DTFS_ALL_COLUMNS_LIVE): at most {max_layer:.2%} per layer and {max_total:.2%} in total. "
                        .format(**summary["worst_case_error"]) if "worst_case_error" in summary else "")
                     + f"**Bit-exactness**: {summary['mismatches']} mismatches with the TFLM interpreter in "
                     f"{summary['outputs_compared']:,} compared output elements.\n")
    if summary["done_when"]:
        parts.append("### Defaults on Cortex-M4 (LeNet-300-100, 500 representative training digits, Cortex-M kernel)\n")
    head = []
    for c in summary["done_when"]:
        goal = DONE_WHEN[c["sparsity"]]
        fmt = lambda k, v: f"{v:,.0f}" + (f" (goal <= {goal[k]:,}: {'met' if c['met'][k] else 'NOT met'})" if k in goal else "")
        head.append([f"{c['sparsity']:.0%}", fmt("mean", c["mean"]) + f" over {c['n_inputs']}", fmt("worst", c["worst"]),
                     f"{c['bytes_per_nnz']:.2f}" + (f" (goal <= 2.1: {'met' if c['met']['bytes_per_nnz'] else 'NOT met'})"
                                                   if "bytes_per_nnz" in goal else ""),
                     fmt("arena", c["arena"]), f"{c['vs_tflm_cmsis_nn']:.1f}x"])
    if head:
        parts.append(markdown_table(["sparsity", "mean instructions", "worst case", "B/nonzero", "arena B",
                                     f"fewer than TFLM + CMSIS-NN ({TFLM_CMSIS_NN_M4:,})"], head))
    not_run = {}
    for sk in skipped:
        not_run.setdefault((sk["model"], sk["config"]), sk["reason"])
    for model in models:
        present = [lab for lab in labels if any(r["model"] == model and r["config"] == lab for r in rows)
                   or (model, lab) in not_run]
        for kernel in KERNELS:
            table = []
            for t in TARGETS:
                for s in SPARSITIES:
                    if not any(r["model"] == model and r["target"] == t and r["sparsity"] == s for r in rows):
                        continue
                    cells = []
                    for lab in present:
                        r = _get(rows, model=model, target=t, sparsity=s, config=lab, kernel=kernel)
                        cells.append("n/a" if r is None and (model, lab) in not_run else "-" if r is None
                                     else f"{r['instructions'] / 1000:.1f}k")
                    table.append([t, f"{s:.0%}"] + cells)
            if table:
                parts.append(f"\n\n### {_title(model)}: instructions per inference, {kernel} kernel (QEMU, exact mean)\n")
                parts.append(markdown_table(["board", "sparsity"] + present, table))
        for (m, lab), reason in not_run.items():
            if m == model:
                parts.append(f"\nn/a: `{lab}` cannot encode this model: {reason}")
    parts.append("\n\n### Per-layer choice of the defaults with representative data (cortex-m4, Cortex-M kernel)\n")
    table = []
    for model in models:
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
    parts.append("\n\n### Worst case (every input live) vs mean, defaults with data, Cortex-M kernel\n")
    table = []
    for model in models:
        for t in TARGETS:
            for s in SPARSITIES:
                r = _get(rows, model=model, target=t, sparsity=s, config="default + data", kernel="cortex-m")
                if r:
                    table.append([model, t, f"{s:.0%}", f"{r['instructions']:,.0f}", f"{r['worst_measured']:,.0f}",
                                  f"{r['worst_predicted']:,.0f}", f"{r['worst_predicted'] / r['worst_measured'] - 1:+.1%}"])
    parts.append(markdown_table(["model", "board", "sparsity", "mean (QEMU)", "worst (QEMU, all columns live)",
                                 "worst (profile)", "error"], table))
    parts.append("\n\n### Profile error (predicted / QEMU - 1) and TFLM mismatches, per model, board and kernel\n")
    table = []
    for model in models:
        for t in TARGETS:
            for kernel in KERNELS:
                mine = [r for r in rows if r["model"] == model and r["target"] == t and r["kernel"] == kernel]
                if not mine:
                    continue
                errs = _layer_errors(mine)
                table.append([model, t, kernel, len(mine), f"{max(abs(r['error']) for r in mine):.2%}",
                              f"{max(errs):.2%}", sum(e > 0.05 for e in errs), len(errs),
                              f"{sum(r['mismatches_vs_tflm'] for r in mine)} / {sum(r['outputs_compared'] for r in mine):,}"])
    parts.append(markdown_table(["model", "board", "kernel", "runs", "max total error", "max layer error",
                                 "layers over 5%", "layers", "mismatches / outputs"], table))
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
    parts.append(f"\n\nBit-exactness: {summary['mismatches']} mismatches in {summary['outputs_compared']:,} output "
                 f"elements compared with the TFLM interpreter (every run; {summary['firmware_runs']} distinct "
                 "firmware runs, the rest are configurations that generate the same C). Flash = text + data of "
                 "`arm-none-eabi-size`; model data = the generated weight and quantization arrays.")
    if summary.get("reused_runs"):
        parts.append(f"\n\nQEMU counts: {summary['reused_runs']} of the {summary['firmware_runs']} firmware runs were "
                     "taken from an earlier run of this benchmark on the same kernels and generated C (`--reuse`: "
                     "the cost model changed since, not the firmware), the others measured anew; QEMU counts recorded between "
                     f"{summary['measured_at'][0]} and {summary['measured_at'][-1]} UTC. The profile of every run "
                     "was computed with the current cost model.")
    parts.append("\n\n### Every run: profile error per layer, and mismatches\n\n<details><summary>"
                 f"{len(rows)} runs</summary>\n")
    table = []
    for r in rows:
        errs = [f"{l['name'].split('/')[-1]} {l['error']:+.1%}" for l in r["layers"] if l["op"] != "RESHAPE"]
        table.append([r["model"], r["target"], f"{r['sparsity']:.0%}", r["config"], r["kernel"], "/".join(r["encodings"]),
                      f"{r['instructions']:,.0f}", f"{r['error']:+.2%}", ", ".join(errs),
                      f"{r['mismatches_vs_tflm']} / {r['outputs_compared']}"])
    parts.append(markdown_table(["model", "board", "sparsity", "config", "kernel", "forms", "QEMU instr",
                                 "total error", "layer errors", "mismatches / outputs"], table))
    parts.append("\n</details>")
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
