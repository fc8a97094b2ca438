"""Generated firmware on emulated Cortex-M4 (QEMU mps2-an386): outputs, instruction counts, errors.

These use hand-built models (every encoding in one graph) so they need neither TensorFlow nor the
converter; the LeNet end-to-end test is in test_lenet_e2e.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen import hostbuild
from tfsparse.codegen._testing import random_fc_model
from tfsparse.converter import csr
from tfsparse.errors import FirmwareError

ALL_ENCODINGS = ("rel4", "rel8", "abs_u32", "abs_u16", "abs_u8", "dense")
SIZES = (784, 300, 200, 100, 64, 32, 10)


@pytest.fixture(scope="module")
def mixed_model():
    return random_fc_model(SIZES, ALL_ENCODINGS, density=0.15, reshape_input=(1, 28, 28), softmax=True, seed=3)


@pytest.fixture(scope="module")
def mixed_project(mixed_model, tmp_path_factory):
    return tfsparse.generate(mixed_model, tmp_path_factory.mktemp("mixed") / "fw")


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(7).integers(-128, 128, (300, 28, 28)).astype(np.int8)


@pytest.fixture(scope="module")
def mixed_run(mixed_project, inputs):
    return tfsparse.run(mixed_project, inputs)


def _host_reference(model, x, fc_ref, harness, workdir):
    """FC layers by the independent NumPy statement, softmax by the host-built portable kernel."""
    h = x.reshape(len(x), -1)
    for op in model.ops:
        if op.kind == "FULLY_CONNECTED":
            h = fc_ref(csr.decode(op.weights), op.bias, op.multiplier, op.shift, op.output_zero_point,
                       op.activation_min, op.activation_max, h)
        elif op.kind == "SOFTMAX":
            case = hostbuild.SoftmaxCase(op.input_multiplier, op.input_left_shift, op.diff_min, h)
            (status, out), = hostbuild.run_cases(harness, [case], workdir)
            assert status == 0
            h = out.reshape(h.shape)
    return h


@pytest.mark.slow
def test_every_encoding_bit_exact_on_cortex_m4(mixed_model, mixed_run, inputs, fc_ref, sanitized_harness, tmp_path):
    expected = _host_reference(mixed_model, inputs, fc_ref, sanitized_harness, tmp_path)
    assert mixed_run.outputs.dtype == np.int8 and mixed_run.outputs.shape == (300, 10)
    assert int((mixed_run.outputs != expected).sum()) == 0
    # Softmax outputs are probabilities in 1/256: each row sums to about 1.
    assert np.all(np.abs((mixed_run.outputs.astype(np.int64) + 128).sum(axis=1) - 256) <= 10)


@pytest.mark.slow
def test_instruction_counts(mixed_run, mixed_project):
    r = mixed_run
    assert r.instructions.dtype == np.int64 and r.instructions.shape == (300,)
    assert np.array_equal(r.instructions, r.ticks * 40) and r.instructions_per_tick == 40
    # Work is data-independent apart from softmax's exp() and the requantization: counts vary little.
    assert r.instructions.min() > 10_000 and r.instructions.max() - r.instructions.min() < 0.05 * r.instructions.min()
    assert r.size["flash"] == r.size["text"] + r.size["data"] and r.size["sections"][".stack"] == 16384
    assert r.size == tfsparse.firmware.size(mixed_project)


@pytest.mark.slow
def test_counter_counts_instructions_exactly_to_40(mixed_model, inputs, tmp_path):
    """A hook that runs a loop of exactly 2 * 50000 instructions adds 100000 (+-40) to every count."""
    out = tfsparse.generate(mixed_model, tmp_path)
    (out / "loop_hook.h").write_text(
        "#define TFS_BEFORE_OP(index, name) do { if ((index) == 1) { uint32_t n = 50000; "
        '__asm__ volatile("1: subs %0, %0, #1\\n\\tbne 1b" : "+r"(n) :: "cc"); } } while (0)\n'
    )
    plain = tfsparse.run(out, inputs[:20])
    looped = tfsparse.run(out, inputs[:20], extra_cflags="-DTFS_HOOKS_HEADER='\"loop_hook.h\"'")
    assert np.array_equal(looped.outputs, plain.outputs)
    delta = looped.instructions - plain.instructions
    assert np.all(np.abs(delta - 100_000) <= 40), delta


@pytest.mark.slow
def test_runs_are_deterministic(mixed_project, mixed_run, inputs):
    again = tfsparse.run(mixed_project, inputs[:50])
    assert np.array_equal(again.instructions, mixed_run.instructions[:50])
    assert np.array_equal(again.outputs, mixed_run.outputs[:50])


def test_bad_inputs_are_named(mixed_project):
    with pytest.raises(ValueError, match="must be int8"):
        tfsparse.run(mixed_project, np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\).*got \(2, 784\)"):
        tfsparse.run(mixed_project, np.zeros((2, 784), np.int8))


def test_not_a_project(tmp_path):
    with pytest.raises(FirmwareError, match="not a tfsparse firmware project"):
        tfsparse.build(tmp_path)


def _path_with(tmp_path, tools):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in tools:
        (bindir / tool).symlink_to(__import__("shutil").which(tool))
    return str(bindir)


def test_missing_cross_toolchain_names_the_package(mixed_project, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _path_with(tmp_path, ["make"]))
    with pytest.raises(FirmwareError, match=r"arm-none-eabi-gcc not found.*gcc-arm-none-eabi"):
        tfsparse.build(mixed_project)


def test_missing_qemu_names_the_package(mixed_model, tmp_path, monkeypatch):
    out = tfsparse.generate(mixed_model, tmp_path / "fw")
    monkeypatch.setenv("PATH", _path_with(tmp_path, ["make", "arm-none-eabi-gcc", "arm-none-eabi-size"]))
    with pytest.raises(FirmwareError, match=r"qemu-system-arm not found.*Debian package qemu-system-arm"):
        tfsparse.run(out, np.zeros((1, 28, 28), np.int8))


def test_failing_build_shows_output_and_exit_code(tmp_path):
    out = tfsparse.generate(random_fc_model((8, 4), ("dense",)), tmp_path)
    tfsparse.build(out)
    with open(out / "tfs_model.c", "a") as f:
        f.write("\n#error deliberately broken\n")
    with pytest.raises(FirmwareError) as err:
        tfsparse.build(out)
    e = err.value
    assert e.returncode == 2 and e.command[0] == "make"
    assert "deliberately broken" in e.output and "exit code: 2" in str(e)


def test_flash_overflow_at_link_time_names_region_and_bytes(tmp_path):
    out = tfsparse.generate(random_fc_model((512, 64, 10), ("dense", "dense")), tmp_path)
    ld = out / "linker.ld"
    ld.write_text(re.sub(r"(FLASH \(rx\) : ORIGIN = 0x00000000, LENGTH = )\d+", r"\g<1>16384", ld.read_text()))
    with pytest.raises(FirmwareError, match=r"does not fit its target: FLASH overflowed by \d+ bytes"):
        tfsparse.build(out)
