"""Helium (MVE) kernel on Cortex-M55 (QEMU mps3-an547): bit-exact, and used only where QEMU counts fewer
instructions than the DSP kernel. (Bit-exactness on every encoding and on the digits MLP against TFLM is
in test_targets_qemu.py, which runs every kernel of each core.)"""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model


def _one_layer(encoding, sizes, density):
    m = random_fc_model((*sizes, 4), (encoding, "dense"), density=density, seed=11, name=f"{encoding}_{density}")
    return m.replace(ops=[m.ops[0]], output=m.ops[0].output)


@pytest.mark.slow
def test_helium_where_it_counts_fewer_instructions(tmp_path):
    x = np.random.default_rng(3).integers(-128, 128, size=(20, 300)).astype(np.int8)
    cases = [("dense", (300, 64), 1.0, True), ("abs_u8", (200, 301), 0.15, True), ("abs_u16", (300, 64), 0.15, True),
             # about 4 nonzeros per row: below the vector set-up's break-even the DSP kernel runs
             ("abs_u8", (200, 301), 0.02, False)]
    for encoding, sizes, density, vectorised in cases:
        model = _one_layer(encoding, sizes, density)
        xs = x[:, : sizes[0]]
        project = tfsparse.generate(model, tmp_path / f"{encoding}_{density}", target="cortex-m55")
        dsp = tfsparse.run(project, xs, kernel_impl="cortex-m")
        mve = tfsparse.run(project, xs, kernel_impl="helium")
        assert np.array_equal(mve.outputs, model.predict(xs)), (encoding, density)
        assert "kernel helium" in mve.log
        if vectorised:
            assert mve.instructions.mean() < 0.8 * dsp.instructions.mean(), (encoding, mve.instructions.mean())
        else:
            assert abs(mve.instructions.mean() - dsp.instructions.mean()) <= 0.01 * dsp.instructions.mean()
