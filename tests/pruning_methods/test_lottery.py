"""Lottery tickets: rewinding restores exactly the kept values at surviving positions; the control."""

from __future__ import annotations

import numpy as np
import pytest


import tfsparse
from tfsparse.pruning.callbacks import pruned_layers



def _kernels(model):
    return [np.array(layer.layer.kernel.numpy()) for layer in pruned_layers(model)]


def _masks(model):
    return [np.array(layer.pruning_vars[0][1].numpy()) for layer in pruned_layers(model)]


class _Snapshot:
    """Independent record of the kernels after batch ``step`` of the first training run."""

    def __init__(self, keras, step):
        self.step, self.kernels = step, None

        class Recorder(keras.callbacks.Callback):
            def on_train_batch_end(cb, batch, logs=None):
                if batch + 1 == step and self.kernels is None:
                    self.kernels = [np.array(layer.layer.kernel.numpy()) for layer in pruned_layers(cb.model)]

        self.callback = Recorder()


@pytest.mark.parametrize("rewind_step,ranking", [(0, "local"), (3, "global")])
def test_rewinding_restores_the_kept_values_exactly(keras3, mlp, fit, expected_kept, rewind_step, ranking):
    initial = [np.array(layer.kernel.numpy()) for layer in mlp(seed=3).layers]
    snapshot = _Snapshot(keras3, rewind_step)
    trained, results = [], []

    def train(model, callbacks):
        extra = [snapshot.callback] if not trained else []
        fit(model, [*callbacks, *extra], epochs=2)
        trained.append(_kernels(model))
        results.append(len(trained))
        return len(trained)

    ticket = tfsparse.find_lottery_ticket(lambda: mlp(seed=3), train, rounds=2, rate_per_round=0.5,
                                          rewind_step=rewind_step, ranking=ranking)
    kept = initial if rewind_step == 0 else snapshot.kernels
    assert [h["train_result"] for h in ticket.history] == [1, 2]
    assert [h["trained_sparsity"] for h in ticket.history] == pytest.approx([0.0, 0.5], abs=0.01)
    for w, mask, value, stored in zip(_kernels(ticket.model), _masks(ticket.model), kept, ticket.masks):
        np.testing.assert_array_equal(w[mask > 0], value[mask > 0])  # exactly the stored values
        assert np.all(w[mask == 0] == 0)
        np.testing.assert_array_equal(mask, stored[0])
    sizes = [m.size for m in ticket.masks[0] + ticket.masks[1]]
    kept_total = sum(int(m.sum()) for layer in ticket.masks for m in layer)
    if ranking == "local":
        assert [int(m[0].sum()) for m in ticket.masks] == [expected_kept(s, 0.75) for s in sizes]
    else:
        assert kept_total == expected_kept(sum(sizes), 0.75)
    # Round 2 pruned among the survivors of round 1: its mask lies inside round 1's.
    for first, second in zip(ticket.history[0]["masks"], ticket.history[1]["masks"]):
        assert np.all(second[0] <= first[0])
    # Round 2 ranked the weights trained in round 2 by magnitude (survivors of round 1 only).
    last = trained[1]
    if ranking == "local":
        for w, first, second in zip(last, ticket.history[0]["masks"], ticket.history[1]["masks"]):
            alive = first[0] > 0
            assert np.abs(w[second[0] > 0]).min() >= np.abs(w[alive & (second[0] == 0)]).max()
    # The ticket trains with its mask held fixed.
    fit(ticket.model, [tfsparse.UpdatePruningStep()], epochs=1)
    for w, mask in zip(_kernels(ticket.model), ticket.masks):
        assert np.all(w[mask[0] == 0] == 0)
        assert np.count_nonzero(w) == int(mask[0].sum())


def test_random_reinit_keeps_the_mask_with_new_weights(keras3, mlp, fit):
    ticket = tfsparse.find_lottery_ticket(
        lambda: mlp(seed=1), lambda model, cbs: fit(model, cbs), rounds=1, rate_per_round=0.6
    )
    control = tfsparse.random_reinit(ticket, lambda: mlp(seed=99))
    fresh = [np.array(layer.kernel.numpy()) for layer in mlp(seed=99).layers]
    for w, mask, value, ticket_w in zip(_kernels(control), _masks(control), fresh, _kernels(ticket.model)):
        np.testing.assert_array_equal(w, value * mask)
        assert not np.array_equal(w, ticket_w)
    for a, b in zip(_masks(control), ticket.masks):
        np.testing.assert_array_equal(a, b[0])
    earlier = tfsparse.random_reinit(None, lambda: mlp(seed=99), masks=ticket.history[0]["masks"])
    assert [int(m.sum()) for m in _masks(earlier)] == [int(m[0].sum()) for m in ticket.masks]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(rounds=0, rate_per_round=0.2), ValueError, r"rounds=0 must be an integer >= 1"),
        (dict(rounds=2, rate_per_round=0.0), ValueError, r"rate_per_round=0.0 must be a number in \(0, 1\)"),
        (dict(rounds=2, rate_per_round=1.0), ValueError, r"rate_per_round=1.0"),
        (dict(rounds=2, rate_per_round=[0.5]), ValueError, "1 rates for rounds=2"),
        (dict(rounds=1, rate_per_round=0.2, rewind_step=-1), ValueError, "rewind_step=-1"),
        (dict(rounds=1, rate_per_round=0.2, ranking="layer"), ValueError, "ranking='layer'"),
    ],
)
def test_bad_arguments_are_named(mlp, kwargs, error, match):
    with pytest.raises(error, match=match):
        tfsparse.find_lottery_ticket(mlp, lambda model, cbs: None, **kwargs)


def test_rewind_step_beyond_round_one_is_explained(mlp, fit):
    with pytest.raises(ValueError, match=r"rewind_step=1000 but round 1 trained only 4 batches"):
        tfsparse.find_lottery_ticket(mlp, lambda model, cbs: fit(model, cbs), rounds=1, rate_per_round=0.5, rewind_step=1000)


def test_build_model_must_return_a_built_model(keras3):
    with pytest.raises(TypeError, match="build_model"):
        tfsparse.find_lottery_ticket(lambda: keras3.Sequential([keras3.layers.Dense(3)]), lambda m, c: None,
                                     rounds=1, rate_per_round=0.5)
