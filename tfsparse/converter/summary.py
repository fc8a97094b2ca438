"""``SparseModel.summary``: per-layer weight sizes of a converted model."""

from __future__ import annotations

__all__ = ["summary", "layer_sizes", "WEIGHTED_KINDS"]

#: Op kinds whose records carry ``weights`` (one row per output unit/channel) and appear in the table.
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


def _format(layers, total) -> str:
    head = ("layer", "shape", "density", "encoding", "dense int8 B", "sparse B", "B/nonzero", "ratio")
    rows = [
        (
            l["name"][-40:], "x".join(map(str, l["shape"])), f"{l['density']:.3f}", l["encoding"],
            f"{l['dense_bytes']:,}", f"{l['sparse_bytes']:,}", f"{l['bytes_per_nonzero']:.2f}", f"{l['compression']:.2f}x",
        )
        for l in layers + [total]
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = "  ".join("-" * w for w in widths)
    fmt = lambda cells: "  ".join(c.ljust(w) if i in (0, 3) else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([fmt(head), line, *(fmt(r) for r in rows[:-1]), line, fmt(rows[-1])])


def summary(model, print_fn=print) -> dict:
    """See :meth:`tfsparse.SparseModel.summary`."""
    layers = [layer_sizes(op) for op in model.ops if op.kind in WEIGHTED_KINDS]
    nnz = sum(l["nnz"] for l in layers)
    dense = sum(l["dense_bytes"] for l in layers)
    sparse = sum(l["sparse_bytes"] for l in layers)
    total = {
        "name": "total", "shape": (sum(l["shape"][0] for l in layers), 0), "nnz": nnz,
        "density": nnz / dense if dense else 0.0, "encoding": "", "dense_bytes": dense, "sparse_bytes": sparse,
        "bytes_per_nonzero": sparse / nnz if nnz else float("nan"), "compression": dense / sparse if sparse else float("inf"),
    }
    if print_fn is not None:
        text = _format(layers, dict(total, shape=()))
        print_fn(f"SparseModel {model.name!r} ({len(model.ops)} ops, from {model.source})\n{text}")
    return {"layers": layers, "total": total}
