"""benchmarks/tflm_cortex_m.py (generated TFLM sources on a Cortex-M4 build of real TFLM): CI has no
tflite-micro, so only what runs without it is checked here -- the refusals and the choice of TFLM's
sources. The measurement itself is benchmarks/results/tflm_cortex_m.md."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "tflm_cortex_m.py"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_without_tflm_dir_it_says_what_to_pass_and_downloads_nothing():
    p = _run()
    assert p.returncode == 2
    assert "pass --tflm-dir PATH" in p.stderr and "never downloads" in p.stderr


def test_a_directory_that_is_not_tflite_micro_is_named(tmp_path):
    p = _run("--tflm-dir", str(tmp_path), "--work-dir", str(tmp_path / "w"))
    assert p.returncode == 2
    assert str(tmp_path) in p.stderr and "micro_interpreter.h" in p.stderr
    assert not (tmp_path / "w").exists()


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        spec = importlib.util.spec_from_file_location("tflm_cortex_m", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return module


def test_sources_are_the_framework_the_listed_reference_kernels_and_tflite_without_tests(script, tmp_path):
    files = ["tensorflow/lite/micro/micro_interpreter.cc", "tensorflow/lite/micro/micro_interpreter_test.cc",
             "tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc",
             "tensorflow/lite/micro/kernels/conv.cc", "tensorflow/lite/micro/kernels/unlisted.cc",
             "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc", "tensorflow/lite/micro/examples/x/main.cc",
             "tensorflow/lite/experimental/e.cc", "tensorflow/lite/array.cc", "tensorflow/lite/core/c/common.cc",
             "tensorflow/compiler/mlir/lite/schema/schema_utils.cc"]
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("")
    (tmp_path / "tensorflow/lite/micro/tools/make").mkdir(parents=True)
    (tmp_path / "tensorflow/lite/micro/tools/make/sources.inc").write_text(
        "MICROLITE_CC_KERNEL_SRCS := \\\n$(TENSORFLOW_ROOT)tensorflow/lite/micro/kernels/conv.cc \\\n\n"
        "OTHER := x\n")
    assert script.tflm_sources(tmp_path) == [
        "tensorflow/lite/micro/micro_interpreter.cc",
        "tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc",
        "tensorflow/lite/micro/kernels/conv.cc",
        "tensorflow/compiler/mlir/lite/schema/schema_utils.cc",
        "tensorflow/lite/core/c/common.cc",
    ]
