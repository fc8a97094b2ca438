"""Entry points: ``prune_low_magnitude``, ``strip_pruning``, ``prune_scope`` (tfmot's names, Keras 3).

Switching from tfmot is a change of import::

    # import tensorflow_model_optimization as tfmot; prune = tfmot.sparsity.keras
    import tfsparse as prune

    pruned = prune.prune_low_magnitude(model, prune.PolynomialDecay(0.0, 0.9, 0, 1000))
    pruned.compile(...)
    pruned.fit(x, y, callbacks=[prune.UpdatePruningStep()])
    final = prune.strip_pruning(pruned)
"""

from __future__ import annotations

import warnings

import keras

from .callbacks import PruningSummaries, UpdatePruningStep, link_global_ranking, pruned_layers
from .iterative import IterativeSparsity
from .saliency import GradientSaliency
from .saving import PruneScope
from .schedules import ConstantSparsity, FixedMask, PolynomialDecay, PruningSchedule
from .wrapper import RANKINGS, PrunableLayer, PruneLowMagnitude, check_backend, is_prunable

__all__ = ["prune_low_magnitude", "strip_pruning", "prune_scope"]

_DEFAULT_SCHEDULE = ConstantSparsity(0.5, 0)


def _is_graph_model(obj):
    """Sequential or Functional (what ``keras.models.clone_model`` can rebuild)."""
    from keras.src.models.functional import Functional

    return isinstance(obj, (keras.Sequential, Functional))


def _check_model_type(model, what):
    if isinstance(model, keras.Model) and not _is_graph_model(model):
        raise ValueError(
            f"{what} cannot rebuild the subclassed model {model.name!r} ({type(model).__name__}). Wrap its "
            "layers one by one where the model creates them, e.g. "
            "self.fc = tfsparse.prune_low_magnitude(keras.layers.Dense(100)); or build it as a "
            "Sequential/Functional model."
        )


def _clone(model, clone_layer):
    """Clone a Sequential/Functional ``model`` layer by layer; returns (clone, [(old, new)])."""
    pairs = []

    def clone_function(layer):
        new = clone_layer(layer)
        pairs.append((layer, new))
        return new

    if not model.built and not isinstance(model, keras.Sequential):
        raise ValueError(
            f"model {model.name!r} is not built: give it an input shape (keras.Input) or call it on data first."
        )
    # A Sequential model without an input shape clones unbuilt (no weights to copy yet); its layers,
    # wrapped or not, build at the first call, as in tfmot.
    clone = keras.models.clone_model(model, clone_function=clone_function, recursive=True)
    return clone, pairs


def _fresh(layer):
    return layer.__class__.from_config(layer.get_config())


def _resolve_schedules(model, pruning_schedule):
    """{layer name: schedule} for the layers of ``model`` to prune, and the layers skipped."""
    layers = [l for l in model._flatten_layers(include_self=False, recursive=True) if not isinstance(l, keras.Model)]
    layers = [l for l in layers if not isinstance(l, keras.layers.InputLayer)]
    if isinstance(pruning_schedule, dict):
        names = {l.name for l in layers}
        unknown = sorted(set(pruning_schedule) - names)
        if unknown:
            raise ValueError(
                f"pruning_schedule names layers that model {model.name!r} does not have: {unknown}; "
                f"its layers are {sorted(names)}."
            )
        for name, schedule in pruning_schedule.items():
            layer = next(l for l in layers if l.name == name)
            if not is_prunable(layer):
                raise ValueError(
                    f"pruning_schedule[{name!r}]: layer {name!r} ({type(layer).__name__}) cannot be pruned; "
                    "tfsparse prunes Dense, Conv1D/2D/3D, Conv2D/3DTranspose, SeparableConv1D/2D (pointwise), "
                    "Embedding and PrunableLayer kernels (as tfmot)."
                )
            _check_schedule(schedule, f"pruning_schedule[{name!r}]")
        return dict(pruning_schedule), []
    _check_schedule(pruning_schedule, "pruning_schedule")
    chosen = {l.name: pruning_schedule for l in layers if is_prunable(l)}
    skipped = [l for l in layers if not is_prunable(l) and l.weights and not isinstance(l, PruneLowMagnitude)]
    return chosen, skipped


