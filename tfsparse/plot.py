"""Plots for the places where people would rather look than read.

Every function returns a :class:`matplotlib.figure.Figure` drawn with the Agg canvas: nothing touches
``pyplot``'s global state, so the functions work in scripts, tests and notebooks alike (a notebook shows
the figure when it is the cell's value, or with ``display(fig)``); save one with ``fig.savefig(path)``.

Inputs are plain data or tfsparse objects, duck-typed so that this module imports neither TensorFlow
nor Keras:

* :func:`sparsity_schedule` -- any schedule callable as ``schedule(step) -> (should_prune, sparsity)``;
* :func:`accuracy_vs_sparsity` -- ``{label: (sparsities, accuracies)}`` plus an optional dense accuracy;
* :func:`layer_density` -- a Keras model, a :class:`tfsparse.SparseModel` or ``{layer: density}``;
* :func:`spy` -- one layer's weights: an int8/float array, a CSR matrix or a fully-connected op;
* :func:`bytes_per_nonzero` -- weights as for :func:`spy` (or a whole ``SparseModel``);
* :func:`instructions` and :func:`memory` -- ``{label: number}`` from firmware runs and builds.

Requires matplotlib (``pip install tfsparse[plot]``).

Example:
    >>> import tfsparse
    >>> from tfsparse import plot
    >>> fig = plot.sparsity_schedule(tfsparse.PolynomialDecay(0.0, 0.9, 0, 1000, frequency=100))  # doctest: +SKIP
    >>> fig.savefig("schedule.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "sparsity_schedule",
    "accuracy_vs_sparsity",
    "layer_density",
    "spy",
    "bytes_per_nonzero",
    "entropy_bound",
    "instructions",
    "memory",
]

_ENCODING_ORDER = ("abs_u8", "abs_u16", "abs_u32", "rel8", "rel4")


def _figure(width=6.4, height=4.0, ncols=1, width_ratios=None):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("tfsparse.plot needs matplotlib: pip install 'tfsparse[plot]' (or matplotlib)") from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, width_ratios=width_ratios)
    return fig, axes


def _scalar(x):
    """A Python number from a NumPy/TensorFlow scalar (eager tensors support ``np.asarray``)."""
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x).item()


def _default_steps(schedule):
    begin = int(getattr(schedule, "begin_step", 0) or 0)
    end = int(getattr(schedule, "end_step", -1) if getattr(schedule, "end_step", None) is not None else -1)
    frequency = int(getattr(schedule, "frequency", 100) or 100)
    if end < 0:  # prunes forever (tfmot's end_step=-1): show ten mask updates
        end = begin + 10 * frequency
    margin = max(frequency, (end - begin) // 10, 1)
    return range(max(0, begin - margin), end + margin + 1)


def sparsity_schedule(schedule, steps=None, *, steps_per_epoch=None, title=None):
    """The target sparsity of a pruning schedule over training steps, with the mask-update points.

    Args:
        schedule: a callable ``schedule(step) -> (should_prune, sparsity)``, such as
            :class:`tfsparse.PolynomialDecay` or :class:`tfsparse.ConstantSparsity`.
        steps: the steps to evaluate (an iterable of ints). Default: from a little before
            ``schedule.begin_step`` to a little after ``schedule.end_step``.
        steps_per_epoch: when given, epoch boundaries are drawn as faint vertical lines.
        title: figure title (default: the schedule's class name).

    Returns:
        A matplotlib Figure.

    Raises:
        TypeError: ``schedule`` is not callable or does not return ``(should_prune, sparsity)``.

    Example:
        >>> fig = sparsity_schedule(lambda step: (step % 10 == 0, min(step / 100, 0.9)), range(120))
        >>> fig.axes[0].get_ylabel()
        'target sparsity'
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be callable as schedule(step) -> (should_prune, sparsity), got {type(schedule).__name__}")
    steps = list(_default_steps(schedule) if steps is None else steps)
    if not steps:
        raise ValueError("steps is empty: pass the training steps to plot, e.g. range(0, 2000)")
    sparsity = np.empty(len(steps))
    update = np.zeros(len(steps), dtype=bool)
    for i, step in enumerate(steps):
        try:
            should_prune, s = schedule(step)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"schedule({step}) must return (should_prune, sparsity); calling {type(schedule).__name__} failed: {e}"
            ) from e
        sparsity[i] = _scalar(s)
        update[i] = bool(_scalar(should_prune))
    steps = np.asarray(steps)
    fig, ax = _figure()
    ax.plot(steps, sparsity, color="C0", label="target sparsity")
    ax.scatter(steps[update], sparsity[update], color="C3", s=14, zorder=3,
               label=f"mask updates ({int(update.sum())})")
    if steps_per_epoch:
        for b in range(int(steps[0]) // steps_per_epoch + 1, int(steps[-1]) // steps_per_epoch + 1):
            ax.axvline(b * steps_per_epoch, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("training step")
    ax.set_ylabel("target sparsity")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title or f"{type(schedule).__name__} pruning schedule")
    return fig


def accuracy_vs_sparsity(curves, dense_accuracy=None, *, title="Accuracy vs sparsity"):
    """Test accuracy against final sparsity for one or more pruning methods.

    Args:
        curves: ``{label: (sparsities, accuracies)}``, e.g. ``{"tfsparse": ([.5, .9], [.97, .96]),
            "tfmot": (...)}``; sparsities and accuracies are fractions in [0, 1].
        dense_accuracy: accuracy of the unpruned model, drawn as a horizontal line.
        title: figure title.

    Returns:
        A matplotlib Figure.

    Raises:
        ValueError: a curve whose sparsities and accuracies differ in length.

    Example:
        >>> fig = accuracy_vs_sparsity({"tfsparse": ([0.5, 0.9], [0.96, 0.95])}, dense_accuracy=0.97)
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['dense (0.970)', 'tfsparse']
    """
    fig, ax = _figure()
    if dense_accuracy is not None:
        ax.axhline(float(dense_accuracy), color="0.4", ls="--", label=f"dense ({float(dense_accuracy):.3f})")
    markers = "osD^v<>"
    for i, (label, (sparsities, accuracies)) in enumerate(curves.items()):
        s, a = np.asarray(sparsities, dtype=float), np.asarray(accuracies, dtype=float)
        if s.shape != a.shape:
            raise ValueError(f"curve {label!r}: {s.size} sparsities but {a.size} accuracies; give one accuracy per sparsity")
        order = np.argsort(s)
        ax.plot(s[order] * 100, a[order], marker=markers[i % len(markers)], label=str(label))
    ax.set_xlabel("sparsity (% of weights pruned)")
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title(title)
    return fig


def _layer_densities(source) -> dict:
    """``{layer name: fraction of nonzero weights}`` from a mapping, a SparseModel or a Keras model."""
    if isinstance(source, Mapping):
        return {str(k): float(v) for k, v in source.items()}
    if hasattr(source, "ops") and hasattr(source, "tensors"):  # tfsparse.SparseModel
        out = {}
        for op in source.ops:
            w = getattr(op, "weights", None)
            if w is not None and hasattr(w, "nnz"):
                rows, cols = w.shape
                out[op.name] = w.nnz / (rows * cols)
        return out
    if hasattr(source, "layers"):  # a Keras model: pruned, stripped or dense
        from .pruning.report import sparsity_report

        counts = {}
        for row in sparsity_report(source):
            nonzeros, size = counts.get(row.layer, (0, 0))
            counts[row.layer] = (nonzeros + row.nonzeros, size + row.size)
        return {layer: nonzeros / size for layer, (nonzeros, size) in counts.items()}
    raise TypeError(
        f"layer_density takes a Keras model, a tfsparse.SparseModel or a {{layer: density}} mapping, "
        f"got {type(source).__name__}"
    )


def layer_density(source, *, title="Per-layer density"):
    """Fraction of nonzero weights per layer, as horizontal bars.

    Args:
        source: a Keras model (pruned, stripped or dense), a :class:`tfsparse.SparseModel`, or a
            mapping ``{layer name: density}``.
        title: figure title.

    Returns:
        A matplotlib Figure.

    Raises:
        TypeError: ``source`` is none of the above.
        ValueError: ``source`` has no layer with weights.

    Example:
        >>> fig = layer_density({"fc1": 0.1, "fc2": 0.1, "fc3": 0.5})
        >>> len(fig.axes[0].patches)
        3
    """
    dens = _layer_densities(source)
    if not dens:
        raise ValueError("layer_density: the model has no layer with a kernel (Dense/fully-connected) to show")
    names = list(dens)
    fig, ax = _figure(height=max(2.0, 0.5 * len(names) + 1.2))
    y = np.arange(len(names))
    bars = ax.barh(y, [dens[n] for n in names], color="C0")
    for bar, n in zip(bars, names):
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, f"{dens[n]:.1%}", va="center")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("density (fraction of nonzero weights)")
    ax.set_title(title)
    return fig


