"""Firmware targets: a core, a memory map, a clock and the QEMU board that emulates the core.

A target is data, not code: ``templates/Makefile.j2`` and ``templates/linker.ld.j2`` render from it.
Two kinds share the :class:`Target` record:

* **Boards** (``"cortex-m0"`` … ``"cortex-m55"``): the QEMU machines firmware runs on; their memory
  map and clock are QEMU's (:data:`BOARDS`).
* **Parts** (``"nrf52840"``, ``"stm32f746"``, …, or your own ``Target``): a real chip's memory map
  and clock. :func:`tfsparse.generate` links for the part (a flashable image, vector table at the
  flash origin); :func:`tfsparse.run` relinks the same code at the emulating board's addresses with
  the part's sizes as limits, so a model that runs there also fits the part. A part whose core no
  QEMU board emulates builds and size-checks only.

Instruction counts on QEMU: under ``-icount shift=0`` one instruction is one nanosecond of virtual
time, so SysTick (clocked at the board's ``clock_hz``) ticks every ``10**9 / clock_hz``
instructions; ``instructions = ticks * 10**9 / clock_hz``.

Example:
    >>> get_target("cortex-m4").qemu_machine
    'mps2-an386'
    >>> part = Target("my-l432", core="cortex-m4", flash=MemoryRegion("FLASH", 0x08000000, 256 * KiB),
    ...               ram=MemoryRegion("RAM", 0x20000000, 48 * KiB), clock_hz=80_000_000)
    >>> part.qemu_machine, part.kernel_impl
    ('mps2-an386', 'cortex-m')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple, Union

__all__ = ["Target", "MemoryRegion", "Board", "BOARDS", "CORES", "TARGETS", "PARTS", "get_target",
           "KERNEL_IMPLS", "COUNTERS", "KiB", "MiB"]

#: Fully-connected kernel implementations the firmware Makefile can link on every core (KERNEL_IMPL);
#: Cortex-M55 adds "helium" (see CORES).
KERNEL_IMPLS = ("portable", "cortex-m")
#: Inference counters: SysTick (runs on QEMU) or the DWT cycle counter (real chips only; QEMU 7.2
#: does not model DWT, its CYCCNT reads 0 there).
COUNTERS = ("systick", "dwt")

KiB = 1024
MiB = 1024 * KiB
AUTO = "auto"


@dataclass(frozen=True)
class MemoryRegion:
    """A linker MEMORY region: ``name`` (``FLASH``, ``RAM``, ``SRAM2``, ``DTCM``…), ``origin``, ``size`` in bytes."""

    name: str
    origin: int
    size: int

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"memory region name {self.name!r} must be a linker identifier (letters, digits, _)")
        if self.size <= 0 or self.origin < 0 or self.origin + self.size > 1 << 32:
            raise ValueError(f"memory region {self.name}: origin {self.origin:#x} size {self.size} is not a valid "
                             "32-bit address range")


@dataclass(frozen=True)
class Board:
    """A QEMU 7.2 machine: its core, where it maps code and RAM, and its SysTick clock under ``-icount shift=0``."""

    machine: str
    core: str
    flash: MemoryRegion
    ram: MemoryRegion
    clock_hz: int


@dataclass(frozen=True)
class _Core:
    flags: tuple
    kernels: tuple
    default_kernel: str
    board: Optional[str]  # QEMU machine emulating this core, None if QEMU 7.2 has none
    dwt: bool  # has the DWT cycle counter (ARMv7-M and later)


#: GCC flags, kernels and emulating board per core. The cortex-m kernel's DSP paths need the DSP
#: extension (M4, M7, M33, M55); elsewhere it falls back to portable C, and on ARMv6-M (no unaligned
#: loads) only the portable kernel is offered.
CORES = {
    "cortex-m0": _Core(("-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"), ("portable",), "portable", "microbit", False),
    # ARMv6-M like the M0: the same instructions, so QEMU's micro:bit runs (and counts) its code.
    "cortex-m0plus": _Core(("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"), ("portable",), "portable",
                           "microbit", False),
    "cortex-m3": _Core(("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"), KERNEL_IMPLS, "portable", "mps2-an385",
                       True),
    "cortex-m4": _Core(("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), KERNEL_IMPLS,
                       "cortex-m", "mps2-an386", True),
    "cortex-m7": _Core(("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"), KERNEL_IMPLS,
                       "cortex-m", "mps2-an500", True),
    "cortex-m33": _Core(("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"), KERNEL_IMPLS,
                        "cortex-m", "mps2-an505", True),
    # Helium (MVE), the default: the helium kernel vectorises dense and abs_u8/abs_u16 rows and runs the
    # Cortex-M (DSP) kernel where QEMU counts more instructions; KERNEL_IMPL=cortex-m or portable still build.
    "cortex-m55": _Core(("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"), KERNEL_IMPLS + ("helium",), "helium",
                        "mps3-an547", True),
    # No QEMU 7.2 machine has these cores: firmware builds and is size-checked, it cannot run.
    "cortex-m23": _Core(("-mcpu=cortex-m23", "-mthumb", "-mfloat-abi=soft"), ("portable",), "portable", None, False),
    "cortex-m35p": _Core(("-mcpu=cortex-m35p", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"), KERNEL_IMPLS,
                         "cortex-m", None, True),
}


def _region(name, origin, size):
    return MemoryRegion(name, origin, size)


#: QEMU 7.2 machines, measured: a calibrated loop of known instruction count under ``-icount shift=0``
#: gives 40 instructions per SysTick tick on an385/an386/an500 (25 MHz), 50 on an505 (20 MHz), 31.25 on
#: an547 (32 MHz) and 62.5 on the micro:bit (16 MHz; its nRF51 model has the ARMv6-M SysTick and
#: semihosting works as on the MPS boards).
BOARDS = {
    "microbit": Board("microbit", "cortex-m0", _region("FLASH", 0x0, 256 * KiB), _region("RAM", 0x20000000, 16 * KiB),
                      16_000_000),
    "mps2-an385": Board("mps2-an385", "cortex-m3", _region("FLASH", 0x0, 4 * MiB), _region("RAM", 0x20000000, 4 * MiB),
                        25_000_000),
    "mps2-an386": Board("mps2-an386", "cortex-m4", _region("FLASH", 0x0, 4 * MiB), _region("RAM", 0x20000000, 4 * MiB),
                        25_000_000),
    "mps2-an500": Board("mps2-an500", "cortex-m7", _region("FLASH", 0x0, 4 * MiB), _region("RAM", 0x20000000, 4 * MiB),
                        25_000_000),
    # Boots Secure: vector table in the Secure alias of SSRAM1, RAM in the Secure alias of SSRAM2+3.
    "mps2-an505": Board("mps2-an505", "cortex-m33", _region("FLASH", 0x10000000, 4 * MiB),
                        _region("RAM", 0x38000000, 4 * MiB), 20_000_000),
    # ITCM for code, DTCM for data (the 4 MiB SRAM at 0x21000000 is left out of the map).
    "mps3-an547": Board("mps3-an547", "cortex-m55", _region("FLASH", 0x0, 512 * KiB),
                        _region("RAM", 0x20000000, 512 * KiB), 32_000_000),
}

#: Stack reserved at the top of the first RAM region when a target does not say: the runtime's
#: deepest call chain (main -> invoke -> kernel -> requantize, plus semihosting argument blocks) uses
#: well under 1 KiB on every core (measured by the stack high-water mark the firmware reports).
DEFAULT_STACK = {"small": 1 * KiB, "large": 16 * KiB}
#: Bytes of the runtime's output buffer (semihosting writes are batched through it).
DEFAULT_IO_BUFFER = {"small": 512, "large": 4096}
_SMALL_RAM = 64 * KiB


@dataclass(frozen=True)
class Target:
    """A chip or board tfsparse builds firmware for.

    Args:
        name: the name users pass (``"cortex-m4"``, ``"stm32l476"``).
        core: the CPU core, a key of :data:`CORES` (``"cortex-m4"``); it sets the GCC flags, the
            kernels on offer and the QEMU board that emulates it.
        flash: where code and constants live (a :class:`MemoryRegion`).
        ram: RAM regions; the first holds data, bss, the activation arena and the stack. More regions
            (e.g. STM32L476's SRAM2) appear in the linker script's MEMORY for your own sections.
        clock_hz: the core clock of the part (of a board: the SysTick clock QEMU gives it).
        qemu_machine: the QEMU machine that emulates the core; ``"auto"`` (default) picks it from
            :data:`CORES`, ``None`` means none: firmware builds and size-checks but cannot run.
        cpu_flags: GCC machine flags; empty = the core's.
        kernel_impl: default KERNEL_IMPL (``"portable"``, ``"cortex-m"``, or ``"helium"`` on Cortex-M55);
            empty = the core's.
        stack_size: bytes reserved for the stack at the top of the first RAM region (0 = 1 KiB on
            parts with less than 64 KiB of RAM, else 16 KiB).
        io_buffer: bytes of the runtime's output buffer (0 = 512 or 4096 by the same rule).
        counter: ``"systick"`` (default; counts on QEMU) or ``"dwt"`` (the DWT cycle counter of a
            real ARMv7-M/v8-M chip; QEMU 7.2 does not model DWT and its CYCCNT reads 0 there).
        description: one line for ``tfsparse targets`` (e.g. the datasheet it was taken from).
        linker_template: template rendering the linker script from the memory map.
        linker_script: instead, a fixed linker script shipped under ``firmware/``.
        startup: directory under ``firmware/targets/`` with the start-up code.
    """

    name: str
    core: str
    flash: MemoryRegion
    ram: Union[MemoryRegion, Tuple[MemoryRegion, ...]]
    clock_hz: int
    qemu_machine: Optional[str] = AUTO
    cpu_flags: tuple = ()
    kernel_impl: str = ""
    stack_size: int = 0
    io_buffer: int = 0
    counter: str = "systick"
    description: str = ""
    linker_template: str = "linker.ld.j2"
    linker_script: Optional[str] = None
    startup: str = "cortex_m"

    def __post_init__(self):
        if self.core not in CORES:
            raise ValueError(f"target {self.name!r}: unknown core {self.core!r}; known cores: {', '.join(CORES)}")
        core = CORES[self.core]
        ram = (self.ram,) if isinstance(self.ram, MemoryRegion) else tuple(self.ram)
        if not ram:
            raise ValueError(f"target {self.name!r}: give at least one RAM region")
        names = [self.flash.name] + [r.name for r in ram]
        if len(set(names)) != len(names):
            raise ValueError(f"target {self.name!r}: memory region names must differ, got {names}")
        small = ram[0].size < _SMALL_RAM
        machine = core.board if self.qemu_machine == AUTO else self.qemu_machine
        if machine is not None and machine not in BOARDS:
            raise ValueError(f"target {self.name!r}: unknown QEMU machine {machine!r}; tfsparse knows "
                             f"{', '.join(BOARDS)} (or pass qemu_machine=None)")
        set_ = object.__setattr__
        set_(self, "ram", ram)
        set_(self, "qemu_machine", machine)
        set_(self, "cpu_flags", tuple(self.cpu_flags) or core.flags)
        set_(self, "kernel_impl", self.kernel_impl or core.default_kernel)
        set_(self, "stack_size", self.stack_size or DEFAULT_STACK["small" if small else "large"])
        set_(self, "io_buffer", self.io_buffer or DEFAULT_IO_BUFFER["small" if small else "large"])
        if self.kernel_impl not in core.kernels:
            raise ValueError(f"target {self.name!r}: kernel_impl must be one of {core.kernels} on {self.core}, "
                             f"not {self.kernel_impl!r}")
        if self.counter not in COUNTERS:
            raise ValueError(f"target {self.name!r}: counter must be one of {COUNTERS}, not {self.counter!r}")
        if self.counter == "dwt" and not core.dwt:
            raise ValueError(f"target {self.name!r}: {self.core} has no DWT cycle counter; use counter='systick'")

    # -- derived ---------------------------------------------------------------------------------

    @property
    def cpu(self) -> str:
        """GCC's ``-mcpu`` (the core)."""
        return self.core

    @property
    def kernels(self) -> tuple:
        """The KERNEL_IMPL values this core can build."""
        return CORES[self.core].kernels

    @property
    def flash_origin(self) -> int:
        return self.flash.origin

    @property
    def flash_size(self) -> int:
        return self.flash.size

    @property
    def ram_origin(self) -> int:
        return self.ram[0].origin

    @property
    def ram_size(self) -> int:
        """Bytes of the first RAM region (data, arena and stack live there)."""
        return self.ram[0].size

    @property
    def board(self) -> Optional[Board]:
        """The QEMU :class:`Board` that emulates the core, or None."""
        return BOARDS[self.qemu_machine] if self.qemu_machine else None

    @property
    def instructions_per_tick(self) -> Union[int, float, None]:
        """Instructions per SysTick tick on the emulating board under ``-icount shift=0``: an int where the
        clock divides 10**9 (40 on the 25 MHz MPS2 boards), else a float (62.5 on the micro:bit); None: no board."""
        if self.board is None:
            return None
        per_tick = 1e9 / self.board.clock_hz
        return int(per_tick) if per_tick.is_integer() else per_tick

    def emulated(self) -> "Target":
        """This target relinked for its QEMU board: the board's origins, the part's sizes as limits.

        Raises:
            FirmwareError-free ValueError: no board emulates the core, or the part's memory exceeds the board's.
        """
        board = self.board
        if board is None:
            raise ValueError(f"target {self.name!r} ({self.core}) has no QEMU board: QEMU 7.2 emulates no "
                             f"{self.core}; its firmware can be built and size-checked, not run")
        if board.flash.origin == self.flash.origin and board.ram.origin == self.ram[0].origin and len(self.ram) == 1:
            return self
        for mine, theirs in ((self.flash, board.flash), (self.ram[0], board.ram)):
            if mine.size > theirs.size:
                raise ValueError(f"target {self.name!r}: {mine.name} of {mine.size} bytes is larger than the "
                                 f"{theirs.size} bytes {board.machine} maps; it cannot be emulated there")
        return dataclasses.replace(self, flash=dataclasses.replace(board.flash, size=self.flash.size),
                                   ram=(dataclasses.replace(board.ram, name=self.ram[0].name, size=self.ram[0].size),))

    def replace(self, **changes) -> "Target":
        """A copy with ``changes``; ``flash_size``, ``flash_origin``, ``ram_size`` and ``ram_origin`` edit the
        flash region and the first RAM region.

        Example:
            >>> get_target("cortex-m4").replace(name="256k", flash_size=256 * KiB).flash_size
            262144
        """
        flash, ram = self.flash, list(self.ram)
        for key, region_key in (("flash_size", "size"), ("flash_origin", "origin")):
            if key in changes:
                flash = dataclasses.replace(flash, **{region_key: changes.pop(key)})
        for key, region_key in (("ram_size", "size"), ("ram_origin", "origin")):
            if key in changes:
                ram[0] = dataclasses.replace(ram[0], **{region_key: changes.pop(key)})
        changes.setdefault("flash", flash)
        changes.setdefault("ram", tuple(ram))
        if "core" in changes:  # let the new core choose its own defaults
            for key in ("cpu_flags", "kernel_impl"):
                changes.setdefault(key, type(self).__dataclass_fields__[key].default)
            changes.setdefault("qemu_machine", AUTO)
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One line: core, memory and clock (what ``tfsparse targets`` prints)."""
        def size(n):
            return f"{n // MiB} MiB" if n % MiB == 0 else f"{n // KiB} KiB" if n % KiB == 0 else f"{n} B"

        ram = " + ".join(f"{r.name} {size(r.size)} @ {r.origin:#010x}" for r in self.ram)
        qemu = f"QEMU {self.qemu_machine}" if self.qemu_machine else "no QEMU board (build and size check only)"
        return (f"{self.core}, {self.clock_hz / 1e6:g} MHz, flash {size(self.flash.size)} @ {self.flash.origin:#010x}, "
                f"{ram}; {qemu}")


def _board_target(name: str, machine: str, kernel_impl: str = "") -> Target:
    b = BOARDS[machine]
    return Target(name=name, core=b.core, flash=b.flash, ram=(b.ram,), clock_hz=b.clock_hz, qemu_machine=machine,
                  kernel_impl=kernel_impl, description=f"QEMU {machine}")


#: The emulated boards, by core name.
TARGETS = {
    "cortex-m0": _board_target("cortex-m0", "microbit"),
    "cortex-m3": _board_target("cortex-m3", "mps2-an385"),
    "cortex-m4": _board_target("cortex-m4", "mps2-an386"),
    "cortex-m7": _board_target("cortex-m7", "mps2-an500"),
    "cortex-m33": _board_target("cortex-m33", "mps2-an505"),
    "cortex-m55": _board_target("cortex-m55", "mps3-an547"),
}

#: Common parts (memory from each part's datasheet / reference manual, cross-checked against the
#: probe-rs target database and vendor linker scripts; clock = maximum core clock).
PARTS = {
    # nRF52840 Product Specification v1.7, 4.2 Memory: 1 MB flash at 0x0, 256 kB RAM at 0x20000000; 64 MHz.
    "nrf52840": Target("nrf52840", "cortex-m4", MemoryRegion("FLASH", 0x0, 1 * MiB),
                       MemoryRegion("RAM", 0x20000000, 256 * KiB), 64_000_000,
                       description="Nordic nRF52840 (Cortex-M4F, 64 MHz)"),
    # RM0385 2.2.2: 1 MB flash at 0x08000000 (AXIM); 320 KB SRAM = DTCM 64 KB at 0x20000000, contiguous with
    # SRAM1 240 KB and SRAM2 16 KB; 216 MHz.
    "stm32f746": Target("stm32f746", "cortex-m7", MemoryRegion("FLASH", 0x08000000, 1 * MiB),
                        MemoryRegion("RAM", 0x20000000, 320 * KiB), 216_000_000,
                        description="ST STM32F746 (Cortex-M7, 216 MHz)"),
    # RM0351 2.2.2: SRAM1 96 KB at 0x20000000; SRAM2 32 KB at 0x10000000 (also aliased at 0x20018000, so a
    # single 128 KB RAM region works too); 80 MHz.
    "stm32l476": Target("stm32l476", "cortex-m4", MemoryRegion("FLASH", 0x08000000, 1 * MiB),
                        (MemoryRegion("RAM", 0x20000000, 96 * KiB), MemoryRegion("SRAM2", 0x10000000, 32 * KiB)),
                        80_000_000, description="ST STM32L476 (Cortex-M4F, 80 MHz)"),
    # RM0433 2.3.2: 2 MB flash at 0x08000000, DTCM 128 KB at 0x20000000, AXI SRAM 512 KB at 0x24000000; 480 MHz.
    "stm32h743": Target("stm32h743", "cortex-m7", MemoryRegion("FLASH", 0x08000000, 2 * MiB),
                        (MemoryRegion("DTCM", 0x20000000, 128 * KiB), MemoryRegion("AXI_SRAM", 0x24000000, 512 * KiB)),
                        480_000_000, description="ST STM32H743 (Cortex-M7, 480 MHz)"),
    # RM0456: 2 MB flash at 0x08000000; SRAM1 192 KB + SRAM2 64 KB + SRAM3 512 KB contiguous at 0x20000000; 160 MHz.
    "stm32u585": Target("stm32u585", "cortex-m33", MemoryRegion("FLASH", 0x08000000, 2 * MiB),
                        MemoryRegion("RAM", 0x20000000, 768 * KiB), 160_000_000,
                        description="ST STM32U585 (Cortex-M33, 160 MHz)"),
}


def get_target(target: Union[str, Target]) -> Target:
    """The :class:`Target` named ``target`` (a board from :data:`TARGETS` or a part from :data:`PARTS`;
    a ``Target`` is returned as is).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if isinstance(target, Target):
        return target
    if target in TARGETS:
        return TARGETS[target]
    if target in PARTS:
        return PARTS[target]
    raise ValueError(f"unknown target {target!r}; known targets: {', '.join(sorted(TARGETS))}; "
                     f"parts: {', '.join(sorted(PARTS))} (or pass your own tfsparse.Target)")
