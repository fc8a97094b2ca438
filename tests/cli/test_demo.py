"""``make demo`` (``python -m tfsparse.demo``) end to end, shortened to the minimum epochs."""

from __future__ import annotations

import json

import pytest

from tfsparse import demo


@pytest.mark.slow
def test_demo_runs_every_stage_and_reports_consistent_numbers(tmp_path, capsys):
    out = tmp_path / "demo_out"
    assert demo.main(["--out", str(out), "--epochs", "5"]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["test_digits"] == 1000
    assert report["mismatches_vs_tflm"] == {"predict": 0, "default": 0, "smallest": 0, "fastest": 0, "dense": 0}
    fw = report["firmware"]
    # Bit-exact firmware classifies exactly as the int8 model does.
    assert fw["smallest"]["accuracy"] == fw["fastest"]["accuracy"] == fw["dense"]["accuracy"] == report["accuracy"]["int8"]
    assert report["accuracy"]["float"] > 0.8 and abs(report["accuracy"]["float"] - report["accuracy"]["int8"]) < 0.02
    assert report["weights"]["nonzeros"] == pytest.approx(0.1 * report["weights"]["dense_bytes"], rel=0.01)
    assert fw["smallest"]["flash"] < fw["fastest"]["flash"] < fw["dense"]["flash"]
    for kernel in ("portable", "cortex-m"):  # both kernels ran, bit-exact, for every build
        counts = {kind: fw[kind]["instructions_by_kernel"][kernel] for kind in fw}
        assert counts["fastest"] < counts["smallest"] < counts["dense"], (kernel, counts)
        assert counts["default"] < counts["smallest"], (kernel, counts)  # small *and* fast
    assert abs(report["profile"]["error_vs_firmware"]) <= 0.05
    assert report["profile"]["worst_case_instructions"] >= report["profile"]["instructions"]
    for name in report["paths"]["plot_names"]:
        assert (out / "plots" / f"{name}.png").stat().st_size > 1000
    assert (out / "fw_smallest" / "fw.elf").is_file() and (out / "lenet_pruned.keras").is_file()
    # The printed report carries the same numbers.
    assert f"{fw['smallest']['flash']:>14,}{fw['fastest']['flash']:>14,}{fw['dense']['flash']:>14,}" in printed
    assert fw["default"]["flash"] < fw["dense"]["flash"]
    assert "SparseModel.predict 0, firmware default 0, smallest 0, fastest 0, dense 0" in printed
    assert "Profile of" in printed and "measured per op" in printed
    assert str(out / "plots") in printed


def test_demo_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit) as e:
        demo.main(["--epochs", "2"])
    assert e.value.code == 2 and "--epochs must be at least 5" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        demo.main(["--sparsity", "1.5"])
    assert e.value.code == 2 and "--sparsity" in capsys.readouterr().err
