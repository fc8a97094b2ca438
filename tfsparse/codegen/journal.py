"""All-or-nothing updates of an output directory: stage, commit a journal, move into place.

A transaction first writes every new file into ``<out>/.tfsparse-staging/`` (nothing in ``<out>``
changes yet), then commits by renaming its journal to ``<out>/.tfsparse-journal.json``: the list of
moves (staged file -> destination, with the destination's old and new sha256) and of deletions
(file -> the sha256 it must still have). Only then are the files moved into place with
``os.replace`` (atomic on one file system) and the deletions done, the journal removed last.

If the process dies (crash, SIGKILL, power cut of the page cache aside), :func:`recover` brings the
directory back to one of the two complete states: with a committed journal it finishes the moves and
deletions (every step can be repeated), without one it drops the staging folder, so the directory is
as before. It never touches a file whose content is neither the old nor the new one it recorded.

Example:
    >>> commit(out_dir, [("Makefile", b"all:\\n")], {"old.c": "<sha256 of old.c>"})  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil

from ..errors import FirmwareError

__all__ = ["STAGING", "JOURNAL", "commit", "recover", "sha256"]

STAGING = ".tfsparse-staging"
JOURNAL = ".tfsparse-journal.json"
_MARK = "TFSPARSE-STAGING"  # first file of a staging folder: it is tfsparse's to delete
_STAGED_JOURNAL = "journal.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: pathlib.Path):
    """sha256 of a regular file, or None if nothing is there; raises on a directory or a link."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise FirmwareError(f"{path} exists and is not a regular file tfsparse generated; move it away")
    return sha256(path.read_bytes())


def _after_step(what: str) -> None:
    """Called after every write, move and deletion. Tests replace it to kill the process there."""


def _write_durably(path: pathlib.Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def commit(out_dir, writes, deletes) -> None:
    """Write ``writes`` (ordered ``(relative path, bytes)``) and remove ``deletes`` as one transaction.

    ``deletes`` maps a relative path to the sha256 it must still have to be removed (an edited file is
    kept). The caller has checked that every destination may be overwritten; the moves happen in the
    order given, so the file that marks the project complete (the manifest) goes last.

    Raises:
        FirmwareError: a previous interrupted transaction cannot be recovered (see :func:`recover`).
    """
    out = pathlib.Path(out_dir)
    recover(out)
    staging = out / STAGING
    staging.mkdir()
    (staging / _MARK).write_bytes(b"tfsparse.generate() staging folder; removed when it completes\n")
    _after_step("mark")
    moves = []
    for i, (rel, data) in enumerate(writes):
        staged = f"{i:05d}"
        (staging / staged).write_bytes(data)
        _after_step(f"stage {rel}")
        moves.append({"staged": staged, "path": rel, "old": _file_sha(out / rel), "new": sha256(data)})
    record = {"moves": moves, "deletes": [{"path": rel, "sha256": digest} for rel, digest in sorted(deletes.items())]}
    _write_durably(staging / _STAGED_JOURNAL, (json.dumps(record, indent=1) + "\n").encode())
    _after_step("stage journal")
    os.replace(staging / _STAGED_JOURNAL, out / JOURNAL)  # the commit point
    _after_step("commit")
    _finish(out, record)


def _finish(out: pathlib.Path, record: dict) -> None:
    """Do the committed moves and deletions (each may already be done), then drop journal and staging."""
    staging = out / STAGING
    for move in record["moves"]:
        src, dst = staging / move["staged"], out / move["path"]
        current = _file_sha(dst)
        if src.is_file():
            if current not in (move["old"], move["new"]):
                raise FirmwareError(
                    f"{dst} changed while an interrupted tfsparse.generate was pending; move it away and "
                    f"generate again (the pending files are in {staging})")
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            _after_step(f"move {move['path']}")
        elif current != move["new"]:
            raise FirmwareError(
                f"{out / JOURNAL} says {move['path']} was moved into place but {dst} does not hold it; "
                f"remove {out / JOURNAL} and {staging} and generate again")
    for gone in record["deletes"]:
        path = out / gone["path"]
        if path.is_file() and not path.is_symlink() and sha256(path.read_bytes()) == gone["sha256"]:
            path.unlink()
            _after_step(f"delete {gone['path']}")
    (out / JOURNAL).unlink()
    _after_step("drop journal")
    shutil.rmtree(staging)
    _after_step("drop staging")


def recover(out_dir):
    """Complete or roll back a transaction that was interrupted in ``out_dir``.

    Returns:
        ``"completed"`` (a committed journal was finished), ``"rolled back"`` (uncommitted staged files
        were dropped; the directory is as before) or ``None`` (nothing was pending).

    Raises:
        FirmwareError: the journal is unreadable, a file it would replace was changed since, or a
            ``.tfsparse-staging`` folder there is not tfsparse's.
    """
    out = pathlib.Path(out_dir)
    journal = out / JOURNAL
    staging = out / STAGING
    if journal.exists():
        try:
            record = json.loads(journal.read_text())
            if not (isinstance(record.get("moves"), list) and isinstance(record.get("deletes"), list)):
                raise ValueError("no list of moves and deletions")
        except (ValueError, AttributeError) as exc:
            raise FirmwareError(f"{journal} is not a tfsparse journal ({exc}); move it away and generate again") from exc
        if not staging.is_dir():
            staging.mkdir()  # every move was done; _finish drops it again
        _finish(out, record)
        return "completed"
    if staging.is_symlink() or (staging.exists() and not staging.is_dir()):
        raise FirmwareError(f"{staging} is not a tfsparse staging folder; move it away")
    if staging.is_dir():
        if (staging / _MARK).is_file():
            shutil.rmtree(staging)
        elif any(staging.iterdir()):
            raise FirmwareError(f"{staging} is not a tfsparse staging folder (it has no {_MARK}); move it away")
        else:
            staging.rmdir()  # interrupted right after mkdir
        _after_step("roll back")
        return "rolled back"
    return None
