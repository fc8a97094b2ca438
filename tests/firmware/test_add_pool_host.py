"""ADD, MAX_POOL_2D and AVERAGE_POOL_2D, each alone in a generated model, built for the host (ASan +
UBSan, -Werror) with the portable kernels and the Cortex-M twins, against SparseModel.predict (TFLM's
arithmetic) on random inputs covering every int8 value.

The cases reach every path of the kernels: ADD below and from TFS_ADD_TABLE_MIN_SIZE elements (direct
and tabulated rescaling), odd sizes, inputs of different scales (one with multiplier 2^30 and shift 0,
as the larger-scale input gets), fused ReLU / ReLU6-like ranges, output shifts 0 and 23 (outside the
twin's packed loop); pools with channel counts that are and are not multiples of 4, 2x2 windows (the
unrolled max), SAME padding (clipped windows), strides, and average windows of more than 256 taps
(16-bit lane sums flushed). The QEMU test runs some of them with the DSP instructions themselves.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import tfsparse
from tfsparse.codegen import _testing_graph as _graphs
from tfsparse.codegen import graph_ops, hostbuild
from tfsparse.converter.ir import Add, AveragePool2D, MaxPool2D, Quantize
from tfsparse.errors import FirmwareError
from tfsparse.converter.model import SparseModel

INPUTS = 6

# (name, shape, left_shift, (m1, s1), (m2, s2), (mo, so), activation): activation None = no clamp,
# "relu" = [output zero point, 127], (lo, hi) otherwise.
ADD_CASES = [
    ("tiny_odd", (1, 1, 3, 1), 20, (1 << 30, 0), (1518500250, -1), (1652310041, -19), None),
    ("below_table", (1, 5, 17, 3), 20, (1 << 30, 0), (1789569707, -2), (1276901821, -18), "relu"),
    ("table_min", (1, 4, 4, 16), 20, (1431655765, -1), (1 << 30, 0), (2013265920, -20), None),
    ("table_odd", (1, 7, 11, 13), 20, (1 << 30, 0), (1193046471, -3), (1717986918, -19), "relu"),
    ("table_clamp", (1, 9, 9, 8), 20, (1879048192, -1), (1 << 30, 0), (1288490189, -18), (-100, 60)),
    ("output_shift_0", (1, 6, 6, 9), 0, (1 << 30, 0), (1288490189, -1), (1503238554, 0), (-120, 90)),
    ("output_shift_23", (1, 5, 7, 11), 20, (1 << 30, 0), (1288490189, -1), (2040109466, -23), "relu"),
]

# (name, class, input shape (h, w, c), filter, stride, padding, activation)
POOL_CASES = [
    ("max_2x2_c16", MaxPool2D, (10, 10, 16), (2, 2), (2, 2), "VALID", None),
    ("max_2x2_same_c5", MaxPool2D, (7, 9, 5), (2, 2), (2, 2), "SAME", (-90, 100)),
    ("max_3x3_s1_same_c7", MaxPool2D, (6, 5, 7), (3, 3), (1, 1), "SAME", None),
    ("max_2x3_c12_relu", MaxPool2D, (8, 9, 12), (2, 3), (1, 2), "SAME", (-10, 127)),
    ("max_3x2_c1", MaxPool2D, (7, 7, 1), (3, 2), (2, 1), "VALID", (-128, 50)),
    ("avg_2x2_c16", AveragePool2D, (10, 10, 16), (2, 2), (2, 2), "VALID", None),
    ("avg_3x3_same_c6", AveragePool2D, (7, 6, 6), (3, 3), (2, 2), "SAME", (-60, 127)),
    ("avg_global_c64", AveragePool2D, (25, 5, 64), (25, 5), (1, 1), "VALID", None),
    ("avg_global_300_taps_c9", AveragePool2D, (20, 15, 9), (20, 15), (1, 1), "VALID", None),
    ("avg_17x17_same_c4", AveragePool2D, (18, 18, 4), (17, 17), (1, 1), "SAME", (-128, 90)),
    ("avg_1x300_c4", AveragePool2D, (1, 300, 4), (1, 300), (1, 1), "VALID", None),
]


def _add_model(case, rng) -> SparseModel:
    name, shape, left_shift, (m1, s1), (m2, s2), (mo, so), activation = case
    b = _graphs._Builder(rng)
    x = b.tensor("input", shape)
    # Second operand: a requantized copy of the input (another zero point and scale).
    y = b.tensor("requantized", shape)
    b.ops.append(Quantize(name="requantize", input=x, output=y, input_zero_point=b.zp(x), output_zero_point=b.zp(y),
                          multiplier=1288490189, shift=0))
    out = b.tensor("sum", shape)
    lo, hi = (-128, 127) if activation is None else (b.zp(out), 127) if activation == "relu" else activation
    b.ops.append(Add(name=name, input1=x, input2=y, output=out, input1_offset=-b.zp(x), input2_offset=-b.zp(y),
                     output_offset=b.zp(out), left_shift=left_shift, input1_multiplier=m1, input1_shift=s1,
                     input2_multiplier=m2, input2_shift=s2, output_multiplier=mo, output_shift=so,
                     activation_min=lo, activation_max=hi))
    return SparseModel(name, b.tensors, b.ops, x, out, source="<add case>", source_sha256="")


def _pool_model(case, rng) -> SparseModel:
    name, cls, (h, w, c), k, stride, padding, activation = case
    b = _graphs._Builder(rng)
    x = b.tensor("input", (1, h, w, c))
    out = b.pool(cls, x, k, stride, padding)
    b.ops[-1].activation_min, b.ops[-1].activation_max = (-128, 127) if activation is None else activation
    return SparseModel(name, b.tensors, b.ops, x, out, source="<pool case>", source_sha256="")


@pytest.fixture(scope="module")
def kernel_objects(tmp_path_factory):
    d = tmp_path_factory.mktemp("add_pool_kernels")
    return {impl: hostbuild.build_kernel_objects(d / impl, kernel_impl=impl) for impl in ("portable", "cortex-m")}


def _check(model, kernel_objects, tmp_path, rng):
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x.reshape(INPUTS, -1)[0, :256] = np.arange(-128, 128)[: x[0].size]  # every int8 value where it fits
    x[1] = model.input_tensor.quantization.zero_point[0]
    x[2], x[3] = -128, 127  # the extremes: 16-bit lane sums of more than 256 taps would wrap
    want = model.predict(x)
    assert len(np.unique(want.reshape(INPUTS, -1), axis=0)) > 1, "the case's output ignores its input"
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")
    for impl, objects in kernel_objects.items():
        exe = hostbuild.build_host_model(project, tmp_path / f"host_{impl}", kernel_objects=objects)
        got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
        bad = got != want
        assert not bad.any(), f"{model.name} ({impl}): {int(bad.sum())} of {bad.size} bytes differ from predict"
    return project


@pytest.mark.parametrize("case", ADD_CASES, ids=[c[0] for c in ADD_CASES])
def test_add_matches_predict(case, kernel_objects, tmp_path):
    rng = np.random.default_rng(len(case[0]))
    model = _add_model(case, rng)
    project = _check(model, kernel_objects, tmp_path, rng)
    tables = int(np.prod(case[1])) >= graph_ops.ADD_TABLE_MIN_SIZE
    assert ("tfs_add_table_eval(" in (project / "tfs_model.c").read_text()) == tables


@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool_matches_predict(case, kernel_objects, tmp_path):
    _check(_pool_model(case, np.random.default_rng(len(case[0]))), kernel_objects, tmp_path, np.random.default_rng(1))


def _mean_model(shape, rng) -> SparseModel:
    b = _graphs._Builder(rng)
    x = b.tensor("input", shape)
    return SparseModel(f"mean {shape}", b.tensors, b.ops, x, b.mean(x), source="<mean case>", source_sha256="")


@pytest.mark.parametrize("shape", [(1, 37, 24), (1, 5, 7, 9)], ids=["steps_of_conv1d", "height_width"])
def test_mean_matches_predict(shape, kernel_objects, tmp_path):
    # (1, steps, channels) is what Keras' GlobalAveragePooling1D after a Conv1D becomes (MEAN over axis 1).
    _check(_mean_model(shape, np.random.default_rng(sum(shape))), kernel_objects, tmp_path, np.random.default_rng(2))


def test_mean_over_another_axis_is_refused_by_name(tmp_path):
    model = _mean_model((1, 5, 7, 9), np.random.default_rng(0))
    model.ops[0].axis = (1,)  # height only: the kernel averages pixels of whole channel vectors
    with pytest.raises(FirmwareError, match=r"op 'mean_0': MEAN over axes \(1,\)"):
        tfsparse.generate(model, tmp_path / "fw", target="cortex-m4")


def test_add_table_constants_match_the_header():
    header = (hostbuild.firmware_root() / "kernels" / "tfs_add.h").read_text()
    assert f"#define TFS_ADD_TABLE_MIN_SIZE {graph_ops.ADD_TABLE_MIN_SIZE}\n" in header
    assert "#define TFS_ADD_SCRATCH_BYTES (2 * 256 * 4)\n" in header and graph_ops.ADD_SCRATCH_BYTES == 2 * 256 * 4


QEMU_CASES = ["table_odd", "table_clamp", "output_shift_0", "output_shift_23", "max_2x2_same_c5", "max_3x3_s1_same_c7", "avg_3x3_same_c6",
              "avg_global_300_taps_c9"]


@pytest.mark.slow
@pytest.mark.parametrize("name", QEMU_CASES)
def test_cortex_m4_twins_match_predict_on_qemu(name, tmp_path):
    """The same cases built for cortex-m4 (the DSP instructions the host build replaces by C) on QEMU."""
    rng = np.random.default_rng(len(name))
    case = next(c for c in ADD_CASES + POOL_CASES if c[0] == name)
    model = _add_model(case, rng) if case in ADD_CASES else _pool_model(case, rng)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    x[2], x[3] = -128, 127
    run = tfsparse.run(tfsparse.generate(model, tmp_path / "fw", target="cortex-m4"), x, kernel_impl="cortex-m")
    bad = run.outputs.reshape(INPUTS, -1) != model.predict(x).reshape(INPUTS, -1)
    assert not bad.any(), f"{name} on cortex-m4: {int(bad.sum())} of {bad.size} bytes differ from predict"


def _ram_model(shape) -> SparseModel:
    """ADD of the input and a requantized copy (three live tensors of ``shape`` while it runs), then a
    MEAN over the pixels (a small output, as the runtime's output buffer holds one whole output)."""
    b = _graphs._Builder(np.random.default_rng(5))
    x = b.tensor("input", shape)
    y = b.quantize(x)
    total = b.add(x, y)
    b.ops[-1].name = "ram_add"
    return SparseModel("ram_add", b.tensors, b.ops, x, b.mean(total), source="<add case>", source_sha256="")


def test_add_tables_dropped_where_the_arena_would_not_fit_ram(kernel_objects, tmp_path):
    """On cortex-m0 (16 KiB of RAM, 14,567 B left for the arena) three tensors of 4,400 B fit only
    without the ADD's 2 KiB of tables: generate drops them, says so, and the ADD stays bit-exact."""
    from tfsparse.codegen.arena import plan_arena
    from tfsparse.codegen.project import ram_allowance
    from tfsparse.codegen.targets import get_target

    model = _ram_model((1, 20, 20, 11))
    tgt = get_target("cortex-m0")
    budget = tgt.ram_size - ram_allowance(tgt, 11, len(model.ops))  # 11 output bytes (MEAN of 11 channels)
    assert plan_arena(model).size > budget >= plan_arena(model, {1: 0, 2: 44}).size
    with pytest.warns(UserWarning, match=r"rescale tables of ADD op\(s\) 'ram_add'.*arena 13200 bytes"):
        project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m0")
    assert "tfs_add_eval(" in (project / "tfs_model.c").read_text()
    assert "tfs_add_table_eval(" not in (project / "tfs_model.c").read_text()
    meta = json.loads((project / "project.json").read_text())
    assert meta["add_tables_dropped"] == ["ram_add"] and meta["arena_bytes"] == 13200
    profile = tfsparse.profile(model, "cortex-m0")
    assert any("ram_add: ADD runs without its rescale tables" in w for w in profile.warnings)
    assert profile.arena_bytes == 13200 and profile.layers[1].arena_bytes == 0
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    want = model.predict(x)
    exe = hostbuild.build_host_model(project, tmp_path / "host", kernel_objects=kernel_objects["portable"])
    got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
    assert np.array_equal(got, want), f"{int((got != want).sum())} bytes differ from predict"
    # Where the tables fit, the same target keeps them (and says nothing).
    small = _ram_model((1, 16, 16, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = tfsparse.generate(small, tmp_path / "fw_small", target="cortex-m0")
    assert "tfs_add_table_eval(" in (kept / "tfs_model.c").read_text()
    assert json.loads((kept / "project.json").read_text())["add_tables_dropped"] == []


@pytest.mark.slow
def test_add_without_tables_runs_in_the_microbit_ram_on_qemu(tmp_path):
    """The same model on QEMU's microbit (Cortex-M0, 16 KiB of RAM): it links, runs bit-exact, and
    profile's per-op instructions are within 10% of QEMU's."""
    model = _ram_model((1, 20, 20, 11))
    x = np.random.default_rng(4).integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    with pytest.warns(UserWarning, match="rescale tables"):
        project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m0")
    run = tfsparse.run(project, x)
    bad = run.outputs.reshape(INPUTS, -1) != model.predict(x).reshape(INPUTS, -1)
    assert not bad.any(), f"cortex-m0: {int(bad.sum())} of {bad.size} bytes differ from predict"
    # profile prices it with cortex-m0's own graph fit and the ADD on its table-less path (before: the
    # cortex-m4 table path, 302,805 instructions against 1,445,323 measured).
    prof = tfsparse.profile(model, "cortex-m0", inputs=x)
    for lay, measured in zip(prof.layers, run.layer_instructions.mean(axis=0)):
        assert abs(lay.instructions / measured - 1) < 0.1, (lay.name, lay.instructions, measured)


def test_host_build_of_a_prefixed_project(kernel_objects, tmp_path):
    """hostbuild builds and runs a project generated with name="kws" (kws_model*.c, kws_model_invoke)."""
    rng = np.random.default_rng(7)
    model = _add_model(next(c for c in ADD_CASES if c[0] == "table_odd"), rng)
    project = tfsparse.generate(model, tmp_path / "fw", target="cortex-m4", name="kws")
    assert (project / "kws_model.c").is_file() and not (project / "tfs_model.c").exists()
    x = rng.integers(-128, 128, (INPUTS, *model.input_tensor.shape[1:])).astype(np.int8)
    exe = hostbuild.build_host_model(project, tmp_path / "host", kernel_objects=kernel_objects["cortex-m"])
    got = hostbuild.run_host_model(exe, x, model.output_tensor.shape[1:])
    assert np.array_equal(got, model.predict(x)), "the kws-prefixed host build differs from predict"


def test_fit_check_counts_whole_output_records(tmp_path):
    """The runtime's output buffer holds at least one whole output record (output + count + per-op
    counts): a 4,400-byte output on cortex-m0 needs 4,412 bytes there, not the target's 512, so the
    model (arena 13,200 B even without ADD tables) is refused before building, where the link used to
    overflow RAM by 2,272 bytes."""
    model = _add_model(("big_output", (1, 20, 20, 11), 20, (1 << 30, 0), (1789569707, -2), (1276901821, -18), None),
                       np.random.default_rng(0))
    with pytest.raises(FirmwareError, match=r"activation arena 13200 \+ stack 1024 \+ output buffer 4412"):
        tfsparse.generate(model, tmp_path / "fw", target="cortex-m0")
