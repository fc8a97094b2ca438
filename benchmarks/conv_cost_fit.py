"""Fit the CONV_2D cost-model coefficients on QEMU (tfsparse/costmodel.py's ``CONV_COEFFICIENTS``).

Single-convolution models of many shapes (filter sizes, strides, channels, pointwise or not) run on
the target's board with per-op counts; two linear fits give

* ``(core, "cortex-m", "CONV_2D_DENSE")``: the dense DSP kernel (int16 columns, 2 channels x 2
  pixels), features of ``costmodel.conv_dense_features`` (non-negative least squares on relative
  errors, over ``DENSE_SHAPES``),
* ``(core, "cortex-m", "CONV_2D_SPARSE4_<encoding>")``: the Cortex-M sparse convolution (four output
  pixels per walk of each row), one fit per row encoding on the features of
  ``costmodel.conv_sparse4_features`` (each shape at two densities; non-negative least squares on
  relative errors),
* ``(core, "any", "IM2COL")``: what the portable sparse (per-pixel FC) convolution costs beyond its FC
  calls, features ``pixels, taps`` (taps x pixels), from the measured op minus the FC cost model.

    python benchmarks/conv_cost_fit.py --target cortex-m4           # prints the table entries
    python benchmarks/conv_cost_fit.py --target cortex-m4 --write   # and merges them into costmodel.py
"""

from __future__ import annotations

import argparse
import pathlib
import pprint
import tempfile

import numpy as np

from _common import write_fitted_section

SHAPES = [  # (h, w, cin, cout, k, stride)
    (10, 10, 8, 16, 3, 1), (12, 9, 4, 8, 3, 2), (8, 8, 16, 16, 1, 1), (6, 6, 32, 32, 1, 1), (16, 8, 1, 32, 5, 2),
    (9, 9, 12, 24, 3, 1), (7, 11, 3, 13, 2, 1), (8, 8, 24, 40, 1, 1), (14, 6, 1, 16, 4, 1), (5, 5, 64, 64, 1, 1),
    (16, 16, 16, 16, 3, 1), (8, 8, 32, 32, 3, 1), (12, 5, 64, 64, 1, 1), (8, 8, 32, 64, 3, 2),
    (25, 10, 1, 32, (10, 4), 2),
]
#: The dense kernel's fit adds the few-channel shapes its special paths take (3x3 over 1 or 3 channels,
#: VALID and SAME, strides 1 and 2; 1x1 over 8 channels; 1x1 stride 2; taps % 4 of 1, 2 and 3) and an
#: optional padding (default SAME, VALID for 1x1).
DENSE_SHAPES = SHAPES + [
    (28, 28, 1, 16, 3, 1, "VALID"), (20, 19, 1, 8, 3, 1, "VALID"), (24, 24, 3, 8, 3, 2), (16, 16, 3, 16, 3, 1),
    (24, 24, 8, 16, 1, 1), (12, 12, 8, 8, 1, 1), (16, 16, 16, 32, 1, 2), (13, 11, 1, 16, 3, 2, "VALID"),
    (10, 10, 2, 6, 3, 1), (12, 12, 5, 9, 3, 1), (17, 17, 3, 16, 3, 1, "VALID"), (32, 32, 3, 16, 3, 1),
    (17, 15, 1, 16, 3, 2), (9, 12, 3, 8, 3, 2), (11, 7, 1, 8, 3, 1),
]
SPARSE_ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "blk8", "rel8", "rel4")


def _model(shape, encoding, seed, density=0.2):
    from tfsparse.codegen._testing_graph import _Builder
    from tfsparse.converter.model import SparseModel

    h, w, cin, cout, k, stride = shape[:6]
    k = k if isinstance(k, tuple) else (k, k)
    padding = shape[6] if len(shape) > 6 else ("SAME" if k != (1, 1) else "VALID")
    b = _Builder(np.random.default_rng(seed))
    x = b.tensor("input", (1, h, w, cin))
    y = b.conv(x, cout, k, (stride, stride), padding=padding, encoding=encoding,
               density=density if encoding != "dense" else 1.0)
    return SparseModel(f"conv_{seed}", b.tensors, b.ops, x, y, source="<fit>", source_sha256="")


def measure(target: str, encoding: str, *, kernel_impl=None, densities=(0.2,), shapes=None):
    """(model, mean instructions of its one convolution) for every shape and density (shapes with
    more than 256 taps are left out for abs_u8)."""
    import tfsparse

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, shape in enumerate(SHAPES if shapes is None else shapes):
            if encoding == "abs_u8" and shape[2] * int(np.prod(shape[4])) > 256:
                continue
            for j, density in enumerate(densities):
                sm = _model(shape, encoding, i, density)
                x = np.random.default_rng(i).integers(-128, 128, (4, *sm.input_tensor.shape[1:])).astype(np.int8)
                out = pathlib.Path(tmp) / f"{encoding}_{i}_{j}"
                run = tfsparse.run(tfsparse.generate(sm, out, target=target), x, kernel_impl=kernel_impl)
                rows.append((sm, float(run.layer_instructions.mean(axis=0)[0])))
    return rows