def _check_schedule(schedule, argument):
    if not isinstance(schedule, PruningSchedule):
        raise TypeError(
            f"{argument} must be a tfsparse.PruningSchedule (e.g. tfsparse.PolynomialDecay(0.0, 0.9, 0, 1000)) "
            f"or, when pruning a model, a dict {{layer name: schedule}}; got {schedule!r}."
        )


def _prune_model(model, pruning_schedule, wrapper_kwargs):
    _check_model_type(model, "prune_low_magnitude")
    if pruned_layers(model):
        raise ValueError(f"model {model.name!r} already contains pruned layers; strip_pruning it first.")
    schedules, skipped = _resolve_schedules(model, pruning_schedule)
    if not schedules:
        raise ValueError(
            f"model {model.name!r} has nothing to prune: no Dense, Conv, SeparableConv, Embedding "
            "or tfsparse.PrunableLayer layer. Implement PrunableLayer.get_prunable_weights() in your custom layers."
        )

    def clone_layer(layer):
        new = _fresh(layer)
        if layer.name in schedules and not isinstance(layer, keras.Model):
            return PruneLowMagnitude(new, schedules[layer.name], **wrapper_kwargs)
        return new

    clone, pairs = _clone(model, clone_layer)
    for old, new in pairs:
        target = new.layer if isinstance(new, PruneLowMagnitude) else new
        if old.weights:
            target.set_weights(old.get_weights())
    if skipped:
        warnings.warn(
            f"prune_low_magnitude: model {model.name!r}: these layers have weights tfsparse cannot prune and "
            "are left dense: " + ", ".join(f"{l.name} ({type(l).__name__})" for l in skipped) + ".",
            UserWarning,
            stacklevel=3,
        )
    link_global_ranking(pruned_layers(clone))
    return clone


