"""The cost model: predicted instructions, flash and arena bytes of one op on one target's kernels.

One function, :func:`op_cost`, shared by the layer chooser (``convert``), ``tfsparse.profile`` and the
budget planner. Its instruction counts are linear in *features* that mirror the kernels' loop
structure (rows, nonzeros per row in blocks of eight, index entries, escapes, live input columns...):
``instructions = sum(coefficient[f] * feature[f])``. The coefficients per (core, kernel, encoding) are
:data:`COEFFICIENTS`, fitted to QEMU counts by ``benchmarks/costmodel_fit.py`` (which rewrites the
table between the ``BEGIN FITTED``/``END FITTED`` markers below; never edit it by hand).

Per-op-kind cost functions live in :data:`COST_FUNCTIONS`, keyed by ``op.kind``; an op kind adds its
own function there and its feature sets to :data:`FEATURES`.

Example:
    >>> cost = op_cost(model.ops[0], model, "cortex-m4")              # doctest: +SKIP
    >>> round(cost.instructions), cost.flash_bytes, cost.nnz           # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from .codegen.arena import op_scratch_bytes
from .codegen.targets import Target, get_target
from .converter.csr import coordinates
from .converter.ir import CSRMatrix, DenseMatrix
from .converter.quant_math import saturating_rounding_doubling_high_mul

__all__ = ["OpCost", "op_cost", "COST_FUNCTIONS", "CONV_COEFFICIENTS", "conv_geometry", "FEATURES", "COEFFICIENTS", "fc_features",
           "predict_instructions", "CostModelError", "softmax_activity", "input_activity", "recorded_activity"]


class CostModelError(ValueError):
    """No coefficients for a (core, kernel, encoding), or an op kind the model does not know."""


@dataclass(frozen=True)
class OpCost:
    """Predicted cost of one op (see :func:`op_cost`)."""

    instructions: float  # predicted mean instructions per inference for this op
    worst_case_instructions: float  # the same with every input live (no activation skipping)
    flash_bytes: int  # constant data: values + indices + pointers + bias + quant params
    arena_bytes: int  # scratch this op needs beyond its input/output tensors
    macs: int  # dense multiply-accumulates of the op
    nnz: int  # nonzero weights (dense ops: count of weights)


# Feature names each (kernel, encoding) is fitted on. "op" is one per kernel call (call, Prepare-free
# Eval preamble and the per-op time stamps); the others count loop iterations of the C kernels.
_ABS = ("abs_u8", "abs_u16", "abs_u32")
FEATURES = {}
for _enc in _ABS:
    FEATURES[("portable", _enc)] = ("op", "rows", "rows_nz", "nnz")
    # Cortex-M runs are Duff's devices: one computed jump per nonempty run, eight products per loop.
    FEATURES[("cortex-m", _enc)] = ("op", "rows", "rows_nz", "nnz", "g8")
FEATURES.update({
    ("portable", "dense"): ("op", "rows", "macs"),
    ("cortex-m", "dense"): ("op", "pairs", "d_blocks8", "d_any8", "d_has4", "d_single", "d_any1"),
    ("portable", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes"),
    ("cortex-m", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes", "e_div4", "e_rem4"),
    ("portable", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "p4_pairs", "r4_last"),
    ("cortex-m", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "r4_words", "r4_bytes", "r4_last"),
    # blk8: one run of 8-bit indices per (row, 255-column block); runs counted like abs rows.
    ("portable", "blk8"): ("op", "rows", "row_blocks", "runs_nz", "nnz"),
    ("cortex-m", "blk8"): ("op", "rows", "row_blocks", "runs_nz", "nnz", "g8", "rows_b2", "rows_b4", "rows_bn"),
    # csc8 (activation skipping): expected counts over the inputs; "live_*" scale with the input density.
    ("portable", "csc8"): ("op", "rows", "cols", "col_blocks", "live_cols", "live_col_blocks", "live_runs_nz",
                           "live_nnz"),
    ("cortex-m", "csc8"): ("op", "rows", "quads", "zero_quads", "zero_quad_blocks", "col_calls", "col_call_blocks",
                           "live_col_blocks", "live_runs_nz", "live_nnz", "live_g8", "col_calls_b2", "live_cols_b2", "col_calls_bn", "live_cols_bn"),
    # helium (Cortex-M55): dense rows 16 lanes per step; abs_u8 (16 lanes) and abs_u16 (8 lanes) rows
    # vectorised when the layer averages >= TFS_MVE_MIN_RUN entries per row ("m_*" features), else the
    # Cortex-M kernel's loops; the other encodings always run the Cortex-M (DSP) kernel.
    ("helium", "dense"): ("op", "rows", "v16"),
    ("any", "SOFTMAX"): ("op", "elems", "live", "exp_bits"),
    ("any", "RESHAPE"): ("op",),
})
for _enc in ("abs_u8", "abs_u16"):
    FEATURES[("helium", _enc)] = FEATURES[("cortex-m", _enc)] + ("m_op", "m_rows", "m_rows_nz", "m_steps")
for _enc in ("abs_u32", "rel8", "rel4", "blk8", "csc8"):
    FEATURES[("helium", _enc)] = FEATURES[("cortex-m", _enc)]
#: The helium kernel's TFS_MVE_MIN_RUN (firmware/kernels/helium/fully_connected.c): sparse abs layers
#: with fewer index entries per row on average run the Cortex-M kernel.
HELIUM_MIN_RUN = 5

# BEGIN FITTED (benchmarks/costmodel_fit.py; do not edit by hand)
COEFFICIENTS = {('cortex-m0', 'any', 'RESHAPE'): {'op': 3.024},
 ('cortex-m0', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 131.9975, 'live': 0.0, 'op': 12839.8174},
 ('cortex-m0', 'portable', 'GRAPH'): {'graph': -11.0435, 'op': 2.4425},
 ('cortex-m0', 'portable', 'abs_u16'): {'nnz': 9.9775, 'op': 110.7069, 'rows': 146.7303, 'rows_nz': 11.6559},
 ('cortex-m0', 'portable', 'abs_u32'): {'nnz': 8.9959, 'op': 105.1614, 'rows': 146.2616, 'rows_nz': 10.0466},
 ('cortex-m0', 'portable', 'abs_u8'): {'nnz': 8.9055, 'op': 111.1683, 'rows': 159.8808, 'rows_nz': 6.6583},
 ('cortex-m0', 'portable', 'blk8'): {'nnz': 7.5883,
                                     'op': 114.0925,
                                     'row_blocks': 0.0,
                                     'rows': 161.3303,
                                     'runs_nz': 11.1114},
 ('cortex-m0', 'portable', 'csc8'): {'col_blocks': 0.0,
                                     'cols': 38.5844,
                                     'live_col_blocks': 0.6947,
                                     'live_cols': 0.0,
                                     'live_nnz': 12.1684,
                                     'live_runs_nz': 9.6616,
                                     'op': 132.5081,
                                     'rows': 134.1457},
 ('cortex-m0', 'portable', 'dense'): {'macs': 7.0013, 'op': 92.0486, 'rows': 150.7518},
 ('cortex-m0', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.1897,
                                     'op': 106.7423,
                                     'p4_pairs': 22.7751,
                                     'r4_last': 0.0,
                                     'r4_peel': 0.0,
                                     'rows': 172.4978,
                                     'rows_nz': 35.2844},
 ('cortex-m0', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 15.9612,
                                     'op': 105.4369,
                                     'rows': 158.4762,
                                     'rows_nz': 5.3897},
 ('cortex-m3', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m3', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 29.9371, 'live': 0.0, 'op': 4142.985},
 ('cortex-m3', 'cortex-m', 'GRAPH'): {'graph': -2.7993, 'op': 2.8454},
 ('cortex-m3', 'cortex-m', 'abs_u16'): {'g8': 4.5596,
                                        'nnz': 3.804,
                                        'op': 79.0899,
                                        'rows': 46.9268,
                                        'rows_nz': 4.9278},
 ('cortex-m3', 'cortex-m', 'abs_u32'): {'g8': 3.8545,
                                        'nnz': 3.8909,
                                        'op': 80.0398,
                                        'rows': 46.9489,
                                        'rows_nz': 5.3399},
 ('cortex-m3', 'cortex-m', 'abs_u8'): {'g8': 4.4857,
                                       'nnz': 3.8121,
                                       'op': 78.2633,
                                       'rows': 46.9448,
                                       'rows_nz': 5.0193},
 ('cortex-m3', 'cortex-m', 'blk8'): {'g8': 3.9193,
                                     'nnz': 3.7526,
                                     'op': 84.2959,
                                     'row_blocks': 0.0,
                                     'rows': 37.9697,
                                     'rows_b2': 17.4068,
                                     'rows_b4': 29.5657,
                                     'rows_bn': 38.8775,
                                     'runs_nz': 5.6104},
 ('cortex-m3', 'cortex-m', 'csc8'): {'col_call_blocks': 8.5709,
                                     'col_calls': 0.8668,
                                     'col_calls_b2': 14.7314,
                                     'col_calls_bn': 19.2945,
                                     'live_col_blocks': 0.0,
                                     'live_cols_b2': 4.7758,
                                     'live_cols_bn': 17.5559,
                                     'live_g8': 2.8691,
                                     'live_nnz': 4.9475,
                                     'live_runs_nz': 5.1399,
                                     'op': 103.4963,
                                     'quads': 12.2839,
                                     'rows': 39.0455,
                                     'zero_quad_blocks': 10.2759,
                                     'zero_quads': 0.0},
 ('cortex-m3', 'cortex-m', 'dense'): {'d_any1': 4.0136,
                                      'd_any8': 11.0031,
                                      'd_blocks8': 62.0001,
                                      'd_has4': 30.0075,
                                      'd_single': 6.994,
                                      'op': 90.0071,
                                      'pairs': 104.9921},
 ('cortex-m3', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.5631,
                                     'op': 82.1387,
                                     'r4_bytes': 10.8951,
                                     'r4_last': 3.2722,
                                     'r4_peel': 13.1112,
                                     'r4_words': 40.1557,
                                     'rows': 67.5867,
                                     'rows_nz': 5.5368},
 ('cortex-m3', 'cortex-m', 'rel8'): {'e_div4': 36.4252,
                                     'e_rem4': 9.6346,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 85.0898,
                                     'rows': 58.597,
                                     'rows_nz': 0.0},
 ('cortex-m3', 'portable', 'GRAPH'): {'graph': 8.0526, 'op': 2.6316},
 ('cortex-m3', 'portable', 'abs_u16'): {'nnz': 5.9922, 'op': 63.9916, 'rows': 61.6016, 'rows_nz': 10.329},
 ('cortex-m3', 'portable', 'abs_u32'): {'nnz': 6.0022, 'op': 65.0418, 'rows': 61.5064, 'rows_nz': 10.2313},
 ('cortex-m3', 'portable', 'abs_u8'): {'nnz': 5.9922, 'op': 65.0575, 'rows': 62.9157, 'rows_nz': 6.8854},
 ('cortex-m3', 'portable', 'blk8'): {'nnz': 5.9971,
                                     'op': 61.4856,
                                     'row_blocks': 5.8481,
                                     'rows': 70.9531,
                                     'runs_nz': 5.1374},
 ('cortex-m3', 'portable', 'csc8'): {'col_blocks': 5.1007,
                                     'cols': 19.4115,
                                     'live_col_blocks': 0.5307,
                                     'live_cols': 6.2531,
                                     'live_nnz': 7.9975,
                                     'live_runs_nz': 8.0217,
                                     'op': 80.0998,
                                     'rows': 61.8545},
 ('cortex-m3', 'portable', 'dense'): {'macs': 5.0016, 'op': 48.2647, 'rows': 65.6605},
 ('cortex-m3', 'portable', 'rel4'): {'escapes': 4.0508,
                                     'nnz': 9.0151,
                                     'op': 61.0706,
                                     'p4_pairs': 2.9623,
                                     'r4_last': 4.1037,
                                     'r4_peel': 0.0,
                                     'rows': 79.329,
                                     'rows_nz': 3.5048},
 ('cortex-m3', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0151,
                                     'op': 67.2796,
                                     'rows': 64.9076,
                                     'rows_nz': 2.4854},
 ('cortex-m33', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m33', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 29.6822, 'live': 0.0, 'op': 4151.8873},
 ('cortex-m33', 'cortex-m', 'GRAPH'): {'graph': -11.2303, 'op': 3.1118},
 ('cortex-m33', 'cortex-m', 'abs_u16'): {'g8': 2.1578,
                                         'nnz': 3.9785,
                                         'op': 76.0095,
                                         'rows': 35.9899,
                                         'rows_nz': 4.9025},
 ('cortex-m33', 'cortex-m', 'abs_u32'): {'g8': 1.9177,
                                         'nnz': 4.0093,
                                         'op': 76.7232,
                                         'rows': 35.9968,
                                         'rows_nz': 4.9984},
 ('cortex-m33', 'cortex-m', 'abs_u8'): {'g8': 2.2401,
                                        'nnz': 3.9684,
                                        'op': 75.3556,
                                        'rows': 35.9872,
                                        'rows_nz': 4.89},
 ('cortex-m33', 'cortex-m', 'blk8'): {'g8': 2.5619,
                                      'nnz': 3.9417,
                                      'op': 86.2924,
                                      'row_blocks': 10.9791,
                                      'rows': 16.003,
                                      'rows_b2': 7.4797,
                                      'rows_b4': 0.0,
                                      'rows_bn': 19.9167,
                                      'runs_nz': 4.5912},
 ('cortex-m33', 'cortex-m', 'csc8'): {'col_call_blocks': 8.017,
                                      'col_calls': 1.9564,
                                      'col_calls_b2': 15.5703,
                                      'col_calls_bn': 19.6883,
                                      'live_col_blocks': 0.0,
                                      'live_cols_b2': 0.0,
                                      'live_cols_bn': 35.4661,
                                      'live_g8': 3.2275,
                                      'live_nnz': 4.9301,
                                      'live_runs_nz': 3.7851,
                                      'op': 103.446,
                                      'quads': 15.2276,
                                      'rows': 22.0019,
                                      'zero_quad_blocks': 1.4903,
                                      'zero_quads': 0.0},
 ('cortex-m33', 'cortex-m', 'dense'): {'d_any1': 2.0125,
                                       'd_any8': 10.0039,
                                       'd_blocks8': 30.9997,
                                       'd_has4': 13.0088,
                                       'd_single': 7.9937,
                                       'op': 87.0076,
                                       'pairs': 69.9935},
 ('cortex-m33', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.5671,
                                      'op': 80.0368,
                                      'r4_bytes': 11.8811,
                                      'r4_last': 4.1546,
                                      'r4_peel': 11.2823,
                                      'r4_words': 40.175,
                                      'rows': 51.6918,
                                      'rows_nz': 5.7073},
 ('cortex-m33', 'cortex-m', 'rel8'): {'e_div4': 36.7096,
                                      'e_rem4': 10.063,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 79.9582,
                                      'rows': 40.4881,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'portable', 'GRAPH'): {'graph': -21.0428, 'op': 3.0493},
 ('cortex-m33', 'portable', 'abs_u16'): {'nnz': 5.9982, 'op': 58.6752, 'rows': 61.4677, 'rows_nz': 10.8494},
 ('cortex-m33', 'portable', 'abs_u32'): {'nnz': 6.0066, 'op': 68.2924, 'rows': 61.4437, 'rows_nz': 10.1308},
 ('cortex-m33', 'portable', 'abs_u8'): {'nnz': 5.9874, 'op': 67.1735, 'rows': 62.9362, 'rows_nz': 6.8747},
 ('cortex-m33', 'portable', 'blk8'): {'nnz': 5.9876,
                                      'op': 61.0876,
                                      'row_blocks': 5.4052,
                                      'rows': 74.7023,
                                      'runs_nz': 5.7878},
 ('cortex-m33', 'portable', 'csc8'): {'col_blocks': 4.9101,
                                      'cols': 20.7502,
                                      'live_col_blocks': 0.9783,
                                      'live_cols': 1.4213,
                                      'live_nnz': 7.9942,
                                      'live_runs_nz': 8.0317,
                                      'op': 86.4915,
                                      'rows': 61.8617},
 ('cortex-m33', 'portable', 'dense'): {'macs': 5.0003, 'op': 49.8599, 'rows': 65.6888},
 ('cortex-m33', 'portable', 'rel4'): {'escapes': 0.0188,
                                      'nnz': 4.9189,
                                      'op': 61.2009,
                                      'p4_pairs': 11.1839,
                                      'r4_last': 17.3187,
                                      'r4_peel': 0.0,
                                      'rows': 80.0979,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0245,
                                      'op': 65.6119,
                                      'rows': 68.3483,
                                      'rows_nz': 0.677},
 ('cortex-m4', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m4', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 29.9403, 'live': 0.0, 'op': 4114.8159},
 ('cortex-m4', 'cortex-m', 'GRAPH'): {'graph': 5.7697, 'op': 2.1118},
 ('cortex-m4', 'cortex-m', 'abs_u16'): {'g8': 2.1268,
                                        'nnz': 3.9822,
                                        'op': 77.0081,
                                        'rows': 35.9956,
                                        'rows_nz': 4.909},
 ('cortex-m4', 'cortex-m', 'abs_u32'): {'g8': 2.058,
                                        'nnz': 3.9912,
                                        'op': 77.0341,
                                        'rows': 36.0023,
                                        'rows_nz': 4.9428},
 ('cortex-m4', 'cortex-m', 'abs_u8'): {'g8': 2.2585,
                                       'nnz': 3.9659,
                                       'op': 76.3516,
                                       'rows': 35.9878,
                                       'rows_nz': 4.8774},
 ('cortex-m4', 'cortex-m', 'blk8'): {'g8': 2.9427,
                                     'nnz': 4.0207,
                                     'op': 84.9537,
                                     'row_blocks': 11.6401,
                                     'rows': 15.354,
                                     'rows_b2': 7.3177,
                                     'rows_b4': 0.0,
                                     'rows_bn': 20.6368,
                                     'runs_nz': 4.0498},
 ('cortex-m4', 'cortex-m', 'csc8'): {'col_call_blocks': 8.0061,
                                     'col_calls': 1.9466,
                                     'col_calls_b2': 15.567,
                                     'col_calls_bn': 18.3213,
                                     'live_col_blocks': 0.0,
                                     'live_cols_b2': 0.0,
                                     'live_cols_bn': 38.2191,
                                     'live_g8': 3.2791,
                                     'live_nnz': 4.9236,
                                     'live_runs_nz': 3.744,
                                     'op': 104.5582,
                                     'quads': 15.3047,
                                     'rows': 22.0148,
                                     'zero_quad_blocks': 1.5939,
                                     'zero_quads': 0.0},
 ('cortex-m4', 'cortex-m', 'dense'): {'d_any1': 1.9981,
                                      'd_any8': 9.9981,
                                      'd_blocks8': 31.0003,
                                      'd_has4': 12.9975,
                                      'd_single': 8.0017,
                                      'op': 86.9987,
                                      'pairs': 70.0002},
 ('cortex-m4', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.6876,
                                     'op': 81.8114,
                                     'r4_bytes': 14.7568,
                                     'r4_last': 3.241,
                                     'r4_peel': 12.135,
                                     'r4_words': 39.2761,
                                     'rows': 51.7393,
                                     'rows_nz': 5.6011},
 ('cortex-m4', 'cortex-m', 'rel8'): {'e_div4': 44.5084,
                                     'e_rem4': 13.527,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 81.0611,
                                     'rows': 40.6118,
                                     'rows_nz': 0.0},
 ('cortex-m4', 'portable', 'GRAPH'): {'graph': -5.0855, 'op': 2.0987},
 ('cortex-m4', 'portable', 'abs_u16'): {'nnz': 5.991, 'op': 64.8316, 'rows': 62.4643, 'rows_nz': 9.7347},
 ('cortex-m4', 'portable', 'abs_u32'): {'nnz': 6.0015, 'op': 66.9842, 'rows': 62.6284, 'rows_nz': 9.0816},
 ('cortex-m4', 'portable', 'abs_u8'): {'nnz': 5.9909, 'op': 66.7026, 'rows': 62.9296, 'rows_nz': 6.9442},
 ('cortex-m4', 'portable', 'blk8'): {'nnz': 5.9901,
                                     'op': 62.5766,
                                     'row_blocks': 5.6036,
                                     'rows': 74.6392,
                                     'runs_nz': 5.4682},
 ('cortex-m4', 'portable', 'csc8'): {'col_blocks': 5.1159,
                                     'cols': 20.2747,
                                     'live_col_blocks': 0.4865,
                                     'live_cols': 2.5605,
                                     'live_nnz': 7.996,
                                     'live_runs_nz': 8.0403,
                                     'op': 85.1736,
                                     'rows': 61.8552},
 ('cortex-m4', 'portable', 'dense'): {'macs': 5.0022, 'op': 47.2659, 'rows': 65.7305},
 ('cortex-m4', 'portable', 'rel4'): {'escapes': 5.6162,
                                     'nnz': 10.4997,
                                     'op': 62.5796,
                                     'p4_pairs': 0.0,
                                     'r4_last': 3.6679,
                                     'r4_peel': 0.2749,
                                     'rows': 80.0432,
                                     'rows_nz': 1.3485},
 ('cortex-m4', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0193,
                                     'op': 68.4293,
                                     'rows': 68.7406,
                                     'rows_nz': 0.0},
 ('cortex-m55', 'any', 'RESHAPE'): {'op': 2.976},
 ('cortex-m55', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 30.5865, 'live': 0.0, 'op': 4354.5509},
 ('cortex-m55', 'cortex-m', 'GRAPH'): {'graph': -22.7456, 'op': 3.3121},
 ('cortex-m55', 'cortex-m', 'abs_u16'): {'g8': 2.1994,
                                         'nnz': 3.9741,
                                         'op': 77.1063,
                                         'rows': 39.0041,
                                         'rows_nz': 4.869},
 ('cortex-m55', 'cortex-m', 'abs_u32'): {'g8': 2.1257,
                                         'nnz': 3.9806,
                                         'op': 77.1995,
                                         'rows': 38.9894,
                                         'rows_nz': 4.9343},
 ('cortex-m55', 'cortex-m', 'abs_u8'): {'g8': 2.8168,
                                        'nnz': 3.8976,
                                        'op': 77.4513,
                                        'rows': 38.8128,
                                        'rows_nz': 4.686},
 ('cortex-m55', 'cortex-m', 'blk8'): {'g8': 2.1357,
                                      'nnz': 3.9811,
                                      'op': 88.1788,
                                      'row_blocks': 0.0,
                                      'rows': 30.0625,
                                      'rows_b2': 22.0737,
                                      'rows_b4': 35.2295,
                                      'rows_bn': 33.1353,
                                      'runs_nz': 4.7792},
 ('cortex-m55', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                      'col_calls': 15.5508,
                                      'col_calls_b2': 24.5491,
                                      'col_calls_bn': 44.2261,
                                      'live_col_blocks': 0.0,
                                      'live_cols_b2': 0.0,
                                      'live_cols_bn': 0.0,
                                      'live_g8': 0.0,
                                      'live_nnz': 5.2599,
                                      'live_runs_nz': 3.8877,
                                      'op': 104.1073,
                                      'quads': 1.1149,
                                      'rows': 21.7521,
                                      'zero_quad_blocks': 0.0,
                                      'zero_quads': 0.0},
 ('cortex-m55', 'cortex-m', 'dense'): {'d_any1': 12.9253,
                                       'd_any8': 14.0472,
                                       'd_blocks8': 29.9973,
                                       'd_has4': 19.1457,
                                       'd_single': 0.0,
                                       'op': 86.7657,
                                       'pairs': 71.9209},
 ('cortex-m55', 'cortex-m', 'rel4'): {'escapes': 6.2516,
                                      'nnz': 0.0,
                                      'op': 78.7032,
                                      'r4_bytes': 25.8395,
                                      'r4_last': 0.0,
                                      'r4_peel': 7.2169,
                                      'r4_words': 68.5215,
                                      'rows': 57.7133,
                                      'rows_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'rel8'): {'e_div4': 37.7177,
                                      'e_rem4': 15.8349,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 64.343,
                                      'rows': 35.9152,
                                      'rows_nz': 0.0},
 ('cortex-m55', 'helium', 'GRAPH'): {'graph': 2.3741, 'op': 2.8387},
 ('cortex-m55', 'helium', 'abs_u16'): {'g8': 0.0,
                                       'm_op': 0.0,
                                       'm_rows': 35.1133,
                                       'm_rows_nz': 13.8885,
                                       'm_steps': 15.0467,
                                       'nnz': 4.0377,
                                       'op': 104.7435,
                                       'rows': 39.0177,
                                       'rows_nz': 6.9115},
 ('cortex-m55', 'helium', 'abs_u32'): {'g8': 2.0959,
                                       'nnz': 3.9843,
                                       'op': 96.0473,
                                       'rows': 39.009,
                                       'rows_nz': 4.9278},
 ('cortex-m55', 'helium', 'abs_u8'): {'g8': 0.0,
                                      'm_op': 0.0,
                                      'm_rows': 47.218,
                                      'm_rows_nz': 4.2136,
                                      'm_steps': 16.0172,
                                      'nnz': 4.3658,
                                      'op': 101.0896,
                                      'rows': 40.2996,
                                      'rows_nz': 4.2498},
 ('cortex-m55', 'helium', 'blk8'): {'g8': 2.1422,
                                    'nnz': 3.9792,
                                    'op': 107.4219,
                                    'row_blocks': 0.0,
                                    'rows': 30.0429,
                                    'rows_b2': 22.1025,
                                    'rows_b4': 35.2237,
                                    'rows_bn': 33.1151,
                                    'runs_nz': 4.7982},
 ('cortex-m55', 'helium', 'csc8'): {'col_call_blocks': 0.0,
                                    'col_calls': 15.2412,
                                    'col_calls_b2': 24.4095,
                                    'col_calls_bn': 44.0818,
                                    'live_col_blocks': 0.0,
                                    'live_cols_b2': 0.0,
                                    'live_cols_bn': 0.0,
                                    'live_g8': 0.0,
                                    'live_nnz': 5.2587,
                                    'live_runs_nz': 4.0241,
                                    'op': 123.5487,
                                    'quads': 1.9785,
                                    'rows': 21.7632,
                                    'zero_quad_blocks': 0.0,
                                    'zero_quads': 0.0},
 ('cortex-m55', 'helium', 'dense'): {'op': 71.3934, 'rows': 35.9975, 'v16': 15.9984},
 ('cortex-m55', 'helium', 'rel4'): {'escapes': 6.4226,
                                    'nnz': 0.0,
                                    'op': 97.5057,
                                    'r4_bytes': 25.9002,
                                    'r4_last': 0.0,
                                    'r4_peel': 7.0211,
                                    'r4_words': 68.468,
                                    'rows': 57.7444,
                                    'rows_nz': 0.0},
 ('cortex-m55', 'helium', 'rel8'): {'e_div4': 37.6998,
                                    'e_rem4': 15.8943,
                                    'escapes': 0.0,
                                    'nnz': 0.0,
                                    'op': 83.1589,
                                    'rows': 35.885,
                                    'rows_nz': 0.0},
 ('cortex-m55', 'portable', 'GRAPH'): {'graph': 7.6752, 'op': 2.8181},
 ('cortex-m55', 'portable', 'abs_u16'): {'nnz': 4.9803, 'op': 64.5676, 'rows': 61.9894, 'rows_nz': 11.0539},
 ('cortex-m55', 'portable', 'abs_u32'): {'nnz': 4.9914, 'op': 62.2358, 'rows': 61.8079, 'rows_nz': 11.1648},
 ('cortex-m55', 'portable', 'abs_u8'): {'nnz': 4.9989, 'op': 66.1613, 'rows': 61.4389, 'rows_nz': 9.3455},
 ('cortex-m55', 'portable', 'blk8'): {'nnz': 5.0069,
                                      'op': 61.077,
                                      'row_blocks': 5.9388,
                                      'rows': 73.3154,
                                      'runs_nz': 5.0067},
 ('cortex-m55', 'portable', 'csc8'): {'col_blocks': 2.8162,
                                      'cols': 26.3957,
                                      'live_col_blocks': 4.632,
                                      'live_cols': 0.0,
                                      'live_nnz': 6.9993,
                                      'live_runs_nz': 3.9284,
                                      'op': 87.8572,
                                      'rows': 61.6075},
 ('cortex-m55', 'portable', 'dense'): {'macs': 3.9958, 'op': 58.8934, 'rows': 65.1214},
 ('cortex-m55', 'portable', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.2515,
                                      'op': 69.461,
                                      'p4_pairs': 14.535,
                                      'r4_last': 5.1419,
                                      'r4_peel': 16.6362,
                                      'rows': 78.8917,
                                      'rows_nz': 0.961},
 ('cortex-m55', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0404,
                                      'op': 67.213,
                                      'rows': 71.6099,
                                      'rows_nz': 0.0},
 ('cortex-m7', 'any', 'RESHAPE'): {'op': 6.0},
 ('cortex-m7', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 30.004, 'live': 0.0, 'op': 4098.1788},
 ('cortex-m7', 'cortex-m', 'GRAPH'): {'graph': 10.5362, 'op': 3.9967},
 ('cortex-m7', 'cortex-m', 'abs_u16'): {'g8': 2.1922,
                                        'nnz': 3.9752,
                                        'op': 75.7569,
                                        'rows': 36.0487,
                                        'rows_nz': 4.7055},
 ('cortex-m7', 'cortex-m', 'abs_u32'): {'g8': 2.0581,
                                        'nnz': 3.9912,
                                        'op': 75.0342,
                                        'rows': 36.0022,
                                        'rows_nz': 4.9428},
 ('cortex-m7', 'cortex-m', 'abs_u8'): {'g8': 2.2594,
                                       'nnz': 3.9658,
                                       'op': 74.3494,
                                       'rows': 35.9877,
                                       'rows_nz': 4.8773},
 ('cortex-m7', 'cortex-m', 'blk8'): {'g8': 2.6764,
                                     'nnz': 3.9251,
                                     'op': 83.9391,
                                     'row_blocks': 11.6517,
                                     'rows': 15.3219,
                                     'rows_b2': 7.0564,
                                     'rows_b4': 0.0,
                                     'rows_bn': 20.6319,
                                     'runs_nz': 4.5302},
 ('cortex-m7', 'cortex-m', 'csc8'): {'col_call_blocks': 7.9972,
                                     'col_calls': 2.3312,
                                     'col_calls_b2': 15.5614,
                                     'col_calls_bn': 17.9073,
                                     'live_col_blocks': 0.0,
                                     'live_cols_b2': 0.0,
                                     'live_cols_bn': 38.7685,
                                     'live_g8': 3.2056,
                                     'live_nnz': 4.9338,
                                     'live_runs_nz': 3.7882,
                                     'op': 100.7344,
                                     'quads': 13.7964,
                                     'rows': 22.0143,
                                     'zero_quad_blocks': 3.4757,
                                     'zero_quads': 0.0},
 ('cortex-m7', 'cortex-m', 'dense'): {'d_any1': 1.343,
                                      'd_any8': 8.0561,
                                      'd_blocks8': 31.0043,
                                      'd_has4': 13.0907,
                                      'd_single': 7.9215,
                                      'op': 86.066,
                                      'pairs': 74.7369},
 ('cortex-m7', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.778,
                                     'op': 79.8228,
                                     'r4_bytes': 15.7939,
                                     'r4_last': 3.1604,
                                     'r4_peel': 8.8618,
                                     'r4_words': 38.5088,
                                     'rows': 52.4116,
                                     'rows_nz': 6.3923},
 ('cortex-m7', 'cortex-m', 'rel8'): {'e_div4': 44.5087,
                                     'e_rem4': 13.526,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 79.0721,
                                     'rows': 40.6115,
                                     'rows_nz': 0.0},
 ('cortex-m7', 'portable', 'GRAPH'): {'graph': -4.4342, 'op': 4.0395},
 ('cortex-m7', 'portable', 'abs_u16'): {'nnz': 5.9912, 'op': 62.2025, 'rows': 63.5249, 'rows_nz': 9.5252},
 ('cortex-m7', 'portable', 'abs_u32'): {'nnz': 6.0011, 'op': 63.1296, 'rows': 63.5758, 'rows_nz': 9.1789},
 ('cortex-m7', 'portable', 'abs_u8'): {'nnz': 5.9862, 'op': 62.1143, 'rows': 63.9463, 'rows_nz': 7.0047},
 ('cortex-m7', 'portable', 'blk8'): {'nnz': 5.992,
                                     'op': 61.6831,
                                     'row_blocks': 5.7343,
                                     'rows': 73.5824,
                                     'runs_nz': 5.2963},
 ('cortex-m7', 'portable', 'csc8'): {'col_blocks': 5.1367,
                                     'cols': 20.3358,
                                     'live_col_blocks': 1.4542,
                                     'live_cols': 6.4092,
                                     'live_nnz': 7.9972,
                                     'live_runs_nz': 7.0249,
                                     'op': 82.9815,
                                     'rows': 62.8508},
 ('cortex-m7', 'portable', 'dense'): {'macs': 5.0012, 'op': 48.2502, 'rows': 63.6693},
 ('cortex-m7', 'portable', 'rel4'): {'escapes': 5.6441,
                                     'nnz': 10.5039,
                                     'op': 62.1467,
                                     'p4_pairs': 0.0,
                                     'r4_last': 1.9225,
                                     'r4_peel': 3.0503,
                                     'rows': 80.1552,
                                     'rows_nz': 0.4687},
 ('cortex-m7', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0227,
                                     'op': 65.6815,
                                     'rows': 66.6057,
                                     'rows_nz': 2.1589}}
FIT_INFO = {'cortex-m0/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 2},
 'cortex-m0/any/SOFTMAX': {'max_abs_error': 61.3,
                           'max_rel_error': 0.0036,
                           'mean_instructions': 16535.8,
                           'samples': 500},
 'cortex-m0/portable/abs_u16': {'max_abs_error': 6.5,
                                'max_rel_error': 0.0004,
                                'mean_instructions': 6658.4,
                                'samples': 6},
 'cortex-m0/portable/abs_u32': {'max_abs_error': 10.4,
                                'max_rel_error': 0.0016,
                                'mean_instructions': 3690.5,
                                'samples': 6},
 'cortex-m0/portable/abs_u8': {'max_abs_error': 21.5,
                               'max_rel_error': 0.0027,
                               'mean_instructions': 6975.5,
                               'samples': 6},
 'cortex-m0/portable/blk8': {'max_abs_error': 44.9,
                             'max_rel_error': 0.0059,
                             'mean_instructions': 4035.0,
                             'samples': 6},
 'cortex-m0/portable/csc8': {'max_abs_error': 0.0,
                             'max_rel_error': 0.0,
                             'mean_instructions': 4158.9,
                             'samples': 6},
 'cortex-m0/portable/dense': {'max_abs_error': 58.3,
                              'max_rel_error': 0.0032,
                              'mean_instructions': 53628.4,
                              'samples': 8},
 'cortex-m0/portable/rel4': {'max_abs_error': 5.4,
                             'max_rel_error': 0.0009,
                             'mean_instructions': 6473.4,
                             'samples': 6},
 'cortex-m0/portable/rel8': {'max_abs_error': 10.3,
                             'max_rel_error': 0.0012,
                             'mean_instructions': 6652.3,
                             'samples': 6},
 'cortex-m3/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 6},
 'cortex-m3/any/SOFTMAX': {'max_abs_error': 99.3,
                           'max_rel_error': 0.0187,
                           'mean_instructions': 5312.9,
                           'samples': 480},
 'cortex-m3/cortex-m/abs_u16': {'max_abs_error': 15.7,
                                'max_rel_error': 0.0012,
                                'mean_instructions': 19241.2,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u32': {'max_abs_error': 21.3,
                                'max_rel_error': 0.0036,
                                'mean_instructions': 13185.6,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u8': {'max_abs_error': 21.2,
                               'max_rel_error': 0.0023,
                               'mean_instructions': 15273.8,
                               'samples': 21},
 'cortex-m3/cortex-m/blk8': {'max_abs_error': 362.3,
                             'max_rel_error': 0.005,
                             'mean_instructions': 31790.6,
                             'samples': 27},
 'cortex-m3/cortex-m/csc8': {'max_abs_error': 1301.3,
                             'max_rel_error': 0.0052,
                             'mean_instructions': 42159.8,
                             'samples': 27},
 'cortex-m3/cortex-m/dense': {'max_abs_error': 1.9,
                              'max_rel_error': 0.0,
                              'mean_instructions': 91424.7,
                              'samples': 24},
 'cortex-m3/cortex-m/rel4': {'max_abs_error': 1437.3,
                             'max_rel_error': 0.017,
                             'mean_instructions': 28762.7,
                             'samples': 21},
 'cortex-m3/cortex-m/rel8': {'max_abs_error': 701.8,
                             'max_rel_error': 0.0104,
                             'mean_instructions': 16605.0,
                             'samples': 21},
 'cortex-m3/portable/abs_u16': {'max_abs_error': 117.5,
                                'max_rel_error': 0.008,
                                'mean_instructions': 26038.3,
                                'samples': 21},
 'cortex-m3/portable/abs_u32': {'max_abs_error': 68.2,
                                'max_rel_error': 0.0127,
                                'mean_instructions': 17783.4,
                                'samples': 21},
 'cortex-m3/portable/abs_u8': {'max_abs_error': 71.1,
                               'max_rel_error': 0.0037,
                               'mean_instructions': 20492.9,
                               'samples': 21},
 'cortex-m3/portable/blk8': {'max_abs_error': 150.0,
                             'max_rel_error': 0.005,
                             'mean_instructions': 43652.6,
                             'samples': 27},
 'cortex-m3/portable/csc8': {'max_abs_error': 134.5,
                             'max_rel_error': 0.0028,
                             'mean_instructions': 57248.8,
                             'samples': 27},
 'cortex-m3/portable/dense': {'max_abs_error': 334.7,
                              'max_rel_error': 0.0049,
                              'mean_instructions': 116803.7,
                              'samples': 24},
 'cortex-m3/portable/rel4': {'max_abs_error': 77.5,
                             'max_rel_error': 0.005,
                             'mean_instructions': 34685.5,
                             'samples': 21},
 'cortex-m3/portable/rel8': {'max_abs_error': 139.1,
                             'max_rel_error': 0.0081,
                             'mean_instructions': 19458.8,
                             'samples': 21},
 'cortex-m33/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 6},
 'cortex-m33/any/SOFTMAX': {'max_abs_error': 64.0,
                            'max_rel_error': 0.0112,
                            'mean_instructions': 5316.3,
                            'samples': 600},
 'cortex-m33/cortex-m/abs_u16': {'max_abs_error': 22.1,
                                 'max_rel_error': 0.0009,
                                 'mean_instructions': 17547.6,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u32': {'max_abs_error': 12.9,
                                 'max_rel_error': 0.0033,
                                 'mean_instructions': 11843.3,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u8': {'max_abs_error': 18.9,
                                'max_rel_error': 0.0023,
                                'mean_instructions': 13673.3,
                                'samples': 21},
 'cortex-m33/cortex-m/blk8': {'max_abs_error': 258.1,
                              'max_rel_error': 0.008,
                              'mean_instructions': 28884.3,
                              'samples': 27},
 'cortex-m33/cortex-m/csc8': {'max_abs_error': 2972.2,
                              'max_rel_error': 0.0122,
                              'mean_instructions': 38411.1,
                              'samples': 27},
 'cortex-m33/cortex-m/dense': {'max_abs_error': 6.6,
                               'max_rel_error': 0.0001,
                               'mean_instructions': 46906.8,
                               'samples': 24},
 'cortex-m33/cortex-m/rel4': {'max_abs_error': 1718.9,
                              'max_rel_error': 0.0215,
                              'mean_instructions': 28074.4,
                              'samples': 21},
 'cortex-m33/cortex-m/rel8': {'max_abs_error': 1226.2,
                              'max_rel_error': 0.0173,
                              'mean_instructions': 14568.0,
                              'samples': 21},
 'cortex-m33/portable/abs_u16': {'max_abs_error': 195.2,
                                 'max_rel_error': 0.007,
                                 'mean_instructions': 26039.0,
                                 'samples': 21},
 'cortex-m33/portable/abs_u32': {'max_abs_error': 102.9,
                                 'max_rel_error': 0.021,
                                 'mean_instructions': 17783.8,
                                 'samples': 21},
 'cortex-m33/portable/abs_u8': {'max_abs_error': 140.3,
                                'max_rel_error': 0.007,
                                'mean_instructions': 20493.8,
                                'samples': 21},
 'cortex-m33/portable/blk8': {'max_abs_error': 391.3,
                              'max_rel_error': 0.0175,
                              'mean_instructions': 44505.8,
                              'samples': 27},
 'cortex-m33/portable/csc8': {'max_abs_error': 164.7,
                              'max_rel_error': 0.0035,
                              'mean_instructions': 57032.6,
                              'samples': 27},
 'cortex-m33/portable/dense': {'max_abs_error': 77.8,
                               'max_rel_error': 0.0054,
                               'mean_instructions': 116803.1,
                               'samples': 24},
 'cortex-m33/portable/rel4': {'max_abs_error': 415.9,
                              'max_rel_error': 0.0226,
                              'mean_instructions': 34711.6,
                              'samples': 21},
 'cortex-m33/portable/rel8': {'max_abs_error': 264.9,
                              'max_rel_error': 0.0127,
                              'mean_instructions': 19724.9,
                              'samples': 21},
 'cortex-m4/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 6},
 'cortex-m4/any/SOFTMAX': {'max_abs_error': 87.3,
                           'max_rel_error': 0.0165,
                           'mean_instructions': 5284.9,
                           'samples': 480},
 'cortex-m4/cortex-m/abs_u16': {'max_abs_error': 23.7,
                                'max_rel_error': 0.0009,
                                'mean_instructions': 17548.5,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u32': {'max_abs_error': 12.3,
                                'max_rel_error': 0.0012,
                                'mean_instructions': 11844.2,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u8': {'max_abs_error': 18.0,
                               'max_rel_error': 0.0014,
                               'mean_instructions': 13674.3,
                               'samples': 21},
 'cortex-m4/cortex-m/blk8': {'max_abs_error': 154.8,
                             'max_rel_error': 0.0047,
                             'mean_instructions': 29453.4,
                             'samples': 27},
 'cortex-m4/cortex-m/csc8': {'max_abs_error': 2964.9,
                             'max_rel_error': 0.0121,
                             'mean_instructions': 38425.4,
                             'samples': 27},
 'cortex-m4/cortex-m/dense': {'max_abs_error': 3.2,
                              'max_rel_error': 0.0001,
                              'mean_instructions': 46906.9,
                              'samples': 24},
 'cortex-m4/cortex-m/rel4': {'max_abs_error': 1826.5,
                             'max_rel_error': 0.0226,
                             'mean_instructions': 28262.6,
                             'samples': 21},
 'cortex-m4/cortex-m/rel8': {'max_abs_error': 897.6,
                             'max_rel_error': 0.0097,
                             'mean_instructions': 16792.6,
                             'samples': 21},
 'cortex-m4/portable/abs_u16': {'max_abs_error': 116.2,
                                'max_rel_error': 0.0074,
                                'mean_instructions': 26081.2,
                                'samples': 21},
 'cortex-m4/portable/abs_u32': {'max_abs_error': 55.4,
                                'max_rel_error': 0.0084,
                                'mean_instructions': 17810.2,
                                'samples': 21},
 'cortex-m4/portable/abs_u8': {'max_abs_error': 76.2,
                               'max_rel_error': 0.0045,
                               'mean_instructions': 20495.7,
                               'samples': 21},
 'cortex-m4/portable/blk8': {'max_abs_error': 235.8,
                             'max_rel_error': 0.0139,
                             'mean_instructions': 44506.8,
                             'samples': 27},
 'cortex-m4/portable/csc8': {'max_abs_error': 138.1,
                             'max_rel_error': 0.003,
                             'mean_instructions': 57055.8,
                             'samples': 27},
 'cortex-m4/portable/dense': {'max_abs_error': 483.7,
                              'max_rel_error': 0.0051,
                              'mean_instructions': 116804.4,
                              'samples': 24},
 'cortex-m4/portable/rel4': {'max_abs_error': 55.9,
                             'max_rel_error': 0.0057,
                             'mean_instructions': 34711.2,
                             'samples': 21},
 'cortex-m4/portable/rel8': {'max_abs_error': 168.1,
                             'max_rel_error': 0.011,
                             'mean_instructions': 19726.7,
                             'samples': 21},
 'cortex-m55/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 9},
 'cortex-m55/any/SOFTMAX': {'max_abs_error': 72.7,
                            'max_rel_error': 0.0134,
                            'mean_instructions': 5294.7,
                            'samples': 2250},
 'cortex-m55/cortex-m/abs_u16': {'max_abs_error': 6.7,
                                 'max_rel_error': 0.0018,
                                 'mean_instructions': 5608.4,
                                 'samples': 12},
 'cortex-m55/cortex-m/abs_u32': {'max_abs_error': 6.4,
                                 'max_rel_error': 0.0006,
                                 'mean_instructions': 6988.1,
                                 'samples': 9},
 'cortex-m55/cortex-m/abs_u8': {'max_abs_error': 14.0,
                                'max_rel_error': 0.0013,
                                'mean_instructions': 6865.5,
                                'samples': 12},
 'cortex-m55/cortex-m/blk8': {'max_abs_error': 3.5,
                              'max_rel_error': 0.0013,
                              'mean_instructions': 14095.3,
                              'samples': 12},
 'cortex-m55/cortex-m/csc8': {'max_abs_error': 64.0,
                              'max_rel_error': 0.0077,
                              'mean_instructions': 8325.7,
                              'samples': 12},
 'cortex-m55/cortex-m/dense': {'max_abs_error': 16.0,
                               'max_rel_error': 0.0003,
                               'mean_instructions': 20392.2,
                               'samples': 12},
 'cortex-m55/cortex-m/rel4': {'max_abs_error': 31.4,
                              'max_rel_error': 0.0127,
                              'mean_instructions': 6102.7,
                              'samples': 9},
 'cortex-m55/cortex-m/rel8': {'max_abs_error': 370.8,
                              'max_rel_error': 0.0202,
                              'mean_instructions': 5799.1,
                              'samples': 9},
 'cortex-m55/helium/abs_u16': {'max_abs_error': 28.5,
                               'max_rel_error': 0.0042,
                               'mean_instructions': 4144.1,
                               'samples': 12},
 'cortex-m55/helium/abs_u32': {'max_abs_error': 6.2,
                               'max_rel_error': 0.0006,
                               'mean_instructions': 7007.1,
                               'samples': 9},
 'cortex-m55/helium/abs_u8': {'max_abs_error': 76.4,
                              'max_rel_error': 0.0071,
                              'mean_instructions': 4378.5,
                              'samples': 12},
 'cortex-m55/helium/blk8': {'max_abs_error': 6.8,
                            'max_rel_error': 0.0011,
                            'mean_instructions': 14114.4,
                            'samples': 12},
 'cortex-m55/helium/csc8': {'max_abs_error': 60.6,
                            'max_rel_error': 0.0073,
                            'mean_instructions': 8344.8,
                            'samples': 12},
 'cortex-m55/helium/dense': {'max_abs_error': 9.9,
                             'max_rel_error': 0.0004,
                             'mean_instructions': 11504.1,
                             'samples': 12},
 'cortex-m55/helium/rel4': {'max_abs_error': 31.4,
                            'max_rel_error': 0.0117,
                            'mean_instructions': 6121.7,
                            'samples': 9},
 'cortex-m55/helium/rel8': {'max_abs_error': 362.6,
                            'max_rel_error': 0.0197,
                            'mean_instructions': 5818.1,
                            'samples': 9},
 'cortex-m55/portable/abs_u16': {'max_abs_error': 46.3,
                                 'max_rel_error': 0.0055,
                                 'mean_instructions': 7539.0,
                                 'samples': 12},
 'cortex-m55/portable/abs_u32': {'max_abs_error': 25.8,
                                 'max_rel_error': 0.0023,
                                 'mean_instructions': 9461.4,
                                 'samples': 9},
 'cortex-m55/portable/abs_u8': {'max_abs_error': 12.1,
                                'max_rel_error': 0.0024,
                                'mean_instructions': 9074.3,
                                'samples': 12},
 'cortex-m55/portable/blk8': {'max_abs_error': 88.3,
                              'max_rel_error': 0.008,
                              'mean_instructions': 18642.8,
                              'samples': 12},
 'cortex-m55/portable/csc8': {'max_abs_error': 24.7,
                              'max_rel_error': 0.0014,
                              'mean_instructions': 14911.0,
                              'samples': 12},
 'cortex-m55/portable/dense': {'max_abs_error': 260.3,
                               'max_rel_error': 0.0188,
                               'mean_instructions': 42054.8,
                               'samples': 12},
 'cortex-m55/portable/rel4': {'max_abs_error': 6.8,
                              'max_rel_error': 0.0008,
                              'mean_instructions': 7779.0,
                              'samples': 9},
 'cortex-m55/portable/rel8': {'max_abs_error': 62.4,
                              'max_rel_error': 0.0026,
                              'mean_instructions': 7384.9,
                              'samples': 9},
 'cortex-m7/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 6.0,
                           'samples': 6},
 'cortex-m7/any/SOFTMAX': {'max_abs_error': 61.7,
                           'max_rel_error': 0.0118,
                           'mean_instructions': 5270.8,
                           'samples': 480},
 'cortex-m7/cortex-m/abs_u16': {'max_abs_error': 27.4,
                                'max_rel_error': 0.0023,
                                'mean_instructions': 17546.5,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u32': {'max_abs_error': 12.3,
                                'max_rel_error': 0.0012,
                                'mean_instructions': 11842.2,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u8': {'max_abs_error': 18.0,
                               'max_rel_error': 0.0014,
                               'mean_instructions': 13672.3,
                               'samples': 21},
 'cortex-m7/cortex-m/blk8': {'max_abs_error': 223.0,
                             'max_rel_error': 0.0069,
                             'mean_instructions': 29165.4,
                             'samples': 27},
 'cortex-m7/cortex-m/csc8': {'max_abs_error': 2933.4,
                             'max_rel_error': 0.012,
                             'mean_instructions': 38422.8,
                             'samples': 27},
 'cortex-m7/cortex-m/dense': {'max_abs_error': 27.9,
                              'max_rel_error': 0.0005,
                              'mean_instructions': 47027.6,
                              'samples': 24},
 'cortex-m7/cortex-m/rel4': {'max_abs_error': 1908.5,
                             'max_rel_error': 0.0224,
                             'mean_instructions': 28299.4,
                             'samples': 21},
 'cortex-m7/cortex-m/rel8': {'max_abs_error': 898.1,
                             'max_rel_error': 0.0097,
                             'mean_instructions': 16790.6,
                             'samples': 21},
 'cortex-m7/portable/abs_u16': {'max_abs_error': 124.5,
                                'max_rel_error': 0.0087,
                                'mean_instructions': 26187.9,
                                'samples': 21},
 'cortex-m7/portable/abs_u32': {'max_abs_error': 56.2,
                                'max_rel_error': 0.0124,
                                'mean_instructions': 17898.9,
                                'samples': 21},
 'cortex-m7/portable/abs_u8': {'max_abs_error': 127.3,
                               'max_rel_error': 0.0057,
                               'mean_instructions': 20603.7,
                               'samples': 21},
 'cortex-m7/portable/blk8': {'max_abs_error': 192.0,
                             'max_rel_error': 0.0129,
                             'mean_instructions': 44264.7,
                             'samples': 27},
 'cortex-m7/portable/csc8': {'max_abs_error': 138.0,
                             'max_rel_error': 0.0028,
                             'mean_instructions': 57777.2,
                             'samples': 27},
 'cortex-m7/portable/dense': {'max_abs_error': 256.5,
                              'max_rel_error': 0.0048,
                              'mean_instructions': 116619.7,
                              'samples': 24},
 'cortex-m7/portable/rel4': {'max_abs_error': 105.7,
                             'max_rel_error': 0.0084,
                             'mean_instructions': 34709.3,
                             'samples': 21},
 'cortex-m7/portable/rel8': {'max_abs_error': 208.1,
                             'max_rel_error': 0.0129,
                             'mean_instructions': 19644.4,
                             'samples': 21}}
# END FITTED


def _row_structure(w):
    """(values per row, index entries per row, first entry of each row) of a CSR matrix."""
    ptr = w.row_ptr.astype(np.int64)
    entries = np.diff(ptr)
    if w.encoding in _ABS:
        return entries, entries, ptr[:-1]
    rows, _ = coordinates(w)
    values = np.bincount(rows, minlength=w.shape[0]).astype(np.int64)
    return values, entries, ptr[:-1]


def input_activity(live_fraction, cols: int):
    """(per-column probability that the input is off the zero point, per group of four columns the
    probability that all four are at it) from any form ``op_cost`` accepts as ``live_fraction``:
    None (all live), a float, one float per column (groups assumed independent), an ``(N, cols)``
    array of samples' live masks (exact), or a dict ``{"density": ..., "zero_quads": ...}``."""
    quads = cols // 4
    if live_fraction is None:
        return np.ones(cols), np.zeros(quads)
    if isinstance(live_fraction, dict):
        return (np.asarray(live_fraction["density"], np.float64),
                np.asarray(live_fraction["zero_quads"], np.float64))
    a = np.asarray(live_fraction, np.float64)
    if a.ndim == 2:
        live = a != 0
        dead4 = ~live[:, : 4 * quads].reshape(len(a), quads, 4).any(axis=2)
        return live.mean(axis=0), dead4.mean(axis=0)
    p = np.broadcast_to(a, (cols,)).astype(np.float64)
    return p, np.prod(1.0 - p[: 4 * quads].reshape(quads, 4), axis=1)


