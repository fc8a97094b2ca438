"""Per-op instruction counts (RunResult.layer_instructions) and the cost model against them on QEMU."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen.targets import get_target
from tfsparse.firmware import dither_cflags, dither_period

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    m = random_fc_model((784, 300, 100, 10), ("abs_u16", "rel4", "dense"), density=0.1,
                        reshape_input=(1, 28, 28), softmax=True, seed=5)
    # TFLM's softmax parameters for a logit scale of 0.034 (LeNet-300-100's): no int32 wrap in the kernel.
    ops = m.ops[:-1] + [dataclasses.replace(m.ops[-1], input_multiplier=1170900352, input_left_shift=22, diff_min=-496)]
    return m.replace(ops=ops)


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(1).integers(-128, 128, (40, 28, 28)).astype(np.int8)


def test_layer_counts_cover_each_op_and_sum_to_the_total(model, inputs, tmp_path):
    out = tfsparse.generate(model, tmp_path / "fw")
    (out / "loop_hook.h").write_text(
        "#define TFS_BEFORE_OP(index, name) do { if ((index) == 2) { uint32_t n = 50000; "
        '__asm__ volatile("1: subs %0, %0, #1\\n\\tbne 1b" : "+r"(n) :: "cc"); } } while (0)\n')
    plain = tfsparse.run(out, inputs)
    assert plain.layer_instructions.shape == (40, len(model.ops)) and plain.layer_instructions.dtype == np.int64
    assert plain.layer_names == tuple(op.name for op in model.ops)
    # The graph's own overhead (calls, stamps) is what the totals hold beyond the ops: a few per op.
    rest = plain.instructions - plain.layer_instructions.sum(axis=1)
    assert np.all(rest >= -40 * len(model.ops)) and np.all(rest <= 40 * (len(model.ops) + 2)), rest
    assert plain.layer_instructions[:, 1].mean() > 100_000  # the 784x300 layer dominates
    # Work done in a hook (outside the stamps) shows in the total, not in any op's count.
    looped = tfsparse.run(out, inputs, extra_cflags="-DTFS_HOOKS_HEADER='\"loop_hook.h\"'")
    assert np.all(np.abs(looped.instructions - plain.instructions - 100_000) <= 40)
    assert np.all(np.abs(looped.layer_instructions - plain.layer_instructions) <= 40)
    table = plain.layer_table()
    assert all(op.name in table for op in model.ops) and "total" in table


@pytest.fixture(scope="module")
def blocked_model():
    """blk8 over 4 column blocks, csc8 (the assembly column loop on DSP cores) and rel8: the other forms."""
    return random_fc_model((784, 300, 100, 10), ("blk8", "csc8", "rel8"), density=0.15, reshape_input=(1, 28, 28), seed=9)


@pytest.mark.parametrize("target, which", [("cortex-m4", "model"), ("cortex-m33", "model"),
                                           ("cortex-m7", "blocked_model")])
def test_profile_predicts_qemu_within_5_percent(request, inputs, tmp_path, target, which):
    """The cost model's per-op and total predictions against dithered (exact mean) QEMU counts: a sample
    of boards and encodings (benchmarks/firmware.py checks every one on LeNet-300-100 and the digits MLP)."""
    model = request.getfixturevalue(which)
    per_tick = get_target(target).instructions_per_tick
    x = np.concatenate([inputs] * 2)[:dither_period(per_tick)]
    # MNIST-like activity: most pixels at the zero point, so the column form skips some columns.
    x = np.where(np.random.default_rng(4).random(x.shape) < 0.3, x, np.int8(-128)).astype(np.int8)
    out = tfsparse.generate(model, tmp_path / target, target=target)
    for kernel in ("portable", "cortex-m"):
        measured = tfsparse.run(out, x, kernel_impl=kernel, extra_cflags=dither_cflags(per_tick))
        assert np.array_equal(measured.outputs, model.predict(x)), kernel
        prof = tfsparse.profile(model, target=target, inputs=x, kernel=kernel)
        means = measured.layer_instructions.mean(axis=0)
        for layer, m in zip(prof.layers, means):
            if layer.op == "RESHAPE":
                assert abs(layer.instructions - m) <= 10, (kernel, layer.name, layer.instructions, m)
                continue
            assert abs(layer.instructions / m - 1) <= 0.05, (kernel, layer.name, layer.instructions, m)
        assert abs(prof.instructions / measured.instructions.mean() - 1) <= 0.05, (kernel, prof.instructions)


def test_worst_case_build_flag_confirms_the_profile(tmp_path):
    """csc8 skips columns at the zero point; -DTFS_ALL_COLUMNS_LIVE tests none: the profile's worst case."""
    m = random_fc_model((784, 300, 100, 10), ("csc8", "csc8", "blk8"), density=0.1, seed=7)
    rng = np.random.default_rng(2)
    x = np.where(rng.random((40, 784)) < 0.2, rng.integers(-127, 128, (40, 784)), -128).astype(np.int8)
    out = tfsparse.generate(m, tmp_path / "fw")
    flags = dither_cflags(40)
    mean = tfsparse.run(out, x, kernel_impl="cortex-m", extra_cflags=flags)
    worst = tfsparse.run(out, x, kernel_impl="cortex-m", extra_cflags=flags + " -DTFS_ALL_COLUMNS_LIVE")
    assert np.array_equal(mean.outputs, m.predict(x)) and np.array_equal(worst.outputs, mean.outputs)
    prof = tfsparse.profile(m, target="cortex-m4", inputs=x)
    assert worst.instructions.mean() > 1.5 * mean.instructions.mean()
    assert abs(prof.instructions / mean.instructions.mean() - 1) <= 0.05
    assert abs(prof.worst_case_instructions / worst.instructions.mean() - 1) <= 0.05
    for layer, w in zip(prof.layers, worst.layer_instructions.mean(axis=0)):
        assert abs(layer.worst_case_instructions / w - 1) <= 0.05, (layer.name, layer.worst_case_instructions, w)


