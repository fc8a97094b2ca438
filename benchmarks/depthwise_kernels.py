"""DEPTHWISE_CONV_2D kernels: instructions per multiply-accumulate, Cortex-M DSP twin vs portable C.

Question: how many instructions per MAC do ds_cnn's and mobilenet_v1's (alpha 0.25, 96x96)
depthwise layers take on Cortex-M4 with each kernel, and do both stay bit-exact?

Method: one single-op model per layer geometry (3x3, depth multiplier 1, SAME; input shape and
stride of the reference models' layers; random int8 weights and TFLM-like per-channel requantization
with a ReLU-like full int8 range, from tfsparse.codegen._testing_graph), generated for cortex-m4 and
run on QEMU (-icount shift=0, SysTick: exact to one tick) with the portable and the Cortex-M kernel
on 2 random inputs; outputs compared with SparseModel.predict (bit-exact with TFLM). The baseline
(portable C) is measured in the same run. Whole-model counts are in benchmarks/results/cnn.md.

    .venv/bin/python benchmarks/depthwise_kernels.py
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from _common import markdown_table, write_results  # noqa: E402

#: name -> (input height, width, channels, stride): the reference models' depthwise layers.
LAYERS = {
    "ds_cnn dw1-4": (25, 5, 64, 1),
    "mobilenet_v1 dw1": (48, 48, 8, 1), "mobilenet_v1 dw2": (48, 48, 16, 2),
    "mobilenet_v1 dw3": (24, 24, 32, 1), "mobilenet_v1 dw4": (24, 24, 32, 2),
    "mobilenet_v1 dw5": (12, 12, 64, 1), "mobilenet_v1 dw6": (12, 12, 64, 2),
    "mobilenet_v1 dw7-11": (6, 6, 128, 1), "mobilenet_v1 dw12": (6, 6, 128, 2),
    "mobilenet_v1 dw13": (3, 3, 256, 1),
}
KERNELS = ("portable", "cortex-m")


def layer_model(h, w, c, stride, seed=0):
    """A one-op SparseModel: 3x3 depthwise, multiplier 1, SAME, activation range -128..127."""
    from tfsparse.codegen._testing_graph import _Builder
    from tfsparse.converter.model import SparseModel

    b = _Builder(np.random.default_rng(seed))
    x = b.tensor("input", (1, h, w, c))
    t = b.depthwise(x, 1, (3, 3), (stride, stride), padding="SAME")
    b.ops[-1] = dataclasses.replace(b.ops[-1], activation_min=-128, activation_max=127)
    return SparseModel(f"dw_{h}x{w}x{c}_s{stride}", b.tensors, b.ops, x, t, source="<benchmark>", source_sha256="")


def measure(target: str = "cortex-m4") -> list:
    import tfsparse

    rows = []
    for name, (h, w, c, stride) in LAYERS.items():
        model = layer_model(h, w, c, stride)
        _, oh, ow, _ = model.output_tensor.shape
        macs = oh * ow * c * 9
        x = np.random.default_rng(1).integers(-128, 128, (2, h, w, c)).astype(np.int8)
        expected = model.predict(x)
        row = {"layer": name, "input": [h, w, c], "stride": stride, "macs": int(macs)}
        with tempfile.TemporaryDirectory() as tmp:
            project = tfsparse.generate(model, pathlib.Path(tmp) / "fw", target=target)
            for kernel in KERNELS:
                r = tfsparse.run(project, x, kernel_impl=kernel)
                n = float(r.layer_instructions.mean(axis=0)[0])
                row[kernel] = {"instructions": n, "per_mac": n / macs,
                               "bit_exact": bool(np.array_equal(r.outputs.reshape(expected.shape), expected))}
        rows.append(row)
        print(name, {k: round(row[k]["per_mac"], 3) for k in KERNELS}, flush=True)
    return rows


def main():
    rows = measure()
    table = markdown_table(
        ["layer", "input (stride)", "MACs", "portable: instructions", "per MAC", "Cortex-M: instructions", "per MAC",
         "speedup", "bit-exact"],
        [[r["layer"], f"{'x'.join(map(str, r['input']))} ({r['stride']})", f"{r['macs']:,}",
          f"{r['portable']['instructions']:,.0f}", f"{r['portable']['per_mac']:.2f}",
          f"{r['cortex-m']['instructions']:,.0f}", f"{r['cortex-m']['per_mac']:.2f}",
          f"{r['portable']['instructions'] / r['cortex-m']['instructions']:.2f}x",
          "yes" if r["portable"]["bit_exact"] and r["cortex-m"]["bit_exact"] else "NO"] for r in rows])
    md = ("# DEPTHWISE_CONV_2D kernels on Cortex-M4 (QEMU mps2-an386)\n\n"
          + __doc__.split("\n\n")[2].replace("\n", " ") + "\n\n" + table)
    print(write_results("depthwise_kernels", {"target": "cortex-m4", "layers": rows}, md))
    assert all(r[k]["bit_exact"] for r in rows for k in KERNELS), "a kernel differs from SparseModel.predict"


if __name__ == "__main__":
    main()