def conv_features(op, model) -> dict:
    from tfsparse.costmodel import conv_geometry

    return conv_geometry(op, model)


def fit(target: str, kind: str = "all") -> dict:
    """The table entries of ``target``'s core: with ``kind="dense"`` only CONV_2D_DENSE and IM2COL (the
    dense DSP kernel and the portable gather), with ``"sparse"`` only the CONV_2D_SPARSE4_* fits."""
    from tfsparse.codegen.targets import get_target

    core = get_target(target).core
    table = {}
    if kind != "sparse":
        table.update(_fit_dense(target, core))
    if kind != "dense":
        table.update(_fit_sparse4(target, core))
    return table


def _fit_dense(target: str, core: str) -> dict:
    from tfsparse import costmodel

    from scipy.optimize import nnls

    table = {}
    dense = measure(target, "dense", shapes=DENSE_SHAPES)
    names = tuple(costmodel.conv_dense_features(dense[0][0].ops[0], dense[0][0]))
    a = np.array([[costmodel.conv_dense_features(sm.ops[0], sm)[n] for n in names] for sm, _ in dense], float)
    y = np.array([m for _, m in dense])
    coef, _ = nnls(a / y[:, None], np.ones_like(y))  # relative errors, non-negative costs (as the sparse fits)
    err = (a @ coef - y) / y
    print("dense: " + ", ".join(f"{sm.ops[0].filter_height}x{sm.ops[0].filter_width} cin {sm.ops[0].input_channels} "
                                f"cout {sm.ops[0].output_channels} {e:+.1%}" for (sm, _), e in zip(dense, err)), flush=True)
    table[(core, "cortex-m", "CONV_2D_DENSE")] = {n: round(float(c), 4) for n, c in zip(names, coef)}
    sparse = measure(target, "abs_u16", kernel_impl="portable")
    rows, meas = [], []
    for sm, m in sparse:
        op = sm.ops[0]
        g = conv_features(op, sm)
        if g["im2col"] == 0:
            continue
        fc = costmodel.predict_instructions(core, "portable", op.weights.encoding,
                                            costmodel.fc_features(op.weights, "portable", 1)) * g["pixels"]
        rows.append([g["pixels"], g["im2col"]])
        meas.append(m - fc)
    coef, *_ = np.linalg.lstsq(np.array(rows, float), np.array(meas), rcond=None)
    table[(core, "any", "IM2COL")] = {"pixels": round(float(coef[0]), 4), "taps": round(float(coef[1]), 4)}
    return table


def _fit_sparse4(target: str, core: str) -> dict:
    from scipy.optimize import nnls

    from tfsparse import costmodel

    table = {}
    for enc in SPARSE_ENCODINGS:
        runs = measure(target, enc, densities=(0.2, 0.35))
        names = tuple(costmodel.conv_sparse4_features(runs[0][0].ops[0], runs[0][0]))
        a = np.array([[costmodel.conv_sparse4_features(sm.ops[0], sm)[n] for n in names] for sm, _ in runs], float)
        y = np.array([m for _, m in runs])
        # Relative errors (rows scaled by 1 / measured) with non-negative coefficients: small layers
        # count as much as large ones, and no feature buys accuracy with a negative cost.
        coef, _ = nnls(a / y[:, None], np.ones_like(y))
        err = np.abs(a @ coef - y) / y
        print(f"{enc}: {len(runs)} runs, max relative error {err.max():.3f}", flush=True)
        table[(core, "cortex-m", f"CONV_2D_SPARSE4_{enc}")] = {n: round(float(c), 4) for n, c in zip(names, coef)}
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="cortex-m4")
    parser.add_argument("--kind", choices=("all", "dense", "sparse"), default="all",
                        help="fit only CONV_2D_DENSE + IM2COL (dense) or only CONV_2D_SPARSE4_* (sparse); "
                             "--write then replaces only those entries of the core")
    parser.add_argument("--write", action="store_true",
                        help="merge the fitted entries into costmodel.py's CONV FITTED table (other cores kept)")
    args = parser.parse_args(argv)
    table = fit(args.target, args.kind)
    pprint.pprint(table)
    if args.write:
        from tfsparse import costmodel

        merged = {**costmodel.CONV_COEFFICIENTS, **table}
        write_fitted_section("CONV FITTED", "benchmarks/conv_cost_fit.py", CONV_COEFFICIENTS=dict(sorted(merged.items())))


if __name__ == "__main__":
    main()
