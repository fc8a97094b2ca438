"""Fit the cost-model coefficients of the graph ops on QEMU (tfsparse/costmodel.py's ``GRAPH_COEFFICIENTS``).

Ops: DEPTHWISE_CONV_2D, ADD, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, CONCATENATION, PAD, QUANTIZE, LOGISTIC
and EXPAND_DIMS. Random chains of these ops (shapes drawn per seed: sizes, channel counts that are and
are not multiples of four, windows, strides, SAME/VALID, ADDs below and above the table threshold) run
on the target's board with per-op counts (dithered: exact means over the inputs), for the portable and
the Cortex-M kernels; each (kernel, op kind) gets a non-negative least-squares fit on the loop counts
of :func:`tfsparse.costmodel.graph_features`. The table is written into ``tfsparse/costmodel.py``
between its ``BEGIN GRAPH FITTED`` / ``END GRAPH FITTED`` markers (never edit it by hand).

    python benchmarks/graph_cost_fit.py --target cortex-m4            # measure, fit, rewrite the table
    python benchmarks/graph_cost_fit.py --only DEPTHWISE_CONV_2D      # re-fit one kind, keep the others
    python benchmarks/graph_cost_fit.py --check ds_cnn.tflite ...     # per-layer profile vs QEMU
"""

from __future__ import annotations

import argparse
import json
import pathlib
import pprint
import tempfile
import time

import numpy as np

from _common import write_fitted_section

ROOT = pathlib.Path(__file__).resolve().parents[1]
KINDS = ("DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "CONCATENATION", "PAD", "QUANTIZE",
         "LOGISTIC", "EXPAND_DIMS")
KERNELS = ("portable", "cortex-m")


def _pool_args(b, t, rng, fast=False):
    _, h, w, _ = b.shape(t)
    if fast and min(h, w) >= 2:
        return (2, 2), (2, 2), "VALID" if rng.random() < 0.5 else "SAME"
    k = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    return k, stride, str(rng.choice(["SAME", "VALID"]))


def chain_model(seed: int):
    """One random chain using every fitted op kind (twice for the pools, ADD and QUANTIZE)."""
    from tfsparse.codegen._testing_graph import _Builder
    from tfsparse.converter.ir import AveragePool2D, MaxPool2D
    from tfsparse.converter.model import SparseModel

    rng = np.random.default_rng(1000 + seed)
    b = _Builder(rng)
    h, w = int(rng.integers(4, 24)), int(rng.integers(4, 24))
    c = int(rng.choice([1, 2, 3, 4, 5, 8, 12, 16, 24, 32]))
    x = b.tensor("input", (1, h, w, c))
    t = b.expand_dims(x)
    t = b.pad(t, ((0, 0), tuple(int(v) for v in rng.integers(0, 3, 2)), tuple(int(v) for v in rng.integers(0, 3, 2)),
                  (0, 0)))
    t = b.pool(MaxPool2D, t, *_pool_args(b, t, rng))
    k = (3, 3) if rng.random() < 0.7 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dw_pad = "SAME" if min(b.shape(t)[1:3]) < 3 else str(rng.choice(["SAME", "VALID"]))
    t = b.depthwise(t, 1 if rng.random() < 0.8 else 2, k, (int(rng.integers(1, 3)),) * 2, padding=dw_pad)
    t = b.add(t, b.quantize(t))
    t = b.pool(AveragePool2D, t, *_pool_args(b, t, rng))
    t = b.concat([t, b.quantize(t)])
    t = b.add(t, b.pad(b.quantize(t), ((0, 0), (0, 0), (0, 0), (0, 0))))
    t = b.pool(MaxPool2D, t, *_pool_args(b, t, rng, fast=True))
    t = b.depthwise(t, 1, (3, 3), (1 if rng.random() < 0.7 else 2,) * 2, padding="SAME")
    t = b.logistic(t)
    t = b.pool(AveragePool2D, t, *_pool_args(b, t, rng, fast=rng.random() < 0.5))
    t = b.mean(t)
    return SparseModel(f"chain_{seed}", b.tensors, b.ops, x, t, source="<fit>", source_sha256="")


