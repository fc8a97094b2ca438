"""Host (x86/any gcc) builds of the firmware kernels, for tests and for checking a kernel twin.

The harness ``firmware/tests/host_harness.c`` runs fully-connected and softmax cases read from a file;
:func:`build_harness` compiles it with any implementation of ``tfs_fully_connected.h`` (the portable
``kernels/fully_connected.c`` by default, or e.g. ``kernels/cortex_m/fully_connected.c`` built for the
host) and :func:`run_cases` feeds it records.

Example:
    >>> exe = build_harness(tmp_path / "h", sanitize=True)            # doctest: +SKIP
    >>> run_cases(exe, [FCCase.from_dense(w, bias, mult, shift, x)])  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import pathlib
import shutil
import struct
import subprocess
from typing import Optional, Sequence

import numpy as np

from ..converter.ir import CSRMatrix, DenseMatrix
from ..converter.ops.sparse_fully_connected import ENCODING_IDS  # tfs_encoding_t of tfs_fully_connected.h
from ..errors import FirmwareError

__all__ = ["firmware_root", "ENCODING_IDS", "FCCase", "SoftmaxCase", "build_harness", "run_cases",
           "kernel_sources", "build_kernel_objects", "build_host_model", "run_host_model"]


WARNINGS = ("-Wall", "-Wextra", "-Werror", "-pedantic")
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer")


def firmware_root() -> pathlib.Path:
    """The C sources shipped as package data (``firmware/`` in the source tree)."""
    return pathlib.Path(str(importlib.resources.files("tfsparse._firmware")))


def build_harness(out: pathlib.Path, *, fc_source: Optional[pathlib.Path] = None, sanitize: bool = True,
                  cc: str = "gcc", extra_flags: Sequence[str] = ()) -> pathlib.Path:
    """Compile the host harness with ``-Wall -Wextra -Werror`` (and ASan + UBSan when ``sanitize``).

    Args:
        out: path of the executable to write.
        fc_source: the fully-connected Eval implementation; default the portable kernel.
        sanitize: add ``-fsanitize=address,undefined`` (aborting on the first report).
        cc: host C compiler.
        extra_flags: more compiler flags (e.g. ``-DTFS_FORCE_PORTABLE``).

    Returns:
        The executable's path.

    Raises:
        FirmwareError: the compiler is missing or fails (its output and exit code are shown).
    """
    root = firmware_root()
    kernels = root / "kernels"
    sources = [root / "tests" / "host_harness.c", kernels / "fully_connected_common.c",
               pathlib.Path(fc_source) if fc_source else kernels / "fully_connected.c", kernels / "softmax.c"]
    if shutil.which(cc) is None:
        raise FirmwareError(f"host C compiler {cc!r} not found; install the Debian package 'gcc'")
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [cc, "-std=c99", *WARNINGS, "-O1", "-g", *(SANITIZE if sanitize else ()), *extra_flags,
           f"-I{kernels}", *map(str, sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FirmwareError("host build of the kernels failed", command=cmd, returncode=proc.returncode,
                            output=proc.stdout + proc.stderr)
    return out


def _i32(*values) -> bytes:
    return struct.pack(f"<{len(values)}i", *(int(v) for v in values))


@dataclasses.dataclass
class FCCase:
    """One fully-connected layer and its input batch, as the harness reads it."""

    weights: object  # CSRMatrix or DenseMatrix
    bias: np.ndarray
    multiplier: np.ndarray
    shift: np.ndarray
    output_zero_point: int
    activation_min: int
    activation_max: int
    input: np.ndarray  # int8 [batches, cols]
    input_zero_point: int = 0  # csc8 only; its bias must then be the unfolded one

    def pack(self) -> bytes:
        w = self.weights
        rows, cols = w.shape
        x = np.ascontiguousarray(self.input, dtype=np.int8).reshape(-1, cols)
        if isinstance(w, DenseMatrix):
            values, row_ptr, indices, rp_bytes = w.weights.astype(np.int8).tobytes(), b"", b"", 4
        else:
            assert isinstance(w, CSRMatrix)
            values, row_ptr, indices = w.values.tobytes(), w.row_ptr.tobytes(), w.indices.tobytes()
            rp_bytes = w.row_ptr.itemsize
        head = _i32(0, rows, cols, ENCODING_IDS[w.encoding], rp_bytes, len(values), len(indices),
                    self.output_zero_point, self.activation_min, self.activation_max, x.shape[0], len(row_ptr),
                    self.input_zero_point)
        arrays = [values, row_ptr, indices] + [np.asarray(a, dtype="<i4").tobytes()
                                               for a in (self.bias, self.multiplier, self.shift)]
        return head + b"".join(arrays) + x.tobytes()

    def output_size(self) -> int:
        return int(np.asarray(self.input).size // self.weights.shape[1] * self.weights.shape[0])


@dataclasses.dataclass
class SoftmaxCase:
    """One int8 softmax over the last axis of ``input`` (int8 [outer, depth])."""

    input_multiplier: int
    input_left_shift: int
    diff_min: int
    input: np.ndarray

    def pack(self) -> bytes:
        x = np.ascontiguousarray(self.input, dtype=np.int8)
        x2 = x.reshape(-1, x.shape[-1])
        return _i32(1, x2.shape[0], x2.shape[1], self.input_multiplier, self.input_left_shift,
                    self.diff_min) + x2.tobytes()

    def output_size(self) -> int:
        return int(np.asarray(self.input).size)


def run_cases(exe: pathlib.Path, cases: Sequence, workdir: Optional[pathlib.Path] = None):
    """Run ``cases`` through a harness; returns a list of (status, int8 outputs or None), one per case.

    Raises:
        FirmwareError: the harness crashed or a sanitizer reported (output and exit code shown).
    """
    exe = pathlib.Path(exe)
    workdir = pathlib.Path(workdir) if workdir else exe.parent
    cases_file, out_file = workdir / "cases.bin", workdir / "outputs.bin"
    cases_file.write_bytes(b"".join(c.pack() for c in cases))
    cmd = [str(exe), str(cases_file), str(out_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FirmwareError("the kernel host harness failed", command=cmd, returncode=proc.returncode,
                            output=proc.stdout + proc.stderr)
    data = out_file.read_bytes()
    results, pos = [], 0
    for case in cases:
        (status,) = struct.unpack_from("<i", data, pos)
        pos += 4
        if status == 0:
            n = case.output_size()
            results.append((0, np.frombuffer(data, dtype=np.int8, count=n, offset=pos).copy()))
            pos += n
        else:
            results.append((status, None))
    if pos != len(data):
        raise FirmwareError(f"the harness wrote {len(data)} bytes, expected {pos}")
    return results


def kernel_sources(kernels: pathlib.Path, kernel_impl: str = "portable") -> list:
    """The kernel ``.c`` files of ``kernel_impl``, as the generated Makefile picks them: every portable
    kernel, each replaced by its twin of the same name in ``cortex_m/`` (``"cortex-m"``), then in
    ``helium/`` too (``"helium"``)."""
    kernels = pathlib.Path(kernels)
    dirs = {"portable": (), "cortex-m": ("cortex_m",), "helium": ("cortex_m", "helium")}[kernel_impl]
    sources = {p.name: p for p in sorted(kernels.glob("*.c"))}
    for d in dirs:
        sources.update({p.name: p for p in sorted((kernels / d).glob("*.c"))})
    return sorted(sources.values())


def _host_compile(cmd_tail, cc, sanitize, extra_flags, what):
    if shutil.which(cc) is None:
        raise FirmwareError(f"host C compiler {cc!r} not found; install the Debian package 'gcc'")
    cmd = [cc, "-std=c11", *WARNINGS, "-O1", "-g", *(SANITIZE if sanitize else ()), *extra_flags, *cmd_tail]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FirmwareError(f"host build of {what} failed", command=cmd, returncode=proc.returncode,
                            output=proc.stdout + proc.stderr)


def build_kernel_objects(out_dir: pathlib.Path, *, kernel_impl: str = "portable", sanitize: bool = True,
                         cc: str = "gcc") -> list:
    """Compile the shipped kernels of ``kernel_impl`` once (``.o`` files in ``out_dir``), for
    :func:`build_host_model` to link many generated models against."""
    kernels = firmware_root() / "kernels"
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src in kernel_sources(kernels, kernel_impl):
        obj = out_dir / f"{src.parent.name}_{src.stem}.o"
        _host_compile([f"-I{kernels}", "-c", str(src), "-o", str(obj)], cc, sanitize, (), f"kernel {src.name}")
        objects.append(obj)
    return objects


def build_host_model(project, out: pathlib.Path, *, kernel_impl: str = "portable", sanitize: bool = True,
                     cc: str = "gcc", extra_flags: Sequence[str] = (), kernel_objects: Sequence = ()) -> pathlib.Path:
    """Compile a generated project's model and kernels for the host with ``firmware/tests/host_model_main.c``
    (``-Wall -Wextra -Werror``, ASan + UBSan when ``sanitize``); run it with :func:`run_host_model`.
    A project generated with ``name="kws"`` builds its ``kws_model*.c`` and runs ``kws_model_invoke()``.

    Args:
        kernel_objects: kernels already compiled by :func:`build_kernel_objects` (same ``sanitize``);
            default: compile the project's ``kernels/`` of ``kernel_impl``.

    Raises:
        FirmwareError: the compiler is missing or fails (its output and exit code are shown), or
            ``project`` has no ``project.json``.
    """
    project = pathlib.Path(project)
    kernels = project / "kernels"
    p = _model_prefix(project)
    sources = [project / f"{p}_model.c", project / f"{p}_model_data.c", firmware_root() / "tests" / "host_model_main.c"]
    linked = list(map(str, kernel_objects)) or list(map(str, kernel_sources(kernels, kernel_impl)))
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = [f"-DTFS_MAIN_PREFIX={p}", f"-DTFS_MAIN_PREFIX_UPPER={p.upper()}", f'-DTFS_MAIN_HEADER="{p}_model.h"']
    _host_compile([f"-I{project}", f"-I{kernels}", f"-I{project / 'runtime'}", *model, *map(str, sources), *linked,
                   "-o", str(out)], cc, sanitize, extra_flags, "the generated model")
    return out


def _model_prefix(project: pathlib.Path) -> str:
    """The prefix of a generated project's model files and symbols: ``generate``'s ``name`` as
    ``project.json`` records it, ``tfs`` without one (tfsparse.codegen.context.Naming)."""
    meta = project / "project.json"
    if not meta.is_file():
        raise FirmwareError(f"{project} is not a generated tfsparse project (no project.json); create it with "
                            "tfsparse.generate()")
    return json.loads(meta.read_text()).get("name") or "tfs"


def run_host_model(exe: pathlib.Path, inputs: np.ndarray, output_shape: Sequence[int]) -> np.ndarray:
    """Run a :func:`build_host_model` executable on int8 ``inputs`` (N, ...); int8 outputs (N, *output_shape).

    Raises:
        FirmwareError: Prepare rejected an op, or the run crashed or a sanitizer reported.
    """
    exe = pathlib.Path(exe)
    x = np.ascontiguousarray(inputs, dtype=np.int8)
    in_file, out_file = exe.parent / f"{exe.name}.in", exe.parent / f"{exe.name}.out"
    in_file.write_bytes(x.tobytes())
    cmd = [str(exe), str(in_file), str(out_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FirmwareError("the host build of the generated model failed", command=cmd, returncode=proc.returncode,
                            output=proc.stdout + proc.stderr)
    n = x.shape[0]
    return np.frombuffer(out_file.read_bytes(), dtype=np.int8).reshape((n, *output_shape)).copy()
