"""tfsparse.plan and BudgetMonitor: the planned sparsity meets the budget (and the built firmware does),
no layer could be denser without breaking it, errors say by how much, schedules train to the plan."""

from __future__ import annotations

import numpy as np
import pytest

KiB = 1024


@pytest.fixture(scope="module")
def digits(digits_data):
    return digits_data


@pytest.fixture(scope="module")
def dense_model():
    from tfsparse import models

    return models.digits_mlp(seed=0)


@pytest.fixture(scope="module")
def flash_plan(dense_model, digits):
    import tfsparse

    # 22 KiB: the DSP kernels' code (with the FC kernel's rel4 assembly) takes ~16 KiB of it.
    return tfsparse.plan(dense_model, "cortex-m4", flash=22 * KiB, representative_data=digits[0][0][:100])


def _prune_to(model, sparsity):
    """A copy of ``model`` with each planned layer's smallest weights zeroed to its planned sparsity."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        if layer.name in sparsity:
            kernel, bias = layer.get_weights()
            drop = int(round(sparsity[layer.name] * kernel.size))
            flat = kernel.reshape(-1).copy()
            flat[np.argsort(np.abs(flat), kind="stable")[:drop]] = 0
            layer.set_weights([flat.reshape(kernel.shape), bias])
    return copy


def test_plan_meets_flash_budget_and_the_firmware_links_in_it(flash_plan, dense_model, digits, tmp_path):
    import tfsparse
    from tfsparse.codegen.targets import get_target

    p = flash_plan
    assert set(p.sparsity) == {"fc1", "fc2", "fc3"}
    assert p.flash_bytes <= p.flash_budget - p.margin_bytes and p.flash_headroom >= 0
    assert all(0 < s <= 0.995 for s in p.sparsity.values())
    # Within the plan's family no layer can be denser: one grid step less sparsity breaks the budget.
    costs = p._costs
    for k, layer in enumerate(costs.layers):
        grid = int(round(p.sparsity[layer.name] * 1000))
        if grid == 0:
            continue
        denser = layer.pruned(grid - 1)
        flash, _ = p.project({layer.name: denser})
        assert flash > p.flash_budget - p.margin_bytes, (layer.name, flash)
    # The real firmware, from the model pruned to the plan, links in a part with exactly that flash.
    x = digits[0][0]
    sparse = tfsparse.convert(tfsparse.quantize(_prune_to(dense_model, p.sparsity), x[:100]), encoding="smallest")
    part = get_target("cortex-m4").replace(name="m4-22k", flash_size=22 * KiB, ram_size=32 * KiB, stack_size=2 * KiB)
    built = tfsparse.build(tfsparse.generate(sparse, tmp_path / "fw", target=part))
    assert built.flash <= 22 * KiB
    assert abs(built.flash - p.flash_bytes) <= 0.1 * p.flash_bytes  # the projection is close to the real image
    text = str(p)
    for needle in ("fc1", "headroom", "assumed:", "encoding='smallest'", "of 22,528 bytes"):
        assert needle in text, needle


def test_instruction_budget(dense_model, digits):
    import tfsparse

    p = tfsparse.plan(dense_model, "cortex-m4", instructions=15_000, representative_data=digits[0][0][:100])
    assert p.instructions <= 15_000 and "budget 15,000" in str(p)
    assert max(p.sparsity.values()) > 0


def test_budgets_that_cannot_be_met_say_by_how_much(dense_model, digits, monkeypatch):
    import tfsparse
    from tfsparse import costmodel

    x = digits[0][0][:50]
    with pytest.raises(tfsparse.FirmwareError, match=r"(?s)RAM.*over by \d+ bytes.*pruning does not shrink"):
        tfsparse.plan(dense_model, "cortex-m0", ram=1 * KiB, representative_data=x)
    with pytest.raises(tfsparse.FirmwareError, match=r"(?s)even at 99.5% sparsity.*flash: needs \d+ bytes.*over by \d+"):
        tfsparse.plan(dense_model, "cortex-m0", flash=4 * KiB, representative_data=x)
    p = tfsparse.plan(dense_model, "cortex-m0", flash=14 * KiB, ram=8 * KiB, representative_data=x)
    assert p.flash_bytes <= 14 * KiB and p.instructions > 0
    # Cortex-M23 has no QEMU board: the cost model prices it with the Cortex-M0's coefficients.
    m23 = tfsparse.Target("m23-part", "cortex-m23", tfsparse.MemoryRegion("FLASH", 0, 64 * KiB),
                          tfsparse.MemoryRegion("RAM", 0x20000000, 16 * KiB), 48_000_000)
    p = tfsparse.plan(dense_model, m23, flash=14 * KiB, representative_data=x)
    assert p.flash_bytes <= 14 * KiB and np.isfinite(p.instructions) and p.instructions > 0
    # A core the cost model has no coefficients for (here M23 without that proxy): flash and RAM are
    # planned, instructions are not, and an instruction budget says so.
    monkeypatch.delitem(costmodel.PROXY_CORES, "cortex-m23")
    p = tfsparse.plan(dense_model, m23, flash=14 * KiB, representative_data=x)
    assert p.flash_bytes <= 14 * KiB and np.isnan(p.instructions) and "not modelled on cortex-m23" in str(p)
    with pytest.raises(tfsparse.FirmwareError, match="no instruction coefficients for cortex-m23"):
        tfsparse.plan(dense_model, m23, instructions=1e6, representative_data=x)


def test_schedules_train_to_the_plan_and_monitor_logs_projection(flash_plan, dense_model, digits, tmp_path):
    import keras

    import tfsparse

    (x, y), _ = digits
    schedules = flash_plan.schedules(0, 40, frequency=10)
    assert {n: s.final_sparsity for n, s in schedules.items()} == {
        n: s for n, s in flash_plan.sparsity.items() if s > 0}
    model = keras.models.clone_model(dense_model)
    pruned = tfsparse.prune_low_magnitude(model, schedules)
    pruned.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    monitor = tfsparse.BudgetMonitor(flash_plan, log_dir=str(tmp_path / "tb"))
    history = pruned.fit(x[:640], y[:640], batch_size=64, epochs=5, verbose=0,
                         callbacks=[tfsparse.UpdatePruningStep(), monitor])
    flashes = [h["projected_flash"] for h in monitor.history]
    assert len(flashes) == 5 and flashes[0] > flashes[-1]  # pruning brings the projection down to the plan
    assert history.history["projected_flash"] == flashes  # in the logs: progress bar and History see it
    assert abs(flashes[-1] - flash_plan.flash_bytes) <= flash_plan.margin_bytes
    assert "projected_instructions" in monitor.history[-1]
    report = {r.layer: r.sparsity for r in tfsparse.sparsity_report(tfsparse.strip_pruning(pruned))}
    for name, target in flash_plan.sparsity.items():
        assert abs(report[name] - target) < 0.002, (name, report[name], target)
    assert list((tmp_path / "tb" / "budget").glob("events.out.tfevents.*"))
