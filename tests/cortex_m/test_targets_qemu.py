"""Firmware on emulated Cortex-M0, M3, M4, M7, M33 and M55: every kernel, every encoding, bit-exact.

Random hand-built models put every encoding (and the dense DSP path, with odd row and column counts)
through the real ARM instructions of the Cortex-M kernel, which the host tests cannot reach; the
digits MLP runs end to end on M0, M3, M7, M33 and M55 against the TFLM interpreter.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.targets import get_target

TARGETS = ("cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
KERNELS = ("portable", "cortex-m")
# Cores with the DSP extension, where the optimized kernel must be cheaper than the portable one.
DSP_TARGETS = ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# Every encoding once; the dense layer has an odd row count and a column count that is not a
# multiple of 4 (tails of the two-row SMLAD loop); the column form has two row blocks and a column
# count that is not a multiple of 4 (tail of its four-column skip), the blocked row form two blocks.
SIZES = (602, 301, 257, 63, 47, 33, 40, 30, 10)
ENCODINGS = ("csc8", "blk8", "abs_u16", "rel8", "dense", "abs_u8", "rel4", "abs_u32")


@pytest.fixture(scope="module")
def every_encoding_model():
    return random_fc_model(SIZES, ENCODINGS, density=0.15, seed=11, name="every_encoding")


@pytest.fixture(scope="module")
def random_inputs():
    x = np.random.default_rng(3).integers(-128, 128, size=(100, SIZES[0])).astype(np.int8)
    x[np.random.default_rng(4).random(x.shape) < 0.7] = -128  # at the input zero point: skipped by csc8
    return x


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_every_encoding_both_kernels_bit_exact(target, every_encoding_model, random_inputs, tmp_path):
    expected = every_encoding_model.predict(random_inputs)
    project = tfsparse.generate(every_encoding_model, tmp_path / target, target=target)
    runs = {k: tfsparse.run(project, random_inputs, kernel_impl=k) for k in get_target(target).kernels}
    for kernel, r in runs.items():
        mismatches = int((r.outputs != expected).sum())
        assert mismatches == 0, f"{target}/{kernel}: {mismatches} of {expected.size} outputs differ from predict"
        assert r.instructions.min() > 0
        # The runtime's deepest stack use (painted high-water mark) stays well inside the reserved stack.
        assert 0 < r.stack_used <= get_target(target).stack_size // 2, r.stack_used
    if target in DSP_TARGETS:  # the optimized kernel must actually be cheaper on every DSP core
        assert runs["cortex-m"].instructions.mean() < runs["portable"].instructions.mean()


def test_targets_table():
    m7, m33 = get_target("cortex-m7"), get_target("cortex-m33")
    assert (m7.qemu_machine, m7.flash_origin, m7.ram_origin, m7.kernel_impl) == (
        "mps2-an500", 0x0, 0x20000000, "cortex-m")
    assert (m33.qemu_machine, m33.flash_origin, m33.ram_origin, m33.kernel_impl) == (
        "mps2-an505", 0x10000000, 0x38000000, "cortex-m")
    assert "-mcpu=cortex-m33" in m33.cpu_flags and "-mcpu=cortex-m7" in m7.cpu_flags


@pytest.mark.slow
def test_m33_tick_is_50_instructions(every_encoding_model, random_inputs, tmp_path):
    """an505 runs at 20 MHz (an386/an500 at 25 MHz). The same C on M7 and M33 compiles to nearly the
    same instruction count (-mcpu changes a few percent); a wrong tick length (40) would read 20% low."""
    counts = {}
    for target in ("cortex-m7", "cortex-m33"):
        project = tfsparse.generate(every_encoding_model, tmp_path / target, target=target)
        counts[target] = tfsparse.run(project, random_inputs[:5], kernel_impl="portable").instructions
    ratio = counts["cortex-m33"] / counts["cortex-m7"]
    assert np.all(np.abs(ratio - 1) < 0.1), ratio


@pytest.mark.slow
@pytest.mark.parametrize("target", ("cortex-m0", "cortex-m3", "cortex-m7", "cortex-m33", "cortex-m55"))
def test_digits_mlp_end_to_end(target, digits_sparse, digits_int8, digits_tflm, tmp_path):
    _, xq, y_test = digits_int8
    tflm_top1 = float(np.mean(digits_tflm.argmax(axis=1) == y_test))
    for policy, sparse in digits_sparse.items():
        project = tfsparse.generate(sparse, tmp_path / f"{target}_{policy}", target=target)
        for kernel in get_target(target).kernels:
            r = tfsparse.run(project, xq, kernel_impl=kernel)
            mismatches = int((r.outputs != digits_tflm).sum())
            assert mismatches == 0, f"{target}/{policy}/{kernel}: {mismatches} outputs differ from TFLM"
            assert float(np.mean(r.outputs.argmax(axis=1) == y_test)) == tflm_top1
    assert tflm_top1 > 0.8


CALIBRATION_C = r"""
#include <stdint.h>
#include "tfs_counter.h"
#include "tfs_semihost.h"
int main(void);
void SysTick_Handler(void);
extern uint32_t __stack_top__;
void Reset_Handler(void) { tfs_sh_exit(main() == 0); }
static void Fault(void) { tfs_sh_puts("fault\n"); tfs_sh_exit(0); }
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top__, Reset_Handler, Fault, Fault, Fault, Fault, Fault, 0, 0, 0, 0,
    Fault, Fault, 0, Fault, SysTick_Handler};
