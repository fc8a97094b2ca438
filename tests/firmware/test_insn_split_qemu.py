"""The measured MAC-loop / requantization split of benchmarks/cnn.py (benchmarks/_insn_split.py) on QEMU
cortex-m4: the per-PC counting plugin against QEMU's instruction clock, the requantization count of a
dense 1x1 convolution against the disassembly of its marked ranges, and the markers against a build
without them."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing_graph import _Builder
from tfsparse.converter.model import SparseModel
from tfsparse.firmware import dither_cflags, dither_period

ROOT = pathlib.Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import _insn_split  # noqa: E402
import cnn  # noqa: E402

pytestmark = pytest.mark.slow


def _disassembly(elf, start, stop) -> list:
    """``[(address, text), ...]`` of the instructions in [start, stop)."""
    dump = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
                           f"--stop-address={stop:#x}", str(elf)], capture_output=True, text=True, check=True).stdout
    return [(int(m.group(1), 16), m.group(2).strip()) for m in re.finditer(r"^\s+([0-9a-f]+):\s+(.+)$", dump, re.M)]


def _outside_systick_span(lines) -> int:
    """Instructions of a hook window (straight-line code around one call) before the first SysTick
    load (``ldr rX, [rB, #24]`` with rB = 0xE000E000) and from the last one on: the window minus the
    span the per-op SysTick count measures."""
    bases = {m.group(1) for _, text in lines for m in [re.match(r"mov(?:\.w|w)?\s+(r\d+), #3758153728", text)] if m}
    loads = [i for i, (_, text) in enumerate(lines)
             if (m := re.match(r"ldr(?:\.w)?\s+r\d+, \[(r\d+), #24\]", text)) and m.group(1) in bases]
    branch = r"(b(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?(\.[nw])?|bx|cbn?z|tb[bh]|pop|ldm\S*)\s"
    assert len(loads) == 2 and not any(re.match(branch, t) for _, t in lines), lines
    return loads[0] + len(lines) - loads[1]


@pytest.fixture(scope="module")
def model():
    b = _Builder(np.random.default_rng(11))
    x = b.tensor("input", (1, 8, 8, 16))
    t = b.conv(x, 16, (1, 1), padding="VALID", encoding="dense")  # the assembly row-pair loop
    t = b.depthwise(t, 1, (3, 3))
    return SparseModel("split", b.tensors, b.ops, x, t, source="<test>", source_sha256="")


def test_plugin_counts_equal_qemu_icount_and_requantization_matches_the_disassembly(model, tmp_path):
    plugin = _insn_split.build_plugin(tmp_path)
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    flags = f"-DTFS_HOOKS_HEADER='\"{_insn_split.HOOKS}\"' {dither_cflags(40)}"
    built = tfsparse.build(project, kernel_impl="cortex-m", extra_cflags=flags)
    pristine, windows = built.elf.read_bytes(), _insn_split.hook_windows(built.elf)
    n = dither_period(40)  # every SysTick phase once: the mean per-op count is exact
    x = np.random.default_rng(5).integers(-128, 128, (n, 8, 8, 16)).astype(np.int8)
    counts_file = tmp_path / "counts.txt"
    for k, op in enumerate(model.ops):
        built.elf.write_bytes(pristine)
        cnn._patch_int32(built.elf, "tfs_bench_only_op", k)
        start, stop = windows[k]
        run = tfsparse.run(project, x, kernel_impl="cortex-m", extra_cflags=flags,
                           qemu_args=_insn_split.plugin_args(plugin, counts_file, start=start, stop=stop))
        c = _insn_split.parse_counts(counts_file)
        # Both ops are data-independent: the same count for every input, equal to QEMU's icount clock
        # (SysTick, dithered) plus the window's instructions outside the SysTick span.
        assert c.opened == n and c.window % n == 0 and c.total > c.window
        per_inference = c.window // n
        outside = _outside_systick_span(_disassembly(built.elf, start, stop))
        assert per_inference - outside == run.layer_instructions[:, k].mean(), (op.kind, per_inference, outside)
        part = _insn_split.split(built.elf, c)
        assert part["mac_loop"] + part["requant"] == c.window and part["requant"] > 0 and part["mac_loop"] > 0
        if op.kind != "CONV_2D":
            continue
        # Dense 1x1 conv, 16 channels, even rows: only the assembly row-pair loop runs, 4 outputs
        # (2 channels x 2 pixels) per pass through its straight-line marked ranges (the clamp ranges
        # run only as the activation range needs).
        outputs = int(np.prod(model.tensors[op.output].shape[1:]))
        ran = [(a, b) for a, b in _insn_split.requant_ranges(built.elf) if c.counts.get(a)]
        assert len(ran) >= 2
        per_pass = 0
        for a, b in ran:
            lines = _disassembly(built.elf, a, b)
            assert all(c.counts.get(pc) == n * outputs // 4 for pc, _ in lines), (a, b)
            per_pass += len(lines)
        assert part["requant"] == n * outputs * per_pass // 4


def test_requantization_markers_leave_the_code_unchanged(tmp_path):
    kernels = ROOT / "firmware" / "kernels"
    flags = ["-std=c11", "-O2", "-g", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
             "-ffunction-sections", f"-I{kernels}", "-c"]
    for source in ("conv_2d.c", "depthwise_conv_2d.c"):
        dumps = []
        for extra in ([], ['-DTFS_RQ_BEGIN=""', '-DTFS_RQ_END=""']):
            obj = tmp_path / f"{source}{len(extra)}.o"
            subprocess.run(["arm-none-eabi-gcc", *flags, *extra, str(kernels / "cortex_m" / source), "-o", str(obj)],
                           check=True)
            dumps.append(subprocess.run(["arm-none-eabi-objdump", "-d", str(obj)], capture_output=True, text=True,
                                        check=True).stdout.split("\n", 2)[2])
            assert (_insn_split.elf_section(obj, ".debug_tfs_requant") != b"") == (not extra)
        assert dumps[0] == dumps[1], source
