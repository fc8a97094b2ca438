"""Driver for test_atomic_generate: kill a generate (or export) with SIGKILL after its k-th step.

Run as ``python kill_generate.py WORK``. For every scenario and every k = 1, 2, ... it copies the
scenario's starting folder to ``WORK/<scenario>/k<k>``, forks, and in the child replaces the journal's
step hook with one that SIGKILLs the process at step k, then generates; it stops at the first k the
child survives. It writes ``WORK/<scenario>/ref_before`` and ``ref_after`` (the complete projects
before and after) and ``WORK/report.json`` (scenario -> number of killed runs). Then it kills the
recovery of every killed "regenerate" folder after each of the recovery's own steps
(``WORK/recover/k<k>/k<j>``). The test, in its
own process, then checks every killed folder.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import sys

import tfsparse
from tfsparse import cli
from tfsparse.codegen import journal
from tfsparse.codegen._testing import random_fc_model


def models():
    a = random_fc_model((64, 32, 10), ("rel4", "abs_u8"), reshape_input=(1, 8, 8), softmax=True, name="A")
    b = random_fc_model((64, 16, 10), ("dense", "dense"), reshape_input=(1, 8, 8), name="B", seed=1)
    return a, b


def user_files(folder: pathlib.Path) -> None:
    (folder / "notes.txt").write_text("mine\n")
    (folder / "kernels").mkdir(exist_ok=True)
    (folder / "kernels" / "my_kernel.c").write_text("/* mine */\n")


def _kill_at(k: int):
    count = [0]

    def hook(what):
        count[0] += 1
        if count[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def run_killed(start: pathlib.Path, dest: pathlib.Path, action) -> int:
    """Copies of ``start`` with ``action`` killed at step 1, 2, ...; returns how many were killed."""
    k = 1
    while True:
        folder = dest / f"k{k}"
        shutil.copytree(start, folder, symlinks=True)
        pid = os.fork()
        if pid == 0:  # the child: no pytest, no TensorFlow, only this script
            journal._after_step = _kill_at(k)
            try:
                action(folder)
            except BaseException:
                os._exit(3)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status):
            if os.WEXITSTATUS(status) != 0:
                raise SystemExit(f"{folder}: the run failed without being killed")
            shutil.rmtree(folder)
            return k - 1
        assert os.WTERMSIG(status) == signal.SIGKILL, status
        k += 1


def main(work: pathlib.Path) -> None:
    a, b = models()
    tflite = work / "b.tflite"
    tflite.write_bytes(b.to_tflite())
    empty = work / "empty"
    empty.mkdir()
    user_files(empty)
    old = work / "old"
    old.mkdir()
    user_files(old)
    tfsparse.generate(a, old, extra_files={"model_int8.tflite": a.to_tflite()})

    def gen_b(folder):
        tfsparse.generate(b, folder)

    def export_b(folder):
        if cli.main(["--quiet", "export", str(tflite), "--out", str(folder), "--force"]) != 0:
            raise SystemExit("export failed")

    scenarios = {"fresh": (empty, gen_b), "regenerate": (old, gen_b), "export": (old, export_b)}
    report = {}
    for name, (start, action) in scenarios.items():
        dest = work / name
        dest.mkdir()
        shutil.copytree(start, dest / "ref_before", symlinks=True)
        shutil.copytree(start, dest / "ref_after", symlinks=True)
        action(dest / "ref_after")
        report[name] = run_killed(start, dest, action)
    # A second crash, during the recovery of the first: recover is killed after each of its own steps.
    report["recover"] = {}
    for k in range(1, report["regenerate"] + 1):
        dest = work / "recover" / f"k{k}"
        dest.mkdir(parents=True)
        report["recover"][k] = run_killed(work / "regenerate" / f"k{k}", dest, journal.recover)
    (work / "report.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
