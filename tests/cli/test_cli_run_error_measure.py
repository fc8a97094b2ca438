"""tfsparse run on models that are not classifiers: an error measure instead of accuracy."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse import cli
from tfsparse.codegen._testing import random_fc_model


def _main(argv, capsys):
    code = cli.main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _error(out: str, what: str):
    line = next(line for line in out.splitlines() if line.startswith(f"error vs {what}"))
    mean = float(line.split("mean abs ")[1].split(",")[0])
    worst = float(line.split("max abs ")[1].split(",")[0])
    return mean, worst


@pytest.fixture(scope="module")
def autoencoder(tmp_path_factory):
    """A 32-16-32 model exported and built once; its inputs and the executor's outputs."""
    root = tmp_path_factory.mktemp("ae")
    model = random_fc_model((32, 16, 32), ("rel4", "dense"), name="autoencoder")
    (root / "ae.tflite").write_bytes(model.to_tflite())
    assert cli.main(["-q", "export", str(root / "ae.tflite"), "--out", str(root / "fw")]) == 0
    sparse = tfsparse.convert(root / "ae.tflite")
    x = np.random.default_rng(0).uniform(-1, 1, (6, 32)).astype(np.float32)
    np.save(root / "x.npy", x)
    y = sparse.dequantize_output(sparse.predict(sparse.quantize_input(x)))
    return root, sparse, x, y


def test_autoencoder_is_compared_with_its_inputs(autoencoder, capsys):
    root, _, x, y = autoencoder
    code, out, _ = _main(["run", str(root / "fw"), "--inputs", str(root / "x.npy")], capsys)
    assert code == 0 and "accuracy" not in out
    mean, worst = _error(out, "the inputs (reconstruction)")
    assert mean == pytest.approx(float(np.abs(y - x).mean()), rel=1e-5)
    assert worst == pytest.approx(float(np.abs(y - x).max()), rel=1e-5)


def test_reference_outputs_float_and_int8(autoencoder, capsys, tmp_path):
    root, sparse, x, y = autoencoder
    np.save(tmp_path / "ref.npy", y)  # the executor is bit-exact with the firmware: zero error
    code, out, _ = _main(["run", str(root / "fw"), "--inputs", str(root / "x.npy"), "--reference",
                          str(tmp_path / "ref.npy")], capsys)
    assert code == 0 and _error(out, "--reference") == (0.0, 0.0)
    shifted = sparse.predict(sparse.quantize_input(x)).astype(np.int16) + 3
    np.save(tmp_path / "ref8.npy", np.clip(shifted, -128, 127).astype(np.int8))
    code, out, _ = _main(["run", str(root / "fw"), "--inputs", str(root / "x.npy"), "--reference",
                          str(tmp_path / "ref8.npy")], capsys)
    scale = float(sparse.output_tensor.quantization.scale[0])
    assert code == 0 and _error(out, "--reference")[1] == pytest.approx(3 * scale, rel=1e-5)


def test_labels_on_a_non_classifier_are_refused(tmp_path, capsys):
    regression = random_fc_model((32, 8, 1), ("dense", "dense"), name="regression")
    (tmp_path / "r.tflite").write_bytes(regression.to_tflite())
    assert cli.main(["-q", "export", str(tmp_path / "r.tflite"), "--out", str(tmp_path / "fw")]) == 0
    np.save(tmp_path / "x.npy", np.zeros((6, 32), np.float32))
    np.save(tmp_path / "labels.npy", np.zeros(6, np.int64))
    code, _, err = _main(["run", str(tmp_path / "fw"), "--inputs", str(tmp_path / "x.npy"), "--labels",
                          str(tmp_path / "labels.npy")], capsys)
    assert code == 2 and "output shape (1, 1) is not a class vector" in err and "--reference" in err
    assert not (tmp_path / "fw" / "fw.elf").exists()  # refused before building


def test_labels_make_a_square_model_a_classifier(autoencoder, capsys, tmp_path):
    """32 inputs, 32 outputs: with --labels it is scored as a classifier, not as an autoencoder."""
    root, _, x, y = autoencoder
    labels = np.arange(6) % 32
    np.save(tmp_path / "labels.npy", labels)
    code, out, _ = _main(["run", str(root / "fw"), "--inputs", str(root / "x.npy"), "--labels",
                          str(tmp_path / "labels.npy")], capsys)
    assert code == 0 and f"accuracy: {float((y.argmax(axis=1) == labels).mean()):.4f}" in out
    assert "error vs" not in out


def test_reference_of_the_wrong_shape_is_refused(autoencoder, capsys, tmp_path):
    root, *_ = autoencoder
    np.save(tmp_path / "ref.npy", np.zeros((6, 31), np.float32))
    code, _, err = _main(["run", str(root / "fw"), "--inputs", str(root / "x.npy"), "--reference",
                          str(tmp_path / "ref.npy")], capsys)
    assert code == 2 and "--reference" in err and "(6, 31)" in err
