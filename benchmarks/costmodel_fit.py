"""Fit the cost model's coefficients (tfsparse/costmodel.py) to QEMU instruction counts.

Question: how many instructions does each kernel spend per loop iteration of each weight encoding, on
each core? The cost model is linear in loop-count features (tfsparse.costmodel.FEATURES); this script
measures them.

Method: per (core, kernel), one calibration firmware holding a chain of ~50 fully-connected layers of
random shapes, densities and per-row lengths (every encoding, cycling), a RESHAPE and a SOFTMAX, plus
a three-op firmware (Cortex-M55, whose narrow calibration layers fit its ITCM, adds a chain of real
layers' sizes and sparsities: 784-column and 300-row layers, the helium kernel's vector rows);
tfsparse.run gives each op's SysTick count (RunResult.layer_instructions). A hook
spins 0..T-1 three-instruction loop iterations before the first op (T = instructions per tick), so
over T inferences each op starts at every phase of the tick and the mean count is exact. Each
(kernel, encoding) is fitted by non-negative least squares on its features; SOFTMAX per inference
(its cost depends on how many entries are within diff_min of the row maximum); the graph's own
overhead (time stamps, calls between ops) as instructions per op from the undithered totals. The
table is written into tfsparse/costmodel.py between its BEGIN FITTED / END FITTED markers.

    .venv/bin/python benchmarks/costmodel_fit.py [CORE ...]   # ~15 minutes for all; rewrites the table
    .venv/bin/python benchmarks/costmodel_fit.py --refit      # fit again from the stored raw counts
    (measuring skips firmwares already in the raw counts unless --remeasure: after a kernel change, pass it;
    --kernel=NAME, repeatable, measures only those kernels and keeps the others' stored counts)
"""

from __future__ import annotations

import json
import pathlib
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _common import write_fitted_section, write_results  # noqa: E402

# core -> (target that emulates it, layers per encoding, largest layer width): the small boards get
# a calibration model that fits their memory (micro:bit: 256 KiB flash, 16 KiB RAM; an547: 512 KiB ITCM).
CORES = {"cortex-m4": ("cortex-m4", 20, 400), "cortex-m7": ("cortex-m7", 20, 400),
         "cortex-m33": ("cortex-m33", 20, 400), "cortex-m3": ("cortex-m3", 20, 400),
         "cortex-m55": ("cortex-m55", 8, 96), "cortex-m0": ("cortex-m0", 5, 40)}
ENCODINGS = ("dense", "abs_u8", "abs_u16", "abs_u32", "rel8", "rel4", "blk8", "csc8")
ROOT = pathlib.Path(__file__).resolve().parents[1]



def _chain_start():
    """(tensors, ops, add(name, shape, zp) -> tensor index, input, flattened input) of a calibration chain."""
    from tfsparse.converter.ir import Quantization, Reshape, Tensor

    tensors, ops = [], []

    def add(name, shape, zp):
        tensors.append(Tensor(len(tensors), name, tuple(shape), "int8",
                              Quantization(np.array([0.05]), np.array([zp], dtype=np.int64))))
        return len(tensors) - 1

    first = add("input", (1, 28, 28), -128)
    cur = add("flat", (1, 784), -128)
    ops.append(Reshape("flatten", first, cur))
    return tensors, ops, add, first, cur


