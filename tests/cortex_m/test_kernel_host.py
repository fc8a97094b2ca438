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
    return hostbuild.FCCase(csr.encode(layer["w"], encoding), layer["bias"], layer["multiplier"], layer["shift"],
                            layer["zp"], layer["act_min"], layer["act_max"], x)


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
            cases.append(_fc_case(layer, "dense", x))
            cases.append(_fc_case(layer, "abs_u8", x))
    for impl, exe in harnesses.items():
        res = hostbuild.run_cases(exe, cases, tmp_path)
        for k, (layer, x) in enumerate(layers):
            expected = _layers.reference_fc(layer["w"], layer["bias"], layer["multiplier"], layer["shift"],
                                            layer["zp"], -128, 127, x)
            for j in (2 * k, 2 * k + 1):
                assert res[j][0] == 0
                assert np.array_equal(res[j][1].reshape(expected.shape), expected), (impl, k, j)
