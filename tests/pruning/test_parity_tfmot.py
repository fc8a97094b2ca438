"""Parity with tfmot 0.8.1 (run in a subprocess on tf_keras): schedule values and masks, ties included,
block masks; and what a .keras file saved by tfmot gives in Keras 3."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import tfsparse
from tfsparse.pruning.callbacks import pruned_layers as _wrappers
from tfsparse.pruning.masks import block_masks, magnitude_masks
from tfsparse.pruning.schedules import ConstantSparsity, PolynomialDecay

ORACLE = pathlib.Path(__file__).with_name("tfmot_oracle.py")
STEPS = np.arange(0, 1400)


def _mask_cases():
    rng = np.random.default_rng(7)
    cases = []
    for shape, sparsity in [((64, 32), 0.5), ((300, 100), 0.9), ((100, 10), 0.95), ((5, 5), 0.999), ((3, 3, 4, 8), 0.75)]:
        cases.append((rng.normal(size=shape).astype(np.float32), sparsity))
    # heavy ties: few distinct magnitudes, thresholds land inside a run of equal values
    for shape, sparsity in [((50, 40), 0.5), ((17, 13), 0.8), ((10, 10), 0.25)]:
        cases.append((np.round(rng.normal(size=shape) * 3).astype(np.float32) / 4, sparsity))
    cases.append((np.zeros((8, 8), np.float32), 0.9))
    # "global" ranking of two tensors is tfmot's rule on their concatenation
    a, b = rng.normal(size=(40, 30)).astype(np.float32), 3 * rng.normal(size=(30, 10)).astype(np.float32)
    cases.append((np.concatenate([a.ravel(), b.ravel()]), 0.9))
    return cases, (a, b)


def _block_cases():
    """(weights, sparsity, block size, pooling): edge blocks that do not divide the shape, ties, both pools."""
    rng = np.random.default_rng(11)
    cases = []
    for shape, sparsity, block, pooling in [
        ((64, 32), 0.5, (2, 2), "AVG"),
        ((300, 100), 0.9, (1, 4), "AVG"),
        ((100, 10), 0.75, (4, 1), "MAX"),
        ((37, 23), 0.6, (3, 5), "AVG"),  # edge blocks cut by the shape
        ((37, 23), 0.6, (3, 5), "MAX"),
    ]:
        cases.append((rng.normal(size=shape).astype(np.float32), sparsity, block, pooling))
    cases.append(((np.round(rng.normal(size=(40, 24)) * 2) / 4).astype(np.float32), 0.5, (2, 4), "MAX"))  # ties
    return cases


@pytest.fixture(scope="module")
def oracle_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("tfmot")


@pytest.fixture(scope="module")
def oracle(oracle_dir, run_script):
    cases, pair = _mask_cases()
    tmp = oracle_dir
    arrays = {"steps": STEPS}
    for i, (w, s) in enumerate(cases):
        arrays[f"w_{i}"], arrays[f"s_{i}"] = w, np.float32(s)
    for i, (w, s, block, pooling) in enumerate(_block_cases()):
        arrays[f"bw_{i}"], arrays[f"bs_{i}"] = w, np.float32(s)
        arrays[f"bb_{i}"], arrays[f"bp_{i}"] = np.array(block), np.int32(("AVG", "MAX").index(pooling))
    np.savez(tmp / "in.npz", **arrays)
    run_script(ORACLE, tmp / "in.npz", tmp / "out.npz")
    return cases, pair, dict(np.load(tmp / "out.npz"))


def _schedules():
    # Mirrors tfmot_oracle.SCHEDULES (the oracle file must not be imported: it imports tfmot).
    return [
        PolynomialDecay(initial_sparsity=0.0, final_sparsity=0.9, begin_step=0, end_step=1260, frequency=10),
        PolynomialDecay(initial_sparsity=0.2, final_sparsity=0.8, begin_step=100, end_step=1000, power=2, frequency=7),
        PolynomialDecay(initial_sparsity=0.5, final_sparsity=0.95, begin_step=3, end_step=333, power=1, frequency=1),
        ConstantSparsity(target_sparsity=0.5, begin_step=10, end_step=500, frequency=25),
        ConstantSparsity(target_sparsity=0.7, begin_step=0, frequency=100),
        ConstantSparsity(target_sparsity=0.6, begin_step=50, end_step=50, frequency=10),  # one-shot
    ]


STEPS_OTHER_DTYPES = 200  # as tfmot_oracle.STEPS_OTHER_DTYPES


@pytest.mark.slow
def test_schedule_values_equal_tfmot_on_a_grid(tf_keras3, oracle):
    # Both sides eager: in a graph, Grappler rewrites pow(x, 3) as x*x*x for tfmot and tfsparse alike.
    tf, _ = tf_keras3
    _, _, ref = oracle
    for j, schedule in enumerate(_schedules()):
        ours = [schedule(tf.constant(s, tf.int64)) for s in STEPS]
        should = np.array([bool(p) for p, _ in ours])
        sparsity = np.array([v.numpy() for _, v in ours], np.float32)
        np.testing.assert_array_equal(sparsity, ref[f"sparsity_{j}"], err_msg=repr(schedule))  # bit for bit
        # the one documented difference: the end step prunes even off the frequency grid
        differ = np.flatnonzero(should != ref[f"should_{j}"]).tolist()
        off_grid_end = schedule.end_step >= 0 and (schedule.end_step - schedule.begin_step) % schedule.frequency != 0
        assert differ == ([schedule.end_step] if off_grid_end else []), repr(schedule)
        if off_grid_end:
            assert should[schedule.end_step] and not ref[f"should_{j}"][schedule.end_step]


@pytest.mark.slow
def test_int32_and_variable_steps_equal_tfmot(tf_keras3, oracle):
    tf, _ = tf_keras3
    _, _, ref = oracle
    variable = tf.Variable(0, dtype=tf.int64)
    for j, schedule in enumerate(_schedules()):
        steps = STEPS[:STEPS_OTHER_DTYPES]
        ours = [schedule(tf.constant(s, tf.int32)) for s in steps]
        np.testing.assert_array_equal([bool(p) for p, _ in ours], ref[f"should32_{j}"], err_msg=repr(schedule))
        np.testing.assert_array_equal(np.array([v.numpy() for _, v in ours], np.float32), ref[f"sparsity32_{j}"])
        ours = []
        for s in steps:
            variable.assign(s)
            ours.append(schedule(variable))
        np.testing.assert_array_equal([bool(p) for p, _ in ours], ref[f"shouldvar_{j}"], err_msg=repr(schedule))
        np.testing.assert_array_equal(np.array([v.numpy() for _, v in ours], np.float32), ref[f"sparsityvar_{j}"])
    # in a graph too: an int32 step and a tf.Variable step inside tf.function
    schedule = _schedules()[0]
    fn = tf.function(lambda step: schedule(step))
    variable.assign(640)
    assert [float(v) for v in fn(tf.constant(640, tf.int32))] == [float(v) for v in fn(variable)] == [
        float(v) for v in schedule(640)
    ]


@pytest.mark.slow
def test_one_shot_and_polynomial_begin_equals_end_as_tfmot(tf_keras3, oracle):
    _, _, ref = oracle
    # ConstantSparsity(begin == end) is in _schedules() (checked against tfmot above): one pruning step
    one_shot = _schedules()[-1]
    assert np.flatnonzero([bool(one_shot(s)[0]) for s in range(120)]).tolist() == [50]
    # tfmot accepts PolynomialDecay(begin == end), and its only pruning step gets a NaN sparsity:
    # tfsparse refuses it, and says so and what to use instead
    should, sparsity = ref["poly_equal_should"], ref["poly_equal_sparsity"]
    assert ref["poly_equal_steps"][should].tolist() == [20]
    assert np.isnan(sparsity[should]).all()
    with pytest.raises(ValueError, match=r"NaN sparsity.*ConstantSparsity\(final_sparsity, 20, 20\)"):
        PolynomialDecay(0.1, 0.8, 20, 20, frequency=5)


@pytest.mark.slow
def test_masks_equal_tfmot_ties_included(tf_keras3, oracle):
    cases, (a, b), ref = oracle
    for i, (w, sparsity) in enumerate(cases):
        threshold, (mask,) = magnitude_masks([w], sparsity)
        np.testing.assert_array_equal(mask.numpy(), ref[f"mask_{i}"], err_msg=f"case {i}: {w.shape} at {sparsity}")
        assert np.float32(threshold.numpy()) == ref[f"threshold_{i}"]
    # global ranking over (a, b) == tfmot's mask of the concatenation, split back
    threshold, (ma, mb) = magnitude_masks([a, b], 0.9)
    last = len(cases) - 1
    np.testing.assert_array_equal(np.concatenate([ma.numpy().ravel(), mb.numpy().ravel()]), ref[f"mask_{last}"])
    assert np.float32(threshold.numpy()) == ref[f"threshold_{last}"]


@pytest.mark.slow
def test_block_masks_equal_tfmot(tf_keras3, oracle):
    _, _, ref = oracle
    for i, (w, sparsity, block, pooling) in enumerate(_block_cases()):
        threshold, (mask,) = block_masks([w], sparsity, block, pooling)
        np.testing.assert_array_equal(mask.numpy(), ref[f"bmask_{i}"], err_msg=f"block case {i}: {w.shape} {block} {pooling}")
        assert np.float32(threshold.numpy()) == ref[f"bthreshold_{i}"], i


@pytest.mark.slow
def test_tfmot_keras_file_says_what_to_do_and_the_advice_works(tf_keras3, oracle, oracle_dir):
    """A model pruned and saved by tfmot (in the oracle's subprocess), loaded in Keras 3."""
    _, keras = tf_keras3
    pruned_path, stripped_path = oracle_dir / "tfmot_pruned.keras", oracle_dir / "tfmot_stripped.keras"
    for scope in (False, True):
        with pytest.raises(ValueError) as info:
            if scope:
                with tfsparse.prune_scope():
                    keras.models.load_model(pruned_path)
            else:
                keras.models.load_model(pruned_path)
        message = str(info.value)
        assert message.startswith("layer 'prune_low_magnitude_fc' was saved by tfmot") and len(message) < 600, message
        assert "tfmot.sparsity.keras.strip_pruning" in message and "config" not in message
    # the advice: tfmot's stripped model loads in Keras 3 and tfsparse keeps tfmot's mask
    stripped = keras.models.load_model(stripped_path)
    kernel = stripped.get_layer("fc").kernel.numpy()
    assert np.count_nonzero(kernel) == kernel.size // 2
    again = tfsparse.prune_low_magnitude(stripped, tfsparse.ConstantSparsity(0.5, 0, frequency=1))
    again.compile(keras.optimizers.SGD(0.0), "mse")
    again.fit(np.ones((4, 8), np.float32), np.ones((4, 4), np.float32), verbose=0, callbacks=[tfsparse.UpdatePruningStep()])
    np.testing.assert_array_equal(_wrappers(again)[0].pruning_vars[0][1].numpy(), (kernel != 0).astype(np.float32))