int main(void) {
  static uint32_t ticks;
  tfs_counter_start();
  register uint32_t n __asm__("r0") = 250000; /* two instructions per iteration */
  __asm__ volatile(".syntax unified\n1: subs %0, %0, #1\n\tbne 1b" : "+l"(n));
  ticks = tfs_counter_stop();
  int32_t h = tfs_sh_open("ticks.bin", TFS_SH_MODE_WB);
  tfs_sh_write(h, &ticks, 4);
  tfs_sh_close(h);
  return 0;
}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_board_clock_is_what_systick_counts(target, tmp_path):
    """A loop of exactly 500,000 instructions: ticks * 10**9 / clock_hz gives it back within a tick
    (checks each board's stored clock: 16 MHz micro:bit, 25 MHz an385/an386/an500, 20 MHz an505, 32 MHz an547)."""
    import subprocess

    from tfsparse.codegen.hostbuild import firmware_root
    from tfsparse.firmware import require_tool

    t = get_target(target)
    runtime = firmware_root() / "runtime"
    (tmp_path / "cal.c").write_text(CALIBRATION_C)
    (tmp_path / "cal.ld").write_text(
        f"MEMORY {{ FLASH (rx) : ORIGIN = {t.flash_origin:#x}, LENGTH = 64K\n RAM (rwx) : ORIGIN = {t.ram_origin:#x}, "
        "LENGTH = 8K }\nENTRY(Reset_Handler)\nSECTIONS { .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH\n"
        " .data : { *(.data*) } > RAM AT > FLASH\n .bss : { *(.bss*) *(COMMON) } > RAM\n"
        " .stack (NOLOAD) : ALIGN(8) { . = . + 1024; __stack_top__ = .; } > RAM\n end = .; }\n")
    subprocess.run([require_tool("arm-none-eabi-gcc"), "-O2", *t.cpu_flags, "-nostartfiles", "--specs=nano.specs",
                    "--specs=nosys.specs", f"-I{runtime}", "-T", "cal.ld", "cal.c", str(runtime / "tfs_semihost.c"),
                    str(runtime / "tfs_counter.c"), "-o", "cal.elf"], cwd=tmp_path, check=True)
    subprocess.run([require_tool("qemu-system-arm"), "-M", t.qemu_machine, "-nographic", "-monitor", "none", "-serial",
                    "none", "-semihosting-config", "enable=on,target=native", "-icount", "shift=0,align=off,sleep=off",
                    "-kernel", "cal.elf"], cwd=tmp_path, check=True, timeout=60, capture_output=True)
    ticks = int(np.frombuffer((tmp_path / "ticks.bin").read_bytes(), "<u4")[0])
    assert abs(ticks * 1e9 / t.clock_hz - 500_000) <= t.instructions_per_tick, (target, ticks)


