"""``tfsparse.generate``: render a SparseModel into a self-contained firmware project.

The project holds the generated model (``tfs_model*.{c,h}``, or ``<name>_model*.{c,h}`` with
``name=``: see :class:`tfsparse.codegen.context.Naming`), a Makefile and linker script rendered
for the target, and copies of the kernels, runtime and start-up code shipped in ``tfsparse._firmware``;
``project.json`` tells :mod:`tfsparse.firmware` the shapes and the target.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import warnings
from typing import Collection, Optional, Union

from ..converter.model import SparseModel
from .. import __version__
from ..errors import FirmwareError
from .arena import plan_arena
from .context import ProjectContext, build_context
from .env import environment
from .graph_ops import ADD_SCRATCH_BYTES
from .hostbuild import firmware_root
from .manifest import BANNER, write_files
from .targets import Target, get_target

__all__ = ["generate", "PROJECT_FILE", "CODE_ALLOWANCE", "check_fits", "code_allowance", "ram_allowance"]

PROJECT_FILE = "project.json"
#: Flash the code takes besides the model data (kernels, runtime, start-up, newlib-nano's memcpy and
#: memset), used before building: CODE_BYTES[(core, kernel)] + CODE_BYTES_PER_OP per op. Measured as
#: text + data of fw.elf minus the model's constants (2-op and 8-op models, gcc 12 -O2, with the per-op
#: counters and every encoding's kernel), rounded up;
#: tests/codegen/test_targets.py re-measures that the allowance bounds the real code on every core.
#: (After merging the conv kernels and main's re-measure: the larger of the two measurements per entry.)
#: DSP cores' cortex-m/helium entries: +2,304 B for the FC kernel's assembly loops (csc8, blk8), then
#: +2,112 B for rel4's (measured on cortex-m4: text of the same firmwares before and after).
#: These bound a firmware whose FULLY_CONNECTED layers use every encoding; one that uses fewer links
#: fewer loops (the generated code calls tfs_fully_connected_eval_<encoding>), see FC_ENCODING_BYTES.
#: Re-measured with per-encoding linking (2-op dense, 8-op and all-encodings models, every emulated core):
#: M0 -256, cortex-m kernels -256 (M3, M4, M7) / -512 (M33, M55), helium -1,024; the portable kernels on
#: the other cores +384..+896 (their 2-op models had outgrown the old entries).
CODE_BYTES = {
    ("cortex-m0", "portable"): 6464, ("cortex-m0plus", "portable"): 6464, ("cortex-m23", "portable"): 6464,
    ("cortex-m3", "portable"): 5312, ("cortex-m3", "cortex-m"): 11072,
    ("cortex-m4", "portable"): 5568, ("cortex-m4", "cortex-m"): 15232,
    ("cortex-m7", "portable"): 5568, ("cortex-m7", "cortex-m"): 15232,
    ("cortex-m33", "portable"): 5312, ("cortex-m33", "cortex-m"): 14976,
    ("cortex-m35p", "portable"): 5312, ("cortex-m35p", "cortex-m"): 14976,
    ("cortex-m55", "portable"): 5440, ("cortex-m55", "cortex-m"): 15232, ("cortex-m55", "helium"): 16768,
}
CODE_BYTES_PER_OP = 512
#: Flash of each FC encoding's own code (its entry point, loop functions and assembly; not the helpers
#: encodings share), which a firmware without a FULLY_CONNECTED layer of that encoding does not link:
#: the smallest over the cores of each kernel (``(core, kernel)`` entries where a core differs), from
#: arm-none-eabi-nm sizes in a firmware with one layer of every encoding, rounded down to 8 B.
FC_ENCODING_BYTES = {
    "portable": dict(dense=304, abs_u8=376, abs_u16=384, abs_u32=384, rel8=392, rel4=512, blk8=400, csc8=536),
    "cortex-m": dict(dense=960, abs_u8=456, abs_u16=456, abs_u32=456, rel8=496, rel4=2832, blk8=1520, csc8=5672),
    ("cortex-m3", "cortex-m"): dict(dense=1240, abs_u8=456, abs_u16=456, abs_u32=456, rel8=512, rel4=808,
                                    blk8=2360, csc8=2560),
    "helium": dict(dense=480, abs_u8=1112, abs_u16=1080, abs_u32=488, rel8=496, rel4=2832, blk8=1536, csc8=5688),
}
#: Code allowance of a (core, kernel) not measured above.
CODE_ALLOWANCE = 12 * 1024
#: RAM besides the arena, the stack and the output buffer: the runtime's small statics.
RAM_STATICS = 256


def code_allowance(target: Target, kernel_impl: Optional[str] = None, n_ops: int = 4,
                   fc_encodings: Optional[Collection[str]] = None) -> int:
    """Bytes of flash the firmware's code needs on ``target`` besides the model's constants (an upper bound).

    ``fc_encodings``: the encodings of the model's FULLY_CONNECTED layers, when known (None: any);
    the loops of the others are not linked.
    """
    kernel = kernel_impl or target.kernel_impl
    base = CODE_BYTES.get((target.core, kernel))
    if base is None:
        return CODE_ALLOWANCE
    if fc_encodings is not None:
        unused = FC_ENCODING_BYTES.get((target.core, kernel)) or FC_ENCODING_BYTES.get(kernel, {})
        base -= sum(n for e, n in unused.items() if e not in fc_encodings)
    return base + CODE_BYTES_PER_OP * n_ops


def _fc_encodings(ctx: ProjectContext) -> Optional[set]:
    """The FC encodings whose loops the firmware links; None (all) when a portable convolution runs
    through the FC kernel's run-time switch."""
    if ctx.target.kernel_impl == "portable" and any(op.kind == "CONV_2D" for op in ctx.ops):
        return None
    return {op.encoding for op in ctx.ops if op.kind == "FULLY_CONNECTED"}


