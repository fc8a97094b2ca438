"""DEPTHWISE_CONV_2D's kernels against ``SparseModel.predict`` (bit-exact with TFLM) on the paths the
Cortex-M twin chooses between: 3x3 interior pixels by rows and border/dilated pixels through a tap
table (assembly on Cortex-M4, channel chunks of 64), the one-SMMLAR requantization and the layers it
rejects (a shift of 0 or left, |bias| > 2^29, shifts beyond 22), clamped activations, channel counts
not a multiple of 4, depth multiplier 2, other filter sizes, strides, dilations, SAME and VALID.

Each model chains a few depthwise layers; the same models run on the host (portable and Cortex-M C
under ASan + UBSan) and on QEMU (Cortex-M4, the DSP assembly).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen import hostbuild
from tfsparse.codegen._testing_graph import _Builder
from tfsparse.converter.model import SparseModel

INPUTS = 6


def _layer(b, t, *, mult=1, k=(3, 3), stride=1, dilation=(1, 1), padding="SAME", shifts=None, biases=None,
           act=None):
    """One depthwise layer on tensor t; shifts/biases (of the first channels) and act override the builder's
    random requantization."""
    out = b.depthwise(t, mult, k, (stride, stride), dilation, padding)
    op = b.ops[-1]
    changes = {}
    for field, first in (("shift", shifts), ("bias", biases)):
        if first is not None:  # the first channels' values; the others keep the builder's
            values = getattr(op, field).copy()
            values[: len(first)] = first
            changes[field] = values
    if act is not None:
        changes["activation_min"], changes["activation_max"] = act
    b.ops[-1] = dataclasses.replace(op, **changes)
    return out


def _chain(seed, shape, layers):
    b = _Builder(np.random.default_rng(seed))
    x = t = b.tensor("input", (1, *shape))
    for kwargs in layers:
        t = _layer(b, t, **kwargs)
    return SparseModel(f"dw_{seed}", b.tensors, b.ops, x, t, source="<depthwise test>", source_sha256="")


MODELS = {
    # 72 channels: one chunk of 64 and one of 8 in the tap table; stride 2; dilation (tap table inside too)
    "chunks_stride_dilation": (1, (7, 6, 72), [{"act": (-128, 127)}, {"stride": 2, "act": (-128, 127)},
                                               {"dilation": (2, 2)}, {"dilation": (1, 2)}]),
    # 13 channels (12 in the packed form + 1; a run of interior pixels skips the 13th), VALID, depth
    # multiplier 2 (one channel at a time), 2x3 / 1x1 filters
    "odd_channels_multiplier": (2, (9, 5, 13), [{"act": (-128, 127)}, {"padding": "VALID"}, {"mult": 2},
                                                 {"k": (2, 3)}, {"k": (1, 1), "stride": 2}]),
    # clamped activation (ReLU6-like) in the fast form; shifts at both ends of the fast range, ties at r = 1
    "clamp_and_shift_range": (3, (6, 7, 20), [{"act": (-40, 50)}, {"shifts": [-1, -22, -9, -1, -1, -2]},
                                               {"biases": [(1 << 29), -(1 << 29), 7, -7], "shifts": [-22, -22]}]),
    # layers the fast form rejects: a shift of 0 / left, one beyond 22, |bias| > 2^29
    "generic_requantization": (4, (5, 8, 8), [{"shifts": [-9, 0]}, {"shifts": [-9, 1]}, {"shifts": [-23]},
                                               {"biases": [(1 << 29) + 1], "shifts": [-22]}]),
    # width 3: every pixel of a SAME 3x3 is a border pixel; 1x1 input
    "narrow": (5, (4, 3, 16), [{}, {"stride": 2}]),
}


def _inputs(model):
    rng = np.random.default_rng(11)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[0] = model.input_tensor.quantization.zero_point[0]  # every tap equals the padding value
    x[1] = rng.choice([-128, 127], x[1].shape)  # extreme products
    return x


@pytest.fixture(scope="module")
def models():
    return {name: _chain(*spec) for name, spec in MODELS.items()}


@pytest.fixture(scope="module")
def kernel_objects(tmp_path_factory):
    d = tmp_path_factory.mktemp("dw_kernels")
    return {impl: hostbuild.build_kernel_objects(d / impl, kernel_impl=impl) for impl in ("portable", "cortex-m")}


def _check(model, got, x, where):
    want = model.predict(x)
    bad = got.reshape(want.shape) != want
    assert not bad.any(), f"{model.name} ({where}): {int(bad.sum())} of {bad.size} outputs differ from predict"
    assert len(np.unique(want.reshape(len(x), -1), axis=0)) > 1, f"{model.name}: output ignores the input"


def test_fast_form_and_rejections_are_exercised(models):
    """The cases cover what they claim: the fast form's edges and each rejection."""
    shifts = [int(s) for m in models.values() for op in m.ops for s in op.shift]
    assert {-1, -22, 0, 1, -23} <= set(shifts)
    assert any(op.depth_multiplier == 2 for m in models.values() for op in m.ops)
    assert any(op.output_channels > 64 and op.output_channels % 4 == 0 for m in models.values() for op in m.ops)
    assert any(op.activation_max < 127 and op.activation_min > -128 for m in models.values() for op in m.ops)
    packed = [op for m in models.values() for op in m.ops
              if (op.filter_height, op.filter_width, op.depth_multiplier) == (3, 3, 1)]
    assert any(op.activation_min == -128 and op.activation_max == 127 for op in packed)
    assert any(op.output_channels % 4 for op in packed) and any(op.stride_width == 2 for op in packed)


@pytest.mark.parametrize("kernel_impl", ["portable", "cortex-m"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_host_kernels_match_predict(models, kernel_objects, name, kernel_impl, tmp_path):
    model = models[name]
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    exe = hostbuild.build_host_model(project, tmp_path / "host", kernel_objects=kernel_objects[kernel_impl])
    x = _inputs(model)
    _check(model, hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:]), x, f"host {kernel_impl}")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_cortex_m4_assembly_matches_predict(models, name, tmp_path):
    model = models[name]
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    x = _inputs(model)
    _check(model, tfsparse.run(project, x, kernel_impl="cortex-m").outputs, x, "QEMU cortex-m4")


@pytest.mark.slow
@pytest.mark.parametrize("target", ["cortex-m0", "cortex-m3", "cortex-m33", "cortex-m55"])
def test_other_cores_match_predict(models, target, tmp_path):
    """The default kernels of each core: portable C on Cortex-M0, the packed form's C on Cortex-M3 (no
    DSP extension), the assembly on Cortex-M33 and M55 (Helium's build keeps this twin)."""
    for name in ("chunks_stride_dilation", "odd_channels_multiplier"):
        model = models[name]
        project = tfsparse.generate(model, tmp_path / name, target=target)
        x = _inputs(model)
        _check(model, tfsparse.run(project, x).outputs, x, f"QEMU {target}")
