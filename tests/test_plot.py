"""tfsparse.plot: each figure shows the numbers it is given (read back from the artists)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from tfsparse import plot
from tfsparse.converter import csr
from tfsparse.converter.ir import FullyConnected
from tfsparse.converter.model import SparseModel


class _Poly:
    """An independent polynomial-decay schedule (tfmot's formula) with tfmot's attribute names."""

    def __init__(self, initial, final, begin, end, frequency, power=3):
        self.begin_step, self.end_step, self.frequency = begin, end, frequency
        self.initial, self.final, self.power = initial, final, power

    def __call__(self, step):
        p = min(1.0, max(0.0, (step - self.begin_step) / (self.end_step - self.begin_step)))
        sparsity = self.final + (self.initial - self.final) * (1 - p) ** self.power
        should = self.begin_step <= step <= self.end_step and (step - self.begin_step) % self.frequency == 0
        return np.bool_(should), np.float32(sparsity)


def _sparse_int8(rows, cols, density, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(rows, cols)).astype(np.int8)
    w[rng.random((rows, cols)) >= density] = 0
    return w


def _fc(name, w, encoding):
    rows = w.shape[0]
    z = np.zeros(rows, np.int32)
    return FullyConnected(name=name, input=0, output=1, weights=csr.encode(w, encoding), bias=z,
                          multiplier=z, shift=z, output_zero_point=0, activation_min=-128, activation_max=127)


def test_module_doctests():
    result = doctest.testmod(plot, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_schedule_curve_and_mask_updates():
    sched = _Poly(0.1, 0.9, 100, 1100, 100)
    fig = plot.sparsity_schedule(sched, steps_per_epoch=250)
    ax = fig.axes[0]
    steps, values = ax.lines[0].get_data()
    # Default range covers begin..end with a margin on both sides.
    assert steps[0] < 100 and steps[-1] > 1100
    np.testing.assert_allclose(values, [float(sched(int(s))[1]) for s in steps], rtol=1e-6)
    updates = ax.collections[0].get_offsets()
    assert [int(x) for x in updates[:, 0]] == list(range(100, 1101, 100))
    assert "mask updates (11)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(abs(line.get_xdata()[0] - 500) < 1e-9 for line in ax.lines[1:])  # epoch boundary


def test_schedule_errors_name_the_problem():
    with pytest.raises(TypeError, match="callable"):
        plot.sparsity_schedule(0.9)
    with pytest.raises(TypeError, match="should_prune, sparsity"):
        plot.sparsity_schedule(lambda step: 0.5, range(3))
    with pytest.raises(ValueError, match="steps is empty"):
        plot.sparsity_schedule(_Poly(0, 0.5, 0, 10, 1), [])


def test_accuracy_vs_sparsity_sorts_and_scales():
    fig = plot.accuracy_vs_sparsity({"tfsparse": ([0.9, 0.5], [0.95, 0.97]), "tfmot": ([0.5], [0.96])}, 0.98)
    ax = fig.axes[0]
    dense, tfs, tfmot = ax.lines
    assert dense.get_ydata()[0] == pytest.approx(0.98)
    np.testing.assert_allclose(tfs.get_xdata(), [50, 90])
    np.testing.assert_allclose(tfs.get_ydata(), [0.97, 0.95])
    assert tfmot.get_label() == "tfmot"
    with pytest.raises(ValueError, match="'bad'"):
        plot.accuracy_vs_sparsity({"bad": ([0.5, 0.9], [0.9])})


def test_layer_density_from_sparse_model_and_mapping():
    ws = {"fc1": _sparse_int8(30, 64, 0.1, 1), "fc2": _sparse_int8(10, 30, 0.5, 2)}
    model = SparseModel("m", tensors=[], ops=[_fc(n, w, "rel4") for n, w in ws.items()], input=0, output=1)
    fig = plot.layer_density(model)
    widths = [p.get_width() for p in fig.axes[0].patches]
    np.testing.assert_allclose(widths, [np.count_nonzero(w) / w.size for w in ws.values()])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["fc1", "fc2"]
    with pytest.raises(TypeError, match="SparseModel"):
        plot.layer_density(42)
    with pytest.raises(ValueError, match="no layer"):
        plot.layer_density({})


@pytest.mark.parametrize("encoding", ["abs_u8", "rel4"])
def test_spy_shows_the_decoded_pattern(encoding):
    w = _sparse_int8(40, 200, 0.15, 3)
    op = _fc("fc1", w, encoding)
    fig = plot.spy(op)
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.asarray(image), w != 0)
    np.testing.assert_array_equal([p.get_width() for p in fig.axes[1].patches], (w != 0).sum(axis=1))
    assert encoding in fig.get_suptitle() and "40x200" in fig.get_suptitle()
    with pytest.raises(ValueError, match="2-D"):
        plot.spy(np.zeros(5))


def test_entropy_bound_matches_direct_count():
    w = np.array([[3, 0, 0, -1], [0, 3, 0, 0], [0, 0, 0, 3]], dtype=np.int8)
    # 4 nonzeros among 12 positions; values {3: 3, -1: 1}.
    expected = math.log2(math.comb(12, 4)) / 4 + -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert plot.entropy_bound(w) == pytest.approx(expected)
    # With raw int8 values: the binary-entropy form H(d)/d + 8 bits, up to the binomial's O(log n)/k.
    d = 4 / 12
    h = -d * math.log2(d) - (1 - d) * math.log2(1 - d)
    assert plot.entropy_bound(w, value_bits=8) == pytest.approx(math.log2(math.comb(12, 4)) / 4 + 8)
    assert plot.entropy_bound(w, value_bits=8) <= h / d + 8
    assert math.isnan(plot.entropy_bound(np.zeros((2, 2), np.int8)))


def test_bytes_per_nonzero_bars_and_bound(tmp_path):
    w = _sparse_int8(100, 300, 0.1, 4)
    nnz = np.count_nonzero(w)
    fig = plot.bytes_per_nonzero(w)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["dense int8", "abs_u16", "abs_u32", "rel8", "rel4"]  # abs_u8 cannot address 300 columns
    heights = dict(zip(labels, (p.get_height() for p in ax.patches)))
    assert heights["dense int8"] == pytest.approx(w.size / nnz)
    for enc in labels[1:]:
        assert heights[enc] == pytest.approx(csr.encoded_nbytes(w, enc) / nnz)
    raw, coded = (line.get_ydata()[0] for line in ax.lines)
    assert raw == pytest.approx(plot.entropy_bound(w, value_bits=8) / 8)
    assert coded == pytest.approx(plot.entropy_bound(w) / 8)
    assert coded < raw < min(heights.values())
    fig.savefig(tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="int8"):
        plot.bytes_per_nonzero(w.astype(np.float32))


def test_bytes_per_nonzero_of_a_whole_model_adds_layers():
    ws = [_sparse_int8(30, 64, 0.2, 5), _sparse_int8(10, 30, 0.3, 6)]
    model = SparseModel("m", tensors=[], ops=[_fc(f"fc{i}", w, "abs_u8") for i, w in enumerate(ws)], input=0, output=1)
    fig = plot.bytes_per_nonzero(model)
    nnz = sum(np.count_nonzero(w) for w in ws)
    heights = dict(zip([t.get_text() for t in fig.axes[0].get_xticklabels()], (p.get_height() for p in fig.axes[0].patches)))
    assert heights["rel8"] == pytest.approx(sum(csr.encoded_nbytes(w, "rel8") for w in ws) / nnz)


def test_instructions_and_memory_show_ratios():
    fig = plot.instructions({"dense": 1_000_000, "sparse": 250_000})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["1,000,000\n(baseline)", "250,000\n(4.0x)"]
    fig = plot.memory({"dense": (300 * 1024, 20 * 1024), "sparse": (60 * 1024, 20 * 1024)})
    assert [t.get_text() for t in fig.axes[0].texts] == ["300.0\n(baseline)", "60.0\n(5.0x)"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["20.0\n(baseline)", "20.0\n(1.0x)"]
    with pytest.raises(ValueError, match="flash bytes, ram bytes"):
        plot.memory({"dense": (1, 2, 3, 4)})
    with pytest.raises(ValueError, match="nothing to plot"):
        plot.instructions({})


def test_speed_up_labels_state_their_baseline():
    counts = {"dense, portable": 900_000, "dense, cortex-m": 600_000, "sparse, cortex-m": 150_000}
    fig = plot.instructions(counts, baseline="dense, cortex-m")
    ax = fig.axes[0]
    assert "speed-up over 'dense, cortex-m'" in ax.get_title()
    assert [t.get_text() for t in ax.texts] == ["900,000\n(0.7x)", "600,000\n(baseline)", "150,000\n(4.0x)"]
    with pytest.raises(ValueError, match=r"baseline 'dense' is not one of the labels.*baseline=None"):
        plot.instructions(counts)
    assert "over" not in plot.instructions(counts, baseline=None).axes[0].get_title()


def test_ram_bars_leave_the_fixed_stack_out_and_say_so():
    class Build:  # what tfsparse.build returns
        def __init__(self, flash, ram):
            self.flash, self.ram = flash, ram
            self.size = {"sections": {".text": flash, ".bss": ram - 16384, ".stack": 16384}}

    fig = plot.memory({"dense": Build(300 * 1024, 16384 + 4 * 1024), "sparse": Build(60 * 1024, 16384 + 2 * 1024)})
    flash, ram = fig.axes
    assert ram.get_title() == "RAM without stack (+16.0 KiB stack each)"
    assert [p.get_height() for p in flash.patches] == [300.0, 60.0]
    assert [p.get_height() for p in ram.patches] == [4.0, 2.0]
    assert [t.get_text() for t in ram.texts] == ["4.0\n(baseline)", "2.0\n(2.0x)"]
    assert "saving over 'dense'" in fig.get_suptitle()
    with pytest.raises(ValueError, match="stack bytes within ram"):
        plot.memory({"dense": (10, 2, 3)})


def test_layer_density_of_a_keras_model_counts_its_kernels():
    from tfsparse import models

    model = models.digits_mlp(seed=0)
    kernel = model.get_layer("fc2").kernel
    k = kernel.numpy()
    k[:, ::4] = 0.0  # a quarter of fc2's columns
    kernel.assign(k)
    fig = plot.layer_density(model)
    widths = dict(zip([t.get_text() for t in fig.axes[0].get_yticklabels()], (p.get_width() for p in fig.axes[0].patches)))
    assert widths["fc1"] == pytest.approx(1.0)
    assert widths["fc2"] == pytest.approx(np.count_nonzero(k) / k.size) and widths["fc2"] < 0.76
