"""Build a generated firmware project and run it on QEMU: ``tfsparse.build``, ``tfsparse.run``.

The firmware reads its inputs from a semihosting file, runs one inference per vector and writes the
outputs and a SysTick count per inference. QEMU runs with ``-icount shift=0`` (one nanosecond of
virtual time per instruction) and SysTick counts the board's clock (25 MHz on the MPS2 boards, 20 MHz
on an505, 32 MHz on an547, 16 MHz on the micro:bit), so ``RunResult.instructions`` is
ticks * 10**9 / clock_hz (40, 50, 31.25 or 62.5 instructions per tick), deterministic, exact to within
one tick, and counts the inference only (not the I/O). A part (e.g. ``"stm32h743"``) runs as
``fw_qemu.elf``, its code relinked at the emulating board's addresses.

Example:
    >>> out = tfsparse.generate(sparse_model, "build/fw")          # doctest: +SKIP
    >>> result = tfsparse.run(out, x_test_int8[:100])               # doctest: +SKIP
    >>> result.outputs.shape, int(result.instructions.mean())       # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import warnings
from typing import Optional, Sequence

import numpy as np

from .codegen.journal import recover
from .errors import FirmwareError

__all__ = ["RunResult", "BuildResult", "build", "run", "size", "require_tool", "dither_cflags", "dither_period"]


def dither_period(instructions_per_tick: float) -> int:
    """Instructions after which SysTick's phase repeats: the smallest whole multiple of a tick
    (40 on the 25 MHz boards, 125 for 31.25 or 62.5 instructions per tick)."""
    from fractions import Fraction

    return Fraction(instructions_per_tick).limit_denominator(1000).numerator


def dither_cflags(instructions_per_tick: float) -> str:
    """``extra_cflags`` that make the mean counts exact, per inference and per op, over a multiple of
    :func:`dither_period` inputs (see firmware/runtime/tfs_dither.h)."""
    return f"-DTFS_DITHER_MODULO={dither_period(instructions_per_tick)}u"

INPUT_FILE = "tfs_inputs.bin"
OUTPUT_FILE = "tfs_outputs.bin"

#: Tool -> the Debian package that provides it.
DEBIAN_PACKAGES = {
    "make": "make",
    "arm-none-eabi-gcc": "gcc-arm-none-eabi (and libnewlib-arm-none-eabi)",
    "arm-none-eabi-size": "binutils-arm-none-eabi (comes with gcc-arm-none-eabi)",
    "qemu-system-arm": "qemu-system-arm",
}


@dataclasses.dataclass
class RunResult:
    """What a firmware run on QEMU produced.

    Attributes:
        outputs: int8 array ``(N, *output_shape[1:])``, as ``SparseModel.predict`` returns.
        instructions: int64 ``(N,)``, instructions of each inference (ticks * 10**9 / clock_hz, rounded).
        ticks: int64 ``(N,)``, raw SysTick counts.
        instructions_per_tick: 10**9 / clock_hz: 40 on the 25 MHz MPS2 boards, 62.5 on the micro:bit.
        size: ``arm-none-eabi-size`` of ``fw.elf``: text, data, bss, flash (text + data), ram
            (data + bss, stack included) and the section sizes, in bytes.
        elf: path of the firmware that ran.
        log: QEMU's console output (semihosting messages).
        layer_instructions: int64 ``(N, ops)``, instructions of each op (kernel call) per inference,
            from SysTick read right before and after the call (each exact to within one tick; the
            mean over many inputs is exact when their costs differ). The rest of ``instructions`` is
            the graph's own overhead (a few instructions per op). None for projects generated before
            per-op counting.
        layer_names: the op names of the columns of ``layer_instructions``.
    """

    outputs: np.ndarray
    instructions: np.ndarray
    ticks: np.ndarray
    instructions_per_tick: float
    size: dict
    elf: pathlib.Path
    log: str = ""
    #: Deepest stack use of the run in bytes (the firmware's high-water mark), None if not reported.
    stack_used: Optional[int] = None
    layer_instructions: Optional[np.ndarray] = None
    layer_names: tuple = ()

    def layer_table(self) -> str:
        """Mean and worst instructions per op, as a text table (what ``tfsparse run`` prints)."""
        if self.layer_instructions is None:
            return "(no per-op counts: regenerate the project with this tfsparse)"
        mean = self.layer_instructions.mean(axis=0)
        worst = self.layer_instructions.max(axis=0)
        total = float(self.instructions.mean())
        width = max([len("op"), len("total")] + [len(n) for n in self.layer_names])
        lines = [f"{'op':<{width}}  {'mean instr':>12}  {'max instr':>12}  {'share':>6}"]
        for name, m, w in zip(self.layer_names, mean, worst):
            lines.append(f"{name:<{width}}  {m:>12,.0f}  {w:>12,.0f}  {m / total if total else 0:>6.1%}")
        lines.append(f"{'total':<{width}}  {total:>12,.0f}  {float(self.instructions.max()):>12,.0f}")
        return "\n".join(lines)


@dataclasses.dataclass
class BuildResult:
    """A built firmware: ``elf`` path and its flash / RAM bytes (see :func:`size`)."""

    elf: pathlib.Path
    flash: int
    ram: int
    size: dict


def require_tool(tool: str) -> str:
    """Path of ``tool`` on PATH.

    Raises:
        FirmwareError: the tool is missing; the message names the Debian package that provides it.
    """
    path = shutil.which(tool)
    if path is None:
        package = DEBIAN_PACKAGES.get(tool, tool)
        raise FirmwareError(f"{tool} not found on PATH; install the Debian package {package} "
                            f"(sudo apt-get install {package.split()[0]}), or run 'make setup'")
    return path


def _project(out_dir) -> tuple:
    out = pathlib.Path(out_dir)
    if out.is_dir():
        recover(out)  # finish or undo a generate that died there, so make sees one whole project
    meta_file = out / "project.json"
    if not meta_file.is_file():
        raise FirmwareError(f"{out} is not a tfsparse firmware project (no project.json); create it with "
                            "tfsparse.generate(sparse_model, out_dir)")
    return out, json.loads(meta_file.read_text())


_NOT_LOADED = (".debug", ".comment", ".ARM.attributes")
_STACK_USED = re.compile(r"stack used: (\d+) of \d+ bytes")
_OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def build(out_dir, *, kernel_impl: Optional[str] = None, extra_cflags: str = "", timeout: float = 600,
          elf: str = "fw.elf", counter: Optional[str] = None) -> BuildResult:
    """Build ``fw.elf`` in a project made by :func:`tfsparse.generate` (``make``; no-op when up to date).

    Args:
        out_dir: the project directory.
        kernel_impl: ``"portable"`` or ``"cortex-m"`` (default: the target's).
        extra_cflags: more compiler flags (the Makefile's EXTRA_CFLAGS).
        timeout: seconds before the build is abandoned.
        elf: ``"fw.elf"`` (linked for the target's memory map, what you flash) or ``"fw_qemu.elf"``
            (a part's code at its QEMU board's addresses).
        counter: ``"systick"`` or ``"dwt"`` (default: the target's; see :data:`~tfsparse.codegen.targets.COUNTERS`).

    Returns:
        A :class:`BuildResult`: ``elf`` (path of ``fw.elf``), ``flash`` and ``ram`` bytes, ``size``.

    Raises:
        FirmwareError: missing toolchain (names the Debian package), a model that overflows flash or
            RAM (region and bytes), or any failing build (compiler output and exit code).

    Example:
        >>> tfsparse.build("build/fw").flash   # doctest: +SKIP
        31544
    """
    out, _ = _project(out_dir)
    require_tool("make")
    require_tool("arm-none-eabi-gcc")
    cmd = ["make", "-C", str(out), "--no-print-directory", elf]
    if kernel_impl:
        cmd.append(f"KERNEL_IMPL={kernel_impl}")
    if counter:
        cmd.append(f"COUNTER={counter}")
    if extra_cflags:
        cmd.append(f"EXTRA_CFLAGS={extra_cflags}")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise FirmwareError(f"building {out} took more than {timeout} s", command=cmd, returncode=None,
                            output=(exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes)
                            else (exc.stdout or "")) from None
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        overflow = _OVERFLOW.findall(output)
        if overflow:
            what = "; ".join(f"{region} overflowed by {n} bytes" for region, n in overflow)
            raise FirmwareError(f"the firmware in {out} does not fit its target: {what}. Prune further, choose "
                                "a smaller encoding, or pick a target with more memory",
                                command=cmd, returncode=proc.returncode, output=output)
        raise FirmwareError(f"building the firmware in {out} failed", command=cmd, returncode=proc.returncode,
                            output=output)
    sizes = size(out, elf=elf)
    return BuildResult(elf=out / elf, flash=sizes["flash"], ram=sizes["ram"], size=sizes)


def size(out_dir, *, elf: str = "fw.elf") -> dict:
    """``arm-none-eabi-size`` of the project's ``fw.elf`` (build it first).

    Returns:
        ``{"text", "data", "bss", "flash", "ram", "sections": {name: bytes}}``; flash = text + data,
        ram = data + bss (the reserved stack is part of bss).

    Raises:
        FirmwareError: no ``fw.elf`` yet, or the size tool is missing or fails.
    """
    elf = pathlib.Path(out_dir) / elf
    if not elf.is_file():
        raise FirmwareError(f"{elf} does not exist; build it with tfsparse.build({str(out_dir)!r})")
    tool = require_tool("arm-none-eabi-size")
    cmd = [tool, "-A", "-d", str(elf)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FirmwareError(f"cannot read the size of {elf}", command=cmd, returncode=proc.returncode,
                            output=proc.stdout + proc.stderr)
    sections = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and not parts[0].startswith(_NOT_LOADED):
            sections[parts[0]] = int(parts[1])
    berkeley = subprocess.run([tool, str(elf)], capture_output=True, text=True, check=False).stdout.splitlines()
    text, data, bss = (int(v) for v in berkeley[1].split()[:3])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss, "sections": sections}


def run(out_dir, inputs, *, kernel_impl: Optional[str] = None, extra_cflags: str = "",
        timeout: float = 1800, counter: Optional[str] = None, qemu_args: Sequence[str] = ()) -> RunResult:
    """Build (when needed) and run the firmware on QEMU for every input vector.

    Args:
        out_dir: a project made by :func:`tfsparse.generate`.
        inputs: int8 array of shape ``(N, *input_shape[1:])`` (quantized like the model's input).
        kernel_impl: ``"portable"`` or ``"cortex-m"`` (default: the target's).
        extra_cflags: more compiler flags, e.g. ``-DTFS_HOOKS_HEADER='"my_hooks.h"'``.
        timeout: seconds before QEMU is stopped.
        counter: ``"systick"`` (default) or ``"dwt"``. QEMU 7.2 does not model the DWT: with ``"dwt"``
            every count reads 0 (a warning says so); the option is for firmware you flash.
        qemu_args: more QEMU arguments, e.g. ``("-plugin", "counts.so,out=/tmp/c.txt")``.

    Returns:
        A :class:`RunResult` with ``outputs`` int8 ``(N, *output_shape[1:])`` and ``instructions``
        int64 ``(N,)``.

    Raises:
        ValueError: ``inputs`` has the wrong dtype or shape (the message gives the expected ones).
        FirmwareError: missing toolchain or QEMU (names the Debian package), failing build or run
            (tool output and exit code), or a target whose core no QEMU board emulates.

    Example:
        >>> r = tfsparse.run("build/fw", x_int8[:10])   # doctest: +SKIP
        >>> r.outputs.shape, r.instructions.dtype       # doctest: +SKIP
        ((10, 10), dtype('int64'))
    """
    out, meta = _project(out_dir)
    x = np.asarray(inputs)
    per_item = tuple(meta["input_shape"][1:])
    if x.dtype != np.int8:
        raise ValueError(f"inputs must be int8 (quantized with the model's input scale and zero point), got {x.dtype}")
    if x.ndim != len(per_item) + 1 or tuple(x.shape[1:]) != per_item:
        raise ValueError(f"inputs must have shape (N, {', '.join(map(str, per_item))}) for model "
                         f"{meta['model']!r}, got {tuple(x.shape)}")
    if not meta.get("qemu_machine"):
        raise FirmwareError(f"target {meta['target']!r} has a {meta.get('core', 'core')} that no QEMU 7.2 board "
                            f"emulates: its firmware in {out} builds and is size-checked (tfsparse.build), but cannot "
                            "run here; pick a target with the same core family to measure it on QEMU")
    counter = counter or meta.get("counter", "systick")
    if counter == "dwt":
        warnings.warn("counter='dwt': QEMU 7.2 does not model the DWT, so CYCCNT reads 0 and every instruction "
                      "count of this run is 0; use counter='systick' on QEMU and 'dwt' on silicon", stacklevel=2)
    built = build(out, kernel_impl=kernel_impl, extra_cflags=extra_cflags, elf=meta.get("qemu_elf", "fw.elf"),
                  counter=counter)
    elf = built.elf
    qemu = require_tool("qemu-system-arm")
    n = x.shape[0]
    out_bytes = int(meta["output_bytes"])
    with tempfile.TemporaryDirectory(prefix="tfsparse-run-") as tmp:
        work = pathlib.Path(tmp)
        (work / INPUT_FILE).write_bytes(np.ascontiguousarray(x).tobytes())
        cmd = [qemu, "-M", meta["qemu_machine"], "-nographic", "-monitor", "none", "-serial", "none",
               "-semihosting-config", "enable=on,target=native", "-icount", "shift=0,align=off,sleep=off",
               "-kernel", str(elf.resolve()), *qemu_args]
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "QEMU_AUDIO_DRV": "none"})
        except subprocess.TimeoutExpired:
            raise FirmwareError(f"QEMU did not finish within {timeout} s for {n} inputs", command=cmd,
                                returncode=None) from None
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise FirmwareError(f"the firmware {elf} failed on QEMU", command=cmd, returncode=proc.returncode,
                                output=log)
        raw = (work / OUTPUT_FILE).read_bytes() if (work / OUTPUT_FILE).exists() else b""
    op_names = tuple(meta.get("ops", ()))
    record = out_bytes + 4 + 4 * len(op_names)
    if len(raw) != n * record:
        raise FirmwareError(f"the firmware wrote {len(raw)} bytes of results, expected {n * record} for {n} inputs",
                            command=cmd, returncode=proc.returncode, output=log)
    table = np.frombuffer(raw, dtype=np.uint8).reshape(n, record)
    outputs = table[:, :out_bytes].copy().view(np.int8).reshape((n, *meta["output_shape"][1:]))
    counts = table[:, out_bytes:].copy().view("<u4").reshape(n, 1 + len(op_names)).astype(np.int64)
    ticks = counts[:, 0]
    clock_hz = int(meta.get("clock_hz") or 25_000_000)
    to_instructions = lambda t: (t * 1_000_000_000 + clock_hz // 2) // clock_hz  # ticks * 10**9 / clock, rounded
    stack = _STACK_USED.search(log)
    return RunResult(outputs=outputs, instructions=to_instructions(ticks), ticks=ticks,
                     instructions_per_tick=1e9 / clock_hz, size=built.size, elf=elf, log=log,
                     stack_used=int(stack.group(1)) if stack else None,
                     layer_instructions=to_instructions(counts[:, 1:]) if "ops" in meta else None,
                     layer_names=op_names)
