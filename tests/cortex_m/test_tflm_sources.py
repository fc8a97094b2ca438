"""TFLM sources of ``tfsparse.generate(..., tflm=True)``, checked against a TFLM API *test double*.

TFLM's own sources are not reachable here, so ``tflm_api_double/`` declares the TFLM API the sources
use (same include paths and signatures as TFLM's kernels use them). The generated project's
``make tflm`` builds them with arm-none-eabi-g++ and with the host g++ against that double; a host
driver then runs each op's Init / Prepare / Eval the way TFLM's interpreter does, on ops found in a
resolver filled by the generated ``TfsparseAddOps``, and the outputs must equal ``SparseModel.predict``.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model

from . import _tflm_graph

DOUBLE = pathlib.Path(__file__).resolve().parent / "tflm_api_double"
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -g"


def _make_tflm(project: pathlib.Path, *extra) -> None:
    cmd = ["make", "-C", str(project), "--no-print-directory", "tflm", f"TFLM_DIR={DOUBLE}", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "tflm" / "libtfsparse_tflm.a").is_file()


def _host_driver(project: pathlib.Path) -> pathlib.Path:
    _make_tflm(project, "CROSS=", "CPU_FLAGS=", f"EXTRA_CFLAGS=-Werror {SANITIZE}")
    exe = project / "tflm_driver"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *SANITIZE.split(), f"-I{DOUBLE}",
           f"-I{project / 'tflm'}", f"-I{project / 'kernels'}", str(DOUBLE / "driver.cc"), str(DOUBLE / "tflm_double.cc"),
           str(project / "tflm" / "libtfsparse_tflm.a"), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return exe


def _driver_process(exe: pathlib.Path, tflite: bytes, x: np.ndarray, edit_options=None):
    work = exe.parent
    (work / "graph.bin").write_bytes(_tflm_graph.graph_file(tflite, x, edit_options))
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}
    cmd = [str(exe), str(work / "graph.bin"), str(work / "outputs.bin"), str(work / "model_dump.bin")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def _run_driver(exe: pathlib.Path, tflite: bytes, x: np.ndarray, out_shape) -> np.ndarray:
    work = exe.parent
    proc = _driver_process(exe, tflite, x)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (work / "model_dump.bin").read_bytes() == tflite, "tfsparse_model_data differs from to_tflite()"
    return np.frombuffer((work / "outputs.bin").read_bytes(), np.int8).reshape(len(x), *out_shape)


@pytest.fixture(scope="module")
def every_csr_model():
    # Every CSR encoding, odd sizes, an input RESHAPE (a builtin the resolver must add too); the column
    # form with two row blocks, the blocked row form with two column blocks.
    return random_fc_model((64, 300, 257, 63, 47, 30, 20, 10),
                           ("csc8", "blk8", "abs_u16", "abs_u8", "rel8", "abs_u32", "rel4"),
                           density=0.2, seed=5, reshape_input=(1, 8, 8), name="every csr/encoding")


@pytest.mark.slow
def test_custom_op_through_tflm_api_double(every_csr_model, tmp_path):
    project = tfsparse.generate(every_csr_model, tmp_path / "host", target="cortex-m4", tflm=True)
    x = np.random.default_rng(1).integers(-128, 128, size=(40, 8, 8)).astype(np.int8)
    x[np.random.default_rng(2).random(x.shape) < 0.5] = -128  # the input zero point: csc8 skips them
    got = _run_driver(_host_driver(project), every_csr_model.to_tflite(), x, (10,))
    expected = every_csr_model.predict(x)
    assert got.shape == expected.shape
    assert int((got != expected).sum()) == 0
    ops_h = (project / "tflm" / "tfsparse_ops.h").read_text()
    assert "kTfsparseOpCount = 2" in ops_h and "AddReshape" in ops_h and "AddCustom" in ops_h

    # Options without "rows": Init reports the missing key and Prepare refuses the op.
    from flatbuffers import flexbuffers

    def drop_rows(options: bytes) -> bytes:
        opts = flexbuffers.Loads(options)
        del opts["rows"]
        return flexbuffers.Dumps(opts)

    proc = _driver_process(project / "tflm_driver", every_csr_model.to_tflite(), x[:1], drop_rows)
    assert proc.returncode == 4 and "custom option 'rows' is missing" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_digits_mlp_through_tflm_api_double(digits_sparse, digits_int8, tmp_path):
    sparse = digits_sparse["smallest"]
    _, xq, _ = digits_int8
    project = tfsparse.generate(sparse, tmp_path / "digits", target="cortex-m4", tflm=True)
    got = _run_driver(_host_driver(project), sparse.to_tflite(), xq, sparse.output_tensor.shape[1:])
    assert int((got != sparse.predict(xq)).sum()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("target", ("cortex-m7", "cortex-m33"))
def test_tflm_sources_cross_compile(every_csr_model, target, tmp_path):
    """arm-none-eabi-g++ builds the library (and a translation unit using tfsparse_ops.h) warning-free."""
    project = tfsparse.generate(every_csr_model, tmp_path / target, target=target, tflm=True)
    _make_tflm(project, "EXTRA_CFLAGS=-Werror")
    cpu = [f for f in tfsparse.codegen.targets.get_target(target).cpu_flags]
    cmd = ["arm-none-eabi-g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fno-rtti", "-fno-exceptions", *cpu,
           f"-I{DOUBLE}", f"-I{project / 'tflm'}", f"-I{project / 'kernels'}", "-c", str(DOUBLE / "driver.cc"),
           "-o", str(tmp_path / "driver.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    members = subprocess.run(["arm-none-eabi-ar", "t", str(project / "tflm" / "libtfsparse_tflm.a")],
                             capture_output=True, text=True, check=True).stdout.split()
    assert set(members) == {"tfsparse_model_data.o", "tfsparse_fully_connected.o", "fully_connected_common.o",
                            "fully_connected_impl.o"}


def test_tflm_target_without_tflm_dir_says_what_to_do(every_csr_model, tmp_path):
    project = tfsparse.generate(every_csr_model, tmp_path / "p", tflm=True)
    proc = subprocess.run(["make", "-C", str(project), "--no-print-directory", "tflm"], capture_output=True, text=True)
    assert proc.returncode != 0 and "TFLM_DIR" in proc.stderr


def test_model_data_banner_and_alignment(every_csr_model, tmp_path):
    project = tfsparse.generate(every_csr_model, tmp_path / "p", tflm=True)
    text = (project / "tflm" / "tfsparse_model_data.cc").read_text()
    size = len(every_csr_model.to_tflite())
    assert f"alignas(16) const unsigned char tfsparse_model_data[{size}]" in text
    assert "DO NOT EDIT" in text and "GENERATED by tfsparse" in text
    assert not (tmp_path / "q").exists()
    plain = tfsparse.generate(every_csr_model, tmp_path / "q")
    assert not (plain / "tflm").exists() and not (plain / "tflm.mk").exists()