def _dense_matrix(weights) -> np.ndarray:
    """A dense ``[rows, cols]`` array from an array, a CSR/dense matrix record or a fully-connected op."""
    w = getattr(weights, "weights", weights)  # FullyConnected op -> its matrix
    if hasattr(w, "encoding"):
        from .converter.csr import decode

        return decode(w)
    arr = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D weight matrix, got shape {arr.shape}")
    return arr


def _layer_label(weights, default="weights"):
    return getattr(weights, "name", None) or default


def spy(weights, *, title=None, transpose=False):
    """Where the nonzero weights of one layer are (black = kept), with per-row counts beside it.

    Args:
        weights: a 2-D array (Keras kernels are ``[in, out]``; TFLite and tfsparse use ``[out, in]``),
            a CSR/dense matrix record of a :class:`tfsparse.SparseModel`, or one of its
            fully-connected ops (e.g. ``sparse_model.ops[0]``).
        title: figure title (default: layer name, shape, density and encoding).
        transpose: transpose the matrix before drawing (e.g. to show a Keras kernel as ``[out, in]``).

    Returns:
        A matplotlib Figure.

    Raises:
        ValueError: the weights are not a 2-D matrix.

    Example:
        >>> import numpy as np
        >>> fig = spy(np.eye(8, dtype=np.int8))
        >>> fig.axes[0].get_xlabel()
        'input (column)'
    """
    dense = _dense_matrix(weights)
    if transpose:
        dense = dense.T
    mask = dense != 0
    rows, cols = mask.shape
    fig, (ax, side) = _figure(width=7.2, height=4.2, ncols=2, width_ratios=[4, 1])
    ax.imshow(mask, cmap="gray_r", aspect="auto", interpolation="nearest", vmin=0, vmax=1)
    ax.set_xlabel("input (column)")
    ax.set_ylabel("output (row)")
    per_row = mask.sum(axis=1)
    side.barh(np.arange(rows), per_row, height=1.0, color="C0")
    side.set_ylim(rows - 0.5, -0.5)
    side.set_xlabel("nonzeros per row")
    side.set_yticks([])
    enc = getattr(getattr(weights, "weights", weights), "encoding", None)
    density = mask.mean() if mask.size else 0.0
    label = _layer_label(weights, "layer")
    fig.suptitle(title or f"{label}: {rows}x{cols}, density {density:.1%}" + (f", {enc}" if enc else ""))
    return fig