def recorded_activity(op):
    """The input activity ``convert(representative_data=...)`` recorded on an op, or None."""
    density = getattr(op, "input_density", None)
    if density is None:
        return None
    quads = getattr(op, "input_zero_quads", None)
    return density if quads is None else {"density": density, "zero_quads": quads}


def _run_features(n: np.ndarray) -> dict:
    """Per-run loop counts of the unrolled-by-eight gather (abs rows, blk8 runs)."""
    return dict(g8=int(((n + 7) >> 3).sum()), n_div8=int((n >> 3).sum()), n_bit4=int(((n >> 2) & 1).sum()), n_bit2=int(((n >> 1) & 1).sum()),
                n_bit1=int((n & 1).sum()))


def _csc8_features(weights, p, zero_quads) -> dict:
    rows, cols = (int(d) for d in weights.shape)
    blocks = -(-rows // 255)
    n = weights.row_ptr.astype(np.int64).reshape(cols, blocks)  # entries of column c in row block b
    live_calls = float(p.sum())
    quads = cols // 4
    col_calls = 4 * (quads - float(zero_quads.sum())) + (cols - 4 * quads)
    return dict(rows=rows, cols=cols, col_blocks=cols * blocks, live_cols=live_calls, live_col_blocks=live_calls * blocks,
                live_runs_nz=float(p @ (n > 0).sum(axis=1)), live_nnz=float(p @ n.sum(axis=1)), quads=quads,
                zero_quads=float(zero_quads.sum()), zero_quad_blocks=float(zero_quads.sum()) * blocks,
                col_calls=col_calls, col_call_blocks=col_calls * blocks,
                live_g4=float(p @ (n >> 2).sum(axis=1)), live_g4_any=float(p @ ((n >> 2) > 0).sum(axis=1)),
                live_r=float(p @ (n & 3).sum(axis=1)), live_r_any=float(p @ ((n & 3) > 0).sum(axis=1)),
                live_g8=float(p @ ((n + 7) >> 3).sum(axis=1)),
                # The Cortex-M kernel specializes its column loop for one and two row blocks.
                col_calls_b2=col_calls * (blocks == 2), live_cols_b2=live_calls * (blocks == 2),
                col_calls_bn=col_calls * (blocks > 2), live_cols_bn=live_calls * (blocks > 2))


def fc_features(weights, kernel: str, batches: int = 1, live_fraction=None) -> dict:
    """The loop-count features of a fully-connected layer's weights for ``kernel`` (see :data:`FEATURES`).

    Args:
        weights: a :class:`~tfsparse.converter.ir.CSRMatrix` or :class:`~tfsparse.converter.ir.DenseMatrix`.
        kernel: ``"portable"``, ``"cortex-m"`` or ``"helium"``.
        batches: rows of the input the kernel runs over (TFLite flattens leading dimensions).
        live_fraction: the input activity (see :func:`input_activity`); only ``csc8`` depends on it.
    """
    rows, cols = (int(d) for d in weights.shape)
    f = {"op": 1.0}
    if isinstance(weights, CSRMatrix) and weights.encoding == "csc8":
        f.update(_csc8_features(weights, *input_activity(live_fraction, cols)))
    elif isinstance(weights, CSRMatrix) and weights.encoding == "blk8":
        n = weights.row_ptr.astype(np.int64)  # entries per (row, column block), row-major
        blocks = n.size // max(rows, 1)  # the Cortex-M row loop is specialized for 1, 2 and 4 blocks
        f.update(rows=rows, row_blocks=int(n.size), runs_nz=int((n > 0).sum()), nnz=int(n.sum()), **_run_features(n),
                 rows_b2=rows * (blocks == 2), rows_b4=rows * (blocks == 4), rows_bn=rows * (blocks not in (1, 2, 4)))
    elif isinstance(weights, DenseMatrix):
        pairs = (rows + 1) // 2
        f.update(rows=rows, macs=rows * cols, pairs=pairs, d_blocks8=pairs * (cols >> 3),
                 d_any8=pairs * int(cols >= 8), d_any1=pairs * int((cols & 3) > 0), d_has4=pairs * ((cols >> 2) & 1), d_single=pairs * (cols & 3))
    elif isinstance(weights, CSRMatrix):
        n, e, start = _row_structure(weights)
        peel = ((start & 1) == 1) & (e > 0)
        rest = e - peel
        f.update(rows=rows, rows_nz=int((e > 0).sum()), nnz=int(n.sum()), entries=int(e.sum()), escapes=int((e - n).sum()),
                 **_run_features(n), e_div4=int((e >> 2).sum()), e_rem4=int((e & 3).sum()),
                 r4_peel=int(peel.sum()), r4_words=int((rest >> 3).sum()), r4_bytes=int(((rest & 7) >> 1).sum()),
                 r4_last=int((rest & 1).sum()), p4_pairs=int((rest >> 1).sum()))
    else:
        raise CostModelError(f"unknown weight container {type(weights).__name__}")
    if kernel == "helium":
        f.update(_helium_features(weights, f))
    return {k: (v if k == "op" else v * batches) for k, v in f.items()}


def _helium_features(weights, f: dict) -> dict:
    """The helium kernel's vector loop counts; a vectorised abs layer zeroes the Cortex-M loop counts."""
    rows, cols = (int(d) for d in weights.shape)
    if isinstance(weights, DenseMatrix):
        return {"v16": rows * -(-cols // 16)}
    if weights.encoding not in ("abs_u8", "abs_u16"):
        return {}
    n = np.diff(weights.row_ptr.astype(np.int64))
    if int(n.sum()) < HELIUM_MIN_RUN * rows:
        return {"m_op": 0.0, "m_rows": 0, "m_rows_nz": 0, "m_steps": 0}
    lanes = 16 if weights.encoding == "abs_u8" else 8
    vector = {"m_op": 1.0, "m_rows": rows, "m_rows_nz": int((n > 0).sum()), "m_steps": int(((n + lanes - 1) // lanes).sum())}
    return {**{k: 0 for k in FEATURES[("cortex-m", weights.encoding)] if k != "op"}, **vector}


#: Cores QEMU 7.2 cannot emulate, priced with the coefficients of the fitted core of the same
#: architecture and pipeline class (an estimate: no QEMU count backs it).
PROXY_CORES = {"cortex-m0plus": "cortex-m0", "cortex-m23": "cortex-m0", "cortex-m35p": "cortex-m33"}


def predict_instructions(core: str, kernel: str, encoding: str, features: dict) -> float:
    """``sum(coefficient * feature)`` with the fitted table (raises when the table has no entry)."""
    core = PROXY_CORES.get(core, core)
    key = (core, kernel, encoding)
    coef = COEFFICIENTS.get(key)
    if coef is None:
        raise CostModelError(
            f"the cost model has no coefficients for core {core!r}, kernel {kernel!r}, encoding {encoding!r}; "
            "fit them on QEMU with benchmarks/costmodel_fit.py (it rewrites tfsparse/costmodel.py's table)")
    return float(sum(c * float(features.get(name, 0.0)) for name, c in coef.items()))


def _const_bytes(*arrays) -> int:
    # The generator emits at least one element per array (C forbids empty arrays).
    return int(sum(max(np.asarray(a).size, 1) * np.asarray(a).dtype.itemsize for a in arrays))


def _fc_cost(op, model, core, kernel, live_fraction) -> OpCost:
    w = op.weights
    rows, cols = (int(d) for d in w.shape)
    in_elems = int(np.prod(model.tensors[op.input].shape))
    batches = max(in_elems // cols, 1)
    mean = predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, batches, live_fraction))
    worst = predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, batches, None))
    if isinstance(w, DenseMatrix):
        flash = _const_bytes(w.weights)
    else:
        flash = _const_bytes(w.values, w.row_ptr, w.indices)
    flash += 3 * 4 * rows  # bias, multiplier, shift: int32 per row
    nnz = rows * cols if isinstance(w, DenseMatrix) else w.nnz
    return OpCost(instructions=mean, worst_case_instructions=max(mean, worst), flash_bytes=flash,
                  arena_bytes=op_scratch_bytes(op, model), macs=rows * cols * batches, nnz=int(nnz))


_EXP_BARREL_BITS = 7


def softmax_activity(op, x) -> np.ndarray:
    """Per sample: (fraction of entries within ``diff_min`` of the row maximum, fraction of the exp
    barrel's 7 multiply steps taken), the two data-dependent parts of the int8 SOFTMAX kernel.

    ``x`` is the op's int8 input with a leading batch axis. gemmlowp's ``exp_on_negative_values``
    multiplies by exp(-2^k) for each set bit k of the integer part of the rescaled difference.
    """
    z = np.asarray(x, np.int64).reshape(len(x), -1, np.asarray(x).shape[-1])
    diff = z - z.max(axis=-1, keepdims=True)
    valid = diff >= op.diff_min
    a = saturating_rounding_doubling_high_mul(np.where(valid, diff, 0) << op.input_left_shift, op.input_multiplier)
    quarter = 1 << (31 - 5 - 2)
    remainder = ((a & (quarter - 1)) - quarter) - a
    bits = (remainder >> 24) & ((1 << _EXP_BARREL_BITS) - 1)
    count = np.zeros_like(bits)
    for k in range(_EXP_BARREL_BITS):
        count += (bits >> k) & 1
    count = np.where(valid, count, 0)
    n = valid.shape[1] * valid.shape[2]
    return np.stack([valid.reshape(len(z), -1).mean(axis=1),
                     count.reshape(len(z), -1).sum(axis=1) / (n * _EXP_BARREL_BITS)], axis=1)


def _softmax_cost(op, model, core, kernel, live_fraction) -> OpCost:
    """``live_fraction`` for SOFTMAX: ``(live, exp_bits)`` fractions of :func:`softmax_activity`
    (means over samples); None assumes every entry live and half the exp steps taken."""
    elems = int(np.prod(model.tensors[op.input].shape))
    live, bits = (1.0, 0.5) if live_fraction is None else (float(v) for v in np.ravel(live_fraction)[:2])
    base = {"op": 1.0, "elems": elems}
    mean = predict_instructions(core, "any", "SOFTMAX", dict(base, live=live * elems,
                                                               exp_bits=bits * elems * _EXP_BARREL_BITS))
    worst = predict_instructions(core, "any", "SOFTMAX", dict(base, live=elems, exp_bits=elems * _EXP_BARREL_BITS))
    return OpCost(mean, max(mean, worst), 0, 0, 0, 0)


def _reshape_cost(op, model, core, kernel, live_fraction) -> OpCost:
    c = predict_instructions(core, "any", "RESHAPE", {"op": 1.0})
    return OpCost(c, c, 0, 0, 0, 0)


# CONV_2D (firmware/kernels/conv_2d.c and cortex_m/conv_2d.c), fitted by benchmarks/conv_cost_fit.py on
# cortex-m4, m7 and m33; other cores use cortex-m4's coefficients until fitted there.
# BEGIN CONV FITTED (benchmarks/conv_cost_fit.py; do not edit by hand)
CONV_COEFFICIENTS = {('cortex-m33', 'any', 'IM2COL'): {'pixels': 306.2619, 'taps': -0.1962},
 ('cortex-m33', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 5.0985,
                                               'macs': 1.065,
                                               'op': 9461.095,
                                               'outputs': 47.7413,
                                               'pixels': 128.0836},
 ('cortex-m4', 'any', 'IM2COL'): {'pixels': 301.4253, 'taps': 0.5426},
 ('cortex-m4', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 1.6915,
                                              'macs': 1.0837,
                                              'op': -427.8432,
                                              'outputs': 17.2911,
                                              'pixels': 314.8363},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_abs_u16'): {'blocks': 460.6164,
                                                        'gather_bytes_odd': 4.4755,
                                                        'gather_kx': 107.419,
                                                        'gather_rows': 0.0,
                                                        'nnz': 8.2604,
                                                        'op': 0.0,
                                                        'row_blocks': 79.2065,
                                                        'runs': 10.2444,
                                                        'taps': 8.8653},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_abs_u32'): {'blocks': 460.6164,
                                                        'gather_bytes_odd': 4.4755,
                                                        'gather_kx': 107.419,
                                                        'gather_rows': 0.0,
                                                        'nnz': 8.2604,
                                                        'op': 0.0,
                                                        'row_blocks': 79.2065,
                                                        'runs': 10.2444,
                                                        'taps': 8.8653},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_abs_u8'): {'blocks': 460.5507,
                                                       'gather_bytes_odd': 4.4779,
                                                       'gather_kx': 107.4083,
                                                       'gather_rows': 0.0,
                                                       'nnz': 8.2654,
                                                       'op': 0.0,
                                                       'row_blocks': 79.2211,
                                                       'runs': 10.2032,
                                                       'taps': 8.8676},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_blk8'): {'blocks': 490.6774,
                                                     'gather_bytes_odd': 5.2195,
                                                     'gather_kx': 104.7725,
                                                     'gather_rows': 0.0,
                                                     'nnz': 9.6995,
                                                     'op': 0.0,
                                                     'row_blocks': 95.7273,
                                                     'runs': 0.0,
                                                     'taps': 8.8198},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_rel4'): {'blocks': 626.3343,
                                                     'gather_bytes_odd': 5.9472,
                                                     'gather_kx': 100.8407,
                                                     'gather_rows': 0.0,
                                                     'nnz': 11.2267,
                                                     'op': 0.0,
                                                     'row_blocks': 72.4616,
                                                     'runs': 24.2037,
                                                     'taps': 7.9251},
 ('cortex-m4', 'cortex-m', 'CONV_2D_SPARSE4_rel8'): {'blocks': 508.301,
                                                     'gather_bytes_odd': 3.5313,
                                                     'gather_kx': 109.0964,
                                                     'gather_rows': 0.0,
                                                     'nnz': 13.12,
                                                     'op': 0.0,
                                                     'row_blocks': 66.4095,
                                                     'runs': 16.9422,
                                                     'taps': 8.5387},
 ('cortex-m7', 'any', 'IM2COL'): {'pixels': 295.4125, 'taps': -0.354},
 ('cortex-m7', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 5.3675,
                                              'macs': 1.0557,
                                              'op': 9864.4641,
                                              'outputs': 48.1445,
                                              'pixels': 128.7419}}
