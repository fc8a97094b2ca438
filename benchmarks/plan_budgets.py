"""Does tfsparse.plan deliver firmware that fits? LeNet-300-100 planned for 32, 64 and 128 KiB of flash
on Cortex-M4.

For each budget: ``tfsparse.plan`` picks the per-layer sparsity (encoding "smallest"), the dense model is
fine-tuned to it with ``prune_low_magnitude(model, plan.schedules(...))``, quantized, converted, generated
for a Cortex-M4 part with exactly that much flash (the linker enforces it) and run on QEMU mps2-an386 on
the 1000 test digits, checked against the TFLM interpreter. Baseline in the same run: the dense int8
model (its flash is the generate size check's estimate: it fits none of the budgets).

Run: ``.venv/bin/python benchmarks/plan_budgets.py`` (about 3 minutes; writes ``results/plan_budgets.{json,md}``).
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import markdown_table, write_results  # noqa: E402

BUDGETS_KIB = (32, 64, 128)
TARGET = "cortex-m4"
EPOCHS, PRUNE_EPOCHS, BATCH = 20, 10, 64


def compiled(model, learning_rate=1e-3):
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def tflm_outputs(path, xq):
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    out = []
    for x in xq:
        interpreter.set_input(x[None, ...], 0)
        interpreter.invoke()
        out.append(np.array(interpreter.get_output(0))[0])
    return np.stack(out)


def main() -> int:
    import keras

    import tfsparse
    from tfsparse import datasets, models
    from tfsparse.codegen.context import build_context
    from tfsparse.codegen.project import code_allowance

    t0 = time.time()
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = datasets.mnist()
    dense = compiled(models.lenet_300_100(seed=0))
    dense.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    dense_int8 = tfsparse.convert(tfsparse.quantize(dense, x_train[:300]))
    xq = dense_int8.quantize_input(x_test)
    dense_acc = float(np.mean(dense_int8.predict(xq).argmax(axis=1) == y_test))
    board = tfsparse.get_target(TARGET)
    dense_flash = build_context(dense_int8, board).flash_constants + code_allowance(board, n_ops=len(dense_int8.ops))
    steps = int(np.ceil(len(x_train) / BATCH))
    rows, results = [], []
    work = pathlib.Path(tempfile.mkdtemp(prefix="tfsparse-plan-budgets-"))
    for kib in BUDGETS_KIB:
        budget = kib * 1024
        part = board.replace(name=f"{TARGET}-{kib}k", flash_size=budget)
        plan = tfsparse.plan(dense, part, representative_data=x_train[:300])
        model = keras.models.clone_model(dense)
        model.set_weights(dense.get_weights())
        pruned = compiled(tfsparse.prune_low_magnitude(model, plan.schedules(0, PRUNE_EPOCHS * steps, frequency=steps)),
                          learning_rate=5e-4)
        pruned.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                   callbacks=[tfsparse.UpdatePruningStep()])
        path = work / f"lenet_{kib}k.tflite"
        path.write_bytes(tfsparse.quantize(tfsparse.strip_pruning(pruned), x_train[:300]))
        sparse = tfsparse.convert(path, encoding=plan.encoding)
        project = tfsparse.generate(sparse, work / f"fw_{kib}k", target=part)
        run = tfsparse.run(project, xq)
        mismatches = int((run.outputs != tflm_outputs(path, xq)).sum())
        acc = float(np.mean(run.outputs.argmax(axis=1) == y_test))
        entry = {"budget_bytes": budget, "planned_sparsity": plan.sparsity, "planned_flash": plan.flash_bytes,
                 "achieved_flash": run.size["flash"], "ram": run.size["ram"], "accuracy": acc,
                 "dense_accuracy": dense_acc, "mismatches_vs_tflm": mismatches,
                 "instructions": float(run.instructions.mean()), "planned_instructions": plan.instructions,
                 "encodings": [layer.encoding for layer in plan.layers]}
        results.append(entry)
        rows.append([f"{kib} KiB", " / ".join(f"{s:.1%}" for s in plan.sparsity.values()), f"{plan.flash_bytes:,}",
                     f"{run.size['flash']:,}", f"{acc:.1%}", f"{100 * (acc - dense_acc):+.1f}",
                     f"{run.instructions.mean():,.0f}", str(mismatches)])
        print(f"[plan_budgets] {kib} KiB: {rows[-1]} ({time.time() - t0:.0f} s)", flush=True)
    table = markdown_table(["flash budget", "planned sparsity fc1 / fc2 / fc3", "planned flash B", "achieved flash B",
                            "accuracy", "vs dense (points)", "instructions", "mismatches vs TFLM"], rows)
    markdown = (
        f"# tfsparse.plan: LeNet-300-100 planned for a flash budget on {TARGET}\n\n"
        f"Dense int8 baseline (same run): accuracy {dense_acc:.1%} on the 1000 test digits, about {dense_flash:,} B of "
        "flash (fits none of the budgets).\n"
        f"Each plan: encoding 'smallest', fine-tuned {EPOCHS} epochs from the dense weights (pruning over the first "
        f"{PRUNE_EPOCHS}), firmware linked for a {TARGET} part with exactly the budget as flash, run on QEMU "
        "mps2-an386.\n\n" + table)
    write_results("plan_budgets", {"target": TARGET, "dense_accuracy": dense_acc, "dense_flash_estimate": dense_flash,
                                   "epochs": EPOCHS, "prune_epochs": PRUNE_EPOCHS, "results": results}, markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
