"""The TFLM arena size of the generated header (``<NAME>_ARENA_BYTES``): TFLM's greedy planner
emulated, and the Prepare peak of tfsparse's CSR ops (8 temporary tensors) counted. CI has no TFLM:
the hint is checked against real TFLM on Cortex-M4 by benchmarks/tflm_cortex_m.py (smallest working
arena bisected on QEMU; results/tflm_cortex_m.md) and on an x86-64 host build by hand (closing note)."""

from __future__ import annotations

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.tflm import TFLM_SIZES, greedy_plan, tflm_arena_bytes


def test_greedy_plan_reuses_dead_bytes_like_tflm():
    # a (48 B) lives over ops 0-1, b (32 B) over 1-2, c (48 B) over 2-3: c takes a's bytes, b goes above a.
    assert greedy_plan([(48, 0, 1), (32, 1, 2), (48, 2, 3)]) == 80
    assert greedy_plan([(16, 0, 0), (16, 1, 1), (16, 2, 2)]) == 16
    assert greedy_plan([]) == 0


def test_arena_covers_the_prepare_peak_of_a_csr_op(tmp_path):
    # One tiny sparse layer: the activations are a few bytes, the 8 temporary tensors of Prepare are not.
    model = random_fc_model((8, 4), ("abs_u8",), density=0.5, seed=1)
    data = model.to_tflite()
    for pointer in (4, 8):
        sz = TFLM_SIZES[pointer]
        prepare_temps = 8 * sz["tensor"] + 2 * sz["quantization"]
        assert tflm_arena_bytes(data, pointer) > sz["allocators"] + prepare_temps
        assert tflm_arena_bytes(data, pointer) % 16 == 0
    assert tflm_arena_bytes(data, 8) > tflm_arena_bytes(data, 4)
    project = tfsparse.generate(model, tmp_path / "p", tflm=True)
    header = (project / "tflm" / "tfsparse_model_data.h").read_text()
    assert f"#define TFSPARSE_ARENA_BYTES {tflm_arena_bytes(data, 4)}" in header


def test_conv_scratch_in_the_hint_is_the_kernels_request(tmp_path):
    """The hint reserves for each TFSPARSE_CONV_2D what its Prepare requests (TFS_CONV_2D_SCRATCH_BYTES),
    evaluated by the C compiler, not a second copy of the formula (it was 4 * taps, 1 * taps + 16 short)."""
    import subprocess

    from tfsparse.codegen import graph_ops
    from tfsparse.codegen.hostbuild import firmware_root

    taps = (1, 9, 27, 144, 576, 1000)
    src = tmp_path / "scratch.c"
    src.write_text('#include <stdio.h>\n#include "tfs_conv.h"\nint main(void) {\n'
                   + "".join(f'  printf("%ld\\n", (long)TFS_CONV_2D_SCRATCH_BYTES({t}));\n' for t in taps) + "  return 0;\n}\n")
    exe = tmp_path / "scratch"
    subprocess.run(["cc", "-std=c99", "-I", str(firmware_root() / "kernels"), str(src), "-o", str(exe)], check=True)
    printed = [int(v) for v in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()]
    assert printed == [graph_ops.conv_2d_scratch_bytes(t) for t in taps]
