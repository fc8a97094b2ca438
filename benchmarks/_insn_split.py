"""Measured split of a layer's instructions into MAC loop and requantization (benchmarks/cnn.py).

Method: QEMU runs the firmware (``-icount shift=0``) with a TCG plugin (``_pc_count_plugin.c``, built
here with the host gcc) that counts executed instructions per guest PC between two addresses: the
labels ``_only_op_hooks.h`` puts right after TFS_BEFORE_OP(k) and right before TFS_AFTER_OP(k), i.e.
exactly the layer's own instructions (its two SysTick stamps, the kernel call and everything the
kernel runs). Each counted PC is then classified:

- requantization: the PC lies in a range the Cortex-M kernels' assembly marks with TFS_RQ_BEGIN /
  TFS_RQ_END (tfs_cm_dsp.h; the ranges sit in the non-allocated ELF section ``.debug_tfs_requant``), or
  DWARF (``addr2line -i``: every inlined frame of the PC) attributes it to one of
  :data:`REQUANT_FUNCTIONS`, the C helpers that turn an int32 accumulator into a stored int8 (multiply,
  shift, zero point, clamp, store; the bias is the accumulator's start value, so it is MAC-loop work);
- MAC loop: every other counted instruction (gathers, im2col, column expansion, pointer walking,
  loop control, the per-layer setup and the call itself).

Known edge: where a C body stores the helper's result itself (fully_connected.c's dense and csc8
bodies: ``out[r] = tfs_cm_requantize_row(...)``), that one STRB per output counts as MAC loop.

So the two parts sum to the layer's count by construction; cnn.py checks that count against the
SysTick per-op count of the same run, and tests/firmware/test_insn_split_qemu.py checks the plugin
against QEMU's instruction clock exactly (dithered SysTick) and the requantization count against
the disassembly of the marked ranges.
"""

from __future__ import annotations

import dataclasses
import pathlib
import struct
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
PLUGIN_SOURCE = HERE / "_pc_count_plugin.c"
HOOKS = HERE / "_only_op_hooks.h"
SYST_CVR = 0xE000E018  # SysTick current value: every per-op stamp and the inference counter load it

#: C functions (after inlining, any frame of a PC's DWARF inline chain) whose instructions are
#: requantization: firmware/kernels/cortex_m/{conv_2d,fully_connected,depthwise_conv_2d}.c and tfs_cm_dsp.h.
REQUANT_FUNCTIONS = frozenset({
    # tfs_cm_dsp.h
    "tfs_cmd_mbqm", "tfs_cmd_mbqm_right", "tfs_cmd_rq_d", "tfs_cmd_requantize", "tfs_cmd_qadd",
    "tfs_cmd_high_word", "tfs_cmd_ssat8_half",
    # conv_2d.c
    "requantize_channel", "conv_fast1", "conv_store4", "conv_store4_slow", "conv_store4_call",
    # fully_connected.c
    "tfs_cm_high_word", "tfs_cm_scaled2", "tfs_cm_output", "tfs_cm_requantize_row", "tfs_cm_requantize_loop",
    "tfs_cm_requantize_rows",
    # depthwise_conv_2d.c
    "rq_fast", "rq_any", "tfs_dw_smmlar", "tfs_dw_ssat8",
})


def build_plugin(directory) -> pathlib.Path:
    """Compile the counting plugin into ``directory`` (host gcc); returns the ``.so`` path."""
    so = pathlib.Path(directory) / "pc_count.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(so),
                    str(PLUGIN_SOURCE)], check=True, capture_output=True, text=True)
    return so


def elf_section(elf, name: str) -> bytes:
    """Contents of section ``name`` of a little-endian ELF32 file (b"" when absent)."""
    data = pathlib.Path(elf).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1:
        raise ValueError(f"{elf}: not an ELF32 file")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    names_off = headers[shstrndx][4]
    for h in headers:
        end = data.index(b"\0", names_off + h[0])
        if data[names_off + h[0]:end].decode() == name:
            return data[h[4]:h[4] + h[5]]
    return b""


