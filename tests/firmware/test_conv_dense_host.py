"""The dense CONV_2D kernels (portable and the Cortex-M twin's paired-column path) on the host under
ASan + UBSan, op by op against SparseModel.predict (bit-exact with TFLM), on chains of dense
convolutions drawn around the Cortex-M kernel's special cases: 1-3 input channels (filter taps not a
multiple of 4, fewer than 4 taps), odd and even output pixel counts, odd output channel counts (an
unpaired last row), 1x1 filters with stride 2 (columns read straight from the input), SAME padding,
dilation, and right and left requantization shifts."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen import _testing_graph as _graphs
from tfsparse.codegen import hostbuild
from tfsparse.converter.model import SparseModel

from .test_graph_ops_host import _intermediates, _trace_header

SEEDS = range(6)
INPUTS = 6


def _dense_chain(seed: int) -> SparseModel:
    rng = np.random.default_rng(1000 + seed)
    b = _graphs._Builder(rng)
    t = x = b.tensor("input", (1, int(rng.integers(7, 14)), int(rng.integers(7, 14)), 1 + seed % 3))
    convs = [((3, 3), (1, 1), "SAME"), ((1, 1), (2, 2), "VALID"), ((3, 3), (1, 2), "SAME"), ((1, 1), (1, 1), "VALID"),
             ((2, 3), (1, 2), "VALID"), ((1, 1), (2, 1), "SAME")]
    rng.shuffle(convs)
    convs = convs[:4]  # deeper chains of random layers lose the input (constant outputs)
    # the first conv sees 1-3 channels through a 3x3 filter (the Cortex-M kernel packs those rows directly)
    convs.insert(0, ((3, 3), (1 + seed % 2,) * 2, "VALID" if seed % 4 == 1 else "SAME"))
    for k, stride, padding in convs:
        _, h, w, _ = b.shape(t)
        if padding == "VALID" and (h < k[0] or w < k[1]):
            k = (1, 1)
        cout = int(rng.choice([2, 3, 5, 7, 8, 13]))
        t = b.conv(t, cout, k, stride, (1, 1), padding, encoding="dense", density=1.0)
        op = b.ops[-1]
        if rng.random() < 0.3:  # a left shift on some channels, same overall scale: m * 2^s = (m >> (1 - s)) * 2^1
            pick = rng.random(op.shift.size) < 0.5
            op.multiplier[pick] = op.multiplier[pick] >> (1 - op.shift[pick])
            op.shift[pick] = 1
    return SparseModel(f"dense_chain_{seed}", b.tensors, b.ops, x, t, source="<dense chain>",
                       source_sha256="")


@pytest.fixture(scope="module")
def kernel_objects(tmp_path_factory):
    d = tmp_path_factory.mktemp("conv_kernels")
    return {impl: hostbuild.build_kernel_objects(d / impl, kernel_impl=impl) for impl in ("portable", "cortex-m")}


@pytest.mark.parametrize("seed", SEEDS)
def test_dense_conv_chain_matches_predict_op_by_op(kernel_objects, seed, tmp_path, monkeypatch):
    model = _dense_chain(seed)
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    _trace_header(model, tmp_path / "trace.h")
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[0] = model.input_tensor.quantization.zero_point[0]  # every value equals the padding value
    expected = _intermediates(model, x)
    sizes = [model.tensors[op.output].nbytes for op in model.ops]
    for impl, objects in kernel_objects.items():
        exe = hostbuild.build_host_model(project, tmp_path / f"host_{impl}", kernel_objects=objects,
                                         extra_flags=[f"-DTFS_HOOKS_HEADER=\"{tmp_path / 'trace.h'}\""])
        monkeypatch.setenv("TFS_TRACE", str(tmp_path / f"trace_{impl}.bin"))
        got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
        assert np.array_equal(got, expected[-1]), impl
        per_input = np.frombuffer((tmp_path / f"trace_{impl}.bin").read_bytes(), np.int8).reshape(INPUTS, sum(sizes))
        start = 0
        for op, size, want in zip(model.ops, sizes, expected):
            bad = per_input[:, start:start + size] != want.reshape(INPUTS, -1)
            geometry = (f"{op.filter_height}x{op.filter_width} stride {op.stride_height},{op.stride_width} "
                        f"{op.padding} cin {op.input_channels} cout {op.output_channels} out {model.tensors[op.output].shape}")
            assert not bad.any(), f"{impl}, chain {seed}, {op.name} ({geometry}): {int(bad.sum())} bytes differ"
            assert len(np.unique(want.reshape(INPUTS, -1), axis=0)) > 1, f"{op.name}: output ignores the input"
            start += size


def test_chains_cover_the_special_cases():
    ops = [op for seed in SEEDS for op in _dense_chain(seed).ops]
    taps = {op.filter_height * op.filter_width * op.input_channels for op in ops}
    assert {1, 2, 3} & taps and any(t % 4 for t in taps if t > 4) and any(t % 4 == 0 for t in taps)
    assert {op.input_channels for op in ops} >= {1, 2, 3}
    assert any(op.output_channels % 2 for op in ops) and any(op.output_channels % 2 == 0 for op in ops)
    assert any(op.filter_height == op.filter_width == 1 and op.stride_height == 2 for op in ops)
    assert any(op.padding_height or op.padding_width for op in ops)
    assert any((op.shift > 0).any() for op in ops) and any((op.shift < 0).any() for op in ops)


@pytest.mark.slow
@pytest.mark.parametrize("seed,target", [(0, "cortex-m4"), (1, "cortex-m4"), (2, "cortex-m4"), (3, "cortex-m7"),
                                         (4, "cortex-m33"), (5, "cortex-m55")])
def test_dense_conv_chain_bit_exact_on_qemu(seed, target, tmp_path):
    """The same chains on QEMU with each core's default kernels (the Cortex-M conv twin everywhere, under
    Helium's FC on the M55): the assembly row-pair loop (every shift a right shift) and the C loop
    (some left shifts) against SparseModel.predict."""
    model = _dense_chain(seed)
    project = tfsparse.generate(model, tmp_path / "fw", target=target)
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[0] = model.input_tensor.quantization.zero_point[0]
    result = tfsparse.run(project, x)
    expected = model.predict(x)
    assert np.array_equal(result.outputs.reshape(expected.shape), expected)
    assert len(np.unique(expected.reshape(INPUTS, -1), axis=0)) > 1


# The few-channel layers the Cortex-M kernel specialises (3x3 over 1 or 3 channels: interior pixel pairs
# packed straight from the input, a last single tap (9 taps) by SMLABB; 1x1 over 8 channels), with each
# clamp form of the assembly (none, activation_min only, both): (h, w, cin, cout, k, stride, padding, act).
FEW_CHANNEL = [(28, 28, 1, 16, 3, 1, "VALID", (-128, 127)), (15, 13, 1, 8, 3, 2, "SAME", (-40, 127)),
               (12, 11, 3, 8, 3, 2, "SAME", (-128, 127)), (11, 9, 3, 16, 3, 1, "VALID", (-100, 90)),
               (13, 10, 1, 16, 3, 1, "SAME", (-128, 60)), (10, 10, 8, 16, 1, 1, "VALID", (-30, 127))]


def _few_channel(i: int) -> SparseModel:
    h, w, cin, cout, k, stride, padding, act = FEW_CHANNEL[i]
    b = _graphs._Builder(np.random.default_rng(2000 + i))
    b.activation = lambda: act
    x = b.tensor("input", (1, h, w, cin))
    y = b.conv(x, cout, (k, k), (stride, stride), (1, 1), padding, encoding="dense", density=1.0)
    return SparseModel(f"few_channel_{i}", b.tensors, b.ops, x, y, source="<few channels>", source_sha256="")


def _few_channel_inputs(model, i):
    x = np.random.default_rng(i).integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[0] = model.input_tensor.quantization.zero_point[0]
    return x


def _single_conv_on_host(kernel_objects, model, x, tmp_path, label):
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    expected = model.predict(x)
    assert len(np.unique(expected.reshape(INPUTS, -1), axis=0)) > 1
    for impl, objects in kernel_objects.items():
        exe = hostbuild.build_host_model(project, tmp_path / f"host_{impl}", kernel_objects=objects)
        got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
        assert np.array_equal(got.reshape(expected.shape), expected), (impl, label)


@pytest.mark.parametrize("i", range(len(FEW_CHANNEL)))
def test_few_channel_conv_matches_predict_on_host(kernel_objects, i, tmp_path):
    model = _few_channel(i)
    _single_conv_on_host(kernel_objects, model, _few_channel_inputs(model, i), tmp_path, FEW_CHANNEL[i])


@pytest.mark.slow
@pytest.mark.parametrize("i,target", [(0, "cortex-m4"), (1, "cortex-m4"), (2, "cortex-m4"), (3, "cortex-m4"),
                                      (4, "cortex-m4"), (5, "cortex-m4"), (0, "cortex-m33"), (2, "cortex-m7"),
                                      (1, "cortex-m3"), (3, "cortex-m55")])
def test_few_channel_conv_bit_exact_on_qemu(i, target, tmp_path):
    """The same layers through the assembly row-pair loop on QEMU against SparseModel.predict, and the
    cost model's CONV_2D_DENSE prediction within 5% of the layer's QEMU count on the cores it is fitted
    for (the M3 runs the twin's C loop, no DSP extension)."""
    model = _few_channel(i)
    _single_conv_on_qemu(model, _few_channel_inputs(model, i), target, tmp_path, FEW_CHANNEL[i])


def _single_conv_on_qemu(model, x, target, tmp_path, label):
    from tfsparse import costmodel

    result = tfsparse.run(tfsparse.generate(model, tmp_path / "fw", target=target), x, kernel_impl="cortex-m")
    expected = model.predict(x)
    assert np.array_equal(result.outputs.reshape(expected.shape), expected), (target, label)
    if target not in ("cortex-m4", "cortex-m7", "cortex-m33"):
        return
    predicted = costmodel.op_cost(model.ops[0], model, target, kernel="cortex-m").instructions
    measured = float(result.layer_instructions.mean(axis=0)[0])
    assert abs(predicted / measured - 1) < 0.05, (target, label, predicted, measured)


# Dense convs with a channel shift below -23 (a pruned layer's near-empty filter gets one from TFLite's
# converter) and a nonzero output zero point: the Cortex-M kernel runs them through the assembly loop
# that adds the zero point after the shift (pairs_dsp_zp) instead of folding it into the requantization
# (which fits int32 only for shifts >= -23). (h, w, cin, cout, k, padding, zero point, activation).
DEEP_SHIFT = [(12, 12, 16, 16, 3, "SAME", 5, (-128, 127)), (10, 10, 64, 64, 1, "VALID", -20, (-20, 127)),
              (28, 28, 1, 16, 3, "VALID", 17, (-128, 80)), (9, 8, 5, 7, 3, "SAME", -3, (-128, 127))]


def _deep_shift(i: int) -> SparseModel:
    h, w, cin, cout, k, padding, zp, act = DEEP_SHIFT[i]
    b = _graphs._Builder(np.random.default_rng(3000 + i))
    b.activation = lambda: act
    x = b.tensor("input", (1, h, w, cin))
    y = b.conv(x, cout, (k, k), (1, 1), (1, 1), padding, encoding="dense", density=1.0)
    op = b.ops[-1]
    b.tensors[y].quantization.zero_point[0] = op.output_zero_point = zp
    op.shift[[1, cout - 2]] = [-26, -31]
    return SparseModel(f"deep_shift_{i}", b.tensors, b.ops, x, y, source="<deep shift>", source_sha256="")


def test_deep_shift_cases():
    for i in range(len(DEEP_SHIFT)):
        op = _deep_shift(i).ops[0]
        assert op.shift.min() < -23 and (op.shift <= -2).all() and op.output_zero_point != 0


@pytest.mark.parametrize("i", range(len(DEEP_SHIFT)))
def test_deep_shift_conv_matches_predict_on_host(kernel_objects, i, tmp_path):
    model = _deep_shift(i)
    _single_conv_on_host(kernel_objects, model, _few_channel_inputs(model, i), tmp_path, DEEP_SHIFT[i])


@pytest.mark.slow
@pytest.mark.parametrize("i,target", [(0, "cortex-m4"), (1, "cortex-m4"), (2, "cortex-m4"), (3, "cortex-m4"),
                                      (0, "cortex-m33"), (2, "cortex-m7")])
def test_deep_shift_conv_bit_exact_on_qemu(i, target, tmp_path):
    """pairs_dsp_zp (every channel of the layer goes through it) on QEMU against SparseModel.predict, and
    the cost model's prediction within 5% of QEMU's count."""
    model = _deep_shift(i)
    _single_conv_on_qemu(model, _few_channel_inputs(model, i), target, tmp_path, DEEP_SHIFT[i])