# END CONV FITTED
_CONV_FIT_CORE = "cortex-m4"
#: The row encodings the Cortex-M convolution runs four output pixels at a time.
CONV_SPARSE4_ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "blk8", "rel8", "rel4")


def conv_geometry(op, model) -> dict:
    """Loop counts of a CONV_2D: ``op``, ``macs``, ``outputs`` (output values), ``pixels`` (output
    pixels), ``im2col`` (taps gathered: taps x pixels, 0 for a pointwise convolution, which reads the
    input in place) and ``pointwise``."""
    _, oh, ow, cout = (int(d) for d in model.tensors[op.output].shape)
    _, ih, iw, _ = (int(d) for d in model.tensors[op.input].shape)
    taps = int(op.weights.shape[1])
    pixels = oh * ow
    pointwise = (op.filter_height == op.filter_width == 1 and op.stride_height == op.stride_width == 1
                 and op.padding_height == op.padding_width == 0 and (ih, iw) == (oh, ow))
    return {"op": 1.0, "macs": cout * taps * pixels, "outputs": cout * pixels, "pixels": pixels,
            "im2col": 0 if pointwise else taps * pixels, "pointwise": pointwise}


def conv_sparse4_features(op, model) -> dict:
    """Loop counts of the Cortex-M sparse convolution (firmware/kernels/cortex_m/conv_2d.c): output
    pixels in blocks of four, each block interleaving its columns (``taps``; when not pointwise the
    filter rows gathered whole ``gather_rows``, the tap columns gathered one by one ``gather_kx`` and
    the bytes of both that miss whole words ``gather_bytes_odd``) and walking every row once
    (``row_blocks``) and every entry once (``nnz``); ``runs`` counts the entry loops' extra work: Duff
    bodies of abs and blk8 runs (and blk8's (row, block) runs), rel8's tails outside whole index words
    and words slowed by an escape, rel4's chunks outside whole words (a row's first gap when it starts
    on a high nibble, its last partial word) and its escapes (each sends its word through the checked body)."""
    g = conv_geometry(op, model)
    w = op.weights
    blocks = -(-g["pixels"] // 4)
    rows, taps = (int(d) for d in w.shape)
    if w.encoding == "blk8":
        n = w.row_ptr.astype(np.int64)
        nnz, runs = int(n.sum()), int(((n + 7) >> 3).sum()) + int(n.size)
    else:
        n, e, start = _row_structure(w)
        nnz = int(n.sum())
        escapes = int((e - n).sum())
        if w.encoding in _ABS:
            runs = int(((n + 7) >> 3).sum())
        elif w.encoding == "rel8":
            runs = int((e & 3).sum()) + 4 * escapes
        else:  # rel4: chunks (a row's first gaps up to a word, its last partial word) and escapes
            peel = (((start & 1) == 1) & (e > 0)).astype(np.int64)
            rest = e - peel
            runs = int((peel > 0).sum()) + int(((rest & 7) != 0).sum()) + escapes
    rows_fast, kx_calls = (0, 0) if g["pointwise"] else _gather4_paths(op, model)
    cin = int(op.input_channels)
    return {"op": 1.0, "blocks": blocks, "taps": taps * blocks, "row_blocks": rows * blocks, "nnz": nnz * blocks,
            "runs": runs * blocks, "gather_rows": rows_fast, "gather_kx": kx_calls,
            "gather_bytes_odd": 4 * (rows_fast * ((op.filter_width * cin) & 3) + kx_calls * (cin & 3))}


def _gather4_paths(op, model):
    """(filter rows gathered whole, tap columns gathered one by one) over every block of four output
    pixels, as gather4 in cortex_m/conv_2d.c decides: a filter row goes whole when all four lanes lie
    inside the input (dilation 1) or its rows all fall into the padding, else tap column by column."""
    _, oh, ow, _ = (int(d) for d in model.tensors[op.output].shape)
    _, ih, iw, _ = (int(d) for d in model.tensors[op.input].shape)
    pixels = oh * ow
    pix = np.minimum(np.arange(0, pixels, 4)[:, None] + np.arange(4), pixels - 1)
    y0 = pix // ow * op.stride_height - op.padding_height
    x0 = pix % ow * op.stride_width - op.padding_width
    fw = int(op.filter_width)
    inside = ((op.dilation_width_factor == 1) & (x0 >= 0) & (x0 + fw <= iw)).all(axis=1)
    whole = 0
    for ky in range(int(op.filter_height)):
        y = y0 + ky * op.dilation_height_factor
        whole += int((inside | ((y < 0) | (y >= ih)).all(axis=1)).sum())
    return whole, (len(pix) * int(op.filter_height) - whole) * fw


def _conv_coefficients(core, kernel, what):
    coef = CONV_COEFFICIENTS.get((core, kernel, what)) or CONV_COEFFICIENTS.get((_CONV_FIT_CORE, kernel, what))
    if coef is None:
        raise CostModelError(f"the cost model has no CONV_2D coefficients ({what}) for {core!r}; fit them with "
                             "benchmarks/conv_cost_fit.py")
    return coef


def _conv_cost(op, model, core, kernel, live_fraction) -> OpCost:
    """CONV_2D: dense weights on the Cortex-M kernel run the DSP convolution (its own fit), sparse row
    forms the four-pixel sparse convolution (a fit per encoding); the portable kernel runs the
    fully-connected kernel on each output pixel's column, plus the im2col gather."""
    w = op.weights
    g = conv_geometry(op, model)
    rows = int(w.shape[0])
    if isinstance(w, DenseMatrix) and kernel == "cortex-m":
        coef = _conv_coefficients(core, kernel, "CONV_2D_DENSE")
        mean = worst = float(sum(c * float(g[n]) for n, c in coef.items()))
        flash = _const_bytes(w.weights)
    elif kernel in ("cortex-m", "helium") and w.encoding in CONV_SPARSE4_ENCODINGS:  # helium links cortex_m/conv_2d.c
        coef = _conv_coefficients(core, "cortex-m", f"CONV_2D_SPARSE4_{w.encoding}")
        f = conv_sparse4_features(op, model)
        mean = worst = float(sum(c * float(f[n]) for n, c in coef.items()))
        flash = _const_bytes(w.values, w.row_ptr, w.indices)
    else:
        if g["pointwise"]:
            mean = predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, g["pixels"], live_fraction))
            worst = predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, g["pixels"], None))
        else:
            im2col = _conv_coefficients(core, "any", "IM2COL")
            extra = im2col["pixels"] * g["pixels"] + im2col["taps"] * g["im2col"]
            mean = g["pixels"] * predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, 1, live_fraction)) + extra
            worst = g["pixels"] * predict_instructions(core, kernel, w.encoding, fc_features(w, kernel, 1, None)) + extra
        flash = _const_bytes(w.weights) if isinstance(w, DenseMatrix) else _const_bytes(w.values, w.row_ptr, w.indices)
    flash += 3 * 4 * rows  # bias, multiplier, shift
    nnz = int(np.prod(w.shape)) if isinstance(w, DenseMatrix) else w.nnz
    return OpCost(instructions=mean, worst_case_instructions=max(mean, worst), flash_bytes=flash,
                  arena_bytes=op_scratch_bytes(op, model), macs=int(g["macs"]), nnz=nnz)


