"""Lottery tickets (Frankle & Carbin 2019): iterative magnitude pruning with rewinding, and its control.

:func:`find_lottery_ticket` keeps the initial weights (or those after ``rewind_step`` training
steps), then runs rounds of *train -> prune a fraction of the surviving weights by magnitude -> reset
the survivors to the kept values*. The ticket is the last mask with the rewound weights, as a pruned
model ready to train. :func:`random_reinit` is the control the hypothesis is judged against: the same
mask on a fresh random initialization. Masks are held fixed while a ticket trains (:class:`FixedMask`).

Example:
    >>> def build():  # doctest: +SKIP
    ...     return tfsparse.models.lenet_300_100()
    >>> def train(model, callbacks):  # doctest: +SKIP
    ...     model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...                   metrics=["accuracy"])
    ...     model.fit(x, y, epochs=10, callbacks=callbacks, verbose=0)
    ...     return model.evaluate(xt, yt, verbose=0)[1]
    >>> ticket = tfsparse.find_lottery_ticket(build, train, rounds=3, rate_per_round=0.5)  # doctest: +SKIP
    >>> [h["sparsity"] for h in ticket.history]  # doctest: +SKIP
    [0.5, 0.75, 0.875]
    >>> train(ticket.model, [tfsparse.UpdatePruningStep()])  # doctest: +SKIP
    >>> control = tfsparse.random_reinit(ticket, build)  # same mask, new random weights  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import numbers

import keras
import numpy as np
import tensorflow as tf

from .api import prune_low_magnitude
from .callbacks import UpdatePruningStep, pruned_layers
from .iterative import check_rate
from .masks import magnitude_masks
from .schedules import FixedMask
from .wrapper import RANKINGS, PruneLowMagnitude

__all__ = ["FixedMask", "LotteryTicket", "find_lottery_ticket", "random_reinit"]


@dataclasses.dataclass
class LotteryTicket:
    """What :func:`find_lottery_ticket` returns.

    Attributes:
        model: the ticket: a pruned model (``PruneLowMagnitude`` layers with :class:`FixedMask`) whose
            surviving weights hold the rewound values; train it with ``UpdatePruningStep``.
        masks: per pruned layer (in model order), one 0/1 array per pruned weight.
        rewind_weights: per layer with weights (in model order), the kept (initial or step-k) weights.
        history: one dict per round: ``round``, ``trained_sparsity`` (of the model trained that round),
            ``train_result`` (what ``train`` returned), ``target_sparsity``, ``sparsity`` (achieved
            after pruning) and ``masks``.
    """

    model: keras.Model
    masks: list
    rewind_weights: list
    history: list


class _RewindRecorder(keras.callbacks.Callback):
    """Copies the weights after ``step`` training batches (the rewind point)."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.seen = 0
        self.weights = None

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step and self.weights is None:
            self.weights = _layer_weights(self.model)


def _weighted_layers(model):
    """The layers with weights of a plain or pruned model, in order (wrappers -> the wrapped layer)."""
    layers = [l.layer if isinstance(l, PruneLowMagnitude) else l for l in model.layers]
    return [l for l in layers if l.weights]


def _layer_weights(model):
    return [[np.array(w) for w in layer.get_weights()] for layer in _weighted_layers(model)]


def _masks(model):
    return [[np.array(mask.numpy()) for _, mask, _ in layer.pruning_vars] for layer in pruned_layers(model)]


def _ticket_model(base, weights, masks):
    """``base`` wrapped with FixedMask pruning, holding ``weights`` (per layer) times ``masks``."""
    model = _wrap(base)
    for layer, values in zip(_weighted_layers(model), weights):
        layer.set_weights(values)
    for layer, layer_masks in zip(pruned_layers(model), masks):
        for (w, mask, _), m in zip(layer.pruning_vars, layer_masks):
            mask.assign(m)
            w.assign(w * m)
    return model


def _wrap(base):
    return prune_low_magnitude(base, FixedMask())


def _prune_surviving(model, sparsity, ranking):
    """New masks keeping the largest |w| among the surviving weights, at ``sparsity`` (of all weights)."""
    triples = [t for layer in pruned_layers(model) for t in layer.pruning_vars]
    scores = [tf.where(mask > 0, tf.abs(w), -1.0) for w, mask, _ in triples]
    weights = [w.value for w, _, _ in triples]
    if ranking == "global":
        _, flat = magnitude_masks(weights, sparsity, scores)
    else:
        flat = [magnitude_masks([w], sparsity, [s])[1][0] for w, s in zip(weights, scores)]
    flat = iter(np.array(m.numpy()) for m in flat)
    return [[next(flat) for _ in layer.pruning_vars] for layer in pruned_layers(model)]


def _sparsity(masks):
    total = sum(m.size for layer in masks for m in layer)
    return 1.0 - sum(float(m.sum()) for layer in masks for m in layer) / total


