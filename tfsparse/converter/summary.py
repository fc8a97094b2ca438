"""``SparseModel.summary``: one table of every op: sizes, kernel, encoding, predicted instructions,
why the encoding was chosen, and what dead-unit elimination removed."""

from __future__ import annotations

from .. import costmodel
from ..layer_health import model_warnings

__all__ = ["summary", "layer_sizes", "WEIGHTED_KINDS"]

#: Op kinds whose records carry ``weights`` (one row per output unit/channel) and count in the totals.
WEIGHTED_KINDS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")


def layer_sizes(op) -> dict:
    """Shape, nonzeros, density, encoding and byte counts of one weighted record's weights (FC rows are
    output units; convolution rows are output channels over their ``kh * kw * cin`` taps)."""
    rows, cols = op.weights.shape
    nnz = op.weights.nnz
    dense = rows * cols
    sparse = op.weights.nbytes
    return {
        "name": op.name,
        "op": op.kind,
        "shape": (rows, cols),
        "nnz": nnz,
        "density": nnz / dense if dense else 0.0,
        "encoding": op.weights.encoding,
        "dense_bytes": dense,
        "sparse_bytes": sparse,
        "bytes_per_nonzero": sparse / nnz if nnz else float("nan"),
        "compression": dense / sparse if sparse else float("inf"),
    }


def _op_row(op, model, target) -> dict:
    row = layer_sizes(op) if getattr(op, "weights", None) is not None else {"name": op.name}
    row.update(op=op.kind, reason=getattr(op, "choice_reason", ""), removed=getattr(op, "removed", ""))
    try:
        tgt = costmodel.get_target(target)
        cost = costmodel.op_cost(op, model, tgt, live_fraction=costmodel.recorded_activity(op))
        row.update(kernel=tgt.kernel_impl if "encoding" in row else "-", instructions=cost.instructions)
    except (costmodel.CostModelError, ValueError):
        row.update(kernel=costmodel.get_target(target).kernel_impl if "encoding" in row else "-", instructions=None)
    return row


def _format(rows, total) -> str:
    head = ("layer", "op", "shape", "density", "kernel", "encoding", "dense int8 B", "bytes", "B/nonzero",
            "pred. instr", "reason", "removed")

    def cells(r):
        weights = "encoding" in r
        return (
            r["name"][-32:], r.get("op", ""), "x".join(map(str, r["shape"])) if weights and r["shape"] else "",
            f"{r['density']:.3f}" if weights else "", r.get("kernel", ""), r.get("encoding", ""),
            f"{r['dense_bytes']:,}" if weights else "", f"{r['sparse_bytes']:,}" if weights else "",
            f"{r['bytes_per_nonzero']:.2f}" if weights else "",
            "?" if r.get("instructions") is None else f"{r['instructions']:,.0f}", r.get("reason", ""), r.get("removed", ""),
        )

    table = [cells(r) for r in rows + [total]]
    widths = [max(len(h), *(len(c[i]) for c in table)) for i, h in enumerate(head)]
    line = "  ".join("-" * w for w in widths)
    fmt = lambda cs: "  ".join(c.ljust(w) if i in (0, 1, 4, 5, 10, 11) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(cs, widths))).rstrip()
    return "\n".join([fmt(head), line, *(fmt(c) for c in table[:-1]), line, fmt(table[-1])])


def summary(model, print_fn=print) -> dict:
    """See :meth:`tfsparse.SparseModel.summary`."""
    target = getattr(model, "target", "") or "cortex-m4"
    rows = [_op_row(op, model, target) for op in model.ops]
    layers = [r for r in rows if r.get("op") in WEIGHTED_KINDS]
    nnz = sum(l["nnz"] for l in layers)
    dense = sum(l["dense_bytes"] for l in layers)
    sparse = sum(l["sparse_bytes"] for l in layers)
    predicted = [r["instructions"] for r in rows]
    total = {
        "name": "total", "shape": (sum(l["shape"][0] for l in layers), 0), "nnz": nnz,
        "density": nnz / dense if dense else 0.0, "encoding": "", "dense_bytes": dense, "sparse_bytes": sparse,
        "bytes_per_nonzero": sparse / nnz if nnz else float("nan"), "compression": dense / sparse if sparse else float("inf"),
        "instructions": None if None in predicted else sum(predicted),
    }
    warnings = model_warnings(model)  # units with no weights, CSR larger than dense (tfsparse.layer_health)
    if print_fn is not None:
        text = _format(rows, dict(total, shape=()))
        print_fn(f"SparseModel {model.name!r} ({len(model.ops)} ops, from {model.source}; "
                 f"instructions predicted for {target})\n{text}" + "".join(f"\n{w}" for w in warnings))
    return {"layers": layers, "ops": rows, "total": total, "target": target, "warnings": [str(w) for w in warnings]}
