"""Warnings where pruning breaks a layer: units with no weights, CSR larger than dense, sparsity off target;
printed by sparsity_report, SparseModel.summary() and tfsparse.profile."""

from __future__ import annotations

import dataclasses

import numpy as np

from tfsparse.codegen._testing import random_fc_model
from tfsparse.layer_health import matrix_warnings, model_warnings


def _prune(w, sparsity):
    w = w.copy()
    w.flat[np.argsort(np.abs(w), axis=None)[: int(round(sparsity * w.size))]] = 0
    return w


def test_issue_case_8_to_128_layer_at_90_percent_leaves_units_empty():
    # Per-layer magnitude pruning of an 8 -> 128 layer to 90%: 0.8 weights per unit on average.
    w = _prune(np.random.default_rng(0).normal(size=(128, 8)), 0.9)
    dead = int((~(w != 0).any(axis=1)).sum())
    assert dead > 20
    warnings = matrix_warnings("enc1", w, target=0.9)
    assert [x.kind for x in warnings] == ["dead_units"]
    assert f"{dead} of 128 units have no weights left" in str(warnings[0]) and str(warnings[0]).startswith("warning: enc1")


def test_csr_larger_than_dense_and_off_target():
    w = _prune(np.random.default_rng(1).normal(size=(10, 8)), 0.3)  # 80 B dense; abs_u8 56 + 56 + 22 B
    kinds = {x.kind: str(x) for x in matrix_warnings("fc3", w, target=0.5)}
    assert set(kinds) == {"csr_larger_than_dense", "sparsity_off_target"}
    assert "not smaller than dense int8 (80 B)" in kinds["csr_larger_than_dense"]
    assert "sparsity 30.0% differs from its target 50.0%" in kinds["sparsity_off_target"]
    assert matrix_warnings("fc3", w, target=0.3) [0].kind == "csr_larger_than_dense"
    healthy = _prune(np.random.default_rng(2).normal(size=(100, 300)), 0.9)
    assert matrix_warnings("fc2", healthy, target=0.9) == []
    assert matrix_warnings("dense", np.ones((4, 4))) == []  # unpruned: nothing to say


def test_summary_and_profile_print_the_warnings(capsys):
    import tfsparse

    model = random_fc_model((64, 32, 10), ("dense", "dense"), density=1.0)
    w = np.array(model.ops[0].weights.weights)
    w[:5] = 0  # five units with no weights
    w[5:] = _prune(w[5:], 0.2)  # and too little sparsity for CSR to pay
    model.ops[0] = dataclasses.replace(model.ops[0], weights=type(model.ops[0].weights)(w))
    dead = int((~(w != 0).any(axis=1)).sum())  # ours and the all-zero row random_fc_model puts in
    assert dead >= 5
    warnings = [x for x in model_warnings(model) if x.layer == model.ops[0].name]
    assert {x.kind for x in warnings} == {"dead_units", "csr_larger_than_dense"}
    out = model.summary(print_fn=print)
    printed = capsys.readouterr().out
    assert f"{dead} of 32 units have no weights left" in printed and len(out["warnings"]) >= 2
    assert f"{dead} of 32 units have no weights left" in str(tfsparse.profile(model, "cortex-m4"))


def test_sparsity_report_flags_layers_off_their_schedule(digits_data):
    import keras

    import tfsparse
    from tfsparse import models

    model = models.digits_mlp(seed=0)
    pruned = tfsparse.prune_low_magnitude(model, tfsparse.PolynomialDecay(0.0, 0.9, 0, 100))
    text = str(tfsparse.sparsity_report(pruned))  # before training: 0% against a 90% target
    assert text.count("differs from its target 90.0%") == 3
    plain = keras.models.clone_model(model)
    w = plain.get_layer("fc1").get_weights()
    w[0][:, :10] = 0  # ten of fc1's 128 units lose every weight
    plain.get_layer("fc1").set_weights(w)
    report = tfsparse.sparsity_report(plain, targets={"fc1": 10 / 128})
    # 7.8% sparse: the ten empty units, and CSR would not pay at that density; on target, so no third warning.
    assert [x.kind for x in report.warnings] == ["dead_units", "csr_larger_than_dense"]
    assert "10 of 128 units" in str(report)