def _check_arguments(build_model, train, rounds, rate_per_round, rewind_step, ranking):
    if not callable(build_model) or not callable(train):
        raise TypeError(
            "find_lottery_ticket(build_model, train, ...): build_model() must return a new built Keras model and "
            "train(model, callbacks) must compile and fit it with those callbacks."
        )
    if not isinstance(rounds, numbers.Integral) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds={rounds!r} must be an integer >= 1 (train -> prune -> rewind cycles).")
    rates = list(rate_per_round) if isinstance(rate_per_round, (list, tuple)) else [rate_per_round] * rounds
    if len(rates) != rounds:
        raise ValueError(f"rate_per_round has {len(rates)} rates for rounds={rounds}; give one rate or one per round.")
    for rate in rates:
        check_rate(rate, "rate_per_round")
    if not isinstance(rewind_step, numbers.Integral) or isinstance(rewind_step, bool) or rewind_step < 0:
        raise ValueError(f"rewind_step={rewind_step!r} must be an integer >= 0 (0 rewinds to the initial weights).")
    if ranking not in RANKINGS:
        raise ValueError(f"ranking={ranking!r} must be 'local' or 'global'.")
    return rates


def _build(build_model):
    model = build_model()
    if not isinstance(model, keras.Model) or not model.built:
        raise TypeError(f"build_model() must return a new built Keras 3 model (e.g. with keras.Input), got {model!r}.")
    return model


def find_lottery_ticket(build_model, train, *, rounds, rate_per_round, rewind_step=0, ranking="local"):
    """Find a lottery ticket by iterative magnitude pruning with rewinding.

    Round ``r`` trains the current model (dense in round 1), prunes ``rate_per_round`` of its surviving
    weights by magnitude, and resets the survivors to the kept weights: the initial ones, or those
    after ``rewind_step`` training steps of round 1 (Frankle et al. 2020, "late resetting").

    Args:
        build_model: called once with no argument; returns a new *built* Sequential/Functional Keras
            model with its initial weights (seed it for reproducible runs).
        train: ``train(model, callbacks)`` compiles ``model`` (a fresh optimizer each round, as the
            procedure requires), fits it passing ``callbacks`` (they include ``UpdatePruningStep``),
            and may return anything (e.g. a test accuracy), recorded in the history.
        rounds: number of train -> prune -> rewind rounds (>= 1).
        rate_per_round: fraction of the surviving weights pruned each round, in (0, 1); or a list of
            one rate per round. After round ``r`` the sparsity is ``1 - prod(1 - rate)``.
        rewind_step: 0 to rewind to the initial weights, k > 0 to the weights after k training
            batches of round 1.
        ranking: ``"local"`` (every pruned weight reaches the sparsity) or ``"global"`` (one
            magnitude threshold across layers).

    Returns:
        A :class:`LotteryTicket`: ``.model`` (ready to train), ``.masks``, ``.rewind_weights``,
        ``.history`` (one dict per round).

    Raises:
        TypeError: ``build_model`` or ``train`` is not callable, or ``build_model()`` is not a built model.
        ValueError: ``rounds < 1``, a rate outside (0, 1), ``rewind_step < 0``, an unknown ranking, or
            round 1 ran fewer than ``rewind_step`` batches.

    Example:
        >>> ticket = find_lottery_ticket(build, train, rounds=4, rate_per_round=0.2)  # doctest: +SKIP
        >>> control = random_reinit(ticket, build)  # doctest: +SKIP
    """
    rates = _check_arguments(build_model, train, rounds, rate_per_round, rewind_step, ranking)
    base = _build(build_model)
    rewind = _layer_weights(base) if rewind_step == 0 else None
    model = _wrap(base)
    masks = _masks(model)
    history, kept = [], 1.0
    for r, rate in enumerate(rates, start=1):
        callbacks = [UpdatePruningStep()]
        recorder = None
        if rewind is None:
            recorder = _RewindRecorder(rewind_step)
            callbacks.append(recorder)
        trained_sparsity = _sparsity(masks)
        result = train(model, callbacks)
        if recorder is not None:
            if recorder.weights is None:
                raise ValueError(
                    f"rewind_step={rewind_step} but round 1 trained only {recorder.seen} batches; "
                    "use a smaller rewind_step (or 0 for the initial weights)."
                )
            rewind = recorder.weights
        kept *= 1.0 - rate
        masks = _prune_surviving(model, 1.0 - kept, ranking)
        history.append(
            {"round": r, "trained_sparsity": trained_sparsity, "train_result": result,
             "target_sparsity": 1.0 - kept, "sparsity": _sparsity(masks), "masks": masks}
        )
        model = _ticket_model(base, rewind, masks)
    return LotteryTicket(model=model, masks=masks, rewind_weights=rewind, history=history)


def random_reinit(ticket, build_model, masks=None):
    """The control: the ticket's mask on a fresh random initialization from ``build_model()``.

    Args:
        ticket: a :class:`LotteryTicket` (its final mask), or None when ``masks`` is given.
        build_model: returns a new built model of the same architecture; seed it differently from the
            ticket's to get a different initialization.
        masks: optional masks to use instead (e.g. ``ticket.history[r]["masks"]`` of an earlier round).

    Returns:
        A pruned model ready to train (:class:`FixedMask`), with the new weights times the mask.

    Raises:
        ValueError: neither ``ticket`` nor ``masks`` is given.

    Example:
        >>> control = random_reinit(ticket, lambda: tfsparse.models.lenet_300_100(seed=7))  # doctest: +SKIP
    """
    if masks is None:
        if ticket is None:
            raise ValueError("random_reinit needs a ticket or masks=.")
        masks = ticket.masks
    base = _build(build_model)
    return _ticket_model(base, _layer_weights(base), masks)
