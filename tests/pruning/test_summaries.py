"""PruningSummaries writes per-layer sparsity and threshold that TensorBoard's event reader reads back."""

from __future__ import annotations

import numpy as np
import pytest

import tfsparse


@pytest.mark.slow
def test_summaries_read_back_by_tensorboard(tf_keras3, small_data, compile_model, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    (x, y), _ = small_data
    pruned = compile_model(tfsparse.prune_low_magnitude(tfsparse.models.digits_mlp(seed=9), tfsparse.PolynomialDecay(0.0, 0.6, 0, 8, frequency=2)))
    log_dir = tmp_path / "logs"
    pruned.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=[tfsparse.UpdatePruningStep(), tfsparse.PruningSummaries(str(log_dir))])
    events = EventAccumulator(str(log_dir / "metrics"), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    for layer in ("fc1", "fc2", "fc3"):
        sparsity = events.Tensors(f"prune_low_magnitude_{layer}/kernel/sparsity")
        threshold = events.Tensors(f"prune_low_magnitude_{layer}/kernel/threshold")
        assert [e.step for e in sparsity] == [8, 16] and [e.step for e in threshold] == [8, 16]
        values = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in sparsity]
        assert values[-1] == pytest.approx(0.6, abs=1e-3) and values[0] > 0.3
        assert float(tensor_util.make_ndarray(threshold[-1].tensor_proto)) > 0
    assert len(tags) == 6
    assert any(p.name.startswith("events") for p in (log_dir / "train").iterdir())  # the usual TensorBoard logs too
    assert np.isfinite(pruned.evaluate(x, y, verbose=0)[0])
