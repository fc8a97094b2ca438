"""How long does one mask update take on a 25M-weight model, and how much memory does it need?

The prunable kernels of ResNet-50 (53 Conv2D kernels and the 2048x1000 Dense head: 25.5M weights),
each wrapped in PruneLowMagnitude, on CPU. One mask update = what the train step runs on a pruning
step: rank every kernel (local: one threshold per kernel; global: one threshold over all), assign the
masks and thresholds, zero the pruned weights; compiled with tf.function as in training. Timed over
UPDATES updates after a warm-up (tracing), at 90% sparsity. Peak memory is the process's peak resident
set size (each ranking runs in its own process), beside the size of the weights and masks themselves.

Run: .venv/bin/python benchmarks/pruning_scale.py   (about 1-3 minutes on 2 cores)
Writes benchmarks/results/pruning_scale.{json,md}.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import markdown_table, write_results  # noqa: E402

UPDATES = 5
SPARSITY = 0.9


def resnet50_kernels():
    """(name, kernel size, in channels, out channels) of ResNet-50's convolutions, then the Dense head."""
    shapes = [("stem", 7, 3, 64)]
    cin = 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=2):
        for block in range(blocks):
            name = f"conv{stage}_block{block + 1}"
            shapes += [(f"{name}_1", 1, cin, width), (f"{name}_2", 3, width, width), (f"{name}_3", 1, width, 4 * width)]
            if block == 0:
                shapes.append((f"{name}_0", 1, cin, 4 * width))  # projection shortcut
            cin = 4 * width
    return shapes


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(ranking):
    import keras
    import tensorflow as tf

    import tfsparse
    from tfsparse.pruning.callbacks import link_global_ranking

    schedule = tfsparse.ConstantSparsity(SPARSITY, 0, frequency=1)
    wrappers = []
    for name, k, cin, cout in resnet50_kernels():
        wrapper = tfsparse.PruneLowMagnitude(keras.layers.Conv2D(cout, k, name=name), schedule, ranking=ranking)
        wrapper.build((None, 16, 16, cin))
        wrappers.append(wrapper)
    head = tfsparse.PruneLowMagnitude(keras.layers.Dense(1000, name="fc1000"), schedule, ranking=ranking)
    head.build((None, 2048))
    wrappers.append(head)
    link_global_ranking(wrappers)
    rng = np.random.default_rng(0)
    for wrapper in wrappers:
        kernel = wrapper.pruning_vars[0][0]
        kernel.assign(rng.normal(size=kernel.shape).astype(np.float32))
        wrapper.pruning_step.assign(0)
    weights = sum(int(np.prod(w.pruning_vars[0][0].shape)) for w in wrappers)
    managers = [w for w in wrappers if w._managed_vars()]
    step = tf.constant(0, tf.int64)

    @tf.function
    def update():
        for wrapper in managers:
            managed = wrapper._managed_vars()
            wrapper._assign_masks(managed, wrapper._new_masks(tf.constant(SPARSITY), managed, step))

    before = _peak_rss_mb()
    update()  # tracing
    times = []
    for _ in range(UPDATES):
        wall, cpu = time.perf_counter(), time.process_time()
        update()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    kept = sum(int(np.count_nonzero(w.pruning_vars[0][0].numpy())) for w in wrappers)
    return {
        "ranking": ranking,
        "weights": weights,
        "layers": len(wrappers),
        "kept": kept,
        "update_wall_s_median": float(np.median([t[0] for t in times])),
        "update_cpu_s_median": float(np.median([t[1] for t in times])),
        "update_times": times,
        "peak_rss_mb_before_updates": before,
        "peak_rss_mb": _peak_rss_mb(),
        "weights_and_masks_mb": weights * 8 / 2**20,
    }


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ranking":
        print("RESULT " + json.dumps(run(sys.argv[2])))
        return
    results = []
    for ranking in ("local", "global"):
        out = subprocess.run([sys.executable, __file__, "--ranking", ranking], capture_output=True, text=True, check=True)
        results.append(json.loads(next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))[7:]))
        print(json.dumps({k: v for k, v in results[-1].items() if k != "update_times"}), flush=True)
    rows = [
        [r["ranking"], f"{r['weights'] / 1e6:.1f} M in {r['layers']} kernels", f"{r['update_wall_s_median']:.2f}",
         f"{r['update_cpu_s_median']:.2f}", f"{r['weights_and_masks_mb']:.0f}", f"{r['peak_rss_mb_before_updates']:.0f}",
         f"{r['peak_rss_mb']:.0f}", f"{1 - r['kept'] / r['weights']:.4f}"]
        for r in results
    ]
    md = (
        "# One mask update on a ResNet-50-sized model (CPU)\n\n"
        + markdown_table(
            ["ranking", "prunable weights", "wall s / update (median)", "CPU s / update (median)",
             "weights + masks MB", "peak RSS MB before updates", "peak RSS MB", "achieved sparsity"],
            rows,
        )
        + f"\n\nTarget sparsity {SPARSITY}; median of {UPDATES} updates after a warm-up; each ranking in its own process.\n"
    )
    write_results("pruning_scale", {"config": {"updates": UPDATES, "sparsity": SPARSITY, "kernels": resnet50_kernels()},
                                    "results": results}, md)
    print(md)


if __name__ == "__main__":
    main()