#: op.kind -> cost function ``(op, model, core, kernel, live_fraction) -> OpCost``.
COST_FUNCTIONS = {"FULLY_CONNECTED": _fc_cost, "SOFTMAX": _softmax_cost, "RESHAPE": _reshape_cost,
                  "CONV_2D": _conv_cost}


def op_cost(op, model, target: Union[str, Target], *, kernel: Optional[str] = None,
            live_fraction=None) -> OpCost:
    """Predicted cost of ``op`` (a record of ``model``) on ``target``'s ``kernel``.

    Args:
        op: an IR op record (``FullyConnected``, ``Softmax``, ``Reshape``, ...).
        model: the :class:`~tfsparse.SparseModel` the op belongs to (tensor shapes).
        target: a :class:`~tfsparse.codegen.targets.Target` or its name; its ``cpu`` picks the
            coefficients.
        kernel: ``"portable"`` or ``"cortex-m"``; None = the target's default.
        live_fraction: fraction of the op's input values that differ from the input zero point
            (None = 1.0): a float, one float per input column, an ``(N, cols)`` array of live
            masks, or a dict (see :func:`input_activity`). Only kernels that skip zero inputs
            depend on it (SOFTMAX takes its own activity, see :func:`softmax_activity`);
            ``worst_case_instructions`` always assumes every input is live.

    Returns:
        An :class:`OpCost`.

    Raises:
        CostModelError: an op kind without a cost function, or no fitted coefficients for the
            (core, kernel, encoding) (the message says how to fit them).

    Example:
        >>> op_cost(sm.ops[0], sm, "cortex-m4").instructions    # doctest: +SKIP
        121733.0
    """
    tgt = get_target(target)
    fn = COST_FUNCTIONS.get(op.kind)
    if fn is None:
        raise CostModelError(f"op {op.name!r}: the cost model has no cost function for {op.kind}; "
                             f"it knows {', '.join(sorted(COST_FUNCTIONS))}")
    return fn(op, model, tgt.cpu, kernel or tgt.kernel_impl, live_fraction)