@pytest.mark.slow
def test_parts_run_relinked_on_their_board(every_encoding_model, random_inputs, tmp_path):
    """An STM32H743 image links at 0x08000000; run() relinks it at an500's addresses, bit-exact, with the
    same instruction count as the cortex-m7 board; the DWT counter reads 0 on QEMU and a warning says so."""
    expected = every_encoding_model.predict(random_inputs[:10])
    board = tfsparse.run(tfsparse.generate(every_encoding_model, tmp_path / "m7", target="cortex-m7"), random_inputs[:10])
    part = tfsparse.run(tfsparse.generate(every_encoding_model, tmp_path / "h7", target="stm32h743"), random_inputs[:10])
    assert part.elf.name == "fw_qemu.elf" and np.array_equal(part.outputs, expected)
    assert np.abs(part.instructions - board.instructions).max() <= 0.02 * board.instructions.max()
    dwt = get_target("stm32h743").replace(name="h7-dwt", counter="dwt")
    with pytest.warns(UserWarning, match="QEMU 7.2 does not model the DWT"):
        r = tfsparse.run(tfsparse.generate(every_encoding_model, tmp_path / "dwt", target=dwt), random_inputs[:10])
    assert np.array_equal(r.outputs, expected) and not r.ticks.any()


@pytest.mark.slow
@pytest.mark.parametrize("target,kernel", (("cortex-m0", "portable"), ("cortex-m3", "portable"),
                                           ("cortex-m55", "helium")))
def test_digits_mlp_every_encoding(target, kernel, digits_int8, digits_tflm, tmp_path):
    """The digits MLP with each encoding forced on every layer (blk8 and csc8 included), 100 test digits,
    equal to the TFLM interpreter byte for byte. One kernel per core: the other kernels run every encoding
    of the random models above; helium falls back to the DSP kernel for the encodings it does not vectorise."""
    from tfsparse.converter.ir import ENCODINGS

    path, xq, _ = digits_int8
    for encoding in ENCODINGS:
        sparse = tfsparse.convert(path, encoding=encoding)
        project = tfsparse.generate(sparse, tmp_path / encoding, target=target)
        r = tfsparse.run(project, xq[:100], kernel_impl=kernel)
        mismatches = int((r.outputs != digits_tflm[:100]).sum())
        assert mismatches == 0, f"{target}/{encoding}/{kernel}: {mismatches} outputs differ from TFLM"


@pytest.mark.slow
@pytest.mark.parametrize("target", ("cortex-m4", "cortex-m7", "cortex-m33"))
def test_assembly_runs_of_every_length_bit_exact(target, tmp_path):
    """The Cortex-M kernel's assembly loops (csc8 with one and two row blocks, blk8 with one and two column
    blocks) on dense-ish layers: runs of 0 to over 64 entries (the out-of-line excess loop), columns at the
    zero point alone and in whole words, a column count that is not a multiple of 4."""
    sizes, encodings = (302, 400, 150, 100, 10), ("csc8", "blk8", "csc8", "blk8")
    model = random_fc_model(sizes, encodings, density=0.7, seed=5, name="asm_runs")
    x = np.random.default_rng(6).integers(-128, 128, size=(40, sizes[0])).astype(np.int8)
    x[np.random.default_rng(7).random(x.shape) < 0.5] = -128
    x[:, 8:16] = -128  # two whole words at the zero point
    x[0] = -128  # every column skipped
    r = tfsparse.run(tfsparse.generate(model, tmp_path / target, target=target), x, kernel_impl="cortex-m")
    expected = model.predict(x)
    assert int((r.outputs != expected).sum()) == 0


