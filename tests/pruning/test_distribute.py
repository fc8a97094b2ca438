"""Under MirroredStrategy (two logical CPUs, in a subprocess): identical masks on every replica, step
counts as on one device, exact target, accuracy within noise of single-device training."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from tfsparse.pruning.masks import num_kept

SCRIPT = pathlib.Path(__file__).with_name("distribute_run.py")
MWMS_WORKER = pathlib.Path(__file__).with_name("mwms_worker.py")


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


def _free_ports(n):
    import socket

    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_two_processes(tf_keras3, tmp_path, small_data, compile_model):
    """Two worker processes on localhost (TF_CONFIG): the same masks on both, the exact target, and a
    .keras checkpoint written by the chief that resumes."""
    import os
    import subprocess
    import sys

    import tfsparse

    epochs = 1  # the bundled digits at a global batch of 64: past the schedule's end_step (16)
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    workers, logs = [], []
    try:
        for index in range(2):
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1",
                       TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
            log = open(tmp_path / f"worker{index}.log", "w")
            logs.append(log)
            workers.append(subprocess.Popen([sys.executable, str(MWMS_WORKER), str(tmp_path), str(epochs)],
                                            stdout=log, stderr=subprocess.STDOUT, env=env))
        codes = [w.wait(timeout=300) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(timeout=30)
        for log in logs:
            log.close()
    outputs = [(tmp_path / f"worker{i}.log").read_text()[-3000:] for i in range(2)]
    assert codes == [0, 0], outputs
    first, second = (np.load(tmp_path / f"worker{i}.npz") for i in range(2))
    steps = int(first["steps_run"])
    assert steps == int(second["steps_run"]) and steps > 16
    for name in ("fc1", "fc2", "fc3"):
        np.testing.assert_array_equal(first[f"{name}_mask"], second[f"{name}_mask"], err_msg=name)
        np.testing.assert_array_equal(first[f"{name}_kernel"], second[f"{name}_kernel"], err_msg=name)
        kernel = first[f"{name}_kernel"]
        assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.8)), name
        assert int(first[f"{name}_step"]) == int(second[f"{name}_step"]) == steps
    # the chief's checkpoint resumes at its step with its masks, in a single process
    from tfsparse.pruning.callbacks import pruned_layers

    _, keras = tf_keras3
    resumed = compile_model(keras.models.load_model(tmp_path / "pruned.keras"))
    for layer in pruned_layers(resumed):
        assert int(layer.pruning_step.numpy()) == steps
        np.testing.assert_array_equal(layer.pruning_vars[0][1].numpy(), first[f"{layer.layer.name}_mask"])
    (x, y), _ = small_data
    resumed.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    for layer in pruned_layers(resumed):
        kernel = layer.pruning_vars[0][0].numpy()
        assert int(layer.pruning_step.numpy()) == steps + 8
        assert np.count_nonzero(kernel) == int(num_kept(kernel.size, 0.8))
