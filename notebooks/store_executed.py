"""Execute the notebooks top to bottom and store them with their outputs (``make notebooks``).

Readers on GitHub see every printed number and figure without running anything. Each notebook runs
in a fresh kernel of this interpreter, in a temporary folder (its ``notebook_out/`` goes there, not
into the repository); machine-specific paths in the outputs (the temporary folder, this checkout,
the interpreter's prefix, the home folder) are replaced by neutral ones, TensorFlow's native start-up
lines (absl log lines with a timestamp and a process id: the oneDNN note, the CUDA probe of a machine
without GPU) are left out of the stored stderr, and per-cell timing metadata is not recorded. ``tests/notebooks/test_notebooks.py`` checks the stored notebooks and still runs
each from scratch.

Usage: python notebooks/store_executed.py [NOTEBOOK.ipynb ...]   (default: all of notebooks/*.ipynb)
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import sys
import sysconfig
import tempfile

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent


def _replacements(work: pathlib.Path) -> list:
    """(machine path, neutral text), longest first so that nested paths are replaced whole."""
    pairs = {
        str(work): ".",
        str(HERE.parent): "<tfsparse checkout>",
        sysconfig.get_paths()["purelib"]: "<site-packages>",
        sysconfig.get_paths()["stdlib"]: "<python stdlib>",
        sys.prefix: "<python prefix>",
        str(pathlib.Path.home()): "~",
        tempfile.gettempdir(): "<tmp>",
    }
    return sorted(((k, v) for k, v in pairs.items() if k and k != "/"), key=lambda kv: -len(kv[0]))


def _neutral(text: str, replacements) -> str:
    for path, neutral in replacements:
        text = text.replace(path + "/", neutral + "/").replace(path, neutral)
    return text


# "I0000 00:00:1795912117.547242    2092 port.cc:153] ..." and the line absl prints before them.
_NATIVE_LOG = re.compile(r"^(?:[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"
                         r"|WARNING: All log messages before absl::InitializeLog\(\) is called .*)$")


def _without_native_log(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not _NATIVE_LOG.match(line.rstrip("\n")))


def _clean_outputs(nb, replacements) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.name == "stderr":
                out.text = _without_native_log(out.text)
                if not out.text:
                    continue
            if out.output_type == "stream" and outputs and outputs[-1].output_type == "stream" \
                    and outputs[-1].name == out.name:
                outputs[-1].text += out.text  # one block per run of prints, as Jupyter shows it
                continue
            outputs.append(out)
        cell.outputs = outputs
        for out in cell.outputs:
            if out.output_type == "stream":
                out.text = _neutral(out.text, replacements)
            elif out.output_type in ("execute_result", "display_data"):
                for mime, value in out.data.items():
                    if mime.startswith("text/") and isinstance(value, str):
                        out.data[mime] = _neutral(value, replacements)
            elif out.output_type == "error":
                raise RuntimeError(f"cell failed: {out.ename}: {out.evalue}")


def store(path: pathlib.Path) -> None:
    with tempfile.TemporaryDirectory(prefix="tfsparse-nb-") as tmp:
        tmp = pathlib.Path(tmp).resolve()
        work = tmp / "notebooks"
        work.mkdir()
        spec = tmp / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3", "language": "python"}))
        shutil.copy(path, work / path.name)
        nb = nbformat.read(work / path.name, as_version=4)
        env = {"TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg", "JUPYTER_PATH": str(tmp / "jupyter"),
               "PYTHONHASHSEED": "0"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            NotebookClient(nb, timeout=1200, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": str(work)}}).execute()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        _clean_outputs(nb, _replacements(work))
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata.get("language_info", {}).pop("version", None)
        nbformat.validate(nb)
        nbformat.write(nb, path)
    print(f"stored {path.name} executed")


def main(argv) -> int:
    paths = [pathlib.Path(a).resolve() for a in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        store(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
