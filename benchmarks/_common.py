"""Shared by the benchmark scripts: the environment record and the JSON + markdown writers."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import json
import os
import pathlib
import platform
import subprocess

RESULTS = pathlib.Path(__file__).resolve().parent / "results"

_PACKAGES = ("tfsparse", "tensorflow", "keras", "numpy", "tf_keras", "tensorflow-model-optimization", "tflite-micro")


def _tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return out.stdout.splitlines()[0].strip() if out.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict:
    """Date, package versions, tool versions and machine, recorded beside every result."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = _md.version(name)
        except _md.PackageNotFoundError:
            versions[name] = None
    cpu = platform.processor() or ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "packages": versions,
        "tools": {
            "arm-none-eabi-gcc": _tool_version(["arm-none-eabi-gcc", "--version"]),
            "qemu-system-arm": _tool_version(["qemu-system-arm", "--version"]),
        },
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform()},
    }


def markdown_table(headers, rows) -> str:
    """A GitHub markdown table from a header list and rows of cells (already formatted)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict, markdown: str) -> pathlib.Path:
    """Write ``results/NAME.json`` (data + environment) and ``results/NAME.md`` (markdown + provenance)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = environment()
    payload = {"benchmark": name, "environment": env, **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    pk = env["packages"]
    footer = (
        f"\n\nMeasured {env['date'][:10]} on {env['machine']['cpu']} ({env['machine']['cores']} cores), "
        f"Python {env['python']}, TensorFlow {pk['tensorflow']}, Keras {pk['keras']}, tfsparse {pk['tfsparse']}."
    )
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + footer + "\n")
    return path


def write_fitted_section(label: str, script: str, **tables) -> None:
    """Replace the ``# BEGIN <label>`` ... ``# END <label>`` section of ``tfsparse/costmodel.py`` with
    ``NAME = <table>`` for each keyword (the fit scripts' tables; never edited by hand)."""
    import pprint
    import re

    path = pathlib.Path(__file__).resolve().parents[1] / "tfsparse" / "costmodel.py"
    text = path.read_text()
    body = (f"# BEGIN {label} ({script}; do not edit by hand)\n"
            + "".join(f"{name} = {pprint.pformat(table, width=110, sort_dicts=True)}\n" for name, table in tables.items())
            + f"# END {label}")
    new, n = re.subn(rf"# BEGIN {label} .*?# END {label}\b", lambda _: body, text, flags=re.S)
    if n != 1:
        raise RuntimeError(f"{path}: BEGIN {label} / END {label} markers not found")
    path.write_text(new)
