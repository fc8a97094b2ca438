"""The wheel ships templates and firmware sources as package data and works from any directory."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

DATA_DIRS = {"templates": "tfsparse._templates", "firmware": "tfsparse._firmware"}
SHIPPED_SUFFIXES = {".j2", ".c", ".h", ".cc", ".ld", ".S", ".mk"}


def _tracked_data_files(repo):
    out = subprocess.run(["git", "ls-files", *DATA_DIRS], cwd=repo, capture_output=True, text=True, check=True)
    files = set()
    for line in out.stdout.splitlines():
        p = pathlib.Path(line)
        if p.suffix in SHIPPED_SUFFIXES or p.name == "Makefile" or p.name == "__init__.py":
            files.add(line)
    return files


@pytest.mark.slow
def test_wheel_ships_templates_and_firmware(installed_wheel, repo_root, tmp_path):
    code = (
        "import importlib.resources as r, pathlib, tfsparse\n"
        "print(pathlib.Path(tfsparse.__file__).parent)\n"
        f"for pkg in {sorted(DATA_DIRS.values())!r}:\n"
        "    root = r.files(pkg)\n"
        "    for p in sorted(pathlib.Path(str(root)).rglob('*')):\n"
        "        if p.is_file() and '__pycache__' not in p.parts:\n"
        "            print(pkg, p.relative_to(pathlib.Path(str(root))).as_posix())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(installed_wheel), "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    package_dir = pathlib.Path(lines[0])
    assert repo_root not in package_dir.parents, f"tfsparse imported from the source tree: {package_dir}"
    shipped = set()
    inverse = {v: k for k, v in DATA_DIRS.items()}
    for line in lines[1:]:
        pkg, rel = line.split(" ", 1)
        shipped.add(f"{inverse[pkg]}/{rel}")
    expected = _tracked_data_files(repo_root)
    assert expected, "no templates or firmware sources are tracked"
    missing = expected - shipped
    assert not missing, f"files missing from the wheel: {sorted(missing)}"