def _words(blob: bytes):
    return struct.unpack(f"<{len(blob) // 4}I", blob)


def hook_windows(elf) -> dict:
    """``{op index: (address after TFS_BEFORE_OP, address before TFS_AFTER_OP)}`` from ``.debug_tfs_bench_hooks``."""
    w = _words(elf_section(elf, ".debug_tfs_bench_hooks"))
    found = {}
    for i in range(0, len(w), 3):
        found.setdefault(w[i + 1], [None, None])[w[i + 2]] = w[i] & ~1
    return {k: tuple(v) for k, v in found.items()}


def requant_ranges(elf) -> list:
    """``[(start, end), ...]`` of the TFS_RQ_BEGIN/END ranges that were linked (discarded code reads 0)."""
    w = _words(elf_section(elf, ".debug_tfs_requant"))
    return sorted({(w[i] & ~1, w[i + 1] & ~1) for i in range(0, len(w), 2) if w[i] and w[i + 1]})


@dataclasses.dataclass
class PcCounts:
    total: int  # every instruction QEMU executed
    window: int  # inside the window
    opened: int  # times the window opened
    reads: tuple  # running totals at each load from the watched address
    counts: dict  # {pc: executions inside the window}


def parse_counts(path) -> PcCounts:
    lines = pathlib.Path(path).read_text().splitlines()
    head = {line.split()[0]: line.split()[1:] for line in lines[:4]}
    counts = {int(pc, 16): int(n) for pc, n in (line.split() for line in lines[4:])}
    return PcCounts(total=int(head["total"][0]), window=int(head["window"][0]), opened=int(head["opened"][0]),
                    reads=tuple(int(v) for v in head["reads"]), counts=counts)


def plugin_args(so, out, *, start=None, stop=None, watch=None) -> tuple:
    """``qemu_args`` for :func:`tfsparse.run`."""
    spec = [str(so), f"out={out}"]
    spec += [f"start={start:#x}"] if start is not None else []
    spec += [f"stop={stop:#x}"] if stop is not None else []
    spec += [f"watch={watch:#x}"] if watch is not None else []
    return ("-plugin", ",".join(spec))


def inline_chains(elf, pcs) -> dict:
    """``{pc: [function names of its DWARF inline chain, innermost first]}`` (addr2line -a -i -f)."""
    pcs = sorted(pcs)
    if not pcs:
        return {}
    out = subprocess.run(["arm-none-eabi-addr2line", "-e", str(elf), "-a", "-i", "-f"],
                         input="\n".join(f"{pc:#x}" for pc in pcs) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    chains, current, expect_function = {}, None, False
    for line in out:
        if line.startswith("0x") and ":" not in line:  # the address line that starts each record
            current = int(line, 16)
            chains[current] = []
            expect_function = True
        elif expect_function:
            chains[current].append(line.strip())
            expect_function = False
        else:
            expect_function = True  # the file:line that follows each function name
    return chains


def requant_pcs(elf, pcs) -> set:
    """The PCs among ``pcs`` that are requantization (marked assembly or a requantization C helper)."""
    ranges = requant_ranges(elf)
    marked = {pc for pc in pcs if any(a <= pc < b for a, b in ranges)}
    chains = inline_chains(elf, set(pcs) - marked)
    return marked | {pc for pc, chain in chains.items() if REQUANT_FUNCTIONS.intersection(chain)}


def split(elf, counts: PcCounts) -> dict:
    """``{"instructions", "mac_loop", "requant"}`` of one window's per-PC counts."""
    rq = requant_pcs(elf, counts.counts)
    requant = sum(n for pc, n in counts.counts.items() if pc in rq)
    total = sum(counts.counts.values())
    assert total == counts.window, (total, counts.window)
    return {"instructions": total, "mac_loop": total - requant, "requant": requant}
