"""The Cortex-M kernel (portable C fallbacks of its DSP wrappers) on the host, under ASan + UBSan.

Thousands of random layers in every encoding (edge shapes, all-zero rows, extreme biases, multipliers
and shifts, more than 65536 columns): the Cortex-M twin must equal an independent NumPy statement of
TFLM's arithmetic and the portable kernel, output for output.
"""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse.codegen import hostbuild
from tfsparse.converter import csr
from tfsparse.converter.ops.sparse_fully_connected import unfold_bias

from . import _layers

CORTEX_M_SOURCE = hostbuild.firmware_root() / "kernels" / "cortex_m" / "fully_connected.c"


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory):
    d = tmp_path_factory.mktemp("cortex_m_host")
    return {
        "portable": hostbuild.build_harness(d / "portable", sanitize=True),
        "cortex-m": hostbuild.build_harness(d / "cortex_m", fc_source=CORTEX_M_SOURCE, sanitize=True),
    }


def _fc_case(layer, encoding, x):
    """The layer for the kernel: the column form (csc8) reads the unfolded bias and the input zero point."""
    in_zp = layer.get("in_zp", 0)
    bias = unfold_bias(layer["bias"], layer["w"], in_zp) if encoding == "csc8" else layer["bias"]
    return hostbuild.FCCase(csr.encode(layer["w"], encoding), bias, layer["multiplier"], layer["shift"],
                            layer["zp"], layer["act_min"], layer["act_max"], x, in_zp)


def test_random_layers_bit_identical(harnesses, tmp_path):
    cases = _layers.random_cases(seed=6, count=6000)
    fc_cases = [_fc_case(*c) for c in cases]
    results = {impl: hostbuild.run_cases(exe, fc_cases, tmp_path) for impl, exe in harnesses.items()}
    encodings_seen, elements = set(), 0
    for i, (layer, encoding, x) in enumerate(cases):
        expected = _layers.reference_fc(layer["w"], layer["bias"], layer["multiplier"], layer["shift"],
                                        layer["zp"], layer["act_min"], layer["act_max"], x)
        for impl, res in results.items():
            status, out = res[i]
            assert status == 0, f"case {i} ({encoding}, {layer['w'].shape}): {impl} Prepare returned {status}"
            got = out.reshape(expected.shape)
            assert np.array_equal(got, expected), (
                f"case {i} ({encoding}, shape {layer['w'].shape}): {impl} differs from TFLM arithmetic in "
                f"{int((got != expected).sum())} of {expected.size} outputs")
        encodings_seen.add(encoding)
        elements += expected.size
    assert encodings_seen == set(_layers.ENCODINGS)
    assert len(cases) >= 6000 and elements > 100_000


def test_impl_names(harnesses, tmp_path):
    import subprocess

    (tmp_path / "empty.bin").write_bytes(b"")
    names = {}
    for impl, exe in harnesses.items():
        proc = subprocess.run([str(exe), str(tmp_path / "empty.bin"), str(tmp_path / "o.bin")], capture_output=True,
                              text=True, check=True)
        names[impl] = proc.stdout.strip()
    assert names == {"portable": "portable", "cortex-m": "cortex-m-dsp"}


def test_requantization_edges_match_tflm(harnesses, tmp_path):
    """Every shift in TFLM's range, rounding ties of both signs, the largest multipliers."""
    rng = np.random.default_rng(7)
    shifts = np.arange(-31, 31, dtype=np.int32)
    rows = shifts.size
    # A 1-column identity layer makes acc = bias + x: choose biases at rounding ties and extremes.
    w = np.ones((rows, 1), dtype=np.int8)
    cases, layers = [], []
    for bias_pick in ([0, 1, -1, 2**30, -(2**30), 2**31 - 129, -(2**31) + 128], None):
        for mult in (1 << 30, 2**31 - 1, (1 << 30) + 12345, 0):
            if bias_pick is None:
                bias = rng.integers(-(2**31) + 128, 2**31 - 128, size=rows).astype(np.int32)
            else:
                bias = np.resize(np.array(bias_pick, dtype=np.int64), rows).astype(np.int32)
            layer = {"w": w, "bias": bias, "multiplier": np.full(rows, mult, np.int32), "shift": shifts,
                     "zp": int(rng.integers(-128, 128)), "act_min": -128, "act_max": 127}
            x = rng.integers(-128, 128, size=(4, 1)).astype(np.int8)
            layers.append((layer, x))
            for encoding in ("dense", "abs_u8", "blk8", "csc8"):
                cases.append(_fc_case(layer, encoding, x))
    for impl, exe in harnesses.items():
        res = hostbuild.run_cases(exe, cases, tmp_path)
        for k, (layer, x) in enumerate(layers):
            expected = _layers.reference_fc(layer["w"], layer["bias"], layer["multiplier"], layer["shift"],
                                            layer["zp"], -128, 127, x)
            for j in range(4 * k, 4 * k + 4):
                assert res[j][0] == 0
                assert np.array_equal(res[j][1].reshape(expected.shape), expected), (impl, k, j)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(data=st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(0, 2**31 - 1), st.integers(-31, 30),
                               st.integers(-128, 127)), min_size=1, max_size=64),
       act=st.sampled_from([(-128, 127), (-128, 5), (-20, 127), (0, 6)]))
def test_requantization_of_drawn_accumulators(harnesses, tmp_path_factory, data, act):
    """Hypothesis draws accumulators, multipliers, shifts and zero points: one output row each (a 1x1
    layer of weight 1 and input 0 makes the accumulator the bias); both kernels equal TFLM's formula."""
    acc, mult, shift, zp = (np.array(v, np.int64) for v in zip(*data))
    tmp = tmp_path_factory.mktemp("requant")
    cases, expected = [], []
    for encoding in ("abs_u8", "blk8"):
        for z in sorted(set(zp.tolist()))[:3]:  # the output zero point is per layer
            layer = {"w": np.ones((acc.size, 1), np.int8), "bias": acc.astype(np.int32),
                     "multiplier": mult.astype(np.int32), "shift": shift.astype(np.int32), "zp": z,
                     "act_min": act[0], "act_max": act[1]}
            cases.append(_fc_case(layer, encoding, np.zeros((1, 1), np.int8)))
            expected.append(_layers.tflm_requantize(acc, mult, shift, z, act[0], act[1]))
    for impl, exe in harnesses.items():
        for (status, out), want in zip(hostbuild.run_cases(exe, cases, tmp), expected):
            assert status == 0 and np.array_equal(out, want), impl