def prune_low_magnitude(
    to_prune,
    pruning_schedule=_DEFAULT_SCHEDULE,
    block_size=(1, 1),
    block_pooling_type="AVG",
    pruning_policy=None,
    sparsity_m_by_n=None,
    *,
    ranking="local",
    criterion="magnitude",
):
    """Wrap a layer, a list of layers or a whole model for magnitude pruning during training.

    Same arguments and semantics as ``tfmot.sparsity.keras.prune_low_magnitude``, for Keras 3.
    Train the result with the :class:`tfsparse.UpdatePruningStep` callback, then call
    :func:`strip_pruning`.

    Args:
        to_prune: a Keras layer (returns the wrapped layer), a list of layers (returns a list), or a
            Sequential/Functional model (returns a new model whose prunable layers are wrapped; the
            original model and its weights are left untouched). Layers of a model that have weights
            tfsparse cannot prune are left dense, with one warning listing them.
        pruning_schedule: a :class:`tfsparse.PruningSchedule`; when pruning a model, also a dict
            ``{layer name: schedule}``, which prunes only the layers named.
        block_size: ``(height, width)``: prune whole blocks of 2-D weights (Dense, Embedding), ranked
            by their pooled magnitude, ``sparsity`` counting blocks (tfmot's block sparsity). Default
            ``(1, 1)``: unstructured.
        block_pooling_type: ``"AVG"`` or ``"MAX"``: how a block's magnitudes are pooled.
        pruning_policy: must be None. tfmot's only policy, ``PruneForLatencyOnXNNPack``, selects layers
            for XNNPack's sparse CPU kernels, which do not exist on Cortex-M: it would prune the wrong
            layers for this target.
        sparsity_m_by_n: ``(m, n)`` with ``0 < m < n``: at least ``m`` zeros in every ``n``
            consecutive weights along the input dimension (tfmot's meaning: ``(2, 4)`` keeps 2 of 4),
            recomputed at every mask update and saved with the model. None: unstructured.
        ranking: ``"local"`` (tfmot's behaviour: each weight tensor reaches the target sparsity) or
            ``"global"`` (one magnitude threshold across all layers pruned together, which then reach
            the target sparsity in total; needs a single schedule).
        criterion: ``"magnitude"`` (``|w|``, tfmot's) or ``"gradient"`` (the running mean of
            ``|w * dL/dw|`` between mask updates; compile with ``optimizer=tfsparse.GradientSaliency(...)``).

    Returns:
        The wrapped layer, list of wrapped layers, or the new pruned model.

    Raises:
        TypeError: ``to_prune`` is not a Keras layer, list or model; a bad schedule.
        ValueError: a layer that cannot be pruned, a model with nothing prunable, a subclassed model,
            an unknown ``ranking`` or layer name in a schedule dict.
        NotImplementedError: ``pruning_policy``.
        RuntimeError: Keras is not running on the TensorFlow backend.

    Example:
        >>> pruned = prune_low_magnitude(model, PolynomialDecay(0.0, 0.9, 0, 1000))  # doctest: +SKIP
        >>> pruned.compile("adam", "sparse_categorical_crossentropy")  # doctest: +SKIP
        >>> pruned.fit(x, y, epochs=2, callbacks=[UpdatePruningStep()])  # doctest: +SKIP
    """
    check_backend("tfsparse.prune_low_magnitude")
    if pruning_policy is not None:
        raise NotImplementedError(
            f"pruning_policy={pruning_policy!r}: tfsparse has no pruning policy. tfmot's policy "
            "(PruneForLatencyOnXNNPack) picks layers for XNNPack's sparse CPU kernels, not for Cortex-M; "
            "leave it None (every prunable layer is pruned), or pass a {layer name: schedule} dict to choose layers."
        )
    if ranking not in RANKINGS:
        raise ValueError(f"ranking={ranking!r} must be 'local' or 'global'.")
    if isinstance(pruning_schedule, dict) and ranking == "global":
        raise ValueError(
            "ranking='global' ranks all layers against one threshold, so it takes one schedule, not a dict; "
            "use ranking='local' for per-layer schedules."
        )
    wrapper_kwargs = dict(
        block_size=block_size, block_pooling_type=block_pooling_type, sparsity_m_by_n=sparsity_m_by_n, ranking=ranking,
        criterion=criterion,
    )
    if isinstance(to_prune, keras.Model):
        return _prune_model(to_prune, pruning_schedule, wrapper_kwargs)
    if isinstance(pruning_schedule, dict):
        raise TypeError("a dict pruning_schedule ({layer name: schedule}) is only accepted when pruning a model.")
    if isinstance(to_prune, (list, tuple)):
        return [PruneLowMagnitude(layer, pruning_schedule, **wrapper_kwargs) for layer in to_prune]
    if isinstance(to_prune, keras.layers.Layer):
        return PruneLowMagnitude(to_prune, pruning_schedule, **wrapper_kwargs)
    raise TypeError(
        "prune_low_magnitude expects a Keras 3 layer, a list of layers, or a Sequential/Functional model, got "
        f"{type(to_prune).__module__}.{type(to_prune).__name__}. (tf_keras / Keras 2 objects are not supported: "
        "build the model with `import keras`.)"
    )


def _unwrap_in_place(model):
    """Replace every PruneLowMagnitude reachable from ``model``'s attributes by its masked inner layer."""
    for wrapper in pruned_layers(model):
        wrapper.unwrap()
    owners = [model] + [l for l in model._flatten_layers(include_self=False, recursive=True) if not isinstance(l, PruneLowMagnitude)]
    unwrap = lambda v: v.layer if isinstance(v, PruneLowMagnitude) else v  # noqa: E731
    for owner in owners:
        for name, value in list(vars(owner).items()):
            if name == "_layers":
                continue
            if isinstance(value, PruneLowMagnitude):
                object.__setattr__(owner, name, value.layer)  # already tracked by Keras through the wrapper
            elif isinstance(value, list):
                value[:] = [unwrap(v) for v in value]
            elif isinstance(value, tuple) and any(isinstance(v, PruneLowMagnitude) for v in value):
                object.__setattr__(owner, name, type(value)(unwrap(v) for v in value))
            elif isinstance(value, dict):
                for key in list(value):
                    value[key] = unwrap(value[key])
        for layer in list(owner._layers):
            if isinstance(layer, PruneLowMagnitude):
                owner._tracker.replace_tracked_value("layers", layer, layer.layer)
    # the compiled steps still call the wrappers: let Keras trace them again
    model.train_function = model.test_function = model.predict_function = None
    return model


