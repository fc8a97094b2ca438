"""Two models in one image: ``generate(..., name=...)`` prefixes every model-specific symbol, file and
include guard (the rule: :class:`tfsparse.codegen.context.Naming`); the shared kernels link once.

Standalone path: two prefixed projects link into one Cortex-M image (one copy of ``kernels/``) that
runs both models on QEMU, interleaved, equal to ``SparseModel.predict``. TFLM path: both models'
TFLM sources build together against the TFLM API test double and run (a plumbing check).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.context import naming

from . import _tflm_double, _tflm_graph

HERE = pathlib.Path(__file__).resolve().parent
DOUBLE = _tflm_double.DOUBLE


@pytest.fixture(scope="module")
def two_models():
    kws = random_fc_model((40, 33, 12), ("abs_u8", "rel4"), density=0.3, seed=11, name="kws net")
    ad = random_fc_model((64, 24, 8, 64), ("rel8", "abs_u16", "abs_u8"), density=0.25, seed=12,
                         reshape_input=(1, 8, 8), name="anomaly detector")
    return kws, ad


def test_naming_rule():
    default, kws = naming(), naming("kws")
    assert (default.c, default.C, default.t, default.camel) == ("tfs", "TFS", "tfsparse", "Tfsparse")
    assert (kws.c, kws.C, kws.t, kws.T, kws.camel) == ("kws", "KWS", "kws", "KWS", "Kws")
    assert naming("anomaly_det2").camel == "AnomalyDet2"
    assert sorted(kws.model_files()) == ["kws_model.c", "kws_model.h", "kws_model_data.c", "kws_model_data.h"]
    for bad in ("Kws", "2kws", "kws-1", "kws__a", "kws_", "", "tfs_x", "tfsparse_x", "a" * 33):
        with pytest.raises(ValueError, match="model name"):
            naming(bad)


def test_prefixed_project_has_no_unprefixed_model_symbol(two_models, tmp_path):
    kws, _ = two_models
    out = tfsparse.generate(kws, tmp_path / "kws", name="kws", tflm=True)
    generated = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert {"kws_model.c", "kws_model.h", "kws_model_data.c", "kws_model_data.h", "tflm/kws_model_data.cc",
            "tflm/kws_model_data.h", "tflm/kws_ops.h"} <= set(generated)
    assert not [g for g in generated if g.startswith(("tfs_model", "tflm/tfsparse_model", "tflm/tfsparse_ops"))]
    for rel in ("kws_model.c", "kws_model.h", "kws_model_data.c", "kws_model_data.h", "tflm/kws_model_data.cc",
                "tflm/kws_model_data.h", "tflm/kws_ops.h"):
        text = (out / rel).read_text()
        for old in ("tfs_model", "TFS_MODEL", "tfs_op_", "tfs_arena", "tfsparse_model_data", "TfsparseAddOps",
                    "kTfsparseOpCount", "TFSPARSE_MODEL_DATA_H_", "TFSPARSE_OPS_H_"):
            assert old not in text, f"{rel} still contains the unprefixed {old}"
    with pytest.raises(ValueError, match="model name 'KWS'"):
        tfsparse.generate(kws, tmp_path / "bad", name="KWS")
    assert not (tmp_path / "bad").exists()


@pytest.mark.slow
def test_prefixed_project_runs_with_the_stock_runtime(two_models, tmp_path):
    kws, _ = two_models
    out = tfsparse.generate(kws, tmp_path / "kws", name="kws")
    x = np.random.default_rng(3).integers(-128, 128, size=(20, 40)).astype(np.int8)
    result = tfsparse.run(out, x)
    assert int((result.outputs != kws.predict(x)).sum()) == 0


@pytest.mark.slow
def test_two_models_in_one_image_on_qemu(two_models, tmp_path):
    kws, ad = two_models
    a = tfsparse.generate(kws, tmp_path / "kws", name="kws", target="cortex-m4")
    b = tfsparse.generate(ad, tmp_path / "ad", name="ad", target="cortex-m4")
    shutil.copy(HERE / "two_models" / "main.c", a / "two_models_main.c")
    kernels = sorted(str(p.relative_to(a)) for p in (a / "kernels").glob("*.c"))
    runtime = sorted(str(p.relative_to(a)) for p in (a / "runtime").glob("*.c") if p.name != "main.c")
    srcs = ["two_models_main.c", "kws_model.c", "kws_model_data.c", str(b / "ad_model.c"), str(b / "ad_model_data.c"),
            *kernels, *runtime, "startup/startup.c"]
    proc = subprocess.run(["make", "-C", str(a), "--no-print-directory", "fw.elf", f"SRCS={' '.join(srcs)}",
                           f"EXTRA_CFLAGS=-I{b}"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    symbols = subprocess.run(["arm-none-eabi-nm", str(a / "fw.elf")], capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in symbols.splitlines()]
    # Each model calls its layers' encodings' loops; the image links their union, once, and no other.
    called = set(re.findall(r"tfs_fully_connected_eval_\w+", (a / "kws_model.c").read_text() + (b / "ad_model.c").read_text()))
    linked = [n for n in names if n.startswith("tfs_fully_connected_eval")]
    assert called and sorted(linked) == sorted(called)
    assert {"kws_model_invoke", "ad_model_invoke", "kws_arena", "ad_arena"} <= set(names)

    rng = np.random.default_rng(4)
    xk = rng.integers(-128, 128, size=(25, 40)).astype(np.int8)
    xa = rng.integers(-128, 128, size=(17, 8, 8)).astype(np.int8)
    work = tmp_path / "run"
    work.mkdir()
    (work / "kws_in.bin").write_bytes(xk.tobytes())
    (work / "ad_in.bin").write_bytes(xa.tobytes())
    cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel", str(a / "fw.elf")]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "two models: done (kws net, anomaly detector)" in proc.stdout + proc.stderr, (
        proc.stdout + proc.stderr)
    got_k = np.frombuffer((work / "kws_out.bin").read_bytes(), np.int8).reshape(25, -1)
    got_a = np.frombuffer((work / "ad_out.bin").read_bytes(), np.int8).reshape(17, -1)
    assert int((got_k != kws.predict(xk).reshape(25, -1)).sum()) == 0
    assert int((got_a != ad.predict(xa).reshape(17, -1)).sum()) == 0


def _make_lib(project: pathlib.Path, lib: str) -> pathlib.Path:
    return _tflm_double.make_tflm(project, lib, "CROSS=", "CPU_FLAGS=", "OPT=-O1", "EXTRA_CFLAGS=-Werror")


@pytest.mark.slow
def test_two_tflm_models_build_together_against_the_double(two_models, tmp_path):
    """Plumbing check (the double is not TFLM): both libraries link into one driver and run."""
    kws, ad = two_models
    a = tfsparse.generate(kws, tmp_path / "kws", name="kws", tflm=True)
    b = tfsparse.generate(ad, tmp_path / "ad", name="ad", tflm=True)
    libs = [_make_lib(a, "libkws_tflm.a"), _make_lib(b, "libad_tflm.a")]
    exe = tmp_path / "driver"
    # Sanitized host runs of the same glue: test_tflm_sources.py; here only the linking matters.
    cmd = ["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{DOUBLE}", f"-I{a / 'tflm'}",
           f"-I{b / 'tflm'}", f"-I{a / 'kernels'}", "-DTFS_DRIVER_MODELS=X(kws, Kws) X(ad, Ad)",
           "-include", "kws_model_data.h", "-include", "kws_ops.h", "-include", "ad_model_data.h", "-include", "ad_ops.h",
           str(DOUBLE / "driver.cc"), str(DOUBLE / "tflm_double.cc"), *map(str, libs), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    rng = np.random.default_rng(5)
    xk = rng.integers(-128, 128, size=(9, 40)).astype(np.int8)
    xa = rng.integers(-128, 128, size=(7, 8, 8)).astype(np.int8)
    args = []
    for tag, model, x in (("kws", kws, xk), ("ad", ad, xa)):
        (tmp_path / f"{tag}.graph").write_bytes(_tflm_graph.graph_file(model.to_tflite(), x))
        args += [str(tmp_path / f"{tag}.graph"), str(tmp_path / f"{tag}.out"), str(tmp_path / f"{tag}.dump")]
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for tag, model, x in (("kws", kws, xk), ("ad", ad, xa)):
        assert (tmp_path / f"{tag}.dump").read_bytes() == model.to_tflite()
        got = np.frombuffer((tmp_path / f"{tag}.out").read_bytes(), np.int8).reshape(len(x), -1)
        assert int((got != model.predict(x).reshape(len(x), -1)).sum()) == 0
