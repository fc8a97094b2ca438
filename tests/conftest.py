"""Shared fixtures. TensorFlow is imported once per session, lazily, by the fixtures that need it."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def mnist_data():
    from tfsparse import datasets

    return datasets.mnist()


@pytest.fixture(scope="session")
def digits_data():
    from tfsparse import datasets

    return datasets.digits()


def _tflm_invoke(path, xq):
    """The TFLM interpreter's int8 outputs for int8 inputs ``xq``, one invocation per sample (batch 1)."""
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    out = []
    for i in range(len(xq)):
        interpreter.set_input(np.asarray(xq[i : i + 1]), 0)
        interpreter.invoke()
        out.append(interpreter.get_output(0).copy())
    return np.concatenate(out)


@pytest.fixture(scope="session")
def tflm_invoke():
    """``tflm_invoke(tflite_path, int8_inputs) -> int8 outputs``: the TFLM interpreter, the oracle of
    every bit-exactness test (PyPI ``tflite-micro``; its shapes have batch 1, so samples are stacked)."""
    return _tflm_invoke


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory, repo_root):
    """Build the wheel, install it non-editable into a fresh venv; return that venv's python.

    The venv has the wheel's console script too: ``python.parent / "tfsparse"``.
    """
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy of the project's files: setuptools' build/ directory must not land in (or
    # be reused from) the source tree, where stale files could slip into the wheel.
    src = tmp / "src"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo_root,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for rel in listed:
        if (repo_root / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo_root / rel, src / rel)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(src)],
        check=True,
    )
    wheels = list((tmp / "dist").glob("tfsparse-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    # TensorFlow and friends come from the project venv (no second download); the wheel's own
    # site-packages stays first on sys.path, so tfsparse is imported from the wheel.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    pathlib.Path(site, "project_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheels[0])], check=True)
    return py


def _reference_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("tfsparse_tests_reference_models", REPO / "tests" / "reference_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference_models(request, tmp_path_factory):
    """``{name: Reference}`` for the five MLPerf Tiny reference models (``tests/reference_models.py``):
    trained briefly, 80% pruned (Conv2D and Dense), quantized; ``.tflite`` (softmax), ``.tflite_logits``,
    ``.keras``, ``.x_calibration``, ``.x_test`` (120 inputs), ``.y_test``, ``.float_outputs``.
    Cached under pytest's cache directory (or beside its temporary directories with ``-p
    no:cacheprovider``), keyed by the sources that make them. Building all five from scratch takes
    about 80 s of CPU."""
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    if cache is not None:
        root = pathlib.Path(cache.mkdir("tfsparse_reference_models"))
    else:  # beside pytest's numbered temporary directories, which it keeps between runs
        root = tmp_path_factory.getbasetemp().parent / "tfsparse_reference_models"
    return _reference_module().build_all(root)
