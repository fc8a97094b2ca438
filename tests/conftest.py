"""Shared fixtures. TensorFlow is imported once per session, lazily, by the fixtures that need it."""

from __future__ import annotations

import os
import pathlib
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


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory, repo_root):
    """Build the wheel, install it non-editable into a fresh venv; return that venv's python.

    The venv has the wheel's console script too: ``python.parent / "tfsparse"``.
    """
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(repo_root)],
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