def calibration_model(seed: int, layers_per_encoding: int, max_width: int = 400, wide: bool = False, real: bool = False,
                      sparse: bool = False):
    """A chain of FC layers (all encodings, varied shapes/densities/row lengths), RESHAPE, SOFTMAX."""
    from tfsparse.converter import csr
    from tfsparse.converter.ir import FullyConnected, Softmax
    from tfsparse.converter.model import SparseModel

    rng = np.random.default_rng(seed)
    tensors, ops, add, first, cur = _chain_start()
    cols = 784
    order = [ENCODINGS[k % len(ENCODINGS)] for k in range(layers_per_encoding * len(ENCODINGS))]
    if wide:  # 3-4 column blocks (blk8) and 2-4 row blocks (csc8): the kernels specialize by block count
        order = ["blk8", "csc8"] * layers_per_encoding
    if real:  # 31-700 rows at 85-97% sparsity (vectorised abs rows, 2-4 block blk8/csc8), whatever max_width
        order = ["blk8", "abs_u16", "abs_u8", "csc8"] * layers_per_encoding
    if sparse:  # column forms on mostly-dead inputs (1-2 row blocks): the zero-point skips real models take
        order = ["csc8"] * (2 * layers_per_encoding)
    for k, enc in enumerate(order):
        nxt = order[k + 1] if k + 1 < len(order) else "dense"
        if enc == "abs_u8" and cols > 256:  # abs_u8 addresses 256 columns: put a narrowing dense layer first
            enc = "abs_u16"
        limit = min(256 if nxt == "abs_u8" else 400, max_width)
        rows = int(rng.choice([1, 2, 3, 5, 7, 10, 16, 20, 31, 50, 64, 100, 128, 150, 200, 256, 300, 400]))
        rows = max(1, min(rows, limit))
        density = float(rng.choice([0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.4, 0.7, 1.0]))
        if wide:
            rows, density = int(rng.integers(520, 1000)), float(rng.choice([0.01, 0.03, 0.05, 0.08, 0.12]))
        if sparse:  # wide enough for many four-column groups, 1 and 2 row blocks
            rows = min(int(rng.choice([128, 200, 256, 300, 400])), max_width)
            density = float(rng.choice([0.05, 0.1, 0.2, 0.3]))
        if real:
            rows = min(int(rng.choice([31, 64, 100, 128, 200, 256, 300, 400])), 256 if nxt == "abs_u8" else 400)
            rows = int(rng.choice([300, 400, 560, 650])) if nxt == "blk8" else rows  # 2-3 column blocks next
            density = float(rng.choice([0.03, 0.06, 0.1, 0.15]))
        row_scale = rng.beta(0.8, 0.8, size=rows) * 2  # per-row density multiplier: short and long rows
        w = rng.integers(-127, 128, (rows, cols)).astype(np.int8)
        w[rng.random((rows, cols)) >= np.clip(density * row_scale[:, None], 0, 1)] = 0
        w[rng.random(rows) < 0.1] = 0
        out = add(f"fc{k}/out", (1, rows), -128)
        bias = rng.integers(-3000, 3000, rows).astype(np.int64)
        folded = (bias + 128 * w.astype(np.int64).sum(axis=1)).astype(np.int32)
        if sparse:  # 30-90% of the outputs held at the zero point (ReLU), in aligned fours half the time
            dead_fraction = float(rng.choice([0.3, 0.6, 0.8, 0.9]))
            dead = rng.random(rows) < dead_fraction
            if rng.random() < 0.5:
                dead = np.repeat(rng.random(-(-rows // 4)) < dead_fraction, 4)[:rows]
            folded[dead] = -(1 << 30)
        mult = rng.integers(1 << 30, (1 << 31) - 1, rows).astype(np.int32)
        shift = rng.integers(-11, -5, rows).astype(np.int32)
        weights = csr.encode(w, enc)
        ops.append(FullyConnected(f"fc{k}_{enc}", cur, out, weights, folded, mult, shift, -128, -128, 127, "RELU"))
        cur, cols = out, rows
    # A last layer of 10 and the softmax over it.
    w = rng.integers(-127, 128, (10, cols)).astype(np.int8)
    w[rng.random((10, cols)) >= 0.3] = 0
    logits = add("logits", (1, 10), 0)
    ops.append(FullyConnected("fc_last_dense", cur, logits, csr.encode(w, "dense"),
                              rng.integers(-3000, 3000, 10).astype(np.int32) + 128 * w.astype(np.int32).sum(axis=1),
                              np.full(10, 1 << 30, np.int32), np.full(10, -4, np.int32), 0, -128, 127, "NONE"))
    probs = add("probs", (1, 10), -128)
    # TFLM's parameters for LeNet-300-100's (seed 1) and the digits MLP's (seed 2) logit scales.
    params = (1170900352, 22, -496) if seed % 2 else (1271153536, 21, -992)
    ops.append(Softmax("softmax", logits, probs, 1.0, *params))
    return SparseModel(f"calib{seed}", tensors, ops, first, probs, source="<calibration>")


SOFTMAX_SIZES = (2, 3, 5, 10, 12, 20, 35, 64, 100)


def softmax_model(seed: int = 7):
    """Softmaxes of varied widths (the FC chain's last one is always 10 wide): FC → SOFTMAX pairs chained,
    one per width in SOFTMAX_SIZES; only its SOFTMAX counts enter the fit."""
    from tfsparse.converter import csr
    from tfsparse.converter.ir import FullyConnected, Softmax
    from tfsparse.converter.model import SparseModel
    from tfsparse.converter.quant_math import softmax_params

    rng = np.random.default_rng(seed)
    tensors, ops, add, first, cur = _chain_start()
    cols = 784
    # Two logit scales per width: a small one keeps every entry within diff_min of the maximum, a large one
    # leaves many out (dead entries cost less), so the per-element and per-live-entry costs separate.
    for k, (n, scale) in enumerate((n, s) for n in SOFTMAX_SIZES for s in (0.06, rng.choice([0.2, 0.35, 0.6]))):
        w = rng.integers(-127, 128, (n, cols)).astype(np.int8)
        w[rng.random((n, cols)) >= 0.3] = 0
        logits = add(f"logits{k}_{n}", (1, n), 0)
        ops.append(FullyConnected(f"fc{k}_{n}", cur, logits, csr.encode(w, "dense"),
                                  rng.integers(-3000, 3000, n).astype(np.int32) + 128 * w.astype(np.int32).sum(axis=1),
                                  np.full(n, 1 << 30, np.int32), np.full(n, -4, np.int32), 0, -128, 127, "NONE"))
        cur = add(f"probs{k}_{n}", (1, n), -128)
        ops.append(Softmax(f"softmax{k}_{n}", logits, cur, 1.0, *softmax_params(1.0, float(scale))))
        cols = n
    return SparseModel(f"calib_softmax{seed}", tensors, ops, first, cur, source="<calibration>")


def softmax_live(model, x, k=None) -> np.ndarray:
    """Per input: (live entries, exp barrel steps) of SOFTMAX op ``k`` (default: the last op)."""
    from tfsparse import costmodel

    k = len(model.ops) - 1 if k is None else k
    sm = model.ops[k]
    elems = int(np.prod(model.tensors[sm.input].shape))
    return costmodel.softmax_activity(sm, layer_inputs(model, x)[k]) * np.array([elems, elems * 7])


def measure(model, target, kernel, work, inputs, dither_modulo):
    import tfsparse

    from tfsparse.firmware import dither_cflags

    out = tfsparse.generate(model, work, target=target)
    flags = dither_cflags(dither_modulo) if dither_modulo else ""
    return tfsparse.run(out, inputs, kernel_impl=kernel, extra_cflags=flags)


def fit(rows_x, rows_y, names):
    from scipy.optimize import nnls

    a = np.array([[f.get(n, 0.0) for n in names] for f in rows_x], dtype=np.float64)
    y = np.asarray(rows_y, dtype=np.float64)
    scale = np.maximum(np.abs(a).max(axis=0), 1e-9)
    weight = 1.0 / np.maximum(y, 1.0)  # relative errors: small layers count as much as large ones
    coef, _ = nnls(a / scale * weight[:, None], y * weight)
    coef = coef / scale
    pred = a @ coef
    return dict(zip(names, (round(float(c), 4) for c in coef))), pred


def calibration_inputs(per_tick):
    """Inputs with MNIST-like activity: most pixels at the zero point (-128), some samples in runs of four."""
    from tfsparse.firmware import dither_period

    rng = np.random.default_rng(3)
    n = 2 * dither_period(per_tick)
    x = rng.integers(-127, 128, (n, 784)).astype(np.int8)
    density = rng.uniform(0.05, 0.9, (n, 1))
    live = rng.random((n, 784)) < density
    grouped = np.repeat(rng.random((n, 196)) < density, 4, axis=1)
    live = np.where(rng.random((n, 1)) < 0.5, live, grouped)
    return np.where(live, x, np.int8(-128)).reshape(n, 28, 28)


def layer_inputs(model, x) -> dict:
    """{op index: that op's input for every sample} (reference executor)."""
    from tfsparse.converter.chooser import op_inputs

    return {k: args[0] for k, (op, args) in enumerate(op_inputs(model, x))}


def measure_all(path: pathlib.Path, raw: dict, only=()) -> dict:
    """Run every calibration firmware; raw counts (per op means, softmax per inference, totals)."""
    from tfsparse.codegen.targets import get_target

    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-costfit-"))
    kernels_only = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--kernel=")]
    for core, (target_name, per_encoding, width) in CORES.items():
        if only and core not in only:
            continue
        target = get_target(target_name)
        per_tick = target.instructions_per_tick
        x = calibration_inputs(per_tick)
        for kernel in target.kernels:
            if kernels_only and kernel not in kernels_only:
                continue
            for tag, model in core_models(core, per_encoding, width).items():
                if f"{core}|{kernel}|{tag}" in raw and "--remeasure" not in sys.argv:
                    continue
                if tag == "softmax" and kernel != target.kernels[0]:
                    continue  # SOFTMAX has one implementation: one build measures it
                dith = measure(model, target_name, kernel, work / f"{core}_{kernel}_{tag}_d", x, per_tick)
                plain = measure(model, target_name, kernel, work / f"{core}_{kernel}_{tag}_p", x[:4], 0)
                raw[f"{core}|{kernel}|{tag}"] = {
                    "layer_means": dith.layer_instructions.mean(axis=0).tolist(),
                    "softmax": dith.layer_instructions[:, -1].tolist(),
                    "softmax_ops": {str(k): dith.layer_instructions[:, k].tolist()
                                    for k, op in enumerate(model.ops) if op.kind == "SOFTMAX"},
                    "total_plain": float(plain.instructions.mean()),
                }
                print(f"[costfit] measured {core} {kernel} {tag}", flush=True)
            path.write_text(json.dumps(raw))
    return raw


MODELS = {"big": (1, None), "small": (2, 1), "wide": (3, 6), "sparse": (4, 6)}  # (seed, layers per encoding; None: the core's)
# Cores whose calibration layers are narrow (max width < 400: no wide model) but that run real layers'
# sizes: Cortex-M55 (LeNet's 300-row and 784-column layers fit its 512 KiB ITCM one at a time).
REAL_MODEL = {"cortex-m55": (6, 3)}


def core_models(core, per_encoding, width) -> dict:
    """{tag: calibration model} of one core; "big" and "small" first (the graph overhead's two points)."""
    models = {tag: calibration_model(seed, per_encoding if n is None else n, width, wide=tag == "wide",
                                     sparse=tag == "sparse")
              for tag, (seed, n) in MODELS.items() if tag not in ("wide", "sparse") or width >= 400}
    if core in REAL_MODEL:
        seed, n = REAL_MODEL[core]
        models["real"] = calibration_model(seed, n, width, real=True)
    models["softmax"] = softmax_model()
    return models


def fit_all(raw: dict):
    from tfsparse import costmodel

    table, info = {}, {}
    from tfsparse.codegen.targets import get_target

    for core, (target_name, per_encoding, width) in CORES.items():
        target = get_target(target_name)
        if f"{core}|{target.kernels[0]}|big" not in raw:
            continue
        models = core_models(core, per_encoding, width)
        x = calibration_inputs(target.instructions_per_tick)
        any_samples = {}
        for kernel in target.kernels:
            if f"{core}|{kernel}|big" not in raw:
                continue  # not measured yet
            samples, overhead = {}, []
            for tag, model in models.items():
                if f"{core}|{kernel}|{tag}" not in raw:  # a calibration model added since this core was measured
                    if tag == "softmax" and kernel != target.kernels[0]:
                        continue
                    print(f"[costfit] {core} {kernel}: no counts for the {tag!r} model (measure it)", flush=True)
                    continue
                r = raw[f"{core}|{kernel}|{tag}"]
                if tag == "softmax":  # only its SOFTMAX samples: the FC/RESHAPE/GRAPH fits stay as they were
                    for k, counts in r["softmax_ops"].items():
                        _softmax_samples(any_samples, model, x, int(k), counts)
                    continue
                means = np.asarray(r["layer_means"])
                overhead.append((len(model.ops), r["total_plain"] - float(means.sum())))
                live = softmax_live(model, x)
                inputs = layer_inputs(model, x)
                for k, op in enumerate(model.ops):
                    if op.kind == "FULLY_CONNECTED":
                        s = samples.setdefault((kernel, op.weights.encoding), ([], []))
                        zp = int(model.tensors[op.input].quantization.zero_point[0])
                        masks = inputs[k].reshape(len(x), -1) != zp
                        s[0].append(costmodel.fc_features(op.weights, kernel, 1, masks))
                        s[1].append(float(means[k]))
                    elif op.kind == "SOFTMAX":
                        _softmax_samples(any_samples, model, x, k, r["softmax"], live)
                    else:
                        s = any_samples.setdefault(op.kind, ([], []))
                        s[0].append({"op": 1.0})
                        s[1].append(float(means[k]))
            for (kern, enc), (fx, fy) in samples.items():
                names = costmodel.CORE_FEATURES.get((core, kern, enc), costmodel.FEATURES[(kern, enc)])
                _fit_one(table, info, (core, kern, enc), names, fx, fy)
            (n1, o1), (n2, o2) = overhead[:2]
            per_op = (o1 - o2) / (n1 - n2)
            table[(core, kernel, "GRAPH")] = {"op": round(per_op, 4), "graph": round(o1 - per_op * n1, 4)}
            print(f"[costfit] {core} {kernel} graph overhead: {o1:.0f} for {n1} ops, {o2:.0f} for {n2} ops", flush=True)
        for kind, (fx, fy) in any_samples.items():  # kernel-independent ops: both builds together
            names = costmodel.FEATURES[("any", kind)]
            _fit_one(table, info, (core, "any", kind), names, fx, fy)
    return table, info


def _softmax_samples(any_samples, model, x, k, counts, live=None):
    """Add SOFTMAX op ``k``'s per-inference samples (features, measured counts) to ``any_samples``."""
    live = softmax_live(model, x, k) if live is None else live
    elems = int(np.prod(model.tensors[model.ops[k].input].shape))
    s = any_samples.setdefault("SOFTMAX", ([], []))
    s[0].extend({"op": 1.0, "elems": elems, "live": float(v[0]), "exp_bits": float(v[1])} for v in live)
    s[1].extend(float(v) for v in counts)


def _fit_one(table, info, key, names, fx, fy):
    coef, pred = fit(fx, fy, names)
    y = np.asarray(fy)
    err = (pred - y) / np.maximum(y, 1)
    table[key] = coef
    info["/".join(key)] = {"samples": len(fy), "max_rel_error": round(float(np.abs(err).max()), 4),
                           "max_abs_error": round(float(np.abs(pred - y).max()), 1),
                           "mean_instructions": round(float(np.mean(fy)), 1)}
    print(f"[costfit] {'/'.join(key):32s} n={len(fy):3d} max err {np.abs(err).max():6.2%} "
          f"({np.abs(pred - y).max():6.0f})  {coef}", flush=True)


def main() -> int:
    t0 = time.time()
    raw_path = pathlib.Path(__file__).resolve().parent / "results" / "costmodel_calibration_raw.json"
    raw = json.loads(raw_path.read_text()) if raw_path.is_file() else {}
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--refit" not in sys.argv:
        raw = measure_all(raw_path, raw, only)
    table, info = fit_all(raw)
    write_fitted_section("FITTED", "benchmarks/costmodel_fit.py", COEFFICIENTS=table, FIT_INFO=info)
    write_results("costmodel_fit", {"table": {"/".join(k): v for k, v in table.items()}, "fit": info,
                                    "seconds": round(time.time() - t0, 1)},
                  "| core/kernel/encoding | layers | max error | max error (instr) | mean instructions |\n|---|---|---|---|---|\n"
                  + "\n".join(f"| {k} | {v['samples']} | {v['max_rel_error']:.2%} | {v['max_abs_error']:.0f} | "
                              f"{v['mean_instructions']:.0f} |" for k, v in info.items()))
    print(f"[costfit] done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