def entropy_bound(dense, *, value_bits=None) -> float:
    """Bits per nonzero that no lossless code can beat on average for this matrix.

    Positions cost ``log2 C(rows*cols, nnz)`` bits (every choice of which weights survive equally
    likely). Values cost ``value_bits`` each when given (8 for int8 stored as bytes, as every CSR
    encoding here stores them), else their empirical entropy ``-sum p log2 p``.

    Args:
        dense: a 2-D integer matrix.
        value_bits: bits per stored value, or None for the values' entropy.

    Returns:
        Bits per nonzero (``nan`` when the matrix has no nonzero).

    Example:
        >>> import numpy as np
        >>> round(entropy_bound(np.array([[1, 0], [0, 1]], dtype=np.int8)), 3)  # log2 C(4,2)/2, one value
        1.292
        >>> round(entropy_bound(np.array([[1, 0], [0, 1]], dtype=np.int8), value_bits=8), 3)
        9.292
    """
    dense = np.asarray(dense)
    n, k = dense.size, int(np.count_nonzero(dense))
    if k == 0:
        return float("nan")
    position_bits = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)
    if value_bits is None:
        _, counts = np.unique(dense[dense != 0], return_counts=True)
        p = counts / k
        value_bits = float(-(p * np.log2(p)).sum())
    return position_bits / k + float(value_bits)


def _matrices(weights) -> list:
    if hasattr(weights, "ops") and hasattr(weights, "tensors"):  # a whole SparseModel
        return [_dense_matrix(op) for op in weights.ops if hasattr(getattr(op, "weights", None), "encoding")]
    return [_dense_matrix(weights)]


