"""Does tfsparse prune as well as tfmot, and how much does pruning cost per epoch?

LeNet-300-100 on the bundled MNIST subset (4000 train / 1000 test), 30 epochs, Adam 1e-3, batch 64,
seeds 0/1/2 paired across methods (same initial weights). Pruned runs use PolynomialDecay from 0 to
the target, ending at two thirds of training, frequency 10. Methods: Keras 3 dense; tfsparse with
local and global ranking; tfmot 0.8.1 (in a subprocess on tf_keras, with a tf_keras dense baseline
for its own overhead). Accuracy is measured on the stripped model; seconds per epoch are the median
over epochs 2..30 (epoch 1 includes tracing).

Run: .venv/bin/python benchmarks/pruning_quality.py   (about 5-10 minutes on 2 cores)
Writes benchmarks/results/pruning_quality.{json,md}.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEEDS = (0, 1, 2)
TARGETS = (0.90, 0.95)
EPOCHS = 30
BATCH = 64
LEARNING_RATE = 1e-3
FREQUENCY = 10
OVERHEAD_ROUNDS = 16
OVERHEAD_TARGET = 0.90
# A smoke run of the script's plumbing (2 epochs, 2 seeds), written to a temporary directory.
QUICK = os.environ.get("PRUNING_QUALITY_QUICK") == "1"
if QUICK:
    SEEDS, EPOCHS, OVERHEAD_ROUNDS = (0, 1), 2, 2


def _steps_per_epoch(n):
    return -(-n // BATCH)


def _schedule_args(n_train, target):
    end = (EPOCHS * _steps_per_epoch(n_train) * 2) // 3
    return dict(initial_sparsity=0.0, final_sparsity=target, begin_step=0, end_step=end, frequency=FREQUENCY)


def _epoch_timer(callback_base):
    class EpochTimer(callback_base):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    return EpochTimer()


def _kernel_sparsity(kernels):
    total = sum(k.size for k in kernels)
    return 1.0 - sum(int(np.count_nonzero(k)) for k in kernels) / total


def _compile(keras, model):
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def _train(keras, model, data, seed, callbacks):
    (x, y), _ = data
    _compile(keras, model)
    timer = _epoch_timer(keras.callbacks.Callback)
    keras.utils.set_random_seed(seed)
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, callbacks=[*callbacks, timer])
    return timer.times


def _result(model, data, times):
    (_, _), (xt, yt) = data
    logits = model.predict(xt, batch_size=256, verbose=0)
    kernels = [layer.get_weights()[0] for layer in model.layers if layer.get_weights()]
    return {
        "accuracy": float(np.mean(np.argmax(logits, axis=1) == yt)),
        "sparsity": _kernel_sparsity(kernels),
        "seconds_per_epoch": float(np.median(times[1:])),
        "epoch_times": [round(t, 4) for t in times],
    }


def interleaved_overhead(keras, dense, pruned, data, callbacks):
    """Per-epoch time of ``pruned`` / ``dense``, epochs alternating so machine load hits both alike.

    Both models train one warm-up epoch (tracing), then OVERHEAD_ROUNDS rounds of one epoch each, the
    order swapping every round; the pruning schedule is active throughout (masks update every 10 steps).
    Returns a dict: per-round (wall, CPU) seconds, the ratio of median CPU seconds (the process's own
    work, which other processes on a shared machine barely disturb) and the ratio of the fastest
    wall-clock epochs.
    """
    (x, y), _ = data
    _compile(keras, dense)
    _compile(keras, pruned)

    def epoch(model, cbs):
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, callbacks=cbs)
        return time.perf_counter() - wall, time.process_time() - cpu

    epoch(dense, [])
    epoch(pruned, callbacks)
    dense_t, pruned_t = [], []
    for r in range(OVERHEAD_ROUNDS):
        if r % 2:
            p, d = epoch(pruned, callbacks), epoch(dense, [])
        else:
            d, p = epoch(dense, []), epoch(pruned, callbacks)
        dense_t.append(d)
        pruned_t.append(p)
    dense_cpu, pruned_cpu = (np.median([t[1] for t in ts]) for ts in (dense_t, pruned_t))
    dense_wall, pruned_wall = (min(t[0] for t in ts) for ts in (dense_t, pruned_t))
    return {
        "ratio": float(pruned_cpu / dense_cpu),
        "wall_ratio": float(pruned_wall / dense_wall),
        "dense_cpu_s": float(dense_cpu),
        "pruned_cpu_s": float(pruned_cpu),
        "dense_times": dense_t,
        "pruned_times": pruned_t,
    }


# -- tfmot side (subprocess: importing tfmot flips tf.keras to Keras 2 process-wide) --------------


def tfmot_main(weights_dir, out_path):
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    from tfsparse import datasets

    data = datasets.mnist()
    results, overheads = [], []
    for seed in SEEDS:
        initial = np.load(pathlib.Path(weights_dir) / f"seed{seed}.npz")
        initial = [initial[f"w{i}"] for i in range(len(initial.files))]

        def lenet():
            inputs = keras.Input((784,), name="input")
            h = keras.layers.Dense(300, activation="relu", name="fc1")(inputs)
            h = keras.layers.Dense(100, activation="relu", name="fc2")(h)
            model = keras.Model(inputs, keras.layers.Dense(10, name="fc3")(h))
            model.set_weights(initial)
            return model

        def pruned(target):
            schedule = tfmot.sparsity.keras.PolynomialDecay(**_schedule_args(len(data[0][0]), target))
            return tfmot.sparsity.keras.prune_low_magnitude(lenet(), pruning_schedule=schedule)

        keras.utils.set_random_seed(seed)
        measured = interleaved_overhead(keras, lenet(), pruned(OVERHEAD_TARGET), data, [tfmot.sparsity.keras.UpdatePruningStep()])
        overheads.append({"method": "tfmot", "baseline": "tf_keras dense", "seed": seed, **measured})
        print(json.dumps({k: v for k, v in overheads[-1].items() if not k.endswith("_times")}), flush=True)
        for target in (None, *TARGETS):
            keras.utils.set_random_seed(seed)
            model = lenet() if target is None else pruned(target)
            callbacks = [] if target is None else [tfmot.sparsity.keras.UpdatePruningStep()]
            times = _train(keras, model, data, seed, callbacks)
            if target is not None:
                model = tfmot.sparsity.keras.strip_pruning(model)
            row = _result(model, data, times)
            row.update(method="tfmot" if target is not None else "tf_keras dense", target=target or 0.0, seed=seed)
            results.append(row)
            print(json.dumps({k: row[k] for k in ("method", "target", "seed", "accuracy", "sparsity", "seconds_per_epoch")}), flush=True)
    pathlib.Path(out_path).write_text(json.dumps({"runs": results, "overheads": overheads}))


# -- Keras 3 side ----------------------------------------------------------------------------------


def keras3_runs(weights_dir):
    import keras

    import tfsparse

    data = tfsparse.datasets.mnist()
    results, overheads = [], []
    for seed in SEEDS:
        base = tfsparse.models.lenet_300_100(seed=seed)
        np.savez(pathlib.Path(weights_dir) / f"seed{seed}.npz", **{f"w{i}": w for i, w in enumerate(base.get_weights())})
        for ranking in ("local", "global"):
            keras.utils.set_random_seed(seed)
            dense = keras.models.clone_model(base)
            dense.set_weights(base.get_weights())
            schedule = tfsparse.PolynomialDecay(**_schedule_args(len(data[0][0]), OVERHEAD_TARGET))
            pruned = tfsparse.prune_low_magnitude(base, schedule, ranking=ranking)
            measured = interleaved_overhead(keras, dense, pruned, data, [tfsparse.UpdatePruningStep()])
            overheads.append({"method": f"tfsparse {ranking}", "baseline": "keras3 dense", "seed": seed, **measured})
            print(json.dumps({k: v for k, v in overheads[-1].items() if not k.endswith("_times")}), flush=True)
        runs = [("keras3 dense", None, None)]
        runs += [(f"tfsparse {ranking}", target, ranking) for target in TARGETS for ranking in ("local", "global")]
        for method, target, ranking in runs:
            keras.utils.set_random_seed(seed)
            model = keras.models.clone_model(base)
            model.set_weights(base.get_weights())
            callbacks = []
            if target is not None:
                schedule = tfsparse.PolynomialDecay(**_schedule_args(len(data[0][0]), target))
                model = tfsparse.prune_low_magnitude(model, schedule, ranking=ranking)
                callbacks = [tfsparse.UpdatePruningStep()]
            times = _train(keras, model, data, seed, callbacks)
            if target is not None:
                model = tfsparse.strip_pruning(model)
            row = _result(model, data, times)
            row.update(method=method, target=target or 0.0, seed=seed)
            results.append(row)
            print(json.dumps({k: row[k] for k in ("method", "target", "seed", "accuracy", "sparsity", "seconds_per_epoch")}), flush=True)
    return results, overheads


def summarize(rows, overheads):
    """Per (method, target): accuracy mean ± std, paired difference to tfmot and to dense, sparsity,
    s/epoch; per pruning method: the interleaved per-epoch overhead (median over seeds)."""
    by = {}
    for r in rows:
        by.setdefault((r["method"], r["target"]), {})[r["seed"]] = r
    dense = by[("keras3 dense", 0.0)]
    summary = []
    for (method, target), runs in by.items():
        seeds = sorted(runs)
        acc = np.array([runs[s]["accuracy"] for s in seeds]) * 100
        entry = {
            "method": method,
            "target": target,
            "accuracy_mean": float(acc.mean()),
            "accuracy_std": float(acc.std(ddof=1)),
            "dense_minus_accuracy_pt": float(np.mean([dense[s]["accuracy"] * 100 for s in seeds]) - acc.mean()),
            "sparsity": float(np.mean([runs[s]["sparsity"] for s in seeds])),
            "seconds_per_epoch": float(np.mean([runs[s]["seconds_per_epoch"] for s in seeds])),
            "seconds_per_epoch_vs_keras3_dense": float(
                np.mean([runs[s]["seconds_per_epoch"] / dense[s]["seconds_per_epoch"] for s in seeds])
            ),
        }
        tfmot_runs = by.get(("tfmot", target))
        if target and tfmot_runs and method != "tfmot":
            diff = np.array([runs[s]["accuracy"] - tfmot_runs[s]["accuracy"] for s in seeds]) * 100
            entry["paired_diff_vs_tfmot_pt"] = {"mean": float(diff.mean()), "std": float(diff.std(ddof=1))}
        summary.append(entry)
    overhead = {}
    for o in overheads:
        overhead.setdefault(o["method"], []).append(o)
    overhead = {
        m: {
            "baseline": v[0]["baseline"],
            "ratio_median_over_seeds": float(np.median([o["ratio"] for o in v])),
            "ratios": [o["ratio"] for o in v],
            "wall_ratio_median_over_seeds": float(np.median([o["wall_ratio"] for o in v])),
            "dense_cpu_seconds_per_epoch": float(np.median([o["dense_cpu_s"] for o in v])),
            "pruned_cpu_seconds_per_epoch": float(np.median([o["pruned_cpu_s"] for o in v])),
        }
        for m, v in overhead.items()
    }
    return summary, overhead


def markdown(summary, overhead):
    from _common import markdown_table

    order = {"keras3 dense": 0, "tf_keras dense": 1, "tfsparse local": 2, "tfsparse global": 3, "tfmot": 4}
    rows = []
    for e in sorted(summary, key=lambda e: (e["target"], order[e["method"]])):
        diff = e.get("paired_diff_vs_tfmot_pt")
        o = overhead.get(e["method"])
        rows.append(
            [
                e["method"],
                f"{e['target']:.0%}" if e["target"] else "—",
                f"{e['accuracy_mean']:.2f} ± {e['accuracy_std']:.2f}",
                f"{diff['mean']:+.2f} ± {diff['std']:.2f}" if diff else "—",
                f"{e['sparsity']:.2%}",
                f"{e['seconds_per_epoch']:.3f}",
                f"{o['ratio_median_over_seeds']:.2f}× ({o['wall_ratio_median_over_seeds']:.2f}×) vs {o['baseline']}"
                if o and e["target"]
                else "—",
            ]
        )
    table = markdown_table(
        ["method", "target", f"test accuracy % (mean ± std, {len(SEEDS)} seeds)", "paired Δ vs tfmot (pt, mean ± std)",
         "achieved sparsity", "s / epoch (median, in the runs)", "per-epoch overhead: CPU time (fastest wall)"],
        rows,
    )
    checks = []
    for target in TARGETS:
        for e in summary:
            if e["target"] == target and e["method"].startswith("tfsparse"):
                diff = e["paired_diff_vs_tfmot_pt"]["mean"]
                ratio = overhead[e["method"]]["ratio_median_over_seeds"]
                checks.append(
                    f"* {e['method']} at {target:.0%}: paired Δ vs tfmot {diff:+.2f} pt "
                    f"({'met' if diff >= 0 else 'NOT met'}); dense − pruned {e['dense_minus_accuracy_pt']:+.2f} pt "
                    f"({'met' if e['dense_minus_accuracy_pt'] <= 1.0 else 'NOT met'}); overhead {ratio:.2f}× "
                    f"({'met' if ratio <= 1.2 else 'NOT met'})"
                )
    head = (
        f"LeNet-300-100, bundled MNIST (4000 train / 1000 test), {EPOCHS} epochs, Adam {LEARNING_RATE:g}, batch {BATCH}, "
        f"seeds {'/'.join(map(str, SEEDS))} paired (same initial weights). Pruned: PolynomialDecay 0 → target, "
        f"end at 2/3 of training, frequency {FREQUENCY}; accuracy of the stripped model. s/epoch: median of epochs "
        f"2–{EPOCHS} of each run (on a shared machine: noisy). Overhead: pruned ({OVERHEAD_TARGET:.0%} schedule, masks "
        f"updating every {FREQUENCY} steps) over dense per-epoch time, {OVERHEAD_ROUNDS} alternating epochs of each after a "
        "warm-up; ratio of the median process CPU seconds per epoch (in parentheses: of the fastest wall-clock epochs), "
        "median over seeds; tfmot is compared with a tf_keras dense model (its own Keras)."
    )
    tail = "Targets (tfsparse ≥ tfmot paired, ≥ dense − 1.0 pt, overhead ≤ 1.2× Keras 3 dense):"
    return head + "\n\n" + table + "\n\n" + tail + "\n\n" + "\n".join(checks)


def main():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import _common
    from _common import write_results

    if QUICK:
        _common.RESULTS = pathlib.Path(tempfile.mkdtemp(prefix="pruning_quality_quick_"))

    with tempfile.TemporaryDirectory() as tmp:
        rows, overheads = keras3_runs(tmp)
        out = pathlib.Path(tmp) / "tfmot.json"
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
        subprocess.run([sys.executable, __file__, "--tfmot", tmp, str(out)], check=True, env=env)
        tfmot = json.loads(out.read_text())
        rows += tfmot["runs"]
        overheads += tfmot["overheads"]
    summary, overhead = summarize(rows, overheads)
    config = {"epochs": EPOCHS, "batch": BATCH, "learning_rate": LEARNING_RATE, "seeds": list(SEEDS), "targets": list(TARGETS),
              "schedule": "PolynomialDecay(0, target, 0, 2/3 of steps, power=3, frequency=10)",
              "overhead_rounds": OVERHEAD_ROUNDS, "overhead_target": OVERHEAD_TARGET}
    data = {"config": config, "summary": summary, "overhead": overhead, "runs": rows, "overhead_runs": overheads}
    path = write_results("pruning_quality", data, markdown(summary, overhead))
    print(path.read_text())


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--tfmot":
        tfmot_main(sys.argv[2], sys.argv[3])
    else:
        main()
