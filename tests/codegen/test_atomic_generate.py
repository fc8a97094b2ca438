"""generate and export are all-or-nothing: a run killed (SIGKILL) after any write, move or deletion is
completed or rolled back by the next one, and no file of the user's is ever touched."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

import tfsparse
from tfsparse.codegen import journal
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.manifest import MANIFEST
from tfsparse.errors import FirmwareError

DRIVER = pathlib.Path(__file__).with_name("kill_generate.py")
sys.path.insert(0, str(DRIVER.parent))
import kill_generate  # noqa: E402


def snapshot(folder: pathlib.Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """Every scenario killed at every step, by the driver in its own process (it forks per kill)."""
    work = tmp_path_factory.mktemp("killed")
    subprocess.run([sys.executable, str(DRIVER), str(work)], check=True, stdout=subprocess.DEVNULL, timeout=600)
    return work, json.loads((work / "report.json").read_text())


@pytest.mark.parametrize("scenario", ["fresh", "regenerate", "export"])
def test_recover_gives_the_old_or_the_new_project(killed, scenario):
    work, report = killed
    before, after = (snapshot(work / scenario / ref) for ref in ("ref_before", "ref_after"))
    assert before != after and "notes.txt" in after and "kernels/my_kernel.c" in after
    # A kill after each staged write, the commit, each move and deletion, and the clean-up.
    assert report[scenario] >= len(set(after) ^ set(before)) + 3
    states = []
    for k in range(1, report[scenario] + 1):
        folder = work / scenario / f"k{k}"
        outcome = journal.recover(folder)
        state = snapshot(folder)
        assert state in (before, after), f"kill at step {k}: recover ({outcome}) left a mixed folder"
        states.append((outcome, state == after))
    # Early kills roll back, late ones complete; the last kill (staging left behind) just cleans up.
    assert states[0] == ("rolled back", False) and states[-1][1]
    assert ("completed", True) in states


def test_a_recovery_killed_midway_is_recovered_too(killed):
    work, report = killed
    before, after = (snapshot(work / "regenerate" / ref) for ref in ("ref_before", "ref_after"))
    assert sum(report["recover"].values()) > 0
    for k, kills in report["recover"].items():
        for j in range(1, kills + 1):
            folder = work / "recover" / f"k{k}" / f"k{j}"
            journal.recover(folder)
            assert snapshot(folder) in (before, after), f"generate killed at step {k}, its recovery at step {j}"


@pytest.mark.parametrize("scenario", ["fresh", "regenerate"])
def test_next_generate_after_any_kill_succeeds(killed, scenario, tmp_path):
    work, report = killed
    after = snapshot(work / scenario / "ref_after")
    _, b = kill_generate.models()
    for k in range(1, report[scenario] + 1):
        folder = tmp_path / f"k{k}"
        shutil.copytree(work / scenario / f"k{k}", folder)
        tfsparse.generate(b, folder)
        assert snapshot(folder) == after, f"kill at step {k}"


def test_next_export_after_any_kill_succeeds(killed, tmp_path):
    from tfsparse import cli

    work, report = killed
    after = snapshot(work / "export" / "ref_after")
    for k in (1, report["export"] // 2, report["export"]):
        folder = work / "export" / f"k{k}"
        # The interrupted export is finished or undone, then replaced (--force: the folder held an export).
        assert cli.main(["--quiet", "export", str(work / "b.tflite"), "--out", str(folder), "--force"]) == 0
        assert snapshot(folder) == after, f"kill at step {k}"


def test_banner_marks_files_of_a_generate_that_died_before_its_manifest(tmp_path):
    """A folder left by a generate that wrote files but no manifest (tfsparse before the journal)."""
    a = random_fc_model((16, 8, 4), ("dense", "dense"), name="A")
    b = random_fc_model((16, 12, 4), ("rel4", "dense"), name="B")
    out = tfsparse.generate(a, tmp_path / "fw")
    (out / MANIFEST).unlink()
    (out / "notes.txt").write_text("mine\n")
    tfsparse.generate(b, out)
    assert '"B"' in (out / "tfs_model.h").read_text()
    assert (out / "notes.txt").read_text() == "mine\n"


def test_a_foreign_staging_folder_is_refused_and_kept(tmp_path):
    m = random_fc_model((16, 4), ("dense",))
    (tmp_path / journal.STAGING).mkdir()
    (tmp_path / journal.STAGING / "photo.jpg").write_bytes(b"mine")
    with pytest.raises(FirmwareError, match=r"\.tfsparse-staging is not a tfsparse staging folder"):
        tfsparse.generate(m, tmp_path)
    assert (tmp_path / journal.STAGING / "photo.jpg").read_bytes() == b"mine"


def test_a_file_changed_while_a_journal_was_pending_is_kept(tmp_path):
    m = random_fc_model((16, 4), ("dense",))
    tfsparse.generate(m, tmp_path)
    (tmp_path / journal.STAGING).mkdir()
    (tmp_path / journal.STAGING / "00000").write_bytes(b"new")
    record = {"moves": [{"staged": "00000", "path": "Makefile", "old": "0" * 64, "new": journal.sha256(b"new")}],
              "deletes": []}
    (tmp_path / journal.JOURNAL).write_text(json.dumps(record))
    before = (tmp_path / "Makefile").read_bytes()
    with pytest.raises(FirmwareError, match=r"Makefile changed while an interrupted tfsparse.generate was pending"):
        tfsparse.generate(m, tmp_path)
    assert (tmp_path / "Makefile").read_bytes() == before


def test_export_force_takes_over_a_folder_left_without_manifest(tmp_path):
    """tfsparse before the journal died before writing project.json and the manifest: --force works."""
    from tfsparse import cli

    a = random_fc_model((16, 8, 4), ("dense", "dense"), name="A")
    b = random_fc_model((16, 12, 4), ("dense", "dense"), name="B")
    out = tfsparse.generate(a, tmp_path / "fw")
    (out / MANIFEST).unlink()
    (out / "project.json").unlink()
    (out / "notes.txt").write_text("mine\n")
    (tmp_path / "b.tflite").write_bytes(b.to_tflite())
    assert cli.main(["--quiet", "export", str(tmp_path / "b.tflite"), "--out", str(out), "--force"]) == 0
    assert cli.main(["--quiet", "export", str(tmp_path / "b.tflite"), "--out", str(tmp_path / "clean")]) == 0
    assert snapshot(out) == {**snapshot(tmp_path / "clean"), "notes.txt": b"mine\n"}


def test_export_force_replaces_the_tflite_an_older_export_wrote_outside_the_manifest(tmp_path):
    from tfsparse import cli

    a = random_fc_model((16, 8, 4), ("dense", "dense"), name="A")
    b = random_fc_model((16, 12, 4), ("dense", "dense"), name="B")
    out = tfsparse.generate(a, tmp_path / "fw")
    (out / "model_int8.tflite").write_bytes(a.to_tflite())  # as 'tfsparse export' wrote it before
    (tmp_path / "b.tflite").write_bytes(b.to_tflite())
    argv = ["--quiet", "export", str(tmp_path / "b.tflite"), "--out", str(out)]
    assert cli.main(argv) == 2  # without --force it is still refused
    assert (out / "model_int8.tflite").read_bytes() == a.to_tflite()
    assert cli.main(argv + ["--force"]) == 0
    assert (out / "model_int8.tflite").read_bytes() == b.to_tflite()
    assert not (out / journal.STAGING).exists() and not (out / journal.JOURNAL).exists()


def test_build_completes_a_generate_that_died_while_moving_files(tmp_path, monkeypatch):
    a = random_fc_model((16, 8, 4), ("dense", "dense"), name="A")
    b = random_fc_model((16, 12, 4), ("rel4", "dense"), name="B")
    tfsparse.generate(b, tmp_path / "clean")
    out = tfsparse.generate(a, tmp_path / "fw")

    def die_after_first_move(what):
        if what.startswith("move"):
            raise KeyboardInterrupt

    monkeypatch.setattr(journal, "_after_step", die_after_first_move)
    with pytest.raises(KeyboardInterrupt):
        tfsparse.generate(b, out)
    monkeypatch.undo()
    assert (out / journal.JOURNAL).is_file()
    tfsparse.build(out)  # make must not see half of A and half of B
    built = {"fw.elf", "fw.map", ".build-flags"}
    assert {k: v for k, v in snapshot(out).items() if not k.endswith(".o") and k not in built} == snapshot(tmp_path / "clean")


def test_an_unreadable_journal_is_named_and_kept(tmp_path):
    m = random_fc_model((16, 4), ("dense",))
    (tmp_path / journal.JOURNAL).write_text('["not", "a journal"]')
    with pytest.raises(FirmwareError, match=r"\.tfsparse-journal\.json is not a tfsparse journal"):
        tfsparse.generate(m, tmp_path)
    assert (tmp_path / journal.JOURNAL).read_text() == '["not", "a journal"]'
