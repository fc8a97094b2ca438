"""``make demo``: the whole path on the bundled MNIST digits, with one report at the end.

Trains LeNet-300-100 while pruning it to 90% inside ``model.fit`` (polynomial schedule), quantizes it
to int8, converts it (the default policy with 500 representative training digits, which may pick the
activation-skipping column form; the smallest and the fastest encodings; dense int8 weights), prints the
cost profile of the default, generates the firmware for each, builds and runs each with both fully-connected kernels (portable C and Cortex-M DSP) on QEMU's Cortex-M4 over the 1000
test digits, compares every output with the TFLite Micro interpreter and prints accuracy, mismatches,
flash, RAM and instructions per inference.

Run it with ``make demo`` or ``python -m tfsparse.demo [--out DIR]``; everything it writes goes to
``--out`` (default ``demo_out/``): the models, both firmware projects, TensorBoard logs, plots and
``report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["main", "instructions_baseline"]


class _Clock:
    """Wall time per stage, printed as each stage ends."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.stages = {}

    def stage(self, name):
        clock = self

        class _Stage:
            def __enter__(self):
                self.start = time.monotonic()
                print(f"[demo] {name} ...", flush=True)

            def __exit__(self, exc_type, exc, tb):
                clock.stages[name] = time.monotonic() - self.start
                if exc_type is None:
                    print(f"[demo] {name}: {clock.stages[name]:.1f} s", flush=True)
                return False

        return _Stage()

    @property
    def total(self):
        return time.monotonic() - self.t0


def _tflm_outputs(tflite_path, x_q):
    """int8 outputs of the TFLite Micro interpreter, one invocation per row; None without tflite-micro."""
    import numpy as np

    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    interpreter = runtime.Interpreter.from_file(str(tflite_path))
    outputs = []
    for x in x_q:
        interpreter.set_input(x[None, ...], 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0))[0])
    return np.stack(outputs)


