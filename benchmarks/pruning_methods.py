"""Which pruning method wins at 80-98% sparsity on the same data? (issue 8)

The pruning-quality benchmark's model, data and recipe: LeNet-300-100 on the bundled MNIST subset
(4000 train / 1000 test), Adam 1e-3, batch 64, 30 epochs, seeds 0/1/2 paired across methods (same
initial weights, same data order). Methods, each at every target sparsity:

* ``magnitude local`` (the default, tfmot's behaviour) and ``magnitude global``: PolynomialDecay from 0
  to the target, ending at two thirds of training, frequency 10;
* ``gradient``: the same schedule, ranked by the running mean of |w * dL/dw| (GradientSaliency);
* ``iterative``: IterativeSparsity, 20% of the remaining weights per cycle, cycles spread so the last
  starts at two thirds of training;
* ``2:4``: the polynomial schedule with sparsity_m_by_n=(2, 4) (the pattern from step 0, the target
  reached on top of it), and the pattern alone (50%);
* ``lottery``: iterative magnitude pruning with rewinding to the initial weights, one round per target
  (sparsities in increasing order: each round prunes to the next target), each ticket trained for the
  full recipe with a fixed mask; ``lottery random reinit``: the same masks on a fresh initialization.

The new methods rank globally (one threshold across layers); ``magnitude global`` is their like-for-like
baseline, ``magnitude local`` the default. Accuracy: the stripped model on the 1000 test digits.

Run: .venv/bin/python benchmarks/pruning_methods.py [--epochs 30] [--seeds 0,1,2]
     [--sparsities 0.8,0.9,0.95,0.98] [--methods all] [--shard i/k --runs-dir DIR] [--summarize DIR]
Shards append one JSON line per training run to DIR; --summarize DIR writes
benchmarks/results/pruning_methods.{json,md,png}. The full recipe is 90 training runs of about 30 s:
about 45 minutes in one process, about 25 minutes as two shards on 2 cores, e.g.
    for i in 0 1; do python benchmarks/pruning_methods.py --shard $i/2 --runs-dir /tmp/pm & done; wait
    python benchmarks/pruning_methods.py --summarize /tmp/pm
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

HERE = pathlib.Path(__file__).resolve().parent
BATCH = 64
LEARNING_RATE = 1e-3
FREQUENCY = 10
ITERATIVE_RATE = 0.2
RECIPE = {"epochs": 30, "seeds": (0, 1, 2), "sparsities": (0.8, 0.9, 0.95, 0.98)}
NM_ALONE = 0.5  # the 2:4 pattern by itself
METHODS = ("magnitude local", "magnitude global", "gradient", "iterative", "2:4", "lottery")
CONTROL = "lottery random reinit"
DENSE = "dense"
ORDER = ("dense", *METHODS, CONTROL)


class Run:
    """One benchmark configuration: data, epochs and the training helper shared by every method."""

    def __init__(self, epochs):
        import keras

        import tfsparse

        global pruned_layers
        from tfsparse.pruning.callbacks import pruned_layers

        self.keras, self.tfsparse = keras, tfsparse
        self.epochs = epochs
        self.data = tfsparse.datasets.mnist()
        steps = -(-len(self.data[0][0]) // BATCH) * epochs
        self.end_step = (steps * 2) // 3

    def base(self, seed):
        return self.tfsparse.models.lenet_300_100(seed=seed)

    def train(self, model, seed, callbacks=(), optimizer=None):
        """Compile (fresh optimizer), fit the recipe, return (test accuracy, kernel sparsity, fit seconds)."""
        keras, tfsparse = self.keras, self.tfsparse
        (x, y), (xt, yt) = self.data
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(LEARNING_RATE),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        keras.utils.set_random_seed(seed)
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=self.epochs, verbose=0, callbacks=list(callbacks))
        seconds = time.perf_counter() - start
        final = tfsparse.strip_pruning(model) if pruned_layers(model) else model
        logits = final.predict(xt, batch_size=256, verbose=0)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == yt))
        return accuracy, tfsparse.sparsity_report(final).sparsity, seconds

    def polynomial(self, target):
        return self.tfsparse.PolynomialDecay(0.0, target, 0, self.end_step, frequency=FREQUENCY)

    def iterative(self, target):
        probe = self.tfsparse.IterativeSparsity(target, ITERATIVE_RATE, cycle_steps=1)
        cycle = max(1, self.end_step // max(1, probe.num_cycles - 1))
        return self.tfsparse.IterativeSparsity(target, ITERATIVE_RATE, cycle_steps=cycle)


def _row(method, target, seed, result, **extra):
    accuracy, sparsity, seconds = result
    return {"method": method, "target": target, "seed": seed, "accuracy": accuracy, "sparsity": sparsity,
            "seconds": seconds, **extra}


def run_schedule_method(run, method, seed, sparsities):
    """Rows of one schedule-driven method at every target (and 2:4 alone)."""
    tfsparse, keras = run.tfsparse, run.keras
    rows = []
    targets = list(sparsities) + ([NM_ALONE] if method == "2:4" else [])
    for target in targets:
        ranking = "local" if method == "magnitude local" else "global"
        kwargs, optimizer = {"ranking": ranking}, None
        schedule = run.iterative(target) if method == "iterative" else run.polynomial(target)
        if method == "gradient":
            kwargs["criterion"] = "gradient"
            optimizer = tfsparse.GradientSaliency(keras.optimizers.Adam(LEARNING_RATE))
        if method == "2:4":
            kwargs["sparsity_m_by_n"] = (2, 4)
        model = tfsparse.prune_low_magnitude(run.base(seed), schedule, **kwargs)
        result = run.train(model, seed, [tfsparse.UpdatePruningStep()], optimizer)
        extra = {}
        if method == "2:4":
            extra["satisfies_2_4"] = all(r.satisfies_m_by_n for r in tfsparse.sparsity_report(model))
        rows.append(_row(method, target, seed, result, **extra))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def run_lottery(run, seed, sparsities):
    """Dense, lottery tickets at every target (one IMP round per target) and their random re-inits."""
    tfsparse = run.tfsparse
    targets = sorted(sparsities)
    rates = [1.0 - (1.0 - s) / (1.0 - prev) for prev, s in zip([0.0, *targets], targets)]
    results = []

    def train(model, callbacks):
        results.append(run.train(model, seed, callbacks))
        return results[-1][0]

    start = time.perf_counter()
    ticket = tfsparse.find_lottery_ticket(lambda: run.base(seed), train, rounds=len(targets), rate_per_round=rates, ranking="global")
    train(ticket.model, [tfsparse.UpdatePruningStep()])
    search = time.perf_counter() - start
    rows = [_row(DENSE, 0.0, seed, results[0])]
    for i, target in enumerate(targets):
        # results[i + 1] trained the ticket pruned in round i + 1 (rewound to the initial weights).
        rows.append(_row("lottery", target, seed, results[i + 1], imp_seconds_total=search))
        control = tfsparse.random_reinit(None, lambda: run.base(1000 + seed), masks=ticket.history[i]["masks"])
        rows.append(_row(CONTROL, target, seed, run.train(control, seed, [tfsparse.UpdatePruningStep()])))
    for r in rows:
        print(json.dumps(r), flush=True)
    return rows


def jobs(seeds, methods):
    """(seed, method) pairs, the lottery (the costliest) first so shards balance."""
    order = sorted(methods, key=lambda m: m != "lottery")
    return [(seed, method) for method in order for seed in seeds]


def shard_main(args):
    run = Run(args.epochs)
    index, count = (int(v) for v in args.shard.split("/"))
    out = pathlib.Path(args.runs_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"runs_{index}.jsonl", "a") as f:
        for n, (seed, method) in enumerate(jobs(args.seeds, args.methods)):
            if n % count != index:
                continue
            rows = run_lottery(run, seed, args.sparsities) if method == "lottery" else run_schedule_method(run, method, seed, args.sparsities)
            for row in rows:
                f.write(json.dumps({**row, "epochs": args.epochs}) + "\n")
            f.flush()


# -- summary -----------------------------------------------------------------------------------------


def summarize(rows):
    """Per (method, target): accuracy mean ± std over seeds, paired Δ to magnitude local and global."""
    by = {}
    for r in rows:
        by.setdefault((r["method"], r["target"]), {})[r["seed"]] = r
    summary = []
    for (method, target), runs in sorted(by.items(), key=lambda kv: (ORDER.index(kv[0][0]), kv[0][1])):
        seeds = sorted(runs)
        acc = np.array([runs[s]["accuracy"] for s in seeds]) * 100
        entry = {"method": method, "target": target, "seeds": seeds, "accuracy_mean": float(acc.mean()),
                 "accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                 "sparsity": float(np.mean([runs[s]["sparsity"] for s in seeds])),
                 "seconds_per_run": float(np.mean([runs[s]["seconds"] for s in seeds]))}
        for base in ("magnitude local", "magnitude global", "lottery"):
            if base == method or (base == "lottery" and method != CONTROL):
                continue
            other = by.get((base, target), {})
            paired = [s for s in seeds if s in other]
            if paired and target:
                diff = np.array([runs[s]["accuracy"] - other[s]["accuracy"] for s in paired]) * 100
                entry[f"paired_diff_vs_{base.replace(' ', '_')}_pt"] = {
                    "mean": float(diff.mean()), "std": float(diff.std(ddof=1)) if len(diff) > 1 else 0.0, "n": len(paired)}
        if method == "2:4":
            entry["satisfies_2_4_all_seeds"] = all(runs[s].get("satisfies_2_4", False) for s in seeds)
        if method == "lottery":
            entry["imp_seconds_total"] = float(np.mean([runs[s]["imp_seconds_total"] for s in seeds]))
        summary.append(entry)
    return summary


def winners(summary, target):
    """Methods at ``target`` by mean accuracy, best first (the control excluded: it is not a method)."""
    at = [e for e in summary if e["target"] == target and e["method"] not in (CONTROL, DENSE)]
    return sorted(at, key=lambda e: -e["accuracy_mean"])


def markdown(summary, config, reduced):
    sys.path.insert(0, str(HERE))
    from _common import markdown_table

    targets = sorted({e["target"] for e in summary if e["target"] and e["target"] != NM_ALONE})
    cell = {(e["method"], e["target"]): e for e in summary}
    per_target = " / ".join(f"{t:.0%}" for t in targets)
    header = ["method"] + [f"{t:.0%}" for t in targets]
    header += [f"paired Δ vs magnitude local (pt), {per_target}", f"paired Δ vs magnitude global (pt), {per_target}", "s / training run"]
    rows = []
    dense = cell.get((DENSE, 0.0))
    if dense:
        rows.append([f"dense (0%): {dense['accuracy_mean']:.2f} ± {dense['accuracy_std']:.2f}"] + [""] * len(targets) + ["—", "—", f"{dense['seconds_per_run']:.1f}"])
    for method in (*METHODS, CONTROL):
        entries = [cell.get((method, t)) for t in targets]
        if not any(entries):
            continue
        accs = [f"{e['accuracy_mean']:.2f} ± {e['accuracy_std']:.2f}" if e else "—" for e in entries]
        diff = [
            " / ".join(f"{d['mean']:+.2f}" if d else "—" for d in (e.get(f"paired_diff_vs_{base}_pt") if e else None for e in entries))
            for base in ("magnitude_local", "magnitude_global")
        ]
        seconds = np.mean([e["seconds_per_run"] for e in entries if e])
        time_cell = f"{seconds:.1f}"
        if method == "lottery":
            imp = np.mean([e["imp_seconds_total"] for e in entries if e])
            time_cell += f" (whole search, {len(targets)} tickets: {imp:.0f})"
        rows.append([method] + accs + diff + [time_cell])
    alone = cell.get(("2:4", NM_ALONE))
    table = markdown_table(header, rows)
    epochs, seeds = config["epochs"], config["seeds"]
    caption = (
        f"Test accuracy % (mean ± std over seeds {'/'.join(map(str, seeds))}, paired: same initial weights and data "
        f"order), LeNet-300-100 on the bundled MNIST subset (4000 train / 1000 test), Adam {LEARNING_RATE:g}, batch {BATCH}, "
        f"{epochs} epochs per training run. New methods rank globally; lottery tickets are rewound to the initial weights "
        f"and each trained for the full {epochs} epochs; the random re-init control uses the same masks on a different seed. "
        "Dense is the lottery's round 1 (the unpruned network trained by the same recipe). One test digit is 0.1 pt: "
        "paired differences within about ±0.5 pt are within seed noise. Seconds are wall time of `fit` on a 2-core machine "
        "shared with other jobs (two benchmark processes at once), so compare them loosely."
    )
    if reduced:
        caption = (f"**REDUCED RUN, not the full recipe** ({reduced}). ") + caption
    lines = [caption, "", table, ""]
    if alone:
        lines.append(
            f"2:4 alone (50%): {alone['accuracy_mean']:.2f} ± {alone['accuracy_std']:.2f} % "
            f"(pattern satisfied in every layer, every seed: {'yes' if alone.get('satisfies_2_4_all_seeds') else 'NO'})."
        )
    for target in targets:
        ranked = winners(summary, target)
        if not ranked:
            continue
        best = ranked[0]
        default = cell.get(("magnitude local", target))
        line = f"At {target:.0%}: best {best['method']} ({best['accuracy_mean']:.2f} %)"
        if default and best["method"] != "magnitude local":
            d = best.get("paired_diff_vs_magnitude_local_pt")
            line += f", {d['mean']:+.2f} ± {d['std']:.2f} pt paired vs the default" if d else ""
        not_better = [e["method"] for e in ranked if e.get("paired_diff_vs_magnitude_local_pt", {}).get("mean", 1) <= 0]
        if not_better:
            line += "; not better than the default (magnitude local): " + ", ".join(not_better)
        lot, ctl = cell.get(("lottery", target)), cell.get((CONTROL, target))
        if lot and ctl and ctl.get("paired_diff_vs_lottery_pt"):
            d = ctl["paired_diff_vs_lottery_pt"]
            line += f"; random re-init − lottery ticket {d['mean']:+.2f} ± {d['std']:.2f} pt"
        lines.append(f"* {line}.")
    return "\n".join(lines)


def plot(summary, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method in (*METHODS, CONTROL):
        entries = sorted((e for e in summary if e["method"] == method and e["target"] > NM_ALONE), key=lambda e: e["target"])
        if entries:
            ax.errorbar([e["target"] * 100 for e in entries], [e["accuracy_mean"] for e in entries],
                        yerr=[e["accuracy_std"] for e in entries], marker="o", capsize=3, label=method,
                        linestyle="--" if method == CONTROL else "-")
    dense = [e for e in summary if e["method"] == DENSE]
    if dense:
        ax.axhline(dense[0]["accuracy_mean"], color="gray", linestyle=":", label="dense")
    ax.set_xlabel("sparsity (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("LeNet-300-100, MNIST subset: accuracy vs sparsity (mean ± std over seeds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize_main(args):
    sys.path.insert(0, str(HERE))
    from _common import RESULTS, write_results

    rows = [json.loads(line) for p in sorted(pathlib.Path(args.summarize).glob("runs_*.jsonl")) for line in p.read_text().splitlines() if line]
    epochs = sorted({r["epochs"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    config = {"epochs": epochs[0] if len(epochs) == 1 else epochs, "seeds": seeds, "batch": BATCH, "learning_rate": LEARNING_RATE,
              "sparsities": sorted({r["target"] for r in rows if r["target"] and r["target"] != NM_ALONE}),
              "schedule": f"PolynomialDecay(0, target, 0, 2/3 of steps, power=3, frequency={FREQUENCY})",
              "iterative": f"IterativeSparsity(target, {ITERATIVE_RATE}, cycle_steps=(2/3 of steps) // (cycles - 1))",
              "lottery": "find_lottery_ticket(rounds = one per target, global ranking, rewind_step=0)",
              "full_recipe": RECIPE | {"seeds": list(RECIPE["seeds"]), "sparsities": list(RECIPE["sparsities"])}}
    reduced = []
    if config["epochs"] != RECIPE["epochs"]:
        reduced.append(f"{config['epochs']} epochs instead of {RECIPE['epochs']}")
    if seeds != list(RECIPE["seeds"]):
        reduced.append(f"seeds {'/'.join(map(str, seeds))} instead of 0/1/2")
    missing = [(m, t) for m in (*METHODS, CONTROL) for t in RECIPE["sparsities"] if not any(r["method"] == m and r["target"] == t for r in rows)]
    if missing:
        reduced.append("missing: " + ", ".join(f"{m} at {t:.0%}" for m, t in missing))
    summary = summarize(rows)
    config["reduced"] = "; ".join(reduced) or None
    data = {"config": config, "summary": summary, "runs": rows}
    path = write_results("pruning_methods", data, markdown(summary, config, config["reduced"]))
    plot(summary, RESULTS / "pruning_methods.png")
    print(path.read_text())


def _floats(text):
    return tuple(float(v) for v in text.split(","))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--seeds", type=lambda t: tuple(int(v) for v in t.split(",")), default=RECIPE["seeds"])
    parser.add_argument("--sparsities", type=_floats, default=RECIPE["sparsities"])
    parser.add_argument("--methods", type=lambda t: METHODS if t == "all" else tuple(t.split(",")), default=METHODS,
                        help="comma-separated subset of: " + ", ".join(METHODS) + " (lottery includes dense and the control)")
    parser.add_argument("--shard", default="0/1", help="i/k: run every k-th (seed, method) job starting at i")
    parser.add_argument("--runs-dir", help="where shards append their runs (required with --shard; default: a new temporary directory)")
    parser.add_argument("--summarize", metavar="DIR", help="summarize the runs in DIR into results/pruning_methods.*")
    args = parser.parse_args(argv)
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"--methods: unknown {sorted(unknown)}; choose from {', '.join(METHODS)}")
    if args.summarize:
        summarize_main(args)
        return
    if args.runs_dir is None:
        if args.shard != "0/1":
            parser.error("--shard needs --runs-dir (the directory every shard appends to, then --summarize DIR)")
        args.runs_dir = tempfile.mkdtemp(prefix="pruning_methods_")
    shard_main(args)
    if args.shard == "0/1":
        args.summarize = args.runs_dir
        summarize_main(args)


if __name__ == "__main__":
    main()
