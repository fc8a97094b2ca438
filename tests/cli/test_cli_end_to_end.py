"""The tfsparse command on a real pruned model: export -> build -> run -> report, checked against TFLM.

In-process (``cli.main``) for speed, plus one slow test that runs the console script of a wheel
installed non-editable, from a directory outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from tfsparse import cli


def _main(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_report_keras_table_and_json(workspace, capsys):
    root, kernels = workspace
    code, out, _ = _main(["-q", "report", str(root / "model.keras")], capsys)
    assert code == 0
    for name, k in kernels.items():
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert str(int(np.count_nonzero(k))) in line.split()
    code, out, _ = _main(["-q", "report", str(root / "model.keras"), "--json"], capsys)
    assert code == 0
    record = json.loads(out)
    assert {r["layer"]: r["nonzeros"] for r in record["layers"]} == {n: int(np.count_nonzero(k)) for n, k in kernels.items()}
    assert record["total"]["sparsity"] == pytest.approx(1 - sum(np.count_nonzero(k) for k in kernels.values())
                                                        / sum(k.size for k in kernels.values()))


def test_export_writes_a_project_and_refuses_to_overwrite_it(workspace, exported, capsys):
    root, _ = workspace
    meta = json.loads((exported / "project.json").read_text())
    assert meta["target"] == "cortex-m4" and meta["input_shape"] == [1, 64]
    assert (exported / "model_int8.tflite").read_bytes()[4:8] == b"TFL3"
    argv = ["-q", "export", str(root / "model.keras"), "--calibration", str(root / "calib.npy"), "--out", str(exported)]
    code, _, err = _main(argv, capsys)
    assert code == 2 and "--force" in err
    assert not (exported / "tflm").exists()
    code, out, _ = _main(argv + ["--force", "--tflm"], capsys)
    assert code == 0 and "fc1" in out
    assert "TfsparseAddOps" in (exported / "tflm" / "tfsparse_ops.h").read_text()


def test_build_prints_the_sizes_of_the_elf(exported, capsys):
    code, out, _ = _main(["-q", "build", str(exported)], capsys)
    assert code == 0
    berkeley = subprocess.run(["arm-none-eabi-size", str(exported / "fw.elf")], capture_output=True, text=True,
                              check=True).stdout.splitlines()[1].split()
    text, data, bss = (int(v) for v in berkeley[:3])
    assert f"flash: {text + data:,} bytes" in out and f"RAM: {data + bss:,} bytes" in out


def test_run_matches_tflm_and_reports_accuracy(workspace, exported, tflm_reference, capsys):
    root, _ = workspace
    y_path = root / "y_fw.npy"
    code, out, err = _main(["run", str(exported), "--inputs", str(root / "x_test.npy"), "--labels",
                            str(root / "y_test.npy"), "--out", str(y_path), "--chunk", "50"], capsys)
    assert code == 0, err
    assert "run on QEMU" in err and "120/120" in err  # progress on stderr
    y = np.load(y_path)
    reference = tflm_reference(exported / "model_int8.tflite", np.load(root / "x_test.npy"))
    assert y.dtype == np.int8 and y.shape == reference.shape
    assert (y == reference).all()
    acc = float((y.argmax(axis=1) == np.load(root / "y_test.npy")).mean())
    assert f"accuracy: {acc:.4f}" in out
    instructions = int(out.split("instructions per inference: ")[1].split()[0].replace(",", ""))
    assert instructions > 1000
    code, _, err = _main(["run", str(exported), "--inputs", str(root / "x_test.npy"), "--out", str(y_path)], capsys)
    assert code == 2 and "exists" in err  # the outputs are not overwritten without --force


def test_run_rejects_inputs_of_the_wrong_shape(workspace, exported, capsys, tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, 8, 8), np.float32))
    code, _, err = _main(["-q", "run", str(exported), "--inputs", str(bad)], capsys)
    assert code == 2 and "reshape it with x.reshape(len(x), 64)" in err


def test_report_on_the_export_dir_with_plots(exported, capsys, tmp_path):
    cli.main(["-q", "build", str(exported)])
    capsys.readouterr()
    code, out, err = _main(["-q", "report", str(exported), "--json", "--plots", str(tmp_path / "plots")], capsys)
    assert code == 0
    record = json.loads(out)
    assert record["kind"] == "dir" and record["firmware"]["flash"] > 0
    assert [layer["name"] for layer in record["layers"]] == ["fc1", "fc2", "fc3"]  # Keras layer names, the last too
    assert sum(layer["nnz"] for layer in record["layers"]) == record["total"]["nnz"]
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert {"layer_density.png", "bytes_per_nonzero.png", "spy_fc1.png"} <= set(pngs)
    assert "plot written to" in err
    before = (tmp_path / "plots" / "spy_fc1.png").read_bytes()
    code, _, err = _main(["-q", "report", str(exported), "--plots", str(tmp_path / "plots")], capsys)
    assert code == 2 and "would overwrite" in err and "--force" in err
    assert (tmp_path / "plots" / "spy_fc1.png").read_bytes() == before
    code, _, _ = _main(["-q", "report", str(exported), "--plots", str(tmp_path / "plots"), "--force"], capsys)
    assert code == 0


def test_a_failing_build_exits_1_with_the_compiler_output(exported, capsys, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    with open(broken / "tfs_model.c", "a") as f:
        f.write("\n#error deliberately broken\n")
    code, _, err = _main(["-q", "build", str(broken)], capsys)
    assert code == 1
    assert "deliberately broken" in err and "exit code" in err


@pytest.mark.slow
def test_console_script_from_an_installed_wheel(installed_wheel, workspace, tflm_reference, tmp_path):
    root, _ = workspace
    script = installed_wheel.parent / "tfsparse"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"

    def tfs(*args):
        return subprocess.run([str(script), *map(str, args)], cwd=tmp_path, capture_output=True, text=True, env=env)

    where = subprocess.run([str(installed_wheel), "-c", "import tfsparse; print(tfsparse.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, check=True).stdout
    assert str(cli.__file__).rsplit("/", 2)[0] not in where  # the wheel's copy, not the source tree
    assert tfs("--help").returncode == 0
    r = tfs("export", root / "model.keras", "--calibration", root / "calib.npy", "--out", "fw")
    assert r.returncode == 0, r.stderr
    assert "Saved artifact" not in r.stdout + r.stderr  # converter chatter is hidden
    r = tfs("build", "fw")
    assert r.returncode == 0, r.stderr
    r = tfs("run", "fw", "--inputs", root / "x_test.npy", "--out", "y.npy")
    assert r.returncode == 0, r.stderr
    reference = tflm_reference(tmp_path / "fw" / "model_int8.tflite", np.load(root / "x_test.npy"))
    assert (np.load(tmp_path / "y.npy") == reference).all()
    r = tfs("report", "fw")
    assert r.returncode == 0 and "fc1" in r.stdout
    r = tfs("build", "no_such_dir")
    assert r.returncode == 2 and "does not exist" in r.stderr
