"""The layer chooser (convert's policies, representative data), dead-unit elimination and profile()."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import tfsparse
from tfsparse import costmodel
from tfsparse.codegen._testing import random_fc_model
from tfsparse.converter import chooser, csr
from tfsparse.converter.deadunits import remove_dead_units
from tfsparse.errors import ConversionError


@pytest.fixture(scope="module")
def lenet(tflite_variants):
    path, x_test, y_test, _ = tflite_variants[("lenet", True, True)]
    return path, x_test


def _priced(op, model, density=None):
    dense = csr.decode(op.weights) if op.weights.encoding != "dense" else op.weights.weights
    out = {}
    for enc in chooser.candidates(dense.shape[1], density is not None) + ("dense",):
        trial = dataclasses.replace(op, weights=csr.encode(dense, enc))
        out[enc] = costmodel.op_cost(trial, model, "cortex-m4", live_fraction=density)
    return out


def test_policies_pick_by_the_cost_model(lenet):
    path, _ = lenet
    by_policy = {p: tfsparse.convert(path, encoding=p) for p in ("smallest", "fastest", "default")}
    for policy, sm in by_policy.items():
        assert sm.target == "cortex-m4"
        for op in sm.fully_connected:
            assert op.choice_reason, (policy, op.name)
            priced = _priced(op, sm)
            mine = priced[op.weights.encoding]
            if policy == "smallest":
                assert mine.flash_bytes == min(c.flash_bytes for c in priced.values())
            elif policy == "fastest":
                assert mine.instructions == min(c.instructions for c in priced.values())
            else:
                assert mine.flash_bytes <= priced["dense"].flash_bytes
                assert mine.instructions <= priced["dense"].instructions
                if op.weights.encoding != "dense":
                    assert mine.flash_bytes * mine.instructions == min(
                        c.flash_bytes * c.instructions for e, c in priced.items() if e != "dense"
                        and c.flash_bytes <= priced["dense"].flash_bytes and c.instructions <= priced["dense"].instructions)
    forced = tfsparse.convert(path, encoding="rel8")
    assert {op.weights.encoding for op in forced.fully_connected} == {"rel8"}
    assert all("forced" in op.choice_reason for op in forced.fully_connected)
    with pytest.raises(ConversionError, match="abs_u8"):
        tfsparse.convert(path, encoding="abs_u8")  # fc1 has 784 inputs


def test_representative_data_float_or_int8(lenet, tflm_outputs):
    path, x_test = lenet
    x = x_test[:300]
    sm = tfsparse.convert(path, representative_data=x)
    xq = sm.quantize_input(x)
    sm_q = tfsparse.convert(path, representative_data=xq)
    for a, b in zip(sm.fully_connected, sm_q.fully_connected):
        assert a.input_density is not None and np.array_equal(a.input_density, b.input_density)
        assert a.input_density.shape == (a.weights.shape[1],)
        assert a.input_zero_quads.shape == (a.weights.shape[1] // 4,)
        # All four columns at the zero point at least as often as any one of them is.
        quads = a.input_density[: 4 * len(a.input_zero_quads)].reshape(-1, 4)
        assert np.all(a.input_zero_quads <= 1 - quads.max(axis=1) + 1e-12)
    # MNIST: most pixels sit at the input zero point.
    first = sm.fully_connected[0].input_density
    assert 0.1 < first.mean() < 0.35
    assert np.array_equal(sm.predict(xq[:100]), tflm_outputs(path, xq[:100]))
    with pytest.raises(ConversionError, match="representative_data has shape"):
        tfsparse.convert(path, representative_data=np.zeros((3, 5), np.float32))
    with pytest.raises(ConversionError, match="representative_data is int64"):
        tfsparse.convert(path, representative_data=np.zeros((3, 784), np.int64))


def _with_dead_and_constant_units(seed=0):
    m = random_fc_model((40, 30, 20, 10), ("abs_u8", "rel4", "dense"), density=0.4, seed=seed, softmax=True)
    w1 = csr.decode(m.ops[0].weights)
    w1[[3, 7, 11]] = 0  # constant outputs of layer 0
    w2 = csr.decode(m.ops[1].weights)
    w2[:, [5, 9]] = 0  # outputs 5 and 9 of layer 0 never read
    w2[:, 11] = 0  # 11: constant and never read
    w2[[2, 4]] = 0  # constant outputs of layer 1 (read by layer 2)
    w3 = m.ops[2].weights.weights.copy()
    w3[:, 13] = 0
    ops = list(m.ops)
    ops[0] = dataclasses.replace(ops[0], weights=csr.encode(w1, "abs_u8"))
    ops[1] = dataclasses.replace(ops[1], weights=csr.encode(w2, "rel4"))
    ops[2] = dataclasses.replace(ops[2], weights=csr.encode(w3, "dense"))
    return m.replace(ops=ops)


def test_dead_units_are_removed_exactly():
    m = _with_dead_and_constant_units()
    out = remove_dead_units(m)
    x = np.random.default_rng(0).integers(-128, 128, (500, 40)).astype(np.int8)
    assert np.array_equal(out.predict(x), m.predict(x))
    rows0, rows1 = out.ops[0].weights.shape[0], out.ops[1].weights.shape[0]
    assert rows0 <= 30 - 5 and rows1 <= 20 - 3  # 5, 9, 11 dead and 3, 7 constant; 13 dead and 2, 4 constant
    assert out.ops[1].weights.shape[1] == rows0 and out.ops[2].weights.shape == (10, rows1)
    assert "outputs never read" in out.ops[0].removed and "constant outputs folded into" in out.ops[0].removed
    assert "never read" in out.ops[1].removed and "constant outputs folded" in out.ops[1].removed
    assert out.ops[2].removed == ""  # the graph's last FC feeds SOFTMAX: all 10 outputs kept
    assert out.tensors[out.ops[0].output].shape == (1, rows0)
    for op in out.fully_connected:  # nothing left to remove
        assert csr.decode(op.weights).any(axis=1).all() or op is out.ops[2]
    assert m.ops[0].weights.shape == (30, 40)  # the input model is untouched
    again = remove_dead_units(out)
    assert [op.weights.shape for op in again.ops[:3]] == [op.weights.shape for op in out.ops[:3]]
    # Summary shows the removals.
    lines = []
    out.summary(print_fn=lines.append)
    assert "never read" in lines[0] and "folded" in lines[0]


def test_profile_totals_and_firmware_sizes(lenet, tmp_path):
    path, x_test = lenet
    sm = tfsparse.convert(path, representative_data=x_test[:200])
    prof = tfsparse.profile(sm, target="cortex-m4", inputs=x_test[:100])
    assert [l.name for l in prof.layers] == [op.name for op in sm.ops]
    assert prof.instructions == pytest.approx(sum(l.instructions for l in prof.layers) + prof.overhead_instructions)
    assert prof.worst_case_instructions >= prof.instructions
    fc = [l for l in prof.layers if l.op == "FULLY_CONNECTED"]
    assert all(l.macs == op.weights.shape[0] * op.weights.shape[1] and l.nnz == op.weights.nnz
               for l, op in zip(fc, sm.fully_connected))
    out = tfsparse.generate(sm, tmp_path / "fw")
    meta = json.loads((out / "project.json").read_text())
    assert prof.flash_bytes == meta["flash_constants_bytes"] and prof.arena_bytes == meta["arena_bytes"]
    text = str(prof)
    assert all(op.name in text for op in sm.ops) and f"{prof.instructions:,.0f}" in text
    assert json.loads(json.dumps(prof.to_dict()))["layers"][0]["name"] == sm.ops[0].name
