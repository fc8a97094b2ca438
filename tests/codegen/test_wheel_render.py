"""Generating, building and running firmware from a non-editable install (templates and C sources
found as package data, from an unrelated working directory)."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model

SCRIPT = """
import json, sys, numpy as np, tfsparse
from tfsparse.codegen._testing import random_fc_model
m = random_fc_model((64, 32, 10), ("rel4", "abs_u8"), reshape_input=(1, 8, 8), softmax=True, seed=5)
x = np.arange(-128, 128, dtype=np.int8)[: 3 * 64].reshape(3, 8, 8)
r = tfsparse.run(tfsparse.generate(m, "fw"), x)
print(json.dumps({"file": tfsparse.__file__, "outputs": r.outputs.tolist(), "instructions": r.instructions.tolist()}))
"""


@pytest.mark.slow
def test_generate_build_run_from_installed_wheel(installed_wheel, repo_root, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(installed_wheel), "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert str(repo_root) not in got["file"]
    # Same outputs and instruction counts as the source tree's firmware.
    m = random_fc_model((64, 32, 10), ("rel4", "abs_u8"), reshape_input=(1, 8, 8), softmax=True, seed=5)
    x = np.arange(-128, 128, dtype=np.int8)[: 3 * 64].reshape(3, 8, 8)
    here = tfsparse.run(tfsparse.generate(m, tmp_path / "here"), x)
    assert got["outputs"] == here.outputs.tolist() and got["instructions"] == here.instructions.tolist()
    assert (tmp_path / "fw" / "fw.elf").is_file()
