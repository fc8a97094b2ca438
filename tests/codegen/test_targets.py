"""Targets as data: boards and parts, the user's own part, memory maps in the linker scripts, the
code allowance that the size check and tfsparse.plan use (re-measured on every core)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen import project
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.context import build_context
from tfsparse.codegen.targets import BOARDS, CORES, PARTS, TARGETS, KiB, MemoryRegion, MiB, Target, get_target
from tfsparse.errors import FirmwareError


def test_board_table():
    expect = {"cortex-m0": ("microbit", 0x0, 256 * KiB, 0x20000000, 16 * KiB, 16_000_000, "portable"),
              "cortex-m3": ("mps2-an385", 0x0, 4 * MiB, 0x20000000, 4 * MiB, 25_000_000, "portable"),
              "cortex-m4": ("mps2-an386", 0x0, 4 * MiB, 0x20000000, 4 * MiB, 25_000_000, "cortex-m"),
              "cortex-m7": ("mps2-an500", 0x0, 4 * MiB, 0x20000000, 4 * MiB, 25_000_000, "cortex-m"),
              "cortex-m33": ("mps2-an505", 0x10000000, 4 * MiB, 0x38000000, 4 * MiB, 20_000_000, "cortex-m"),
              "cortex-m55": ("mps3-an547", 0x0, 512 * KiB, 0x20000000, 512 * KiB, 32_000_000, "helium")}
    for name, row in expect.items():
        t = get_target(name)
        assert (t.qemu_machine, t.flash_origin, t.flash_size, t.ram_origin, t.ram_size, t.clock_hz, t.kernel_impl) == row
    assert get_target("cortex-m0").instructions_per_tick == 62.5
    assert get_target("cortex-m55").instructions_per_tick == 31.25
    assert get_target("cortex-m0").kernels == ("portable",)  # ARMv6-M: no unaligned loads, no DSP
    # Helium is the M55's default; the DSP and portable kernels stay selectable.
    assert get_target("cortex-m55").kernels == ("portable", "cortex-m", "helium")
    assert get_target("cortex-m55").replace(kernel_impl="cortex-m").kernel_impl == "cortex-m"
    # The micro:bit's 16 KiB: a small stack and output buffer (the measured high-water mark is ~260 B).
    assert get_target("cortex-m0").stack_size == 1 * KiB and get_target("cortex-m0").io_buffer == 512


def test_parts_table_from_datasheets():
    rows = {name: (t.core, t.flash.origin, t.flash.size, [(r.origin, r.size) for r in t.ram], t.clock_hz,
                   t.qemu_machine) for name, t in PARTS.items()}
    assert rows == {
        "nrf52840": ("cortex-m4", 0x0, 1 * MiB, [(0x20000000, 256 * KiB)], 64_000_000, "mps2-an386"),
        "stm32f746": ("cortex-m7", 0x08000000, 1 * MiB, [(0x20000000, 320 * KiB)], 216_000_000, "mps2-an500"),
        "stm32l476": ("cortex-m4", 0x08000000, 1 * MiB, [(0x20000000, 96 * KiB), (0x10000000, 32 * KiB)],
                      80_000_000, "mps2-an386"),
        "stm32h743": ("cortex-m7", 0x08000000, 2 * MiB, [(0x20000000, 128 * KiB), (0x24000000, 512 * KiB)],
                      480_000_000, "mps2-an500"),
        "stm32u585": ("cortex-m33", 0x08000000, 2 * MiB, [(0x20000000, 768 * KiB)], 160_000_000, "mps2-an505"),
    }
    assert tfsparse.get_target("stm32h743") is PARTS["stm32h743"]


def test_own_part_defaults_and_errors():
    part = tfsparse.Target("my-l432", core="cortex-m4", flash=tfsparse.MemoryRegion("FLASH", 0x08000000, 256 * KiB),
                           ram=tfsparse.MemoryRegion("RAM", 0x20000000, 48 * KiB), clock_hz=80_000_000)
    assert part.qemu_machine == "mps2-an386" and part.kernel_impl == "cortex-m" and "-mcpu=cortex-m4" in part.cpu_flags
    assert part.stack_size == 1 * KiB and part.ram == (MemoryRegion("RAM", 0x20000000, 48 * KiB),)
    em = part.emulated()
    assert (em.flash.origin, em.flash.size, em.ram[0].origin, em.ram[0].size) == (0x0, 256 * KiB, 0x20000000, 48 * KiB)
    assert part.replace(ram_size=8 * KiB).ram_size == 8 * KiB
    m23 = part.replace(name="m23", core="cortex-m23")
    assert m23.qemu_machine is None and m23.kernel_impl == "portable"
    with pytest.raises(ValueError, match="QEMU 7.2 emulates no cortex-m23"):
        m23.emulated()
    with pytest.raises(ValueError, match=r"unknown core 'cortex-m99'; known cores: .*cortex-m0"):
        Target("x", "cortex-m99", MemoryRegion("FLASH", 0, KiB), MemoryRegion("RAM", 0x20000000, KiB), 1)
    with pytest.raises(ValueError, match="cortex-m0 has no DWT cycle counter"):
        get_target("cortex-m0").replace(counter="dwt")
    with pytest.raises(ValueError, match="kernel_impl must be one of .'portable',. on cortex-m0"):
        get_target("cortex-m0").replace(kernel_impl="cortex-m")
    with pytest.raises(ValueError, match="memory region names must differ"):
        part.replace(ram=(MemoryRegion("FLASH", 0x20000000, KiB),))
    big = part.replace(name="big", flash_size=8 * MiB)
    with pytest.raises(ValueError, match="larger than the 4194304 bytes mps2-an386 maps"):
        big.emulated()
    with pytest.raises(ValueError, match=r"unknown target 'cortex-m0plus2'.*parts: nrf52840"):
        get_target("cortex-m0plus2")


def test_cli_lists_targets(capsys):
    from tfsparse.cli import main

    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    for name in (*TARGETS, *PARTS):
        assert re.search(rf"^  {re.escape(name)} ", out, re.M), name
    assert "QEMU microbit" in out and "SRAM2 32 KiB @ 0x10000000" in out and "16 MHz" in out


def _symbol(elf, name):
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(rf"^([0-9a-f]+) \w {name}$", out, re.M).group(1), 16)


def test_part_links_for_its_own_map_and_relinks_for_qemu(tmp_path):
    model = random_fc_model((32, 16, 4), ("rel8", "dense"), density=0.3)
    out = tfsparse.generate(model, tmp_path / "h7", target="stm32h743")
    ld = (out / "linker.ld").read_text()
    assert "FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 2097152" in ld
    assert "DTCM (rwx) : ORIGIN = 0x20000000, LENGTH = 131072" in ld and "AXI_SRAM (rwx) : ORIGIN = 0x24000000" in ld
    qemu_ld = (out / "linker_qemu.ld").read_text()
    assert "FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 2097152" in qemu_ld and "AXI_SRAM" not in qemu_ld
    built = tfsparse.build(out)
    assert _symbol(built.elf, "vectors") == 0x08000000  # flashable: the vector table at the flash origin
    assert _symbol(built.elf, "__stack_top__") < 0x20000000 + 128 * KiB
    # A board target runs the image it links: no second link.
    assert not (tfsparse.generate(model, tmp_path / "m7", target="cortex-m7") / "linker_qemu.ld").exists()


def test_part_without_board_builds_and_run_says_why(tmp_path):
    model = random_fc_model((32, 16, 4), ("rel8", "dense"), density=0.3)
    part = Target("m23-part", "cortex-m23", MemoryRegion("FLASH", 0x0, 128 * KiB),
                  MemoryRegion("RAM", 0x20000000, 32 * KiB), 48_000_000)
    out = tfsparse.generate(model, tmp_path / "m23", target=part)
    assert tfsparse.build(out).flash > 0
    with pytest.raises(FirmwareError, match="cortex-m23 that no QEMU 7.2 board emulates.*builds and is size-checked"):
        tfsparse.run(out, np.zeros((1, 32), np.int8))
    assert "QEMU 7.2 has no board with a cortex-m23" in (out / "Makefile").read_text()


def test_dense_model_misses_by_bytes_on_small_part(tmp_path):
    model = random_fc_model((784, 300, 100, 10), ("dense", "dense", "dense"), density=1.0)
    with pytest.raises(FirmwareError) as err:
        tfsparse.generate(model, tmp_path, target="cortex-m0")
    flash_need = build_context(model, get_target("cortex-m0")).flash_constants + project.code_allowance(
        get_target("cortex-m0"), n_ops=3, fc_encodings={"dense"})
    assert f"over by {flash_need - 256 * KiB} bytes" in str(err.value)
    assert "tfsparse.plan" in str(err.value)


@pytest.mark.slow
def test_code_allowance_bounds_the_real_code(tmp_path):
    """The allowance is an upper bound of text + data - constants on every emulated core and kernel (an
    8-op model: the per-op part), and not more than 2 KiB above the code of a 2-op model on M0 and M4
    (else plans waste flash)."""
    two = random_fc_model((16, 8, 4), ("dense", "dense"), name="two_ops")
    eight = random_fc_model((200, 301, 257, 63, 47, 33, 10), ("abs_u8", "rel8", "abs_u16", "abs_u32", "dense", "rel4"),
                            density=0.15, seed=11, softmax=True, reshape_input=(1, 10, 20), name="eight_ops")
    for core in sorted({t.core for t in TARGETS.values()}):
        spec = CORES[core]
        target = Target(f"t-{core}", core, MemoryRegion("FLASH", 0, 4 * MiB), MemoryRegion("RAM", 0x20000000, 4 * MiB), 1)
        for kernel in spec.kernels:
            for model in [eight] + ([two] if kernel == spec.default_kernel and core in ("cortex-m0", "cortex-m4") else []):
                out = tfsparse.generate(model, tmp_path / f"{core}_{kernel}_{model.name}", target=target)
                built = tfsparse.build(out, kernel_impl=kernel)
                ctx = build_context(model, target)
                code = built.flash - ctx.flash_constants
                encodings = {op.weights.encoding for op in model.ops if op.kind == "FULLY_CONNECTED"}
                allowance = project.code_allowance(target, kernel, n_ops=len(model.ops), fc_encodings=encodings)
                assert code <= allowance <= code + 2 * KiB, (core, kernel, model.name, code, allowance)
                assert built.ram <= ctx.arena_size + project.ram_allowance(target), (core, built.ram)
    assert set(BOARDS) == {t.qemu_machine for t in TARGETS.values()}
