"""Under MirroredStrategy (two logical CPUs, in a subprocess): identical masks on every replica, step
counts as on one device, exact target, accuracy within noise of single-device training."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from tfsparse.pruning.masks import num_kept

SCRIPT = pathlib.Path(__file__).with_name("distribute_run.py")


@pytest.mark.slow
def test_mirrored_strategy_matches_single_device(run_script):
    out = run_script(SCRIPT, 5)
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[len("RESULT ") :])
    single, mirrored = result["single"], result["mirrored"]
    assert single["batches"] == mirrored["batches"] == 23 * 5
    for name, layer in mirrored["layers"].items():
        ref = single["layers"][name]
        assert layer["replicas"] == 2
        assert layer["masks_identical"] and layer["kernels_identical"] and layer["zeros_where_masked"], name
        assert layer["steps"] == [single["batches"]] * 2 and ref["steps"] == [single["batches"]]
        assert layer["nonzeros"] == ref["nonzeros"] == int(num_kept(layer["size"], 0.8)), name
        # same data and initial weights: the masks agree up to float reduction order
        agreement = np.mean(np.array(layer["mask"]) == np.array(ref["mask"]))
        assert agreement > 0.95, (name, agreement)
    assert abs(mirrored["accuracy"] - single["accuracy"]) <= 0.03, (single["accuracy"], mirrored["accuracy"])
    assert single["accuracy"] > 0.5  # well above chance (0.1): training happened
