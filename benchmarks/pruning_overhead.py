"""What does pruning cost per training epoch, against Keras 3 dense training of the same model?

LeNet-300-100 on the bundled MNIST subset (4000 train), Adam 1e-3, batch 64 (63 steps per epoch),
PolynomialDecay 0 -> 90% over 1260 steps with mask updates every 10 steps (the schedule of
``pruning_quality.py``), so every measured epoch holds ~6 mask updates. For each seed (0, 1, 2) and
ranking (local, global): one warm-up epoch each (tracing), then ROUNDS interleaved pairs of one dense
and one pruned epoch, the order swapping every pair so that machine load hits both alike.

An epoch is timed from the first callback's ``on_epoch_begin`` to the last callback's ``on_epoch_end``
(so UpdatePruningStep's epoch hooks count, ``fit``'s per-call set-up does not), in process CPU time
(the process's own work, which other jobs on a shared machine barely disturb), wall time beside it.
The result per ranking: the median of the per-pair ratios pruned/dense over all seeds, with a
distribution-free upper 90% confidence bound for that median (an order statistic of the ratios).

Run: .venv/bin/python benchmarks/pruning_overhead.py   (about 3-6 minutes on 2 cores)
Writes benchmarks/results/pruning_overhead.{json,md}.
"""

from __future__ import annotations

import os
import sys
import time
from math import comb

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import markdown_table, write_results  # noqa: E402

SEEDS = (0, 1, 2)
RANKINGS = ("local", "global")
ROUNDS = int(os.environ.get("PRUNING_OVERHEAD_ROUNDS", 12))
BATCH = 64
SCHEDULE = dict(initial_sparsity=0.0, final_sparsity=0.9, begin_step=0, end_step=1260, frequency=10)
GOAL = 1.2


def upper_bound_of_median(values, confidence=0.90):
    """Distribution-free one-sided upper confidence bound for the median: the smallest order statistic
    x_(r) with P(Binomial(n, 1/2) <= r - 1) >= confidence."""
    x = np.sort(np.asarray(values))
    n = len(x)
    cumulative = 0.0
    for r in range(1, n + 1):
        cumulative += comb(n, r - 1) / 2**n
        if cumulative >= confidence:
            return float(x[r - 1])
    return float(x[-1])


def _timer_callbacks(keras):
    """(first, last, times): put ``first`` before and ``last`` after the other callbacks."""
    times = []
    start = {}

    class First(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            start["cpu"], start["wall"] = time.process_time(), time.perf_counter()

    class Last(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            times.append((time.process_time() - start["cpu"], time.perf_counter() - start["wall"]))

    return First(), Last(), times


def measure(keras, tfsparse, data, seed, ranking):
    (x, y), _ = data
    base = tfsparse.models.lenet_300_100(seed=seed)
    dense = keras.models.clone_model(base)
    dense.set_weights(base.get_weights())
    pruned = tfsparse.prune_low_magnitude(base, tfsparse.PolynomialDecay(**SCHEDULE), ranking=ranking)
    for model in (dense, pruned):
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    first, last, times = _timer_callbacks(keras)
    step_callback = tfsparse.UpdatePruningStep()

    def epoch(model):
        extra = [step_callback] if model is pruned else []
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True, callbacks=[first, *extra, last])
        return times[-1]

    epoch(dense), epoch(pruned)  # tracing
    pairs = []
    for r in range(ROUNDS):
        if r % 2:
            p, d = epoch(pruned), epoch(dense)
        else:
            d, p = epoch(dense), epoch(pruned)
        pairs.append({"dense_cpu": d[0], "pruned_cpu": p[0], "dense_wall": d[1], "pruned_wall": p[1]})
    step = int(tfsparse.pruning.callbacks.pruned_layers(pruned)[0].pruning_step.numpy())
    return pairs, step


def main():
    import keras

    import tfsparse

    data = tfsparse.datasets.mnist()
    runs = []
    for seed in SEEDS:
        for ranking in RANKINGS:
            keras.utils.set_random_seed(seed)
            pairs, step = measure(keras, tfsparse, data, seed, ranking)
            ratios = [p["pruned_cpu"] / p["dense_cpu"] for p in pairs]
            runs.append({"seed": seed, "ranking": ranking, "pairs": pairs, "final_step": step})
            print(f"seed {seed} {ranking}: median CPU ratio {np.median(ratios):.3f} over {len(pairs)} pairs", flush=True)
    summary = {}
    for ranking in RANKINGS:
        pairs = [p for run in runs if run["ranking"] == ranking for p in run["pairs"]]
        ratios = [p["pruned_cpu"] / p["dense_cpu"] for p in pairs]
        wall = [p["pruned_wall"] / p["dense_wall"] for p in pairs]
        summary[ranking] = {
            "pairs": len(pairs),
            "cpu_ratio_median": float(np.median(ratios)),
            "cpu_ratio_upper90": upper_bound_of_median(ratios),
            "wall_ratio_median": float(np.median(wall)),
            "dense_cpu_s_median": float(np.median([p["dense_cpu"] for p in pairs])),
            "pruned_cpu_s_median": float(np.median([p["pruned_cpu"] for p in pairs])),
            "median_meets_goal": bool(np.median(ratios) <= GOAL),
            "upper_bound_meets_goal": bool(upper_bound_of_median(ratios) <= GOAL),
        }
    config = {"seeds": SEEDS, "rounds_per_seed": ROUNDS, "batch": BATCH, "schedule": SCHEDULE, "goal": GOAL,
              "model": "lenet_300_100", "data": "tfsparse.datasets.mnist() (4000 train)"}
    rows = [
        [f"tfsparse {r}", s["pairs"], f"{s['dense_cpu_s_median']:.3f}", f"{s['pruned_cpu_s_median']:.3f}",
         f"{s['cpu_ratio_median']:.3f}×", f"{s['cpu_ratio_upper90']:.3f}×", f"{s['wall_ratio_median']:.3f}×",
         ("met" if s["median_meets_goal"] else "NOT met") + " / " + ("met" if s["upper_bound_meets_goal"] else "NOT met")]
        for r, s in summary.items()
    ]
    md = (
        "# Pruning overhead per epoch (LeNet-300-100, Keras 3 dense baseline)\n\n"
        + markdown_table(
            ["method", "epoch pairs (3 seeds)", "dense CPU s/epoch", "pruned CPU s/epoch", "CPU ratio (median)",
             "upper 90% bound", "wall ratio (median)", f"goal ≤ {GOAL}×: median / upper bound"],
            rows,
        )
        + "\n\nEach pair: one dense and one pruned epoch, interleaved; ~6 mask updates per pruned epoch.\n"
    )
    path = write_results("pruning_overhead", {"config": config, "summary": summary, "runs": runs}, md)
    print(md)
    print("written", path)


if __name__ == "__main__":
    main()
