"""Firmware targets: board, CPU flags, memory map and kernel implementation, one record per name.

A target is data, not code: ``templates/Makefile.j2`` and ``templates/linker.ld.j2`` render from it.
Add a board by adding a :class:`Target` to :data:`TARGETS` (or pass a ``Target`` to
:func:`tfsparse.generate`, e.g. ``get_target("cortex-m4").replace(flash_size=256 * 1024)`` to check
a model against a smaller part).

Example:
    >>> get_target("cortex-m4").qemu_machine
    'mps2-an386'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Union

__all__ = ["Target", "TARGETS", "get_target", "KERNEL_IMPLS"]

#: Fully-connected kernel implementations the firmware Makefile can link (KERNEL_IMPL).
KERNEL_IMPLS = ("portable", "cortex-m")

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Target:
    """A board tfsparse can build firmware for and run on QEMU.

    Attributes:
        name: the name users pass (``"cortex-m4"``).
        qemu_machine: ``qemu-system-arm -M`` machine.
        cpu: GCC's ``-mcpu``.
        cpu_flags: all GCC machine flags (``-mcpu``, ``-mthumb``, FPU/ABI).
        flash_origin, flash_size: where code and constants live (bytes).
        ram_origin, ram_size: where data, the activation arena and the stack live (bytes).
        stack_size: bytes reserved for the stack at the top of RAM.
        kernel_impl: ``"portable"`` or ``"cortex-m"``, the default KERNEL_IMPL of the Makefile.
        linker_template: template rendering the linker script from the memory map above.
        linker_script: instead, a fixed linker script shipped under ``firmware/`` (e.g.
            ``"targets/mps2_an500/linker.ld"``); its MEMORY must match flash_*/ram_*.
        startup: directory under ``firmware/targets/`` with the start-up code.
        instructions_per_tick: instructions per SysTick tick under ``-icount shift=0``.
    """

    name: str
    qemu_machine: str
    cpu: str
    cpu_flags: tuple
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    stack_size: int = 16 * KiB
    kernel_impl: str = "portable"
    linker_template: str = "linker.ld.j2"
    linker_script: Optional[str] = None
    startup: str = "cortex_m"
    instructions_per_tick: int = 40

    def replace(self, **changes) -> "Target":
        return dataclasses.replace(self, **changes)


# MPS2 boards as QEMU models them: 4 MiB of code SRAM at 0 (read-only use: our "flash") and 4 MiB of
# SRAM at 0x20000000; the 25 MHz system clock gives 40 instructions per SysTick tick at icount 0.
TARGETS = {
    "cortex-m4": Target(
        name="cortex-m4",
        qemu_machine="mps2-an386",
        cpu="cortex-m4",
        cpu_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        flash_origin=0x00000000,
        flash_size=4 * MiB,
        ram_origin=0x20000000,
        ram_size=4 * MiB,
        kernel_impl="cortex-m",  # the M4 has the DSP extension: the optimized kernel pays on every encoding
    ),
    # Cortex-M7 (mps2-an500): the an386 memory map; DSP kernel by default.
    "cortex-m7": Target(name="cortex-m7", qemu_machine="mps2-an500", cpu="cortex-m7",
                        cpu_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
                        flash_origin=0x00000000, flash_size=4 * MiB, ram_origin=0x20000000, ram_size=4 * MiB,
                        kernel_impl="cortex-m"),
    # Cortex-M33 (mps2-an505): boots Secure, vector table at 0x10000000 (Secure alias of SSRAM1), RAM in
    # the Secure alias of SSRAM2+3 at 0x38000000; 20 MHz clock, so 50 instructions per SysTick tick.
    "cortex-m33": Target(name="cortex-m33", qemu_machine="mps2-an505", cpu="cortex-m33",
                         cpu_flags=("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
                         flash_origin=0x10000000, flash_size=4 * MiB, ram_origin=0x38000000, ram_size=4 * MiB,
                         kernel_impl="cortex-m", instructions_per_tick=50),
}


def get_target(target: Union[str, Target]) -> Target:
    """The :class:`Target` named ``target`` (a ``Target`` is returned as is).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if isinstance(target, Target):
        t = target
    elif target in TARGETS:
        t = TARGETS[target]
    else:
        raise ValueError(f"unknown target {target!r}; known targets: {', '.join(sorted(TARGETS))}")
    if t.kernel_impl not in KERNEL_IMPLS:
        raise ValueError(f"target {t.name!r}: kernel_impl must be one of {KERNEL_IMPLS}, not {t.kernel_impl!r}")
    return t