def _rel4_paths(weights) -> dict:
    """How often each path of the Cortex-M rel4 assembly runs on these rel4 weights: rows starting on a
    high nibble, whole words without / with one / with several escapes, last partial words with and
    without an escape, and whether the array's last row ends in a partial word (read byte by byte)."""
    rp = weights.row_ptr.astype(np.int64)
    packed = np.asarray(weights.indices, np.uint8)
    gaps = np.stack([packed & 15, packed >> 4], axis=1).reshape(-1)
    seen = dict(empty=0, odd_start=0, clean=0, one_escape=0, escapes=0, tail=0, tail_escape=0, short=0,
                one_escape_at=set())
    for start, end in zip(rp[:-1], rp[1:]):
        seen["empty"] += int(end == start)
        seen["short"] += int(0 < end - start < 8)
        e = start + (start & 1 and end > start)
        seen["odd_start"] += int(e != start)
        for k in range((end - e) // 8):
            word = gaps[e + 8 * k:e + 8 * k + 8] == 15
            n = int(word.sum())
            seen["clean" if n == 0 else "one_escape" if n == 1 else "escapes"] += 1
            if n == 1:
                seen["one_escape_at"].add(int(word.argmax()))
        tail = gaps[end - (end - e) % 8:end]
        seen["tail"] += int(len(tail) > 0)
        seen["tail_escape"] += int((tail == 15).any())
    seen["last_row_tail"] = int((rp[-1] - rp[-2]) % 8 != 0)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("target", ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"))
def test_rel4_assembly_paths_bit_exact(target, tmp_path):
    """The Cortex-M rel4 assembly (DSP cores): rows of every length 0..9 and long ones, starting on either
    nibble, whole words with no escape, one escape at every position, several escapes, last partial
    words with and without escapes, and the array's last row ending in a partial word (byte reads)."""
    import dataclasses

    from tfsparse.converter import csr

    rng = np.random.default_rng(21)
    sizes = (300, 96, 40, 10)
    model = random_fc_model(sizes, ("rel4", "rel4", "rel4"), density=0.2, seed=22, name="rel4_paths")
    ops = list(model.ops)
    for k, (cols, rows) in enumerate(zip(sizes[:2], sizes[1:3])):
        w = rng.integers(-127, 128, (rows, cols)).astype(np.int8)
        w[w == 0] = 1
        density = rng.choice([0.01, 0.04, 0.08, 0.15, 0.3, 0.7, 1.0], size=rows)
        keep = rng.random((rows, cols)) < density[:, None]
        for r in range(min(rows, 10)):  # rows of 0..9 entries
            keep[r] = False
            keep[r, np.sort(rng.choice(cols, r, replace=False))] = True
        keep[-1] = False
        keep[-1, [3, 40, cols - 1]] = True  # the last row: three entries, with escapes, ending in a partial word
        ops[k] = dataclasses.replace(ops[k], weights=csr.encode(np.where(keep, w, 0).astype(np.int8), "rel4"))
    model = dataclasses.replace(model, ops=ops)
    seen = [_rel4_paths(op.weights) for op in model.ops[:2]]
    for key in ("empty", "short", "odd_start", "clean", "one_escape", "escapes", "tail", "tail_escape", "last_row_tail"):
        assert sum(s[key] for s in seen) > 0, (key, seen)
    assert set().union(*(s["one_escape_at"] for s in seen)) == set(range(8)), seen
    x = rng.integers(-128, 128, size=(30, sizes[0])).astype(np.int8)
    r = tfsparse.run(tfsparse.generate(model, tmp_path / target, target=target), x, kernel_impl="cortex-m")
    assert int((r.outputs != model.predict(x)).sum()) == 0
