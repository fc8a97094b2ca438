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
    ("cortex-m", "blk8"): ("op", "rows", "row_blocks", "runs_nz", "nnz", "g8"),
    # csc8 (activation skipping): expected counts over the inputs; "live_*" scale with the input density.
    ("portable", "csc8"): ("op", "rows", "cols", "col_blocks", "live_cols", "live_col_blocks", "live_runs_nz",
                           "live_nnz"),
    ("cortex-m", "csc8"): ("op", "rows", "quads", "zero_quads", "zero_quad_blocks", "col_calls", "col_call_blocks",
                           "live_col_blocks", "live_runs_nz", "live_nnz", "live_g8"),
    ("any", "SOFTMAX"): ("op", "elems", "live", "exp_bits"),
    ("any", "RESHAPE"): ("op",),
})

# BEGIN FITTED (benchmarks/costmodel_fit.py; do not edit by hand)
COEFFICIENTS = {('cortex-m0', 'any', 'RESHAPE'): {'op': 3.024},
 ('cortex-m0', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 131.9052, 'live': 0.0, 'op': 12842.0335},
 ('cortex-m0', 'portable', 'GRAPH'): {'graph': -8.0895, 'op': 2.3325},
 ('cortex-m0', 'portable', 'abs_u16'): {'nnz': 9.9771, 'op': 110.7138, 'rows': 146.727, 'rows_nz': 11.6612},
 ('cortex-m0', 'portable', 'abs_u32'): {'nnz': 8.9959, 'op': 105.1614, 'rows': 146.2616, 'rows_nz': 10.0466},
 ('cortex-m0', 'portable', 'abs_u8'): {'nnz': 8.9044, 'op': 111.2384, 'rows': 159.8788, 'rows_nz': 6.6627},
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
 ('cortex-m0', 'portable', 'dense'): {'macs': 7.0016, 'op': 92.5344, 'rows': 150.7383},
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
 ('cortex-m3', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 28.025, 'live': 0.0, 'op': 4200.2195},
 ('cortex-m3', 'cortex-m', 'GRAPH'): {'graph': 11.4178, 'op': 2.8257},
 ('cortex-m3', 'cortex-m', 'abs_u16'): {'n_bit1': 1.7821,
                                        'n_bit2': 1.7671,
                                        'n_bit4': 20.5841,
                                        'n_div8': 41.3816,
                                        'op': 85.835,
                                        'rows': 58.9159,
                                        'rows_nz': 9.5591},
 ('cortex-m3', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                        'n_bit2': 5.5897,
                                        'n_bit4': 20.5806,
                                        'n_div8': 41.8433,
                                        'op': 84.9663,
                                        'rows': 60.9196,
                                        'rows_nz': 5.7423},
 ('cortex-m3', 'cortex-m', 'abs_u8'): {'n_bit1': 4.488,
                                       'n_bit2': 9.1346,
                                       'n_bit4': 19.9614,
                                       'n_div8': 42.314,
                                       'op': 87.2486,
                                       'rows': 60.578,
                                       'rows_nz': 0.6497},
 ('cortex-m3', 'cortex-m', 'blk8'): {'n_bit1': 1.2086,
                                     'n_bit2': 7.653,
                                     'n_bit4': 19.8682,
                                     'n_div8': 42.3791,
                                     'op': 86.997,
                                     'row_blocks': 14.5765,
                                     'rows': 57.4739,
                                     'runs_nz': 2.4291},
 ('cortex-m3', 'cortex-m', 'csc8'): {'col_call_blocks': 8.6842,
                                     'col_calls': 25.2294,
                                     'live_col_blocks': 6.8082,
                                     'live_g4': 25.2251,
                                     'live_g4_any': 5.8716,
                                     'live_r': 6.7444,
                                     'live_r_any': 1.3072,
                                     'op': 142.7061,
                                     'quads': 0.0,
                                     'rows': 37.2097,
                                     'zero_quad_blocks': 6.9939,
                                     'zero_quads': 22.7194},
 ('cortex-m3', 'cortex-m', 'dense'): {'d_any1': 3.9751,
                                      'd_any8': 10.9889,
                                      'd_blocks8': 61.9991,
                                      'd_has4': 30.044,
                                      'd_single': 7.0129,
                                      'op': 89.9927,
                                      'pairs': 105.0108},
 ('cortex-m3', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.5632,
                                     'op': 82.1387,
                                     'r4_bytes': 10.8947,
                                     'r4_last': 3.2721,
                                     'r4_peel': 13.1103,
                                     'r4_words': 40.1558,
                                     'rows': 67.5868,
                                     'rows_nz': 5.537},
 ('cortex-m3', 'cortex-m', 'rel8'): {'e_div4': 36.4253,
                                     'e_rem4': 9.6346,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 85.0897,
                                     'rows': 58.597,
                                     'rows_nz': 0.0},
 ('cortex-m3', 'portable', 'GRAPH'): {'graph': 5.8914, 'op': 3.0099},
 ('cortex-m3', 'portable', 'abs_u16'): {'nnz': 5.9902, 'op': 62.2092, 'rows': 61.5087, 'rows_nz': 10.6038},
 ('cortex-m3', 'portable', 'abs_u32'): {'nnz': 6.0001, 'op': 63.6046, 'rows': 61.6384, 'rows_nz': 10.1138},
 ('cortex-m3', 'portable', 'abs_u8'): {'nnz': 5.9943, 'op': 62.1538, 'rows': 62.9455, 'rows_nz': 6.9922},
 ('cortex-m3', 'portable', 'blk8'): {'nnz': 5.9866,
                                     'op': 61.349,
                                     'row_blocks': 6.3034,
                                     'rows': 70.3842,
                                     'runs_nz': 5.3938},
 ('cortex-m3', 'portable', 'csc8'): {'col_blocks': 2.8221,
                                     'cols': 21.6665,
                                     'live_col_blocks': 4.5748,
                                     'live_cols': 2.2775,
                                     'live_nnz': 7.9853,
                                     'live_runs_nz': 8.0498,
                                     'op': 79.065,
                                     'rows': 61.9013},
 ('cortex-m3', 'portable', 'dense'): {'macs': 5.0007, 'op': 48.7522, 'rows': 65.689},
 ('cortex-m3', 'portable', 'rel4'): {'escapes': 4.4247,
                                     'nnz': 9.3255,
                                     'op': 61.1192,
                                     'p4_pairs': 2.3475,
                                     'r4_last': 4.7638,
                                     'r4_peel': 0.0,
                                     'rows': 79.3909,
                                     'rows_nz': 2.4717},
 ('cortex-m3', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0117,
                                     'op': 67.0834,
                                     'rows': 64.9261,
                                     'rows_nz': 2.4737},
 ('cortex-m33', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m33', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 27.9724, 'live': 0.0, 'op': 4203.3516},
 ('cortex-m33', 'cortex-m', 'GRAPH'): {'graph': -41.3289, 'op': 3.3026},
 ('cortex-m33', 'cortex-m', 'abs_u16'): {'n_bit1': 1.674,
                                         'n_bit2': 2.89,
                                         'n_bit4': 17.6984,
                                         'n_div8': 34.4056,
                                         'op': 80.8283,
                                         'rows': 41.0552,
                                         'rows_nz': 9.2446},
 ('cortex-m33', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                         'n_bit2': 7.5725,
                                         'n_bit4': 17.3192,
                                         'n_div8': 34.9785,
                                         'op': 79.8799,
                                         'rows': 42.8729,
                                         'rows_nz': 4.0096},
 ('cortex-m33', 'cortex-m', 'abs_u8'): {'n_bit1': 4.4142,
                                        'n_bit2': 10.2637,
                                        'n_bit4': 16.8488,
                                        'n_div8': 35.3569,
                                        'op': 82.0139,
                                        'rows': 42.6398,
                                        'rows_nz': 0.5478},
 ('cortex-m33', 'cortex-m', 'blk8'): {'n_bit1': 0.3861,
                                      'n_bit2': 8.3207,
                                      'n_bit4': 17.1029,
                                      'n_div8': 35.8394,
                                      'op': 80.9008,
                                      'row_blocks': 13.7131,
                                      'rows': 46.34,
                                      'runs_nz': 3.1609},
 ('cortex-m33', 'cortex-m', 'csc8'): {'col_call_blocks': 8.6937,
                                      'col_calls': 28.8027,
                                      'live_col_blocks': 7.2808,
                                      'live_g4': 25.3295,
                                      'live_g4_any': 6.9679,
                                      'live_r': 8.565,
                                      'live_r_any': 3.0176,
                                      'op': 114.9903,
                                      'quads': 2.8945,
                                      'rows': 20.2257,
                                      'zero_quad_blocks': 0.0,
                                      'zero_quads': 28.6548},
 ('cortex-m33', 'cortex-m', 'dense'): {'d_any1': 2.0143,
                                       'd_any8': 10.0041,
                                       'd_blocks8': 30.9998,
                                       'd_has4': 13.0089,
                                       'd_single': 7.9933,
                                       'op': 87.0081,
                                       'pairs': 69.992},
 ('cortex-m33', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.5671,
                                      'op': 80.0368,
                                      'r4_bytes': 11.8808,
                                      'r4_last': 4.1545,
                                      'r4_peel': 11.2816,
                                      'r4_words': 40.1751,
                                      'rows': 51.6918,
                                      'rows_nz': 5.7074},
 ('cortex-m33', 'cortex-m', 'rel8'): {'e_div4': 36.7097,
                                      'e_rem4': 10.0629,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 79.9581,
                                      'rows': 40.4881,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'portable', 'GRAPH'): {'graph': -15.4474, 'op': 3.1316},
 ('cortex-m33', 'portable', 'abs_u16'): {'nnz': 5.9964, 'op': 58.4303, 'rows': 61.3885, 'rows_nz': 11.0476},
 ('cortex-m33', 'portable', 'abs_u32'): {'nnz': 6.0036, 'op': 67.468, 'rows': 61.4126, 'rows_nz': 10.2387},
 ('cortex-m33', 'portable', 'abs_u8'): {'nnz': 5.9885, 'op': 67.9949, 'rows': 62.9235, 'rows_nz': 6.838},
 ('cortex-m33', 'portable', 'blk8'): {'nnz': 5.9681,
                                      'op': 60.5159,
                                      'row_blocks': 6.5271,
                                      'rows': 73.3047,
                                      'runs_nz': 6.4104},
 ('cortex-m33', 'portable', 'csc8'): {'col_blocks': 3.6974,
                                      'cols': 21.8167,
                                      'live_col_blocks': 2.7637,
                                      'live_cols': 0.0,
                                      'live_nnz': 7.9831,
                                      'live_runs_nz': 8.071,
                                      'op': 84.2802,
                                      'rows': 61.9144},
 ('cortex-m33', 'portable', 'dense'): {'macs': 4.999, 'op': 51.8304, 'rows': 65.6208},
 ('cortex-m33', 'portable', 'rel4'): {'escapes': 0.7625,
                                      'nnz': 5.6416,
                                      'op': 61.6479,
                                      'p4_pairs': 9.7389,
                                      'r4_last': 15.207,
                                      'r4_peel': 0.0,
                                      'rows': 80.0395,
                                      'rows_nz': 0.4186},
 ('cortex-m33', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0295,
                                      'op': 66.8592,
                                      'rows': 68.4746,
                                      'rows_nz': 0.3001},
 ('cortex-m4', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m4', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 27.9463, 'live': 0.0, 'op': 4174.3119},
 ('cortex-m4', 'cortex-m', 'GRAPH'): {'graph': -27.4013, 'op': 2.3092},
 ('cortex-m4', 'cortex-m', 'abs_u16'): {'n_bit1': 2.6662,
                                        'n_bit2': 1.8346,
                                        'n_bit4': 22.5823,
                                        'n_div8': 34.5506,
                                        'op': 83.9433,
                                        'rows': 42.2342,
                                        'rows_nz': 13.1926},
 ('cortex-m4', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                        'n_bit2': 8.5603,
                                        'n_bit4': 19.8399,
                                        'n_div8': 35.3336,
                                        'op': 81.2319,
                                        'rows': 47.772,
                                        'rows_nz': 6.0794},
 ('cortex-m4', 'cortex-m', 'abs_u8'): {'n_bit1': 6.4692,
                                       'n_bit2': 12.2918,
                                       'n_bit4': 21.3488,
                                       'n_div8': 35.7984,
                                       'op': 85.7192,
                                       'rows': 44.5195,
                                       'rows_nz': 0.7851},
 ('cortex-m4', 'cortex-m', 'blk8'): {'n_bit1': 0.7321,
                                     'n_bit2': 8.5882,
                                     'n_bit4': 17.1144,
                                     'n_div8': 35.8181,
                                     'op': 80.8969,
                                     'row_blocks': 13.7326,
                                     'rows': 41.3212,
                                     'runs_nz': 2.8106},
 ('cortex-m4', 'cortex-m', 'csc8'): {'col_call_blocks': 8.3942,
                                     'col_calls': 29.7894,
                                     'live_col_blocks': 7.3798,
                                     'live_g4': 25.314,
                                     'live_g4_any': 7.3437,
                                     'live_r': 8.0746,
                                     'live_r_any': 3.7905,
                                     'op': 119.1791,
                                     'quads': 0.0,
                                     'rows': 20.1444,
                                     'zero_quad_blocks': 0.0,
                                     'zero_quads': 28.3316},
 ('cortex-m4', 'cortex-m', 'dense'): {'d_any1': 2.0,
                                      'd_any8': 10.0,
                                      'd_blocks8': 31.0,
                                      'd_has4': 13.0,
                                      'd_single': 8.0,
                                      'op': 87.0,
                                      'pairs': 70.0},
 ('cortex-m4', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.6876,
                                     'op': 81.8114,
                                     'r4_bytes': 14.7568,
                                     'r4_last': 3.241,
                                     'r4_peel': 12.135,
                                     'r4_words': 39.2761,
                                     'rows': 51.7393,
                                     'rows_nz': 5.6011},
 ('cortex-m4', 'cortex-m', 'rel8'): {'e_div4': 44.5043,
                                     'e_rem4': 13.5084,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 81.2046,
                                     'rows': 40.637,
                                     'rows_nz': 0.0},
 ('cortex-m4', 'portable', 'GRAPH'): {'graph': -2.7007, 'op': 2.1546},
 ('cortex-m4', 'portable', 'abs_u16'): {'nnz': 5.9944, 'op': 65.8438, 'rows': 62.6339, 'rows_nz': 9.2621},
 ('cortex-m4', 'portable', 'abs_u32'): {'nnz': 6.0007, 'op': 66.3618, 'rows': 62.648, 'rows_nz': 9.0976},
 ('cortex-m4', 'portable', 'abs_u8'): {'nnz': 5.991, 'op': 67.1142, 'rows': 62.9303, 'rows_nz': 6.9279},
 ('cortex-m4', 'portable', 'blk8'): {'nnz': 5.9792,
                                     'op': 63.2707,
                                     'row_blocks': 6.0937,
                                     'rows': 74.054,
                                     'runs_nz': 5.6746},
 ('cortex-m4', 'portable', 'csc8'): {'col_blocks': 3.4868,
                                     'cols': 21.8289,
                                     'live_col_blocks': 3.2265,
                                     'live_cols': 0.0,
                                     'live_nnz': 7.9826,
                                     'live_runs_nz': 8.0743,
                                     'op': 84.4258,
                                     'rows': 61.896},
 ('cortex-m4', 'portable', 'dense'): {'macs': 5.0027, 'op': 47.7882, 'rows': 65.7033},
 ('cortex-m4', 'portable', 'rel4'): {'escapes': 5.5946,
                                     'nnz': 10.4961,
                                     'op': 63.6948,
                                     'p4_pairs': 0.0,
                                     'r4_last': 1.6724,
                                     'r4_peel': 1.9348,
                                     'rows': 79.9017,
                                     'rows_nz': 1.9081},
 ('cortex-m4', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0239,
                                     'op': 68.9417,
                                     'rows': 68.6558,
                                     'rows_nz': 0.0655},
 ('cortex-m55', 'any', 'RESHAPE'): {'op': 2.976},
 ('cortex-m55', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 20.8266, 'live': 0.0, 'op': 4635.2273},
 ('cortex-m55', 'cortex-m', 'GRAPH'): {'graph': 3.6871, 'op': 2.9477},
 ('cortex-m55', 'cortex-m', 'abs_u16'): {'n_bit1': 3.0154,
                                         'n_bit2': 8.0956,
                                         'n_bit4': 15.9915,
                                         'n_div8': 38.7532,
                                         'op': 79.8184,
                                         'rows': 46.0398,
                                         'rows_nz': 1.3249},
 ('cortex-m55', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                         'n_bit2': 16.8235,
                                         'n_bit4': 22.5979,
                                         'n_div8': 34.1748,
                                         'op': 83.5132,
                                         'rows': 50.546,
                                         'rows_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'abs_u8'): {'n_bit1': 14.5978,
                                        'n_bit2': 13.6839,
                                        'n_bit4': 23.5802,
                                        'n_div8': 34.1324,
                                        'op': 85.0786,
                                        'rows': 40.9451,
                                        'rows_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'blk8'): {'n_bit1': 4.9012,
                                      'n_bit2': 7.3674,
                                      'n_bit4': 25.2954,
                                      'n_div8': 34.7832,
                                      'op': 79.3062,
                                      'row_blocks': 0.0,
                                      'rows': 58.7149,
                                      'runs_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'csc8'): {'col_call_blocks': 45.1151,
                                      'col_calls': 0.0,
                                      'live_col_blocks': 0.0,
                                      'live_g4': 24.2327,
                                      'live_g4_any': 11.4352,
                                      'live_r': 8.077,
                                      'live_r_any': 0.0,
                                      'op': 124.7681,
                                      'quads': 0.0,
                                      'rows': 21.0714,
                                      'zero_quad_blocks': 4.2637,
                                      'zero_quads': 0.0},
 ('cortex-m55', 'cortex-m', 'dense'): {'d_any1': 12.9026,
                                       'd_any8': 14.0429,
                                       'd_blocks8': 29.9985,
                                       'd_has4': 19.1685,
                                       'd_single': 0.0,
                                       'op': 86.878,
                                       'pairs': 71.9184},
 ('cortex-m55', 'cortex-m', 'rel4'): {'escapes': 6.2776,
                                      'nnz': 0.0,
                                      'op': 78.7014,
                                      'r4_bytes': 25.8405,
                                      'r4_last': 0.0,
                                      'r4_peel': 7.2146,
                                      'r4_words': 68.5204,
                                      'rows': 57.7135,
                                      'rows_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'rel8'): {'e_div4': 37.7177,
                                      'e_rem4': 15.8349,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 64.343,
                                      'rows': 35.9152,
                                      'rows_nz': 0.0},
 ('cortex-m55', 'portable', 'GRAPH'): {'graph': 3.0372, 'op': 3.0321},
 ('cortex-m55', 'portable', 'abs_u16'): {'nnz': 4.9727, 'op': 64.386, 'rows': 62.0298, 'rows_nz': 11.0454},
 ('cortex-m55', 'portable', 'abs_u32'): {'nnz': 4.9907, 'op': 62.4798, 'rows': 61.8005, 'rows_nz': 11.1833},
 ('cortex-m55', 'portable', 'abs_u8'): {'nnz': 4.9997, 'op': 65.505, 'rows': 61.3483, 'rows_nz': 9.4732},
 ('cortex-m55', 'portable', 'blk8'): {'nnz': 5.0124,
                                      'op': 60.4359,
                                      'row_blocks': 0.0,
                                      'rows': 79.3965,
                                      'runs_nz': 4.8195},
 ('cortex-m55', 'portable', 'csc8'): {'col_blocks': 0.0,
                                      'cols': 29.4121,
                                      'live_col_blocks': 4.7102,
                                      'live_cols': 0.0,
                                      'live_nnz': 7.0022,
                                      'live_runs_nz': 3.4475,
                                      'op': 87.3515,
                                      'rows': 61.5114},
 ('cortex-m55', 'portable', 'dense'): {'macs': 3.9952, 'op': 58.981, 'rows': 65.1221},
 ('cortex-m55', 'portable', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.1748,
                                      'op': 69.8281,
                                      'p4_pairs': 14.6859,
                                      'r4_last': 5.2125,
                                      'r4_peel': 16.9103,
                                      'rows': 78.8904,
                                      'rows_nz': 0.856},
 ('cortex-m55', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0423,
                                      'op': 67.389,
                                      'rows': 71.5982,
                                      'rows_nz': 0.0},
 ('cortex-m7', 'any', 'RESHAPE'): {'op': 5.0},
 ('cortex-m7', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 28.0189, 'live': 0.0, 'op': 4158.398},
 ('cortex-m7', 'cortex-m', 'GRAPH'): {'graph': 11.8125, 'op': 4.0625},
 ('cortex-m7', 'cortex-m', 'abs_u16'): {'n_bit1': 1.5305,
                                        'n_bit2': 2.6422,
                                        'n_bit4': 17.7731,
                                        'n_div8': 34.3919,
                                        'op': 80.6349,
                                        'rows': 43.0733,
                                        'rows_nz': 9.3618},
 ('cortex-m7', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                        'n_bit2': 7.6735,
                                        'n_bit4': 17.2112,
                                        'n_div8': 34.9786,
                                        'op': 77.5821,
                                        'rows': 42.8448,
                                        'rows_nz': 4.064},
 ('cortex-m7', 'cortex-m', 'abs_u8'): {'n_bit1': 4.345,
                                       'n_bit2': 10.2118,
                                       'n_bit4': 16.8437,
                                       'n_div8': 35.3391,
                                       'op': 81.0181,
                                       'rows': 44.6254,
                                       'rows_nz': 0.6524},
 ('cortex-m7', 'cortex-m', 'blk8'): {'n_bit1': 1.4563,
                                     'n_bit2': 8.9748,
                                     'n_bit4': 16.7808,
                                     'n_div8': 35.3547,
                                     'op': 80.6449,
                                     'row_blocks': 13.4413,
                                     'rows': 44.5857,
                                     'runs_nz': 2.2127},
 ('cortex-m7', 'cortex-m', 'csc8'): {'col_call_blocks': 8.4949,
                                     'col_calls': 29.7988,
                                     'live_col_blocks': 7.1695,
                                     'live_g4': 25.2944,
                                     'live_g4_any': 7.5927,
                                     'live_r': 7.8566,
                                     'live_r_any': 4.0473,
                                     'op': 115.9311,
                                     'quads': 0.0,
                                     'rows': 20.1494,
                                     'zero_quad_blocks': 0.0,
                                     'zero_quads': 28.0},
 ('cortex-m7', 'cortex-m', 'dense'): {'d_any1': 1.3431,
                                      'd_any8': 8.0526,
                                      'd_blocks8': 31.0053,
                                      'd_has4': 13.0856,
                                      'd_single': 7.9241,
                                      'op': 86.0645,
                                      'pairs': 74.7341},
 ('cortex-m7', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.778,
                                     'op': 79.8228,
                                     'r4_bytes': 15.7939,
                                     'r4_last': 3.1604,
                                     'r4_peel': 8.8618,
                                     'r4_words': 38.5088,
                                     'rows': 52.4116,
                                     'rows_nz': 6.3923},
 ('cortex-m7', 'cortex-m', 'rel8'): {'e_div4': 44.5089,
                                     'e_rem4': 13.5247,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 79.0698,
                                     'rows': 40.6129,
                                     'rows_nz': 0.0},
 ('cortex-m7', 'portable', 'GRAPH'): {'graph': -5.4342, 'op': 4.0395},
 ('cortex-m7', 'portable', 'abs_u16'): {'nnz': 5.9961, 'op': 62.2406, 'rows': 63.6866, 'rows_nz': 9.1128},
 ('cortex-m7', 'portable', 'abs_u32'): {'nnz': 6.0004, 'op': 63.1091, 'rows': 63.5911, 'rows_nz': 9.1606},
 ('cortex-m7', 'portable', 'abs_u8'): {'nnz': 5.9861, 'op': 61.5798, 'rows': 63.9079, 'rows_nz': 7.07},
 ('cortex-m7', 'portable', 'blk8'): {'nnz': 5.9861,
                                     'op': 62.6647,
                                     'row_blocks': 6.0242,
                                     'rows': 73.2127,
                                     'runs_nz': 5.4455},
 ('cortex-m7', 'portable', 'csc8'): {'col_blocks': 2.9827,
                                     'cols': 22.4453,
                                     'live_col_blocks': 5.1836,
                                     'live_cols': 2.7891,
                                     'live_nnz': 7.9871,
                                     'live_runs_nz': 7.0632,
                                     'op': 81.3474,
                                     'rows': 62.9079},
 ('cortex-m7', 'portable', 'dense'): {'macs': 5.0025, 'op': 46.2552, 'rows': 63.7318},
 ('cortex-m7', 'portable', 'rel4'): {'escapes': 5.6411,
                                     'nnz': 10.5012,
                                     'op': 60.5523,
                                     'p4_pairs': 0.0,
                                     'r4_last': 3.1674,
                                     'r4_peel': 0.8104,
                                     'rows': 80.0543,
                                     'rows_nz': 1.3731},
 ('cortex-m7', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0273,
                                     'op': 65.3327,
                                     'rows': 66.7513,
                                     'rows_nz': 1.8858}}
FIT_INFO = {'cortex-m0/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 2},
 'cortex-m0/any/SOFTMAX': {'max_abs_error': 55.2,
                           'max_rel_error': 0.0034,
                           'mean_instructions': 16535.4,
                           'samples': 500},
 'cortex-m0/portable/abs_u16': {'max_abs_error': 6.8,
                                'max_rel_error': 0.0005,
                                'mean_instructions': 6658.3,
                                'samples': 6},
 'cortex-m0/portable/abs_u32': {'max_abs_error': 10.4,
                                'max_rel_error': 0.0016,
                                'mean_instructions': 3690.5,
                                'samples': 6},
 'cortex-m0/portable/abs_u8': {'max_abs_error': 21.6,
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
 'cortex-m0/portable/dense': {'max_abs_error': 69.4,
                              'max_rel_error': 0.0036,
                              'mean_instructions': 53628.6,
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
                           'samples': 4},
 'cortex-m3/any/SOFTMAX': {'max_abs_error': 54.8,
                           'max_rel_error': 0.0103,
                           'mean_instructions': 5097.2,
                           'samples': 320},
 'cortex-m3/cortex-m/abs_u16': {'max_abs_error': 511.1,
                                'max_rel_error': 0.0129,
                                'mean_instructions': 22740.5,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u32': {'max_abs_error': 568.9,
                                'max_rel_error': 0.0125,
                                'mean_instructions': 15643.2,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u8': {'max_abs_error': 1052.8,
                               'max_rel_error': 0.0208,
                               'mean_instructions': 18049.4,
                               'samples': 21},
 'cortex-m3/cortex-m/blk8': {'max_abs_error': 319.4,
                             'max_rel_error': 0.0077,
                             'mean_instructions': 13982.4,
                             'samples': 21},
 'cortex-m3/cortex-m/csc8': {'max_abs_error': 52.0,
                             'max_rel_error': 0.0084,
                             'mean_instructions': 11344.1,
                             'samples': 21},
 'cortex-m3/cortex-m/dense': {'max_abs_error': 13.0,
                              'max_rel_error': 0.0002,
                              'mean_instructions': 93998.7,
                              'samples': 23},
 'cortex-m3/cortex-m/rel4': {'max_abs_error': 1440.3,
                             'max_rel_error': 0.017,
                             'mean_instructions': 28762.8,
                             'samples': 21},
 'cortex-m3/cortex-m/rel8': {'max_abs_error': 701.1,
                             'max_rel_error': 0.0104,
                             'mean_instructions': 16605.0,
                             'samples': 21},
 'cortex-m3/portable/abs_u16': {'max_abs_error': 136.8,
                                'max_rel_error': 0.0083,
                                'mean_instructions': 26037.5,
                                'samples': 21},
 'cortex-m3/portable/abs_u32': {'max_abs_error': 52.4,
                                'max_rel_error': 0.0079,
                                'mean_instructions': 17782.9,
                                'samples': 21},
 'cortex-m3/portable/abs_u8': {'max_abs_error': 51.1,
                               'max_rel_error': 0.0049,
                               'mean_instructions': 20492.7,
                               'samples': 21},
 'cortex-m3/portable/blk8': {'max_abs_error': 127.5,
                             'max_rel_error': 0.0039,
                             'mean_instructions': 15608.2,
                             'samples': 21},
 'cortex-m3/portable/csc8': {'max_abs_error': 35.6,
                             'max_rel_error': 0.0024,
                             'mean_instructions': 13786.2,
                             'samples': 21},
 'cortex-m3/portable/dense': {'max_abs_error': 165.6,
                              'max_rel_error': 0.0051,
                              'mean_instructions': 120081.4,
                              'samples': 23},
 'cortex-m3/portable/rel4': {'max_abs_error': 25.7,
                             'max_rel_error': 0.0043,
                             'mean_instructions': 34685.3,
                             'samples': 21},
 'cortex-m3/portable/rel8': {'max_abs_error': 102.8,
                             'max_rel_error': 0.0078,
                             'mean_instructions': 19458.7,
                             'samples': 21},
 'cortex-m33/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 4},
 'cortex-m33/any/SOFTMAX': {'max_abs_error': 41.4,
                            'max_rel_error': 0.0083,
                            'mean_instructions': 5098.6,
                            'samples': 400},
 'cortex-m33/cortex-m/abs_u16': {'max_abs_error': 556.0,
                                 'max_rel_error': 0.0156,
                                 'mean_instructions': 18193.9,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u32': {'max_abs_error': 711.4,
                                 'max_rel_error': 0.0183,
                                 'mean_instructions': 12373.8,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u8': {'max_abs_error': 1096.6,
                                'max_rel_error': 0.0263,
                                'mean_instructions': 14325.6,
                                'samples': 21},
 'cortex-m33/cortex-m/blk8': {'max_abs_error': 429.4,
                              'max_rel_error': 0.0115,
                              'mean_instructions': 11849.0,
                              'samples': 21},
 'cortex-m33/cortex-m/csc8': {'max_abs_error': 48.7,
                              'max_rel_error': 0.0055,
                              'mean_instructions': 10164.9,
                              'samples': 21},
 'cortex-m33/cortex-m/dense': {'max_abs_error': 4.1,
                               'max_rel_error': 0.0001,
                               'mean_instructions': 48237.6,
                               'samples': 23},
 'cortex-m33/cortex-m/rel4': {'max_abs_error': 1721.7,
                              'max_rel_error': 0.0215,
                              'mean_instructions': 28074.5,
                              'samples': 21},
 'cortex-m33/cortex-m/rel8': {'max_abs_error': 1225.4,
                              'max_rel_error': 0.0173,
                              'mean_instructions': 14568.1,
                              'samples': 21},
 'cortex-m33/portable/abs_u16': {'max_abs_error': 184.5,
                                 'max_rel_error': 0.0064,
                                 'mean_instructions': 26038.8,
                                 'samples': 21},
 'cortex-m33/portable/abs_u32': {'max_abs_error': 75.0,
                                 'max_rel_error': 0.0156,
                                 'mean_instructions': 17783.1,
                                 'samples': 21},
 'cortex-m33/portable/abs_u8': {'max_abs_error': 134.9,
                                'max_rel_error': 0.0075,
                                'mean_instructions': 20494.1,
                                'samples': 21},
 'cortex-m33/portable/blk8': {'max_abs_error': 302.4,
                              'max_rel_error': 0.0204,
                              'mean_instructions': 16063.0,
                              'samples': 21},
 'cortex-m33/portable/csc8': {'max_abs_error': 34.8,
                              'max_rel_error': 0.0032,
                              'mean_instructions': 13696.5,
                              'samples': 21},
 'cortex-m33/portable/dense': {'max_abs_error': 184.7,
                               'max_rel_error': 0.0057,
                               'mean_instructions': 120080.9,
                               'samples': 23},
 'cortex-m33/portable/rel4': {'max_abs_error': 425.5,
                              'max_rel_error': 0.0231,
                              'mean_instructions': 34711.9,
                              'samples': 21},
 'cortex-m33/portable/rel8': {'max_abs_error': 278.6,
                              'max_rel_error': 0.0137,
                              'mean_instructions': 19724.7,
                              'samples': 21},
 'cortex-m4/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 4},
 'cortex-m4/any/SOFTMAX': {'max_abs_error': 43.7,
                           'max_rel_error': 0.0083,
                           'mean_instructions': 5068.9,
                           'samples': 320},
 'cortex-m4/cortex-m/abs_u16': {'max_abs_error': 736.5,
                                'max_rel_error': 0.0214,
                                'mean_instructions': 18784.8,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u32': {'max_abs_error': 935.7,
                                'max_rel_error': 0.0242,
                                'mean_instructions': 13154.5,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u8': {'max_abs_error': 1436.6,
                               'max_rel_error': 0.0341,
                               'mean_instructions': 14997.3,
                               'samples': 21},
 'cortex-m4/cortex-m/blk8': {'max_abs_error': 392.3,
                             'max_rel_error': 0.0112,
                             'mean_instructions': 11212.1,
                             'samples': 21},
 'cortex-m4/cortex-m/csc8': {'max_abs_error': 52.7,
                             'max_rel_error': 0.0073,
                             'mean_instructions': 10154.1,
                             'samples': 21},
 'cortex-m4/cortex-m/dense': {'max_abs_error': 0.0,
                              'max_rel_error': 0.0,
                              'mean_instructions': 48237.6,
                              'samples': 23},
 'cortex-m4/cortex-m/rel4': {'max_abs_error': 1826.5,
                             'max_rel_error': 0.0226,
                             'mean_instructions': 28262.6,
                             'samples': 21},
 'cortex-m4/cortex-m/rel8': {'max_abs_error': 886.6,
                             'max_rel_error': 0.01,
                             'mean_instructions': 16792.8,
                             'samples': 21},
 'cortex-m4/portable/abs_u16': {'max_abs_error': 80.2,
                                'max_rel_error': 0.0063,
                                'mean_instructions': 26080.8,
                                'samples': 21},
 'cortex-m4/portable/abs_u32': {'max_abs_error': 52.9,
                                'max_rel_error': 0.0121,
                                'mean_instructions': 17810.2,
                                'samples': 21},
 'cortex-m4/portable/abs_u8': {'max_abs_error': 74.3,
                               'max_rel_error': 0.0047,
                               'mean_instructions': 20495.8,
                               'samples': 21},
 'cortex-m4/portable/blk8': {'max_abs_error': 112.9,
                             'max_rel_error': 0.0074,
                             'mean_instructions': 16064.1,
                             'samples': 21},
 'cortex-m4/portable/csc8': {'max_abs_error': 33.5,
                             'max_rel_error': 0.0026,
                             'mean_instructions': 13696.2,
                             'samples': 21},
 'cortex-m4/portable/dense': {'max_abs_error': 569.3,
                              'max_rel_error': 0.0051,
                              'mean_instructions': 120082.3,
                              'samples': 23},
 'cortex-m4/portable/rel4': {'max_abs_error': 115.0,
                             'max_rel_error': 0.0055,
                             'mean_instructions': 34711.5,
                             'samples': 21},
 'cortex-m4/portable/rel8': {'max_abs_error': 213.1,
                             'max_rel_error': 0.0117,
                             'mean_instructions': 19726.7,
                             'samples': 21},
 'cortex-m55/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 4},
 'cortex-m55/any/SOFTMAX': {'max_abs_error': 30.4,
                            'max_rel_error': 0.0059,
                            'mean_instructions': 5239.2,
                            'samples': 1000},
 'cortex-m55/cortex-m/abs_u16': {'max_abs_error': 35.5,
                                 'max_rel_error': 0.0038,
                                 'mean_instructions': 3727.5,
                                 'samples': 9},
 'cortex-m55/cortex-m/abs_u32': {'max_abs_error': 241.5,
                                 'max_rel_error': 0.0235,
                                 'mean_instructions': 7691.2,
                                 'samples': 9},
 'cortex-m55/cortex-m/abs_u8': {'max_abs_error': 125.5,
                                'max_rel_error': 0.0209,
                                'mean_instructions': 5428.3,
                                'samples': 9},
 'cortex-m55/cortex-m/blk8': {'max_abs_error': 193.1,
                              'max_rel_error': 0.0185,
                              'mean_instructions': 4308.4,
                              'samples': 9},
 'cortex-m55/cortex-m/csc8': {'max_abs_error': 71.6,
                              'max_rel_error': 0.005,
                              'mean_instructions': 5397.2,
                              'samples': 9},
 'cortex-m55/cortex-m/dense': {'max_abs_error': 9.4,
                               'max_rel_error': 0.0002,
                               'mean_instructions': 21858.1,
                               'samples': 11},
 'cortex-m55/cortex-m/rel4': {'max_abs_error': 31.4,
                              'max_rel_error': 0.0127,
                              'mean_instructions': 6102.9,
                              'samples': 9},
 'cortex-m55/cortex-m/rel8': {'max_abs_error': 370.8,
                              'max_rel_error': 0.0202,
                              'mean_instructions': 5799.1,
                              'samples': 9},
 'cortex-m55/portable/abs_u16': {'max_abs_error': 25.3,
                                 'max_rel_error': 0.0039,
                                 'mean_instructions': 4894.5,
                                 'samples': 9},
 'cortex-m55/portable/abs_u32': {'max_abs_error': 26.2,
                                 'max_rel_error': 0.0023,
                                 'mean_instructions': 9461.5,
                                 'samples': 9},
 'cortex-m55/portable/abs_u8': {'max_abs_error': 10.5,
                                'max_rel_error': 0.0012,
                                'mean_instructions': 6718.2,
                                'samples': 9},
 'cortex-m55/portable/blk8': {'max_abs_error': 21.9,
                              'max_rel_error': 0.0063,
                              'mean_instructions': 5459.3,
                              'samples': 9},
 'cortex-m55/portable/csc8': {'max_abs_error': 9.1,
                              'max_rel_error': 0.0019,
                              'mean_instructions': 7375.3,
                              'samples': 9},
 'cortex-m55/portable/dense': {'max_abs_error': 302.4,
                               'max_rel_error': 0.0187,
                               'mean_instructions': 45086.0,
                               'samples': 11},
 'cortex-m55/portable/rel4': {'max_abs_error': 7.5,
                              'max_rel_error': 0.0009,
                              'mean_instructions': 7778.9,
                              'samples': 9},
 'cortex-m55/portable/rel8': {'max_abs_error': 65.9,
                              'max_rel_error': 0.0025,
                              'mean_instructions': 7385.2,
                              'samples': 9},
 'cortex-m7/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 5.0,
                           'samples': 4},
 'cortex-m7/any/SOFTMAX': {'max_abs_error': 35.1,
                           'max_rel_error': 0.0072,
                           'mean_instructions': 5055.2,
                           'samples': 320},
 'cortex-m7/cortex-m/abs_u16': {'max_abs_error': 524.9,
                                'max_rel_error': 0.0149,
                                'mean_instructions': 18414.1,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u32': {'max_abs_error': 715.3,
                                'max_rel_error': 0.0183,
                                'mean_instructions': 12371.8,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u8': {'max_abs_error': 1078.3,
                               'max_rel_error': 0.0258,
                               'mean_instructions': 14548.9,
                               'samples': 21},
 'cortex-m7/cortex-m/blk8': {'max_abs_error': 303.7,
                             'max_rel_error': 0.0084,
                             'mean_instructions': 11543.0,
                             'samples': 21},
 'cortex-m7/cortex-m/csc8': {'max_abs_error': 52.7,
                             'max_rel_error': 0.0077,
                             'mean_instructions': 10151.7,
                             'samples': 21},
 'cortex-m7/cortex-m/dense': {'max_abs_error': 39.7,
                              'max_rel_error': 0.0005,
                              'mean_instructions': 48363.4,
                              'samples': 23},
 'cortex-m7/cortex-m/rel4': {'max_abs_error': 1908.5,
                             'max_rel_error': 0.0224,
                             'mean_instructions': 28299.4,
                             'samples': 21},
 'cortex-m7/cortex-m/rel8': {'max_abs_error': 897.6,
                             'max_rel_error': 0.0097,
                             'mean_instructions': 16790.7,
                             'samples': 21},
 'cortex-m7/portable/abs_u16': {'max_abs_error': 56.4,
                                'max_rel_error': 0.0061,
                                'mean_instructions': 26187.5,
                                'samples': 21},
 'cortex-m7/portable/abs_u32': {'max_abs_error': 53.3,
                                'max_rel_error': 0.0102,
                                'mean_instructions': 17898.6,
                                'samples': 21},
 'cortex-m7/portable/abs_u8': {'max_abs_error': 124.2,
                               'max_rel_error': 0.0057,
                               'mean_instructions': 20603.8,
                               'samples': 21},
 'cortex-m7/portable/blk8': {'max_abs_error': 80.3,
                             'max_rel_error': 0.0144,
                             'mean_instructions': 15935.8,
                             'samples': 21},
 'cortex-m7/portable/csc8': {'max_abs_error': 38.2,
                             'max_rel_error': 0.0025,
                             'mean_instructions': 14040.6,
                             'samples': 21},
 'cortex-m7/portable/dense': {'max_abs_error': 544.0,
                              'max_rel_error': 0.006,
                              'mean_instructions': 119891.1,
                              'samples': 23},
 'cortex-m7/portable/rel4': {'max_abs_error': 60.3,
                             'max_rel_error': 0.0059,
                             'mean_instructions': 34709.4,
                             'samples': 21},
 'cortex-m7/portable/rel8': {'max_abs_error': 238.2,
                             'max_rel_error': 0.0129,
                             'mean_instructions': 19644.5,
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
                live_g8=float(p @ ((n + 7) >> 3).sum(axis=1)))


def fc_features(weights, kernel: str, batches: int = 1, live_fraction=None) -> dict:
    """The loop-count features of a fully-connected layer's weights for ``kernel`` (see :data:`FEATURES`).

    Args:
        weights: a :class:`~tfsparse.converter.ir.CSRMatrix` or :class:`~tfsparse.converter.ir.DenseMatrix`.
        kernel: ``"portable"`` or ``"cortex-m"``.
        batches: rows of the input the kernel runs over (TFLite flattens leading dimensions).
        live_fraction: the input activity (see :func:`input_activity`); only ``csc8`` depends on it.
    """
    rows, cols = (int(d) for d in weights.shape)
    f = {"op": 1.0}
    if isinstance(weights, CSRMatrix) and weights.encoding == "csc8":
        f.update(_csc8_features(weights, *input_activity(live_fraction, cols)))
    elif isinstance(weights, CSRMatrix) and weights.encoding == "blk8":
        n = weights.row_ptr.astype(np.int64)  # entries per (row, column block), row-major
        f.update(rows=rows, row_blocks=int(n.size), runs_nz=int((n > 0).sum()), nnz=int(n.sum()), **_run_features(n))
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
    return {k: (v if k == "op" else v * batches) for k, v in f.items()}


def predict_instructions(core: str, kernel: str, encoding: str, features: dict) -> float:
    """``sum(coefficient * feature)`` with the fitted table (raises when the table has no entry)."""
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
CONV_COEFFICIENTS = {
    ('cortex-m4', 'any', 'IM2COL'): {'pixels': 233.9569, 'taps': -1.1112},
    ('cortex-m4', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 5.1033, 'macs': 1.0651, 'op': 9474.7314, 'outputs': 47.9573,
                                                 'pixels': 128.6158},
    ('cortex-m7', 'any', 'IM2COL'): {'pixels': 295.4125, 'taps': -0.354},
    ('cortex-m7', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 5.3675, 'macs': 1.0557, 'op': 9864.4641, 'outputs': 48.1445,
                                                 'pixels': 128.7419},
    ('cortex-m33', 'any', 'IM2COL'): {'pixels': 306.2619, 'taps': -0.1962},
    ('cortex-m33', 'cortex-m', 'CONV_2D_DENSE'): {'im2col': 5.0985, 'macs': 1.065, 'op': 9461.095, 'outputs': 47.7413,
                                                  'pixels': 128.0836},
}
# END CONV FITTED
_CONV_FIT_CORE = "cortex-m4"


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


def _conv_coefficients(core, kernel, what):
    coef = CONV_COEFFICIENTS.get((core, kernel, what)) or CONV_COEFFICIENTS.get((_CONV_FIT_CORE, kernel, what))
    if coef is None:
        raise CostModelError(f"the cost model has no CONV_2D coefficients ({what}) for {core!r}; fit them with "
                             "benchmarks/conv_cost_fit.py")
    return coef


def _conv_cost(op, model, core, kernel, live_fraction) -> OpCost:
    """CONV_2D: dense weights on the Cortex-M kernel run the DSP convolution (its own fit); every other
    case is the fully-connected kernel on each output pixel's column, plus the im2col gather."""
    w = op.weights
    g = conv_geometry(op, model)
    rows = int(w.shape[0])
    if isinstance(w, DenseMatrix) and kernel == "cortex-m":
        coef = _conv_coefficients(core, kernel, "CONV_2D_DENSE")
        mean = worst = float(sum(c * float(g[n]) for n, c in coef.items()))
        flash = _const_bytes(w.weights)
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