def _train(out, epochs, sparsity, clock, verbose):
    import keras
    import numpy as np

    import tfsparse
    from tfsparse import datasets, models

    (x_train, y_train), (x_test, y_test) = datasets.mnist()
    print(f"[demo] data: {len(x_train)} train / {len(x_test)} test MNIST digits (bundled, nothing downloaded)")
    batch = 64
    steps_per_epoch = int(np.ceil(len(x_train) / batch))
    # Two dense epochs, prune over the next ones, and leave the last two to recover at full sparsity.
    schedule = tfsparse.PolynomialDecay(initial_sparsity=0.0, final_sparsity=sparsity, begin_step=2 * steps_per_epoch,
                                        end_step=(epochs - 2) * steps_per_epoch, frequency=steps_per_epoch // 2)
    keras.utils.set_random_seed(0)
    pruned = tfsparse.prune_low_magnitude(models.lenet_300_100(seed=0), pruning_schedule=schedule)
    pruned.compile(optimizer=keras.optimizers.Adam(1e-3),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    with clock.stage(f"train LeNet-300-100 and prune to {sparsity:.0%} in model.fit ({epochs} epochs)"):
        pruned.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=verbose,
                   callbacks=[tfsparse.UpdatePruningStep(), tfsparse.PruningSummaries(log_dir=str(out / "logs"))])
    final = tfsparse.strip_pruning(pruned)
    final.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    float_acc = float(final.evaluate(x_test, y_test, verbose=0)[1])
    final.save(out / "lenet_pruned.keras")
    return final, schedule, steps_per_epoch, (x_train, y_train), (x_test, y_test), float_acc


def _plots(out, schedule, steps_per_epoch, epochs, final, sparse, instructions, memory, baseline):
    """Save the demo's figures as PNGs in ``out/plots``; returns the directory and the figure names."""
    from tfsparse import plot

    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    figures = {
        "schedule": plot.sparsity_schedule(schedule, range(0, epochs * steps_per_epoch + 1), steps_per_epoch=steps_per_epoch),
        "layer_density": plot.layer_density(final),
        "spy_fc1": plot.spy(sparse.fully_connected[0]),
        "bytes_per_nonzero": plot.bytes_per_nonzero(sparse),
        "instructions": plot.instructions(instructions, baseline=baseline),
        "memory": plot.memory(memory, baseline="dense"),  # RAM without the fixed stack, said on the axis
    }
    for name, fig in figures.items():
        fig.savefig(plots / f"{name}.png", dpi=100)
    return plots, sorted(figures)


def instructions_baseline(target: str) -> str:
    """The bar every speed-up in the instruction plot is relative to: dense int8 weights run by the
    target's default kernel (on Cortex-M4 the DSP one), the fastest dense build a user gets.
    Notebook 03 states the same baseline."""
    from tfsparse.codegen.targets import get_target

    return f"dense, {get_target(target).kernel_impl}"


#: Firmware builds the demo compares: encoding policy -> column title.
_BUILDS = {"default": "default+data", "smallest": "CSR smallest", "fastest": "CSR fastest", "dense": "dense int8"}


def _report(r) -> str:
    fw, n, w = r["firmware"], r["test_digits"], r["weights"]
    kinds = list(_BUILDS)

    def row(title, values, fmt="{:,.0f}"):
        return f"{title:34s}" + "".join(f"{fmt.format(v):>14s}" for v in values)

    mism = r["mismatches_vs_tflm"]
    tflm = ("TFLM interpreter not installed (pip install tflite-micro): not checked" if mism is None else
            f"SparseModel.predict {mism['predict']}, firmware " + ", ".join(f"{k} {mism[k]}" for k in kinds)
            + f" (of {n} outputs)")
    kernels = list(fw["dense"]["instructions_by_kernel"])
    dense = fw["dense"]
    lines = [
        "",
        "=" * 78,
        f"tfsparse demo: LeNet-300-100 pruned to {r['sparsity']:.0%}, {n} MNIST test digits, {r['target']} on QEMU",
        "=" * 78,
        f"accuracy            float {r['accuracy']['float']:.4f} | int8 {r['accuracy']['int8']:.4f} | firmware "
        + ", ".join(f"{fw[k]['accuracy']:.4f} ({k})" for k in kinds),
        f"mismatches vs TFLM  {tflm}",
        f"weights             {w['nonzeros']:,} of {w['dense_bytes']:,} nonzero; CSR {w['sparse_bytes']:,} B "
        f"({', '.join(w['encodings'])}) vs {w['dense_bytes']:,} B dense int8",
        "",
        row("firmware", [_BUILDS[k] for k in kinds], "{}"),
        row("flash (bytes)", [fw[k]["flash"] for k in kinds]),
        row("RAM (bytes)", [fw[k]["ram"] for k in kinds]),
        row("  of which stack (fixed)", [fw[k]["stack"] for k in kinds]),
        *(row(f"instructions/inference, {kernel}" + ("*" if kernel == dense["kernel"] else ""),
              [fw[k]["instructions_by_kernel"][kernel] for k in kinds]) for kernel in kernels),
        row("flash saved vs dense", [dense["flash"] / fw[k]["flash"] for k in kinds], "{:.1f}x"),
        f"profile of the default (before building): {r['profile']['instructions']:,.0f} instructions "
        f"({r['profile']['error_vs_firmware']:+.1%} vs QEMU), worst case {r['profile']['worst_case_instructions']:,.0f}",
        *(row(f"speed-up vs dense, {kernel}", [dense["instructions_by_kernel"][kernel] / fw[k]["instructions_by_kernel"][kernel]
                                              for k in kinds], "{:.1f}x") for kernel in kernels),
        "(* the target's default kernel; 'cortex-m' is the DSP-optimized one, 'portable' plain C99.",
        " Each speed-up row compares with dense on the same kernel; the instructions plot compares every",
        f" build with '{instructions_baseline(r['target'])}'.)",
        "",
        "projects            " + ", ".join(r["paths"]["projects"].values())
        + f"  (tfsparse run {r['paths']['projects']['default']} --inputs X.npy)",
        f"plots               {r['paths']['plots']}/ ({', '.join(r['paths']['plot_names'])}.png)",
        f"models              {r['paths']['keras']}, {r['paths']['tflite']}",
        f"TensorBoard         tensorboard --logdir {r['paths']['logs']}",
        f"report              {r['paths']['report']}",
        f"wall time           {r['wall_time_s']:.1f} s",
        "=" * 78,
    ]
    return "\n".join(lines)


def _firmware(out, target, models, x_q, reference, y_test, clock):
    """Generate each model's project, build and run it with every kernel; numbers per project."""
    import numpy as np

    import tfsparse
    from tfsparse.codegen.targets import KERNEL_IMPLS, get_target

    default_kernel = get_target(target).kernel_impl
    # The target's default kernel runs last, so each project is left built as generated.
    kernels = [k for k in KERNEL_IMPLS if k != default_kernel] + [default_kernel]
    firmware, projects = {}, {}
    for kind, model in models.items():
        projects[kind] = out / f"fw_{kind}"
        with clock.stage(f"generate the {kind} firmware ({target})"):
            tfsparse.generate(model, projects[kind], target=target)
        by_kernel, mismatches = {}, 0
        for kernel in kernels:
            with clock.stage(f"build + run the {kind} firmware ({kernel} kernel) on QEMU over {len(x_q)} digits"):
                result = tfsparse.run(projects[kind], x_q, kernel_impl=kernel)
            outputs = np.asarray(result.outputs).reshape(reference.shape)
            by_kernel[kernel] = float(np.mean(result.instructions))
            if kind == "default" and kernel == default_kernel:
                print(f"[demo] measured per op ({kind}, {kernel} kernel):\n{result.layer_table()}", flush=True)
            mismatches = max(mismatches, int((outputs != reference).any(axis=1).sum()))
        firmware[kind] = {
            "flash": result.size["flash"], "ram": result.size["ram"],
            "stack": result.size["sections"].get(".stack", 0),
            "instructions": by_kernel[default_kernel], "instructions_by_kernel": by_kernel,
            "accuracy": float((outputs.argmax(axis=1) == y_test).mean()),
            "mismatches": mismatches, "kernel": default_kernel,
        }
    return firmware, projects, kernels, default_kernel


def main(argv=None) -> int:
    """Run the demo end to end and print the report.

    Args:
        argv: command-line arguments (``--out``, ``--epochs``, ``--sparsity``, ``--target``).

    Returns:
        0 when every stage ran and the firmware matched TFLM, 1 on a mismatch, 2 on a usage error.

    Raises:
        tfsparse.FirmwareError: the toolchain or QEMU is missing or fails (``make demo`` installs them).

    Example:
        >>> main(["--out", "demo_out"])  # doctest: +SKIP
    """
    from tfsparse.codegen.targets import TARGETS

    parser = argparse.ArgumentParser(prog="python -m tfsparse.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="demo_out", help="output directory (default: demo_out)")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10, at least 5)")
    parser.add_argument("--sparsity", type=float, default=0.9, help="final sparsity (default 0.9)")
    parser.add_argument("--target", default="cortex-m4", choices=sorted(TARGETS),
                        help="firmware target (default cortex-m4)")
    args = parser.parse_args(argv)
    if args.epochs < 5:
        parser.error("--epochs must be at least 5 (two dense, pruning, two to recover)")
    if not 0.0 < args.sparsity < 1.0:
        parser.error("--sparsity must be in (0, 1), e.g. 0.9")

    from tfsparse._quiet import quiet_native_output
    from tfsparse.cli import import_tensorflow_quietly

    clock = _Clock()
    import_tensorflow_quietly()

    import tfsparse

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    verbose = 1 if sys.stdout.isatty() else 2
    final, schedule, steps_per_epoch, (x_train, _), (x_test, y_test), float_acc = _train(
        out, args.epochs, args.sparsity, clock, verbose)
    print(f"[demo] float accuracy after strip_pruning: {float_acc:.4f}")

    with clock.stage("quantize to int8 (TFLite converter, 500 calibration digits)"):
        with quiet_native_output():  # the converter's graph dumps; shown if it fails
            tflite = tfsparse.quantize(final, x_train[:500])
        tflite_path = out / "lenet_int8.tflite"
        tflite_path.write_bytes(tflite)
    with clock.stage("convert (default with 500 representative digits, smallest, fastest, dense int8)"):
        converted = {kind: tfsparse.convert(tflite, encoding=kind, target=args.target,
                                            representative_data=x_train[:500] if kind == "default" else None)
                     for kind in _BUILDS}
    sparse = converted["default"]
    sparse.summary()
    profile = tfsparse.profile(sparse, target=args.target, inputs=x_test)
    print(profile)
    x_q = sparse.quantize_input(x_test)
    with clock.stage(f"TFLite Micro interpreter on {len(x_q)} digits"):
        tflm = _tflm_outputs(tflite_path, x_q)
        predicted = sparse.predict(x_q)
    reference = predicted if tflm is None else tflm

    firmware, projects, kernels, default_kernel = _firmware(out, args.target, converted, x_q, reference, y_test, clock)

    with clock.stage("plots"):
        counts = {f"{kind}, {kernel}": firmware[kind]["instructions_by_kernel"][kernel]
                  for kernel in reversed(kernels) for kind in _BUILDS}
        memory = {kind: (firmware[kind]["flash"], firmware[kind]["ram"], firmware[kind]["stack"]) for kind in _BUILDS}
        plots, plot_names = _plots(out, schedule, steps_per_epoch, args.epochs, final, sparse, counts, memory,
                                   baseline=instructions_baseline(args.target))

    layers = sparse.summary(print_fn=None)
    report = {
        "sparsity": args.sparsity, "target": args.target, "test_digits": int(len(x_q)), "epochs": args.epochs,
        "accuracy": {"float": float_acc, "int8": float((reference.argmax(axis=1) == y_test).mean())},
        "mismatches_vs_tflm": None if tflm is None else {
            "predict": int((predicted != tflm).any(axis=1).sum()),
            **{kind: firmware[kind]["mismatches"] for kind in _BUILDS}},
        "weights": {"nonzeros": int(layers["total"]["nnz"]), "dense_bytes": int(layers["total"]["dense_bytes"]),
                    "sparse_bytes": int(layers["total"]["sparse_bytes"]),
                    "encodings": [f"{l['name']}: {l['encoding']}" for l in layers["layers"]]},
        "firmware": firmware,
        "profile": {"instructions": profile.instructions, "worst_case_instructions": profile.worst_case_instructions,
                    "flash_bytes": profile.flash_bytes, "arena_bytes": profile.arena_bytes,
                    "error_vs_firmware": profile.instructions / firmware["default"]["instructions"] - 1},
        "stages_s": {k: round(v, 2) for k, v in clock.stages.items()},
        "paths": {"projects": {k: str(v) for k, v in projects.items()},
                  "plots": str(plots), "plot_names": plot_names, "keras": str(out / "lenet_pruned.keras"),
                  "tflite": str(tflite_path), "logs": str(out / "logs"), "report": str(out / "report.json")},
    }
    report["wall_time_s"] = clock.total
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(_report(report))
    mismatched = report["mismatches_vs_tflm"] and any(report["mismatches_vs_tflm"].values())
    if mismatched:
        print("[demo] FAILED: outputs differ from the TFLite Micro interpreter", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