def ram_allowance(target: Target, output_bytes: int = 0, n_ops: int = 0) -> int:
    """Bytes of RAM the firmware needs on ``target`` besides the activation arena: the stack, the
    runtime's small statics and its output buffer, which holds whole records (``output_bytes`` + 4 +
    4 per op, runtime/main.c), so at least one, plus the per-op time stamps (8 bytes per op)."""
    return target.stack_size + output_buffer_bytes(target, output_bytes, n_ops) + RAM_STATICS + 8 * n_ops


def output_buffer_bytes(target: Target, output_bytes: int = 0, n_ops: int = 0) -> int:
    """Size of runtime/main.c's ``out_buffer``: ``target.io_buffer`` rounded up to whole output records."""
    record = output_bytes + 4 + 4 * n_ops
    return -(-target.io_buffer // record) * record


# Besides the model files, whose names carry the model's prefix (Naming.model_files()).
_RENDERED = {
    "Makefile": "Makefile.j2",
    "linker.ld": None,  # the target names its linker template
}
_COPIED = {"kernels": "kernels", "runtime": "runtime"}
_C_SUFFIXES = (".c", ".h")


def check_fits(ctx: ProjectContext) -> None:
    """Raise if the model's constants and code cannot fit the target's flash, or arena, stack and
    runtime buffers its RAM.

    Raises:
        FirmwareError: says which memory, how many bytes are needed, available, and by how many bytes the
            model misses.
    """
    t = ctx.target
    code = code_allowance(t, n_ops=len(ctx.ops), fc_encodings=_fc_encodings(ctx))
    out_buffer = output_buffer_bytes(t, ctx.output.nbytes, len(ctx.ops))
    needs = {
        t.flash.name: (ctx.flash_constants + code, t.flash_size,
                       f"model constants {ctx.flash_constants} + code about {code}"),
        t.ram[0].name: (ctx.arena_size + ram_allowance(t, ctx.output.nbytes, len(ctx.ops)), t.ram_size,
                        f"activation arena {ctx.arena_size} + stack {t.stack_size} + output buffer {out_buffer} "
                        f"+ runtime {RAM_STATICS + 8 * len(ctx.ops)}"),
    }
    over = [f"{region}: needs about {need} bytes ({how}) but {t.name} has {have}: over by {need - have} bytes"
            for region, (need, have, how) in needs.items() if need > have]
    if over:
        raise FirmwareError(
            f"model {ctx.model_name!r} does not fit target {t.name!r}:\n  " + "\n  ".join(over)
            + "\nPrune further (tfsparse.plan(model, target, flash=..., ram=...) picks the sparsity), choose a "
            "smaller encoding (encoding='smallest'), or pick a larger target."
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


def _as_sparse_model(model) -> SparseModel:
    """A SparseModel as it is; a ``.tflite`` (bytes or path) converted with the default encoding."""
    if isinstance(model, SparseModel):
        return model
    if isinstance(model, (bytes, bytearray, memoryview, str, os.PathLike)):
        from ..converter.api import convert

        return convert(bytes(model) if isinstance(model, (bytearray, memoryview)) else model)
    raise TypeError(
        f"generate() takes a tfsparse.SparseModel or an int8 .tflite (bytes or path), not "
        f"{type(model).__name__}; for a Keras model call tfsparse.convert(tfsparse.quantize(model, x_train)) first"
    )


def generate(sparse_model, out_dir, *, target: Union[str, Target] = "cortex-m4", tflm: bool = False,
             name: Optional[str] = None, extra_files: Optional[dict] = None) -> pathlib.Path:
    """Render ``sparse_model`` into a firmware project for ``target`` in ``out_dir``.

    The project builds with ``make`` (``fw.elf``) and runs on QEMU with ``make run``;
    :func:`tfsparse.run` does both and returns the outputs and instruction counts.

    When the arena with an ADD's rescale tables (2 KiB of scratch) would not fit the target's RAM,
    that ADD runs without them (same outputs, slower); a warning names it and ``project.json`` lists
    it (``add_tables_dropped``).

    All files (and the manifest that marks them as tfsparse's) are written as one transaction: they are
    staged in ``out_dir/.tfsparse-staging`` and moved into place under a journal, so a run that dies
    midway is completed or rolled back by the next ``generate`` (or ``tfsparse export``) there.

    Args:
        sparse_model: a :class:`tfsparse.SparseModel` (from :func:`tfsparse.convert`), or an int8
            ``.tflite`` as bytes or a path, converted first with :func:`tfsparse.convert`'s defaults.
        out_dir: directory to create or update. Only files tfsparse generated there earlier (and
            nobody edited) are rewritten; other files are left alone.
        target: a name from :data:`tfsparse.codegen.targets.TARGETS` (``"cortex-m4"``) or a
            :class:`~tfsparse.codegen.targets.Target`.
        tflm: also write TFLM sources (``tflm/``: the ``to_tflite()`` model as an array, the
            ``TFSPARSE_FULLY_CONNECTED`` kernel, ``TfsparseAddOps``) and ``tflm.mk`` (``make tflm TFLM_DIR=...``).
        name: prefix of every model-specific C symbol, file and include guard (``"kws"``:
            ``kws_model.c``, ``kws_model_invoke()``, ``KWS_MODEL_INPUT_BYTES``, ``tflm/kws_model_data.cc``,
            ``KwsAddOps``...), so that two models link into one image; the shared kernels are not
            prefixed and link once. ``None`` keeps the single-model names (``tfs_model_invoke``...).
            The full rule: :class:`tfsparse.codegen.context.Naming`.
        extra_files: more files to write in the same transaction (relative path -> str or bytes),
            such as the ``.tflite`` the project came from.

    Returns:
        ``out_dir`` as a :class:`pathlib.Path`.

    Raises:
        TypeError: ``sparse_model`` is neither a SparseModel nor a ``.tflite`` (e.g. a Keras model).
        ConversionError: a ``.tflite`` that :func:`tfsparse.convert` rejects.
        ValueError: unknown target name, or a ``name`` that cannot prefix C symbols.
        FirmwareError: an op the firmware cannot run (named), a model that does not fit the target's
            flash or RAM (by how much), or a file in ``out_dir`` that is not tfsparse's (named).

    Example:
        >>> sm = tfsparse.convert(tfsparse.quantize(model, x_train))   # doctest: +SKIP
        >>> tfsparse.generate(sm, "build/lenet_fw")                    # doctest: +SKIP
        PosixPath('build/lenet_fw')
    """
    sparse_model = _as_sparse_model(sparse_model)
    tgt = get_target(target)
    if tflm and any(op.kind == "PASSTHROUGH" for op in getattr(sparse_model, "ops", ())):
        # Ops only TFLM can run: the project holds the TFLM sources alone.
        from .tflm import tflm_only_files

        out = pathlib.Path(out_dir)
        write_files(out, tflm_only_files(sparse_model, tgt, name), generator=f"tfsparse {__version__}")
        return out
    budget = tgt.ram_size - ram_allowance(tgt, sparse_model.tensors[sparse_model.output].nbytes, len(sparse_model.ops))
    ctx = build_context(sparse_model, tgt, name=name, arena_budget=budget)
    check_fits(ctx)
    dropped = list(ctx.add_tables_dropped)
    if dropped:
        warnings.warn(
            f"model {ctx.model_name!r} on {tgt.name}: the rescale tables of ADD op(s) {', '.join(map(repr, dropped))} "
            f"({ADD_SCRATCH_BYTES} bytes of scratch each) would make the arena {plan_arena(sparse_model).size} bytes, "
            f"more than the {budget} left for it of {tgt.ram_size} bytes of RAM; those ADDs "
            f"run without tables (same outputs, more instructions per element): arena {ctx.arena_size} bytes", stacklevel=2)
    emulated = tgt.emulated() if tgt.board else None
    ctx.qemu_machine = tgt.qemu_machine or "none"
    ctx.qemu_elf = "fw.elf" if emulated is None or emulated is tgt else "fw_qemu.elf"
    env = environment()
    files = {}
    for out_name, template in {**ctx.naming.model_files(), **_RENDERED}.items():
        if template is None and tgt.linker_script:
            files[out_name] = (firmware_root() / tgt.linker_script).read_bytes()
        else:
            files[out_name] = env.get_template(template or tgt.linker_template).render(ctx=ctx)
    if ctx.qemu_elf != "fw.elf":  # the part's code relinked at the board's addresses, the part's sizes as limits
        files["linker_qemu.ld"] = env.get_template(tgt.linker_template).render(
            ctx=dataclasses.replace(ctx, target=emulated))
    files.update(_static_files(tgt))
    meta = {
        "note": f"{BANNER.decode()} {ctx.version}: DO NOT EDIT, tfsparse.generate() rewrites this file",
        "model": ctx.model_name,
        "name": name,
        "target": tgt.name,
        "core": tgt.core,
        "qemu_machine": tgt.qemu_machine,
        "qemu_elf": ctx.qemu_elf,
        "clock_hz": tgt.board.clock_hz if tgt.board else None,
        "instructions_per_tick": tgt.instructions_per_tick,
        "counter": tgt.counter,
        "input_shape": list(ctx.input.shape),
        "output_shape": list(ctx.output.shape),
        "input_bytes": ctx.input.nbytes,
        "output_bytes": ctx.output.nbytes,
        "arena_bytes": ctx.arena_size,
        "add_tables_dropped": dropped,  # ADDs running without rescale tables to fit the RAM
        "flash_constants_bytes": ctx.flash_constants,
        "flash_size": tgt.flash_size,
        "ram_size": tgt.ram_size,
        "ops": [op.name for op in ctx.ops],  # the firmware writes one SysTick count per op (TFS_OP_TIMING)
    }
    files[PROJECT_FILE] = json.dumps(meta, indent=1) + "\n"
    if tflm:
        from .tflm import tflm_files

        files.update(tflm_files(sparse_model, ctx))
    for rel, content in (extra_files or {}).items():
        if rel in files:
            raise ValueError(f"extra_files: {rel!r} is a file generate() writes itself; pick another name")
        files[rel] = content
    out = pathlib.Path(out_dir)
    write_files(out, files, generator=f"tfsparse {ctx.version}")
    return out