def measure(target: str, seeds, kernels=KERNELS, raw=None):
    """[(seed, op index, kernel, measured mean instructions)] over the chains of ``seeds``; with ``raw``
    (a JSON path), chains already there are kept and each new chain is appended as it is measured."""
    import tfsparse
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_cflags, dither_period

    from tfsparse.errors import FirmwareError

    per_tick = get_target(target).instructions_per_tick
    kernels = tuple(k for k in kernels if k in get_target(target).kernels)  # cortex-m0: portable only
    rows = json.loads(raw.read_text()) if raw is not None and raw.exists() else []
    done = {r[0] for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            if seed in done:
                continue
            sm = chain_model(seed)
            x = chain_inputs(sm, seed, dither_period(per_tick))
            try:
                out = tfsparse.generate(sm, pathlib.Path(tmp) / f"chain_{seed}", target=target)
            except FirmwareError as e:  # a chain whose arena or flash the board cannot hold (micro:bit: 16 KiB)
                print(f"[graphfit] chain {seed} skipped: {str(e).splitlines()[0]}", flush=True)
                continue
            try:
                runs = [(k, tfsparse.run(out, x, kernel_impl=k, extra_cflags=dither_cflags(per_tick))) for k in kernels]
            except FirmwareError as e:
                print(f"[graphfit] chain {seed} skipped: {str(e).splitlines()[0]}", flush=True)
                continue
            for kernel, run in runs:
                for i, m in enumerate(run.layer_instructions.mean(axis=0)):
                    rows.append((int(seed), i, kernel, float(m)))
            if raw is not None:
                raw.write_text(json.dumps(rows))
            print(f"[graphfit] chain {seed} measured", flush=True)
    return [r for r in rows if r[0] in set(seeds)]


def fit_one(samples, names):
    """Non-negative least squares on relative errors; returns (coefficients, worst and mean relative error)."""
    from scipy.optimize import nnls

    a = np.array([[f.get(n, 0.0) for n in names] for f, _ in samples], dtype=np.float64)
    y = np.array([m for _, m in samples], dtype=np.float64)
    scale = np.maximum(np.abs(a).max(axis=0), 1e-9)
    weight = 1.0 / np.maximum(y, 40.0)
    coef, _ = nnls(a / scale * weight[:, None], y * weight)
    coef = coef / scale
    err = np.abs(a @ coef - y) / np.maximum(y, 40.0)
    return {n: round(float(c), 4) for n, c in zip(names, coef)}, float(err.max()), float(err.mean())


def samples_of(rows, n_inputs=40):
    """[(kernel, kind, features, measured)] of :func:`measure`'s rows (features from the chains' shapes;
    LOGISTIC's activity from the ``n_inputs`` inputs measured)."""
    from tfsparse.costmodel import graph_features

    models, out = {}, []
    for seed, i, kernel, m in rows:
        if seed not in models:
            sm = chain_model(seed)
            models[seed] = (sm, _logistic_live(sm, chain_inputs(sm, seed, n_inputs)))
        sm, live = models[seed]
        op = sm.ops[i]
        f = graph_features(op, sm, kernel)
        if op.name in live:  # the measured inputs' activity, as profile(inputs=...) prices it
            f.update(live=f["live"] * live[op.name][0], exp_bits=f["exp_bits"] * live[op.name][1])
        out.append((kernel, op.kind, f, m))
    return out


def chain_inputs(sm, seed, n):
    return np.random.default_rng(seed).integers(-128, 128, (n, *sm.input_tensor.shape[1:])).astype(np.int8)


def _logistic_live(sm, x) -> dict:
    """{LOGISTIC op name: its mean (live, exp_bits) activity} on ``x`` (costmodel.logistic_activity)."""
    from tfsparse.converter.executor import run
    from tfsparse.costmodel import logistic_activity

    live = {}

    def visit(op, xs, _):
        if op.kind == "LOGISTIC":
            live[op.name] = logistic_activity(op, xs[0]).mean(axis=0)

    run(sm, x, visit)
    return live


def fit(rows, core, only=(), n_inputs=40):
    from tfsparse.costmodel import GRAPH_FEATURES

    rows = samples_of(rows, n_inputs)
    table, worst = {}, {}
    for kernel in KERNELS:
        for kind in KINDS:
            if only and kind not in only:
                continue
            samples = [(f, m) for k, kd, f, m in rows if k == kernel and kd == kind]
            if not samples:
                continue
            names = GRAPH_FEATURES[(kernel, kind)]
            table[(core, kernel, kind)], worst[(core, kernel, kind)], mean = fit_one(samples, names)
            print(f"[graphfit] {core} {kernel} {kind}: {len(samples)} ops, worst relative error "
                  f"{worst[(core, kernel, kind)]:.3f}, mean {mean:.3f}", flush=True)
    return table, worst


def check(paths, target: str, n_inputs: int, out=None):
    """Convert each ``.tflite`` with the defaults, run it on QEMU (both kernels, dithered) and compare
    ``tfsparse.profile`` per layer and in total; returns the rows and writes ``out`` (JSON) if given."""
    import tfsparse
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_cflags, dither_period

    per_tick = get_target(target).instructions_per_tick
    n = max(dither_period(per_tick), n_inputs // dither_period(per_tick) * dither_period(per_tick))
    results = []
    for path in paths:
        sm = tfsparse.convert(pathlib.Path(path), target=target)
        rng = np.random.default_rng(3)
        shape = sm.input_tensor.shape[1:]
        x = rng.integers(-128, 128, (n, *shape)).astype(np.int8)
        with tempfile.TemporaryDirectory() as tmp:
            fw = tfsparse.generate(sm, pathlib.Path(tmp) / "fw", target=target)
            for kernel in KERNELS:
                run = tfsparse.run(fw, x, kernel_impl=kernel, extra_cflags=dither_cflags(per_tick))
                prof = tfsparse.profile(sm, target=target, inputs=x, kernel=kernel)
                layers = [{"op": lay.name, "kind": lay.op, "predicted": float(lay.instructions), "measured": float(m)}
                          for lay, m in zip(prof.layers, run.layer_instructions.mean(axis=0))]
                total = float(run.instructions.mean())
                row = {"model": pathlib.Path(path).stem, "target": target, "kernel": kernel,
                       "predicted": float(prof.instructions), "measured": total,
                       "error": float(prof.instructions / total - 1), "unpriced": list(prof.unpriced), "layers": layers}
                results.append(row)
                print(f"[graphfit] {row['model']} {kernel}: predicted {row['predicted']:,.0f} measured {total:,.0f} "
                      f"error {row['error']:+.2%}", flush=True)
                for lay in layers:
                    err = lay["predicted"] / lay["measured"] - 1 if lay["measured"] else float("nan")
                    print(f"    {lay['kind']:18s} {lay['op'][:40]:40s} {lay['predicted']:10.0f} {lay['measured']:10.0f} "
                          f"{err:+.2%}")
    if out:
        out = pathlib.Path(out)
        out.with_suffix(".json").write_text(json.dumps(results, indent=1))
        lines = ["| model | kernel | predicted | QEMU | error | worst layer error |", "|---|---|---:|---:|---:|---:|"]
        for r in results:
            errs = [abs(lay["predicted"] / lay["measured"] - 1) for lay in r["layers"] if lay["measured"] > 200]
            lines.append(f"| {r['model']} | {r['kernel']} | {r['predicted']:,.0f} | {r['measured']:,.0f} | "
                         f"{r['error']:+.2%} | {max(errs, default=0):.2%} |")
        out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="cortex-m4")
    parser.add_argument("--chains", type=int, default=16, help="random chains measured (default 16)")
    parser.add_argument("--only", nargs="*", default=(), help="op kinds to re-fit (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave costmodel.py alone")
    parser.add_argument("--check", nargs="*", help=".tflite files: per-layer profile vs QEMU instead of fitting")
    parser.add_argument("--inputs", type=int, default=40)
    parser.add_argument("--out", help="JSON file for --check's results")
    parser.add_argument("--raw", help="JSON file keeping the measured chains (chains already in it are not measured "
                        "again; default benchmarks/results/graph_cost_raw_<core>.json)")
    args = parser.parse_args(argv)
    if args.check:
        check(args.check, args.target, args.inputs, args.out)
        return 0
    from tfsparse import costmodel
    from tfsparse.codegen.targets import get_target
    from tfsparse.firmware import dither_period

    t0 = time.time()
    core = get_target(args.target).cpu
    raw = pathlib.Path(args.raw) if args.raw else ROOT / "benchmarks" / "results" / f"graph_cost_raw_{core}.json"
    rows = measure(args.target, list(range(args.chains)), raw=raw)
    table, _ = fit(rows, core, tuple(args.only), dither_period(get_target(args.target).instructions_per_tick))
    merged = {**costmodel.GRAPH_COEFFICIENTS, **table}
    pprint.pprint(table, width=110)
    if not args.no_write:
        write_fitted_section("GRAPH FITTED", "benchmarks/graph_cost_fit.py", GRAPH_COEFFICIENTS=dict(sorted(merged.items())))
    print(f"[graphfit] done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
