"""Dense CONV_2D layers of the reference models on Cortex-M4: instructions per MAC of each layer with the
Cortex-M DSP kernel, next to CMSIS-NN's per-layer figures from issue 13 (real TFLM + CMSIS-NN, all-in).

Question: is the dense Cortex-M conv kernel at least as fast as CMSIS-NN on every layer shape of the
reference models, including the few-tap ones (first convolutions over 1-3 channels, 1x1 stride-2
shortcuts, narrow pointwise layers)?

Method: each convolutional model of ``tfsparse.models`` (seed 0), trained 12 steps on synthetic data and
quantized unpruned (``cnn_firmware.magnitude_pruned_tflite(name, 0.0)``), converted with
``encoding="dense"``, generated for cortex-m4 and run on QEMU (``-icount shift=0``, SysTick: exact to
one tick of 40 instructions) on N synthetic inputs with ``KERNEL_IMPL=cortex-m``; per-op counts from
``RunResult.layer_instructions`` (the mean over the inputs), every output compared with the TFLM
interpreter on the same ``.tflite``. Each layer also gets the cost model's prediction
(``costmodel.op_cost(..., kernel="cortex-m")``) and its relative error against QEMU.

    .venv/bin/python benchmarks/conv_dense_layers.py [model ...]   # writes results/conv_dense_layers.{json,md}
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _common import markdown_table, write_results  # noqa: E402

MODELS = ("mnist_cnn", "ds_cnn", "resnet8", "mobilenet_v1")
N_INPUTS = 3
#: Issue 13: CMSIS-NN per layer, all-in (im2col, requantization, memcpy), instructions per MAC.
CMSIS_NN = {"1x1": "2.09 (64->64)", "3x3": "1.76-2.33", "10x4": "3.49"}


def measure(name: str) -> dict:
    import tfsparse
    from tfsparse import costmodel
    from cnn_firmware import INPUT_SHAPES, magnitude_pruned_tflite, synthetic_inputs

    tflite = magnitude_pruned_tflite(name, 0.0, train_steps=12)
    sm = tfsparse.convert(tflite, encoding="dense")
    x = sm.quantize_input(synthetic_inputs(INPUT_SHAPES[name], N_INPUTS, np.random.default_rng(1)))
    with tempfile.TemporaryDirectory() as tmp:
        project = tfsparse.generate(sm, pathlib.Path(tmp) / "fw", target="cortex-m4")
        result = tfsparse.run(project, x, kernel_impl="cortex-m")
    from cnn import _tflm

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / f"{name}.tflite"
        path.write_bytes(tflite)
        ref = _tflm(path, x)
    mismatches = int(np.count_nonzero(result.outputs.reshape(ref.shape) != ref))
    layers = []
    for op, n in zip(sm.ops, result.layer_instructions.mean(axis=0)):
        if op.kind != "CONV_2D":
            continue
        out = sm.tensors[op.output].shape
        macs = int(np.prod(out[1:3])) * int(op.weights.shape[0]) * int(op.weights.shape[1])
        predicted = costmodel.op_cost(op, sm, "cortex-m4", kernel="cortex-m").instructions
        layers.append(dict(op=op.name, filter=f"{op.filter_height}x{op.filter_width}", stride=op.stride_height,
                           cin=op.input_channels, cout=op.output_channels, out=f"{out[1]}x{out[2]}", macs=macs,
                           instructions=float(n), per_mac=round(float(n) / macs, 3), predicted=round(predicted),
                           prediction_error=round(predicted / float(n) - 1, 4)))
    return dict(model=name, instructions=float(result.instructions.mean()), mismatches_vs_tflm=mismatches,
                layers=layers)


def main(argv):
    names = argv or MODELS
    rows = [measure(name) for name in names]
    table = []
    for r in rows:
        for layer in r["layers"]:
            kind = "1x1" if layer["filter"] == "1x1" else ("10x4" if layer["filter"] == "10x4" else "3x3")
            table.append([r["model"], layer["op"], f"{layer['filter']} s{layer['stride']}", layer["cin"], layer["cout"],
                          layer["out"], f"{layer['macs']:,}", f"{layer['instructions']:,.0f}", f"{layer['per_mac']:.2f}",
                          CMSIS_NN[kind], f"{layer['predicted']:,}", f"{layer['prediction_error']:+.1%}"])
    md = ["## Dense CONV_2D layers, cortex-m4, Cortex-M DSP kernel (instructions per MAC)", "",
          markdown_table(["model", "layer", "filter", "cin", "cout", "output", "MACs", "instructions", "per MAC",
                          "CMSIS-NN (issue 13)", "cost model", "model error"], table), "",
          "Whole model (all dense), mismatching output bytes vs the TFLM interpreter: " +
          "; ".join(f"{r['model']} {r['instructions']:,.0f} instructions, {r['mismatches_vs_tflm']}" for r in rows) + "."]
    print(write_results("conv_dense_layers", {"models": rows}, "\n".join(md)))


if __name__ == "__main__":
    main(sys.argv[1:])
