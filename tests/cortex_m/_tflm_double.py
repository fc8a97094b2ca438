"""Building and running generated TFLM sources against the TFLM API test double (``tflm_api_double/``).

Builtins in the double run with tfsparse's own kernels (through the generated standalone model):
a host run is a PLUMBING CHECK of the TFLM glue, not an oracle.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

import numpy as np

from . import _tflm_graph

DOUBLE = pathlib.Path(__file__).resolve().parent / "tflm_api_double"
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -g"


def make_tflm(project: pathlib.Path, lib: str = "libtfsparse_tflm.a", *extra) -> pathlib.Path:
    """``make tflm TFLM_DIR=<double>`` in ``project``; the library's path."""
    cmd = ["make", "-C", str(project), "--no-print-directory", "tflm", f"TFLM_DIR={DOUBLE}", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = project / "tflm" / lib
    assert path.is_file()
    return path


def host_driver(project: pathlib.Path, *, sanitize: bool = True) -> pathlib.Path:
    """The host driver of a single-model (unnamed) project, builtins backed by its standalone model."""
    flags = SANITIZE.split() if sanitize else ["-O1"]
    lib = make_tflm(project, "libtfsparse_tflm.a", "CROSS=", "CPU_FLAGS=", f"EXTRA_CFLAGS=-Werror {' '.join(flags)}")
    objects = []
    for name in ("tfs_model.c", "tfs_model_data.c"):
        obj = project / f"{name}.double.o"
        cmd = ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", *flags, f"-I{project}", f"-I{project / 'kernels'}",
               f"-I{DOUBLE}", "-DTFS_HOOKS_HEADER=\"standalone_hooks.h\"", "-c", str(project / name), "-o", str(obj)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        objects.append(str(obj))
    exe = project / "tflm_driver"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *flags, "-DTFS_DRIVER_STANDALONE", f"-I{DOUBLE}",
           f"-I{project}", f"-I{project / 'tflm'}", f"-I{project / 'kernels'}", str(DOUBLE / "driver.cc"),
           str(DOUBLE / "tflm_double.cc"), *objects, str(lib), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return exe


def driver_process(exe: pathlib.Path, sparse_model, x: np.ndarray, edit_options=None):
    work = exe.parent
    graph = _tflm_graph.graph_file(sparse_model.to_tflite(), x, edit_options, _tflm_graph.standalone_offsets(sparse_model))
    (work / "graph.bin").write_bytes(graph)
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
    cmd = [str(exe), str(work / "graph.bin"), str(work / "outputs.bin"), str(work / "model_dump.bin")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def run_driver(exe: pathlib.Path, sparse_model, x: np.ndarray) -> np.ndarray:
    """The graph outputs of every sample of ``x``, shaped like ``sparse_model.predict(x)``."""
    work = exe.parent
    proc = driver_process(exe, sparse_model, x)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "model_dump.bin").read_bytes() == sparse_model.to_tflite(), "the model data differs from to_tflite()"
    out_shape = tuple(sparse_model.output_tensor.shape[1:])
    return np.frombuffer((work / "outputs.bin").read_bytes(), np.int8).reshape(len(x), *out_shape)