def strip_pruning(model):
    """A model with the pruning wrappers removed, ready to export or convert.

    The result is a plain Keras model with the original layer names and classes, whose pruned
    weights are exactly 0.0. A Sequential/Functional model is copied and the pruned model is left
    untouched. A subclassed model (layers wrapped one by one in its constructor) cannot be copied
    (Keras rebuilds a model only through its constructor), so it is stripped in place: each
    wrapper attribute becomes its inner layer, holding the masked weights, and the same model is
    returned (tfmot refuses subclassed models).

    Args:
        model: a Keras model with layers wrapped by :func:`prune_low_magnitude` (and trained).

    Returns:
        A Keras model without ``PruneLowMagnitude`` layers.

    Raises:
        TypeError: ``model`` is not a Keras model.

    Example:
        >>> final = strip_pruning(pruned)  # doctest: +SKIP
        >>> keras.models.save_model(final, "final.keras")  # doctest: +SKIP
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"strip_pruning expects a Keras model, got {type(model).__name__}.")
    never_trained = [l.name for l in pruned_layers(model) if l.built and int(l.pruning_step.numpy()) < 0]
    if never_trained:
        warnings.warn(
            f"strip_pruning: {', '.join(never_trained)} never trained with tfsparse.UpdatePruningStep "
            "(pruning_step is -1), so their weights are not pruned.",
            UserWarning,
            stacklevel=2,
        )
    if not _is_graph_model(model):
        return _unwrap_in_place(model)

    def clone_layer(layer):
        return _fresh(layer.layer if isinstance(layer, PruneLowMagnitude) else layer)

    clone, pairs = _clone(model, clone_layer)
    for old, new in pairs:
        source = old.layer if isinstance(old, PruneLowMagnitude) else old
        if not source.weights:
            continue
        new.set_weights(source.get_weights())
        if isinstance(old, PruneLowMagnitude):
            index = {id(v): i for i, v in enumerate(source.weights)}
            for w, mask, _ in old.pruning_vars:
                new.weights[index[id(w)]].assign(w * mask)
    return clone


def prune_scope():
    """A scope in which models saved with pruning wrappers deserialize (as ``tfmot``'s).

    The classes are also registered with Keras (when Keras is imported, even right after
    ``import tfsparse``), so ``keras.models.load_model`` works without it; the scope is there for
    code written for tfmot. Inside it, a ``.keras`` path that is not a zip archive (an HDF5 file, a
    Git LFS pointer, a truncated file) gets an error saying what the file is and what to do, where
    Keras says "File not found".

    Returns:
        A context manager (a ``keras.saving.custom_object_scope``).

    Raises:
        ValueError: (inside the scope) the ``.keras`` file exists but is not a zip archive; the model
            was saved by tfmot (Keras 2).

    Example:
        >>> with prune_scope():  # doctest: +SKIP
        ...     model = keras.models.load_model("pruned.keras")
    """
    return PruneScope(
        {
            "PruneLowMagnitude": PruneLowMagnitude,
            "PolynomialDecay": PolynomialDecay,
            "ConstantSparsity": ConstantSparsity,
            "PrunableLayer": PrunableLayer,
            "UpdatePruningStep": UpdatePruningStep,
            "PruningSummaries": PruningSummaries,
            "IterativeSparsity": IterativeSparsity,
            "FixedMask": FixedMask,
            "GradientSaliency": GradientSaliency,
        }
    )
