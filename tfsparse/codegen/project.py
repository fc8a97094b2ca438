"""``tfsparse.generate``: render a SparseModel into a self-contained firmware project.

The project holds the generated model (``tfs_model*.{c,h}``), a Makefile and linker script rendered
for the target, and copies of the kernels, runtime and start-up code shipped in ``tfsparse._firmware``;
``project.json`` tells :mod:`tfsparse.firmware` the shapes and the target.
"""

from __future__ import annotations

import json
import pathlib
from typing import Union

from ..errors import FirmwareError
from .context import ProjectContext, build_context
from .env import environment
from .hostbuild import firmware_root
from .manifest import write_files
from .targets import Target, get_target

__all__ = ["generate", "PROJECT_FILE", "CODE_ALLOWANCE", "check_fits"]

PROJECT_FILE = "project.json"
#: Flash the code (kernels, runtime, newlib-nano's memcpy/memset) takes besides the model data, a
#: generous bound used before building (the portable build measures about 4 KiB).
CODE_ALLOWANCE = 12 * 1024
#: RAM besides the arena and the stack: the runtime's output buffer and small statics.
RAM_ALLOWANCE = 8 * 1024

_RENDERED = {
    "tfs_model.h": "tfs_model.h.j2",
    "tfs_model_data.h": "tfs_model_data.h.j2",
    "tfs_model_data.c": "tfs_model_data.c.j2",
    "tfs_model.c": "tfs_model.c.j2",
    "Makefile": "Makefile.j2",
    "linker.ld": None,  # the target names its linker template
}
_COPIED = {"kernels": "kernels", "runtime": "runtime"}
_C_SUFFIXES = (".c", ".h")


def check_fits(ctx: ProjectContext) -> None:
    """Raise if the model's constants cannot fit the target's flash, or arena + stack its RAM.

    Raises:
        FirmwareError: says which memory, how many bytes are needed, available, and over.
    """
    t = ctx.target
    needs = {
        "FLASH": (ctx.flash_constants + CODE_ALLOWANCE, t.flash_size,
                  f"model constants {ctx.flash_constants} + code about {CODE_ALLOWANCE}"),
        "RAM": (ctx.arena_size + t.stack_size + RAM_ALLOWANCE, t.ram_size,
                f"activation arena {ctx.arena_size} + stack {t.stack_size} + runtime about {RAM_ALLOWANCE}"),
    }
    over = [f"{region}: needs about {need} bytes ({how}) but {t.name} has {have}: over by {need - have} bytes"
            for region, (need, have, how) in needs.items() if need > have]
    if over:
        raise FirmwareError(
            f"model {ctx.model_name!r} does not fit target {t.name!r}:\n  " + "\n  ".join(over)
            + "\nPrune further, choose a smaller encoding (encoding='smallest'), or pick a larger target."
        )


def _static_files(target: Target) -> dict:
    root = firmware_root()
    files = {}
    sources = dict(_COPIED)
    sources[f"targets/{target.startup}"] = "startup"
    for src, dst in sources.items():
        base = root / src
        if not base.is_dir():
            raise FirmwareError(f"firmware sources {base} are missing from the tfsparse installation; reinstall tfsparse")
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in _C_SUFFIXES:
                files[f"{dst}/{path.relative_to(base).as_posix()}"] = path.read_bytes()
    return files


def generate(sparse_model, out_dir, *, target: Union[str, Target] = "cortex-m4", tflm: bool = False) -> pathlib.Path:
    """Render ``sparse_model`` into a firmware project for ``target`` in ``out_dir``.

    The project builds with ``make`` (``fw.elf``) and runs on QEMU with ``make run``;
    :func:`tfsparse.run` does both and returns the outputs and instruction counts.

    Args:
        sparse_model: a :class:`tfsparse.SparseModel` (from :func:`tfsparse.convert`).
        out_dir: directory to create or update. Only files tfsparse generated there earlier (and
            nobody edited) are rewritten; other files are left alone.
        target: a name from :data:`tfsparse.codegen.targets.TARGETS` (``"cortex-m4"``) or a
            :class:`~tfsparse.codegen.targets.Target`.
        tflm: also write TFLM sources (``tflm/``: the ``to_tflite()`` model as an array, the
            ``TFSPARSE_FULLY_CONNECTED`` kernel, ``TfsparseAddOps``) and ``tflm.mk`` (``make tflm TFLM_DIR=...``).

    Returns:
        ``out_dir`` as a :class:`pathlib.Path`.

    Raises:
        ValueError: unknown target name.
        FirmwareError: an op the firmware cannot run (named), a model that does not fit the target's
            flash or RAM (by how much), or a file in ``out_dir`` that is not tfsparse's (named).

    Example:
        >>> sm = tfsparse.convert(tfsparse.quantize(model, x_train))   # doctest: +SKIP
        >>> tfsparse.generate(sm, "build/lenet_fw")                    # doctest: +SKIP
        PosixPath('build/lenet_fw')
    """
    tgt = get_target(target)
    ctx = build_context(sparse_model, tgt)
    check_fits(ctx)
    env = environment()
    files = {}
    for out_name, template in _RENDERED.items():
        if template is None and tgt.linker_script:
            files[out_name] = (firmware_root() / tgt.linker_script).read_bytes()
        else:
            files[out_name] = env.get_template(template or tgt.linker_template).render(ctx=ctx)
    files.update(_static_files(tgt))
    meta = {
        "model": ctx.model_name,
        "target": tgt.name,
        "qemu_machine": tgt.qemu_machine,
        "instructions_per_tick": tgt.instructions_per_tick,
        "input_shape": list(ctx.input.shape),
        "output_shape": list(ctx.output.shape),
        "input_bytes": ctx.input.nbytes,
        "output_bytes": ctx.output.nbytes,
        "arena_bytes": ctx.arena_size,
        "flash_constants_bytes": ctx.flash_constants,
        "flash_size": tgt.flash_size,
        "ram_size": tgt.ram_size,
        "ops": [op.name for op in ctx.ops],  # the firmware writes one SysTick count per op (TFS_OP_TIMING)
    }
    files[PROJECT_FILE] = json.dumps(meta, indent=1) + "\n"
    if tflm:
        from .tflm import tflm_files

        files.update(tflm_files(sparse_model, ctx))
    out = pathlib.Path(out_dir)
    write_files(out, files, generator=f"tfsparse {ctx.version}")
    return out
