"""The tfsparse command line: help, argument checks, error messages and exit codes (no TensorFlow work)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tfsparse import cli

COMMANDS = ("export", "build", "run", "report")


def _main(argv, capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse: --help, --version, bad arguments
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command_and_exit_codes(capsys):
    code, out, _ = _main(["--help"], capsys)
    assert code == 0
    for command in COMMANDS:
        assert command in out
    assert "exit codes" in out and "130" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_with_an_example(command, capsys):
    code, out, _ = _main([command, "--help"], capsys)
    assert code == 0
    assert f"usage: tfsparse {command}" in out
    assert f"tfsparse {command} " in out.split("example", 1)[1]


def test_version(capsys):
    import tfsparse

    code, out, _ = _main(["--version"], capsys)
    assert code == 0 and out.strip() == f"tfsparse {tfsparse.__version__}"


def test_no_command_prints_usage_and_exits_2(capsys):
    code, _, err = _main([], capsys)
    assert code == cli.EXIT_USAGE
    assert "usage: tfsparse" in err


def test_help_does_not_import_tensorflow():
    code = "import sys, tfsparse.cli as c; c.build_parser().format_help(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export", "missing.keras", "--calibration", "x.npy", "--out", "o"], "MODEL 'missing.keras' does not exist"),
        (["build", "no_such_dir"], "DIR 'no_such_dir' does not exist"),
        (["run", "no_such_dir", "--inputs", "x.npy"], "DIR 'no_such_dir' does not exist"),
        (["report", "nothing.tflite"], "TARGET 'nothing.tflite' does not exist"),
    ],
)
def test_missing_paths_exit_2_naming_the_argument(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _main(argv, capsys)
    assert code == cli.EXIT_USAGE
    assert message in err and err.startswith(f"tfsparse {argv[0]}: error:")


def test_bad_option_values_exit_2(capsys):
    code, _, err = _main(["export", "m.keras", "--out", "o", "--max-samples", "0"], capsys)
    assert code == 2 and "positive integer" in err
    code, _, err = _main(["export", "m.keras"], capsys)
    assert code == 2 and "--out" in err
    code, _, err = _main(["export", "m.keras", "--out", "o", "--encoding", "rel2"], capsys)
    assert code == 2 and "invalid choice: 'rel2'" in err and "rel4" in err


def test_unknown_model_suffix_is_explained(capsys, tmp_path):
    model = tmp_path / "model.h5"
    model.write_bytes(b"not a model")
    code, _, err = _main(["report", str(model)], capsys)
    assert code == 2 and ".keras" in err and "model.save('model.keras')" in err


def test_keras_export_requires_calibration(capsys, tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"zip")
    code, _, err = _main(["export", str(model), "--out", str(tmp_path / "fw")], capsys)
    assert code == 2 and "--calibration DATA.npy is required" in err


def test_unreadable_calibration_file(capsys, tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"zip")
    bad = tmp_path / "x.npy"
    bad.write_text("1,2,3\n")
    code, _, err = _main(["export", str(model), "--calibration", str(bad), "--out", str(tmp_path / "fw")], capsys)
    assert code == 2 and "--calibration" in err and "numpy.save" in err
    nan = tmp_path / "nan.npy"
    np.save(nan, np.array([[np.nan, 1.0]], dtype=np.float32))
    code, _, err = _main(["export", str(model), "--calibration", str(nan), "--out", str(tmp_path / "fw")], capsys)
    assert code == 2 and "NaN" in err


def test_export_refuses_a_directory_holding_user_files(capsys, tmp_path):
    model = tmp_path / "model.tflite"
    model.write_bytes(b"tfl3")
    out = tmp_path / "fw"
    out.mkdir()
    mine = out / "notes.txt"
    mine.write_text("my notes")
    code, _, err = _main(["export", str(model), "--out", str(out)], capsys)
    assert code == 2 and "not empty" in err and "--force" in err
    code, _, err = _main(["export", str(model), "--out", str(out), "--force"], capsys)
    assert code == 2 and "did not write" in err
    assert mine.read_text() == "my notes"  # nothing the user owns is touched


def test_report_on_a_directory_that_is_not_an_export(capsys, tmp_path):
    code, _, err = _main(["report", str(tmp_path)], capsys)
    assert code == 2 and "not a directory made by 'tfsparse export'" in err


def test_check_samples_accepts_one_sample_and_explains_reshapes():
    x = np.zeros((784,), np.float32)
    assert cli._check_samples(x, (784,), "--inputs", "x.npy").shape == (1, 784)
    with pytest.raises(cli.UsageError, match=r"reshape it with x.reshape\(len\(x\), 784\)"):
        cli._check_samples(np.zeros((5, 28, 28)), (784,), "--inputs", "x.npy")
    with pytest.raises(cli.UsageError, match=r"expected \(N, 64\)"):
        cli._check_samples(np.zeros((5, 10)), (64,), "--inputs", "x.npy")


def test_unknown_target_lists_the_known_ones(capsys, tmp_path):
    model = tmp_path / "model.tflite"
    model.write_bytes(b"tfl3")
    code, _, err = _main(["export", str(model), "--out", str(tmp_path / "fw"), "--target", "cortex-a53"], capsys)
    assert code == 2 and "--target" in err and "cortex-m4" in err
    assert not (tmp_path / "fw").exists()


def test_a_file_that_is_not_a_keras_archive(capsys, tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"this is not a zip archive")
    code, _, err = _main(["report", str(model)], capsys)
    assert code == 2 and f"cannot load Keras model {str(model)!r}" in err


class _Tty:
    """A stderr stand-in that says it is a terminal."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_progress_redraws_a_bar_on_a_terminal_and_prints_lines_otherwise():
    import io

    tty = _Tty()
    progress = cli._Progress("run", stream=tty)
    with progress.step("build"):
        pass
    bar = progress.bar("run on QEMU", 4)
    for _ in range(4):
        bar.update(1)
    assert tty.text.startswith("run: build ... done (")
    frames = tty.text.split("\r")[1:]
    assert len(frames) == 4 and "[" + "#" * 30 + "] 4/4" in frames[-1] and frames[-1].endswith("\n")
    log = io.StringIO()
    progress = cli._Progress("run", stream=log)
    bar = progress.bar("run on QEMU", 100)
    for _ in range(100):
        bar.update(1)
    lines = log.getvalue().splitlines()  # the first update, then every quarter
    assert "\r" not in log.getvalue() and len(lines) == 5 and lines[-1].startswith("run: run on QEMU 100/100")
    quiet = io.StringIO()
    with cli._Progress("run", quiet=True, stream=quiet).step("build"):
        pass
    assert quiet.getvalue() == ""
