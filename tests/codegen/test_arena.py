"""Arena planning: live buffers never overlap, dead ones are reused, reshape aliases."""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse.codegen._testing import random_fc_model
from tfsparse.codegen._testing_graph import random_graph
from tfsparse.codegen.graph_ops import scratch_bytes
from tfsparse.codegen.arena import ALIGNMENT, plan_arena


def _check_no_overlap(model, plan):
    roots = {t: plan.aliases.get(t, t) for t in plan.offsets}
    live = plan.lifetimes
    items = [(r, plan.offsets[r], model.tensors[r].nbytes, *live[r]) for r in set(roots.values())]
    for i, (r1, o1, s1, f1, l1) in enumerate(items):
        assert o1 % ALIGNMENT == 0
        for r2, o2, s2, f2, l2 in items[i + 1:]:
            if not (l1 < f2 or l2 < f1):  # alive at the same time
                assert o1 + s1 <= o2 or o2 + s2 <= o1, (r1, r2)


@pytest.mark.parametrize("seed", range(20))
def test_random_chains(seed):
    rng = np.random.default_rng(seed)
    sizes = tuple(int(v) for v in rng.integers(1, 300, rng.integers(2, 7)))
    model = random_fc_model(sizes, ["dense"] * (len(sizes) - 1), seed=seed, softmax=bool(seed % 2),
                            reshape_input=(1, sizes[0], 1) if seed % 3 == 0 else None)
    plan = plan_arena(model)
    _check_no_overlap(model, plan)
    # Every activation tensor is placed and the arena holds the largest pair alive together.
    assert set(plan.offsets) == {t.index for t in model.tensors}
    pairs = [model.tensors[op.input].nbytes + model.tensors[op.output].nbytes for op in model.ops if op.kind != "RESHAPE"]
    assert plan.size >= max(pairs)


def test_dead_buffers_are_reused():
    model = random_fc_model((256, 256, 256, 256, 256), ["dense"] * 4)
    plan = plan_arena(model)
    # Five 256-byte tensors, at most two alive at once: two slots suffice.
    assert plan.size == 2 * 256
    assert len(set(plan.offsets.values())) == 2


def test_reshape_aliases_its_input():
    model = random_fc_model((64, 10), ["dense"], reshape_input=(1, 8, 8))
    plan = plan_arena(model)
    reshape = model.ops[0]
    assert plan.offsets[reshape.output] == plan.offsets[reshape.input]
    assert plan.aliases == {reshape.output: reshape.input}


def test_reading_an_unwritten_tensor_is_an_error():
    model = random_fc_model((8, 4, 2), ["dense", "dense"])
    model.ops.reverse()
    with pytest.raises(ValueError, match="before any op writes it"):
        plan_arena(model)


@pytest.mark.parametrize("seed", range(8))
def test_branched_graphs_with_scratch(seed):
    """ADD/CONCATENATION read tensors written several ops earlier: those stay live (and apart from
    every other live buffer and every scratch buffer) until their last reader."""
    model = random_graph(seed)
    scratch = {i: scratch_bytes(op, model) for i, op in enumerate(model.ops)}
    plan = plan_arena(model, scratch=scratch)
    _check_no_overlap(model, plan)
    assert set(plan.scratch) == {i for i, n in scratch.items() if n}
    for i, off in plan.scratch.items():
        assert off % ALIGNMENT == 0
        for r, (first, last) in plan.lifetimes.items():
            if first <= i <= last:  # a tensor alive during op i never shares bytes with its scratch
                assert off + scratch[i] <= plan.offsets[r] or plan.offsets[r] + model.tensors[r].nbytes <= off
    add = next(i for i, op in enumerate(model.ops) if op.kind == "ADD")
    p1 = model.ops[add].inputs[0]  # the pointwise branch, read again by CONCATENATION after the ADD
    concat = next(i for i, op in enumerate(model.ops) if op.kind == "CONCATENATION")
    assert plan.lifetimes[p1][1] == concat > add