def test_sparse_conv_cost_model_against_qemu(tmp_path):
    """The Cortex-M sparse convolution's fitted cost (four output pixels per row walk, one fit per row
    encoding) against dithered QEMU counts, on shapes the fit did not see: every conv op within 20%
    (the fit's own worst is 23%, on small layers)."""
    from tfsparse.codegen import _testing_graph as graphs
    from tfsparse.converter.model import SparseModel

    b = graphs._Builder(np.random.default_rng(11))
    x = b.tensor("input", (1, 11, 10, 8))
    t = b.conv(x, 16, (3, 3), padding="SAME", encoding="abs_u8", density=0.25)          # 110 pixels
    t = b.conv(t, 24, (1, 1), padding="VALID", encoding="rel4", density=0.3)           # pointwise
    t = b.conv(t, 32, (3, 3), (2, 2), padding="SAME", encoding="blk8", density=0.2)    # stride 2, 216 taps
    t = b.conv(t, 20, (3, 3), (1, 1), (2, 2), padding="SAME", encoding="rel8", density=0.25)  # dilation
    t = b.conv(t, 28, (1, 1), padding="VALID", encoding="abs_u16", density=0.3)
    t = b.conv(t, 12, (2, 2), padding="SAME", encoding="abs_u32", density=0.3)
    model = SparseModel("conv_costs", b.tensors, b.ops, x, t, source="<conv costs>", source_sha256="")
    inputs = np.random.default_rng(3).integers(-128, 128, (40, 11, 10, 8)).astype(np.int8)
    measured = tfsparse.run(tfsparse.generate(model, tmp_path / "fw"), inputs, extra_cflags=dither_cflags(40))
    assert np.array_equal(measured.outputs, model.predict(inputs))
    prof = tfsparse.profile(model, target="cortex-m4", inputs=inputs)
    ratios = {f"{layer.name} {layer.encoding}": layer.instructions / m
              for layer, m in zip(prof.layers, measured.layer_instructions.mean(axis=0))}
    assert all(abs(r - 1) <= 0.20 for r in ratios.values()), [(k, round(r, 3)) for k, r in ratios.items()]