def bytes_per_nonzero(weights, *, encodings=_ENCODING_ORDER, title=None):
    """Bytes each nonzero weight costs in every CSR encoding, beside dense int8 and the entropy bounds.

    Sizes count values, row pointers and indices (what the firmware keeps in flash), as
    :func:`tfsparse.converter.csr.encoded_nbytes` computes them. Two bounds (:func:`entropy_bound`):
    with int8 values stored as bytes (what the encodings here could reach at best: only the
    positions can shrink), and with the values entropy-coded too.

    Args:
        weights: one int8 matrix (array, CSR record or fully-connected op) or a whole
            :class:`tfsparse.SparseModel` (all its fully-connected layers added up).
        encodings: the encodings to show; those that cannot address the layer's width are left out.
        title: figure title.

    Returns:
        A matplotlib Figure.

    Raises:
        ValueError: the weights have no nonzero or are not int8.

    Example:
        >>> import numpy as np
        >>> w = (np.random.default_rng(0).random((100, 784)) < 0.1).astype(np.int8)
        >>> fig = bytes_per_nonzero(w)
        >>> fig.axes[0].get_ylabel()
        'bytes per nonzero weight'
    """
    from .converter.csr import available_encodings, encoded_nbytes

    mats = [np.asarray(m) for m in _matrices(weights)]
    for m in mats:
        if m.dtype != np.int8:
            raise ValueError(f"bytes_per_nonzero needs int8 weights (quantize first), got {m.dtype}")
    nnz = sum(int(np.count_nonzero(m)) for m in mats)
    if nnz == 0:
        raise ValueError("bytes_per_nonzero: the weights have no nonzero entry")
    sizes = {"dense int8": sum(m.size for m in mats)}
    for enc in encodings:
        if all(enc in available_encodings(m.shape[1]) for m in mats):
            sizes[enc] = sum(encoded_nbytes(m, enc) for m in mats)
    def bound(**kwargs):
        return sum(entropy_bound(m, **kwargs) * np.count_nonzero(m) for m in mats if np.count_nonzero(m)) / 8 / nnz

    fig, ax = _figure()
    labels = list(sizes)
    per_nz = [sizes[k] / nnz for k in labels]
    bars = ax.bar(labels, per_nz, color=["0.6"] + [f"C{i}" for i in range(len(labels) - 1)])
    for bar, v in zip(bars, per_nz):
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.2f}", ha="center", va="bottom")
    raw, coded = bound(value_bits=8), bound()
    ax.axhline(raw, color="C3", ls="--", label=f"entropy bound, int8 values ({raw:.2f} B)")
    ax.axhline(coded, color="C3", ls=":", label=f"entropy bound, entropy-coded values ({coded:.2f} B)")
    ax.set_ylabel("bytes per nonzero weight")
    total = sum(m.size for m in mats)
    ax.set_title(title or f"Encoded size, {nnz} nonzeros of {total} ({nnz / total:.1%} dense)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return fig


def _check_baseline(labels, baseline, what: str):
    if baseline is not None and str(baseline) not in [str(k) for k in labels]:
        raise ValueError(f"{what}: baseline {baseline!r} is not one of the labels {[str(k) for k in labels]}; "
                         "name the build the others are compared with, or pass baseline=None for no ratios")


def _bar_comparison(values, ylabel, title, fmt, baseline, ratio):
    if not values:
        raise ValueError(f"{title}: nothing to plot; pass {{label: number}}")
    _check_baseline(values, baseline, title)
    labels = [str(k) for k in values]
    nums = [float(v) for v in values.values()]
    base = float(values[baseline]) if baseline is not None else None
    fig, ax = _figure()
    bars = ax.bar(labels, nums, color=[f"C{i}" for i in range(len(labels))])
    for label, bar, v in zip(labels, bars, nums):
        note = fmt(v)
        if label == str(baseline):
            note += "\n(baseline)"
        elif base and v:
            note += f"\n({base / v:.1f}x)"
        ax.text(bar.get_x() + bar.get_width() / 2, v, note, ha="center", va="bottom")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(nums) * 1.25 if max(nums) > 0 else 1)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")  # 1,200,000 rather than an offset "1e6"
    if len(labels) > 3 or max(len(label) for label in labels) > 12:
        ax.tick_params(axis="x", labelrotation=25)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    ax.set_title(title if base is None else f"{title}\n(Nx: {ratio} '{baseline}')", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return fig


def instructions(counts, *, baseline="dense", title="Instructions per inference"):
    """Instructions per inference of several firmware builds, with the speed-up over a stated baseline.

    Each bar is labelled with its count and ``(Nx)``, the baseline's count divided by the bar's; the
    title names the baseline, whose bar says ``(baseline)``.

    Args:
        counts: ``{label: instructions per inference}``, e.g. ``{"dense": 1.2e6, "sparse": 2.1e5}``
            (``tfsparse.run(...).instructions`` of each build).
        baseline: the label the others are compared with (``"dense"``); ``None``: no ratios.
        title: figure title.

    Returns:
        A matplotlib Figure.

    Raises:
        ValueError: ``counts`` is empty, or ``baseline`` is not one of its labels.

    Example:
        >>> fig = instructions({"dense": 1_000_000, "sparse": 250_000})
        >>> fig.axes[0].get_title()
        "Instructions per inference\\n(Nx: speed-up over 'dense')"
    """
    return _bar_comparison(counts, "instructions per inference", title, lambda v: f"{v:,.0f}", baseline,
                           "speed-up over")


def _memory_entry(label, entry):
    """(flash, RAM without stack, stack) from a BuildResult, ``(flash, ram[, stack])`` or a mapping."""
    if hasattr(entry, "flash") and hasattr(entry, "ram"):  # tfsparse.build(...)'s BuildResult
        sections = (getattr(entry, "size", None) or {}).get("sections", {})
        entry = (entry.flash, entry.ram, sections.get(".stack", 0))
    elif isinstance(entry, Mapping):
        entry = (entry.get("flash"), entry.get("ram"), entry.get("stack", 0))
    try:
        values = [int(v) for v in entry]
    except (TypeError, ValueError):
        values = []
    if len(values) == 2:
        values.append(0)
    if len(values) != 3 or values[2] > values[1]:
        raise ValueError(f"memory: {label!r} must be a tfsparse.build() result or (flash bytes, ram bytes[, stack "
                         f"bytes within ram]), got {entry!r}")
    flash, ram, stack = values
    return flash, ram - stack, stack


def memory(sizes, *, baseline="dense", title="Firmware memory"):
    """Flash and RAM of several firmware builds, each on its own axis, with the saving over a stated baseline.

    RAM is drawn without the stack: the stack is a fixed reservation of the target (16 KiB on the
    MPS2 boards), the same for every build, and would hide the arena and data the model changes. The
    RAM panel's title says how much stack was left out.

    Args:
        sizes: ``{label: build}`` where a build is what :func:`tfsparse.build` returns (flash, RAM and
            its ``.stack`` section), or ``(flash bytes, ram bytes)`` / ``(flash, ram, stack within ram)``.
        baseline: the label the others are compared with (``"dense"``); ``None``: no ratios.
        title: figure title.

    Returns:
        A matplotlib Figure with two axes: flash, then RAM (KiB).

    Raises:
        ValueError: ``sizes`` is empty, an entry is none of the above, or ``baseline`` is not a label.

    Example:
        >>> fig = memory({"dense": (300_000, 36_000, 16_384), "sparse": (60_000, 36_000, 16_384)})
        >>> [ax.get_title() for ax in fig.axes]
        ['flash', 'RAM without stack (+16.0 KiB stack each)']
    """
    if not sizes:
        raise ValueError("memory: nothing to plot; pass {label: tfsparse.build(...) result or (flash bytes, ram bytes)}")
    _check_baseline(sizes, baseline, "memory")
    entries = {str(label): _memory_entry(label, pair) for label, pair in sizes.items()}
    labels = list(entries)
    stacks = sorted({stack for *_, stack in entries.values()})
    if stacks == [0]:
        ram_title = "RAM"
    else:
        ram_title = "RAM without stack (+" + " / ".join(f"{s / 1024:.1f}" for s in stacks) + " KiB stack" \
            + (" each)" if len(stacks) == 1 else ")")
    fig, axes = _figure(width=7.2, ncols=2)
    for j, (ax, panel) in enumerate(zip(axes, ["flash", ram_title])):
        kib = [entries[label][j] / 1024 for label in labels]
        base = entries[str(baseline)][j] if baseline is not None else None
        bars = ax.bar(labels, kib, color=[f"C{i}" for i in range(len(labels))])
        for label, bar, v in zip(labels, bars, kib):
            note = f"{v:,.1f}"
            if label == str(baseline):
                note += "\n(baseline)"
            elif base and v:
                note += f"\n({base / (v * 1024):.1f}x)"
            ax.text(bar.get_x() + bar.get_width() / 2, v, note, ha="center", va="bottom", fontsize=8)
        ax.set_ylim(0, max(kib) * 1.3 if max(kib) > 0 else 1)
        ax.set_ylabel("KiB")
        ax.set_title(panel, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        if len(labels) > 3 or max(len(label) for label in labels) > 10:
            ax.tick_params(axis="x", labelrotation=25)
    fig.suptitle(title if baseline is None else f"{title} (Nx: saving over '{baseline}')")
    return fig
