"""Firmware on emulated Cortex-M4, M7 and M33: both kernels, every encoding, bit-exact.

Random hand-built models put every encoding (and the dense DSP path, with odd row and column counts)
through the real ARM instructions of the Cortex-M kernel, which the host tests cannot reach; the
digits MLP runs end to end on M7 and M33 against the TFLM interpreter.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.targets import get_target

TARGETS = ("cortex-m4", "cortex-m7", "cortex-m33")
KERNELS = ("portable", "cortex-m")
# Every encoding once; the dense layer has an odd row count and a column count that is not a
# multiple of 4 (tails of the two-row SMLAD loop); the column form has two row blocks and a column
# count that is not a multiple of 4 (tail of its four-column skip), the blocked row form two blocks.
SIZES = (602, 301, 257, 63, 47, 33, 40, 30, 10)
ENCODINGS = ("csc8", "blk8", "abs_u16", "rel8", "dense", "abs_u8", "rel4", "abs_u32")


@pytest.fixture(scope="module")
def every_encoding_model():
    return random_fc_model(SIZES, ENCODINGS, density=0.15, seed=11, name="every_encoding")


@pytest.fixture(scope="module")
def random_inputs():
    x = np.random.default_rng(3).integers(-128, 128, size=(100, SIZES[0])).astype(np.int8)
    x[np.random.default_rng(4).random(x.shape) < 0.7] = -128  # at the input zero point: skipped by csc8
    return x


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_every_encoding_both_kernels_bit_exact(target, every_encoding_model, random_inputs, tmp_path):
    expected = every_encoding_model.predict(random_inputs)
    project = tfsparse.generate(every_encoding_model, tmp_path / target, target=target)
    runs = {k: tfsparse.run(project, random_inputs, kernel_impl=k) for k in KERNELS}
    for kernel, r in runs.items():
        mismatches = int((r.outputs != expected).sum())
        assert mismatches == 0, f"{target}/{kernel}: {mismatches} of {expected.size} outputs differ from predict"
        assert r.instructions.min() > 0
    # The optimized kernel must actually be cheaper on every core.
    assert runs["cortex-m"].instructions.mean() < runs["portable"].instructions.mean()


def test_targets_table():
    m7, m33 = get_target("cortex-m7"), get_target("cortex-m33")
    assert (m7.qemu_machine, m7.flash_origin, m7.ram_origin, m7.kernel_impl) == (
        "mps2-an500", 0x0, 0x20000000, "cortex-m")
    assert (m33.qemu_machine, m33.flash_origin, m33.ram_origin, m33.kernel_impl) == (
        "mps2-an505", 0x10000000, 0x38000000, "cortex-m")
    assert "-mcpu=cortex-m33" in m33.cpu_flags and "-mcpu=cortex-m7" in m7.cpu_flags


@pytest.mark.slow
def test_m33_tick_is_50_instructions(every_encoding_model, random_inputs, tmp_path):
    """an505 runs at 20 MHz (an386/an500 at 25 MHz). The same C on M7 and M33 compiles to nearly the
    same instruction count (-mcpu changes a few percent); a wrong tick length (40) would read 20% low."""
    counts = {}
    for target in ("cortex-m7", "cortex-m33"):
        project = tfsparse.generate(every_encoding_model, tmp_path / target, target=target)
        counts[target] = tfsparse.run(project, random_inputs[:5], kernel_impl="portable").instructions
    ratio = counts["cortex-m33"] / counts["cortex-m7"]
    assert np.all(np.abs(ratio - 1) < 0.1), ratio


@pytest.mark.slow
@pytest.mark.parametrize("target", ("cortex-m7", "cortex-m33"))
def test_digits_mlp_end_to_end(target, digits_sparse, digits_int8, digits_tflm, tmp_path):
    _, xq, y_test = digits_int8
    tflm_top1 = float(np.mean(digits_tflm.argmax(axis=1) == y_test))
    for policy, sparse in digits_sparse.items():
        project = tfsparse.generate(sparse, tmp_path / f"{target}_{policy}", target=target)
        for kernel in KERNELS:
            r = tfsparse.run(project, xq, kernel_impl=kernel)
            mismatches = int((r.outputs != digits_tflm).sum())
            assert mismatches == 0, f"{target}/{policy}/{kernel}: {mismatches} outputs differ from TFLM"
            assert float(np.mean(r.outputs.argmax(axis=1) == y_test)) == tflm_top1
    assert tflm_top1 > 0.8
