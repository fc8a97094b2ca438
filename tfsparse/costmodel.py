"""The cost model: predicted instructions, flash and arena bytes of one op on one target's kernels.

One function, :func:`op_cost`, shared by the layer chooser (``convert``), ``tfsparse.profile`` and the
budget planner. Its instruction counts are linear in *features* that mirror the kernels' loop
structure (rows, nonzeros per row in blocks of eight, index entries, escapes, live input columns...):
``instructions = sum(coefficient[f] * feature[f])``. The coefficients per (core, kernel, encoding) are
:data:`COEFFICIENTS`, fitted to QEMU counts by ``benchmarks/costmodel_fit.py`` (which rewrites the
table between the ``BEGIN FITTED``/``END FITTED`` markers below; never edit it by hand).

Per-op-kind cost functions live in :data:`COST_FUNCTIONS`, keyed by ``op.kind``; an op kind adds its
own function there and its feature sets to :data:`FEATURES`. The graph ops without a weight encoding to
choose (DEPTHWISE_CONV_2D, ADD, pools, MEAN, CONCATENATION, PAD, QUANTIZE, LOGISTIC, EXPAND_DIMS) share
one function over :func:`graph_features` with their own table, :data:`GRAPH_COEFFICIENTS`, fitted by
``benchmarks/graph_cost_fit.py`` (``BEGIN GRAPH FITTED``/``END GRAPH FITTED``).

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
from .converter.quant_math import multiply_by_quantized_multiplier, saturating_rounding_doubling_high_mul

__all__ = ["OpCost", "op_cost", "COST_FUNCTIONS", "CONV_COEFFICIENTS", "conv_geometry", "FEATURES", "CORE_FEATURES", "COEFFICIENTS", "fc_features",
           "predict_instructions", "CostModelError", "GRAPH_COEFFICIENTS", "GRAPH_FEATURES", "graph_features", "logistic_activity", "softmax_activity", "input_activity", "recorded_activity"]


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
    # Cortex-M runs are Duff's devices: one computed jump per nonempty run, eight products per loop;
    # the rows are requantized 16 at a time (chunks).
    FEATURES[("cortex-m", _enc)] = ("op", "rows", "rows_nz", "nnz", "g8", "chunks")
FEATURES.update({
    ("portable", "dense"): ("op", "rows", "macs"),
    ("cortex-m", "dense"): ("op", "pairs", "d_blocks8", "d_any8", "d_has4", "d_single", "d_any1"),
    ("portable", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes"),
    # "*_any": rows that enter the word / byte loop at all (its set-up runs once per such row).
    ("cortex-m", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes", "e_div4", "e_rem4", "e_div4_any", "e_rem4_any",
                           "chunks"),
    ("portable", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "p4_pairs", "r4_last"),
    # rel4 on DSP cores runs assembly (16-bit row pointers) whose paths depend on where the escapes fall:
    # "r4_asm" counts its row loop's instructions path by path (see _rel4_word_features); the rest is the
    # call, the requantization (rows) and the chunks. Cores without DSP run the C loop (CORE_FEATURES).
    ("cortex-m", "rel4"): ("op", "rows", "rows_nz", "chunks", "r4_asm"),
    # blk8: one run of 8-bit indices per (row, 255-column block); runs counted like abs rows.
    ("portable", "blk8"): ("op", "rows", "row_blocks", "runs_nz", "nnz"),
    # blk8 and csc8 on DSP cores: assembly, a TBH per run and a plain loop for a run's entries past 64
    # (over64); the C loops of cores without DSP keep the other features.
    ("cortex-m", "blk8"): ("op", "rows", "row_blocks", "runs_nz", "nnz", "g8", "rows_b2", "rows_b4", "rows_bn",
                           "over64", "chunks"),
    # csc8 (activation skipping): expected counts over the inputs; "live_*" scale with the input density.
    ("portable", "csc8"): ("op", "rows", "cols", "col_blocks", "live_cols", "live_col_blocks", "live_runs_nz",
                           "live_nnz"),
    ("cortex-m", "csc8"): ("op", "rows", "quads", "zero_quads", "zero_quad_blocks", "col_calls", "col_call_blocks",
                           "live_col_blocks", "live_runs_nz", "live_nnz", "live_g8", "col_calls_b2", "live_cols_b2", "col_calls_bn", "live_cols_bn",
                           "live_cols", "live_over64", "dead_cols", "dead_col_blocks", "live_nnz_bn", "live_g8_bn",
                           "live_runs_bn", "live_col_blocks_bn", "quads_bn", "zero_quad_blocks_bn"),
    # helium (Cortex-M55): dense rows 16 lanes per step; abs_u8 (16 lanes) and abs_u16 (8 lanes) rows
    # vectorised when the layer averages >= TFS_MVE_MIN_RUN entries per row ("m_*" features), else the
    # Cortex-M kernel's loops; the other encodings always run the Cortex-M (DSP) kernel.
    ("helium", "dense"): ("op", "rows", "v16"),
    ("any", "SOFTMAX"): ("op", "elems", "live", "exp_bits"),
    ("any", "RESHAPE"): ("op",),
})
#: (core, kernel, encoding) fitted on other features than FEATURES[(kernel, encoding)]: the Cortex-M
#: kernel on cores without the DSP extension runs rel4's C loop (words of eight gaps, then bytes).
CORE_FEATURES = {("cortex-m3", "cortex-m", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "r4_words",
                                                     "r4_bytes", "r4_last", "r4_words_any", "r4_bytes_any", "chunks")}
for _enc in ("abs_u8", "abs_u16"):
    FEATURES[("helium", _enc)] = FEATURES[("cortex-m", _enc)] + ("m_op", "m_rows", "m_rows_nz", "m_steps")
for _enc in ("abs_u32", "rel8", "rel4", "blk8", "csc8"):
    FEATURES[("helium", _enc)] = FEATURES[("cortex-m", _enc)]
#: The helium kernel's TFS_MVE_MIN_RUN (firmware/kernels/helium/fully_connected.c): sparse abs layers
#: with fewer index entries per row on average run the Cortex-M kernel.
HELIUM_MIN_RUN = 5

# BEGIN FITTED (benchmarks/costmodel_fit.py; do not edit by hand)
COEFFICIENTS = {('cortex-m0', 'any', 'RESHAPE'): {'op': 3.024},
 ('cortex-m0', 'any', 'SOFTMAX'): {'elems': 35.1915, 'exp_bits': 133.7829, 'live': 1172.6954, 'op': 708.7285},
 ('cortex-m0', 'portable', 'GRAPH'): {'graph': -41.5887, 'op': 3.5061},
 ('cortex-m0', 'portable', 'abs_u16'): {'nnz': 9.9666, 'op': 83.378, 'rows': 139.2579, 'rows_nz': 13.7874},
 ('cortex-m0', 'portable', 'abs_u32'): {'nnz': 8.9438, 'op': 77.4131, 'rows': 139.7616, 'rows_nz': 12.1538},
 ('cortex-m0', 'portable', 'abs_u8'): {'nnz': 7.9319, 'op': 76.1679, 'rows': 149.4322, 'rows_nz': 5.4546},
 ('cortex-m0', 'portable', 'blk8'): {'nnz': 8.4684,
                                     'op': 86.8356,
                                     'row_blocks': 0.0,
                                     'rows': 160.7012,
                                     'runs_nz': 17.0462},
 ('cortex-m0', 'portable', 'csc8'): {'col_blocks': 0.0,
                                     'cols': 35.9341,
                                     'live_col_blocks': 0.0,
                                     'live_cols': 7.9438,
                                     'live_nnz': 12.2224,
                                     'live_runs_nz': 10.2469,
                                     'op': 111.6349,
                                     'rows': 133.5888},
 ('cortex-m0', 'portable', 'dense'): {'macs': 7.0013, 'op': 69.1479, 'rows': 142.0939},
 ('cortex-m0', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 1.3103,
                                     'op': 71.2659,
                                     'p4_pairs': 32.7912,
                                     'r4_last': 0.0,
                                     'r4_peel': 0.0,
                                     'rows': 150.5685,
                                     'rows_nz': 37.0856},
 ('cortex-m0', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 13.9471,
                                     'op': 76.5276,
                                     'rows': 149.4207,
                                     'rows_nz': 8.7221},
 ('cortex-m3', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m3', 'any', 'SOFTMAX'): {'elems': 28.1472, 'exp_bits': 28.6599, 'live': 368.1626, 'op': 213.8827},
 ('cortex-m3', 'cortex-m', 'GRAPH'): {'graph': -19.0855, 'op': 3.0987},
 ('cortex-m3', 'cortex-m', 'abs_u16'): {'chunks': 46.1089,
                                        'g8': 1.6256,
                                        'nnz': 4.0526,
                                        'op': 71.9282,
                                        'rows': 48.8072,
                                        'rows_nz': 5.3205},
 ('cortex-m3', 'cortex-m', 'abs_u32'): {'chunks': 52.258,
                                        'g8': 2.6677,
                                        'nnz': 3.9103,
                                        'op': 67.3922,
                                        'rows': 47.8768,
                                        'rows_nz': 6.1608},
 ('cortex-m3', 'cortex-m', 'abs_u8'): {'chunks': 50.4765,
                                       'g8': 3.5772,
                                       'nnz': 3.8004,
                                       'op': 66.9865,
                                       'rows': 47.9475,
                                       'rows_nz': 5.6724},
 ('cortex-m3', 'cortex-m', 'blk8'): {'chunks': 0.3731,
                                     'g8': 4.2346,
                                     'nnz': 3.835,
                                     'op': 73.6848,
                                     'over64': 0.1663,
                                     'row_blocks': 0.0,
                                     'rows': 37.964,
                                     'rows_b2': 19.403,
                                     'rows_b4': 30.6628,
                                     'rows_bn': 40.0521,
                                     'runs_nz': 5.0893},
 ('cortex-m3', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                     'col_calls': 0.0,
                                     'col_calls_b2': 14.0956,
                                     'col_calls_bn': 10.5018,
                                     'dead_col_blocks': 8.1746,
                                     'dead_cols': 1.302,
                                     'live_col_blocks': 7.4962,
                                     'live_col_blocks_bn': 0.0,
                                     'live_cols': 2.0664,
                                     'live_cols_b2': 5.6529,
                                     'live_cols_bn': 0.0,
                                     'live_g8': 2.4462,
                                     'live_g8_bn': 0.0,
                                     'live_nnz': 4.9516,
                                     'live_nnz_bn': 0.1141,
                                     'live_over64': 0.0074,
                                     'live_runs_bn': 4.3911,
                                     'live_runs_nz': 5.5814,
                                     'op': 118.8566,
                                     'quads': 12.2742,
                                     'quads_bn': 45.0965,
                                     'rows': 37.0565,
                                     'zero_quad_blocks': 7.6552,
                                     'zero_quad_blocks_bn': 0.0,
                                     'zero_quads': 0.0},
 ('cortex-m3', 'cortex-m', 'dense'): {'d_any1': 4.0102,
                                      'd_any8': 11.0017,
                                      'd_blocks8': 62.0001,
                                      'd_has4': 30.0058,
                                      'd_single': 6.9954,
                                      'op': 80.0057,
                                      'pairs': 104.994},
 ('cortex-m3', 'cortex-m', 'rel4'): {'chunks': 47.3152,
                                     'escapes': 3.2572,
                                     'nnz': 7.0131,
                                     'op': 85.2714,
                                     'r4_bytes': 2.7798,
                                     'r4_bytes_any': 0.0,
                                     'r4_last': 0.0,
                                     'r4_peel': 10.8725,
                                     'r4_words': 12.0685,
                                     'r4_words_any': 3.1695,
                                     'rows': 63.0753,
                                     'rows_nz': 3.6092},
 ('cortex-m3', 'cortex-m', 'rel8'): {'chunks': 59.9513,
                                     'e_div4': 35.9988,
                                     'e_div4_any': 6.894,
                                     'e_rem4': 8.6452,
                                     'e_rem4_any': 0.0,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 67.9883,
                                     'rows': 50.894,
                                     'rows_nz': 0.6023},
 ('cortex-m3', 'portable', 'GRAPH'): {'graph': -12.5197, 'op': 3.1382},
 ('cortex-m3', 'portable', 'abs_u16'): {'nnz': 5.9904, 'op': 51.7632, 'rows': 61.4408, 'rows_nz': 10.777},
 ('cortex-m3', 'portable', 'abs_u32'): {'nnz': 6.0031, 'op': 54.5052, 'rows': 61.7247, 'rows_nz': 9.8891},
 ('cortex-m3', 'portable', 'abs_u8'): {'nnz': 5.9932, 'op': 50.1757, 'rows': 62.9548, 'rows_nz': 7.0047},
 ('cortex-m3', 'portable', 'blk8'): {'nnz': 5.9946,
                                     'op': 51.6622,
                                     'row_blocks': 5.8135,
                                     'rows': 75.9545,
                                     'runs_nz': 6.2058},
 ('cortex-m3', 'portable', 'csc8'): {'col_blocks': 3.7106,
                                     'cols': 21.0184,
                                     'live_col_blocks': 4.5954,
                                     'live_cols': 5.0802,
                                     'live_nnz': 7.9905,
                                     'live_runs_nz': 2.976,
                                     'op': 69.0088,
                                     'rows': 61.8003},
 ('cortex-m3', 'portable', 'dense'): {'macs': 5.0015, 'op': 35.2721, 'rows': 65.6184},
 ('cortex-m3', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.8566,
                                     'op': 48.0584,
                                     'p4_pairs': 11.2862,
                                     'r4_last': 9.0729,
                                     'r4_peel': 5.2317,
                                     'rows': 79.3825,
                                     'rows_nz': 2.2008},
 ('cortex-m3', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0139,
                                     'op': 57.4773,
                                     'rows': 64.9395,
                                     'rows_nz': 2.4184},
 ('cortex-m33', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m33', 'any', 'SOFTMAX'): {'elems': 28.2415, 'exp_bits': 28.786, 'live': 367.6683, 'op': 212.0473},
 ('cortex-m33', 'cortex-m', 'GRAPH'): {'graph': -31.7105, 'op': 2.9737},
 ('cortex-m33', 'cortex-m', 'abs_u16'): {'chunks': 51.6695,
                                         'g8': 2.1329,
                                         'nnz': 3.9813,
                                         'op': 71.4193,
                                         'rows': 30.942,
                                         'rows_nz': 4.946},
 ('cortex-m33', 'cortex-m', 'abs_u32'): {'chunks': 50.2892,
                                         'g8': 1.9843,
                                         'nnz': 4.0007,
                                         'op': 73.2291,
                                         'rows': 31.093,
                                         'rows_nz': 4.8789},
 ('cortex-m33', 'cortex-m', 'abs_u8'): {'chunks': 49.2576,
                                        'g8': 2.0811,
                                        'nnz': 3.9886,
                                        'op': 72.8049,
                                        'rows': 31.1005,
                                        'rows_nz': 4.9227},
 ('cortex-m33', 'cortex-m', 'blk8'): {'chunks': 64.1051,
                                      'g8': 0.0141,
                                      'nnz': 3.9978,
                                      'op': 73.6953,
                                      'over64': 2.3161,
                                      'row_blocks': 0.0,
                                      'rows': 28.1114,
                                      'rows_b2': 7.0961,
                                      'rows_b4': 20.9914,
                                      'rows_bn': 13.9912,
                                      'runs_nz': 0.0},
 ('cortex-m33', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                      'col_calls': 0.0,
                                      'col_calls_b2': 0.0,
                                      'col_calls_bn': 11.4556,
                                      'dead_col_blocks': 1.957,
                                      'dead_cols': 9.2876,
                                      'live_col_blocks': 0.0,
                                      'live_col_blocks_bn': 0.0,
                                      'live_cols': 11.2363,
                                      'live_cols_b2': 4.0583,
                                      'live_cols_bn': 0.0,
                                      'live_g8': 0.0,
                                      'live_g8_bn': 3.2041,
                                      'live_nnz': 5.0004,
                                      'live_nnz_bn': 0.0637,
                                      'live_over64': 2.119,
                                      'live_runs_bn': 22.1832,
                                      'live_runs_nz': 0.0,
                                      'op': 152.1779,
                                      'quads': 0.0,
                                      'quads_bn': 0.0,
                                      'rows': 18.9868,
                                      'zero_quad_blocks': 2.293,
                                      'zero_quad_blocks_bn': 66.6698,
                                      'zero_quads': 12.6907},
 ('cortex-m33', 'cortex-m', 'dense'): {'d_any1': 2.008,
                                       'd_any8': 11.0007,
                                       'd_blocks8': 31.0001,
                                       'd_has4': 14.0047,
                                       'd_single': 7.9966,
                                       'op': 76.0051,
                                       'pairs': 70.995},
 ('cortex-m33', 'cortex-m', 'rel4'): {'chunks': 25.6849,
                                      'op': 113.5845,
                                      'r4_asm': 0.9896,
                                      'rows': 14.5065,
                                      'rows_nz': 6.1049},
 ('cortex-m33', 'cortex-m', 'rel8'): {'chunks': 55.258,
                                      'e_div4': 36.001,
                                      'e_div4_any': 6.9952,
                                      'e_rem4': 8.8596,
                                      'e_rem4_any': 1.3199,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 68.8701,
                                      'rows': 34.9504,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'portable', 'GRAPH'): {'graph': -8.898, 'op': 3.0362},
 ('cortex-m33', 'portable', 'abs_u16'): {'nnz': 5.9896, 'op': 45.9997, 'rows': 61.7871, 'rows_nz': 11.4805},
 ('cortex-m33', 'portable', 'abs_u32'): {'nnz': 6.0038, 'op': 57.9716, 'rows': 62.5917, 'rows_nz': 9.2531},
 ('cortex-m33', 'portable', 'abs_u8'): {'nnz': 5.9895, 'op': 50.1174, 'rows': 63.6296, 'rows_nz': 6.9191},
 ('cortex-m33', 'portable', 'blk8'): {'nnz': 5.9728,
                                      'op': 53.838,
                                      'row_blocks': 5.3786,
                                      'rows': 76.6982,
                                      'runs_nz': 6.8443},
 ('cortex-m33', 'portable', 'csc8'): {'col_blocks': 3.7166,
                                      'cols': 21.0052,
                                      'live_col_blocks': 4.6399,
                                      'live_cols': 3.0599,
                                      'live_nnz': 7.9912,
                                      'live_runs_nz': 6.9197,
                                      'op': 71.2612,
                                      'rows': 61.8004},
 ('cortex-m33', 'portable', 'dense'): {'macs': 4.9983, 'op': 40.7573, 'rows': 65.4102},
 ('cortex-m33', 'portable', 'rel4'): {'escapes': 2.3059,
                                      'nnz': 7.239,
                                      'op': 43.38,
                                      'p4_pairs': 6.5004,
                                      'r4_last': 5.0568,
                                      'r4_peel': 0.0,
                                      'rows': 79.5094,
                                      'rows_nz': 6.1921},
 ('cortex-m33', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0146,
                                      'op': 59.0009,
                                      'rows': 65.6434,
                                      'rows_nz': 2.1945},
 ('cortex-m4', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m4', 'any', 'SOFTMAX'): {'elems': 28.2383, 'exp_bits': 28.6265, 'live': 365.2148, 'op': 215.744},
 ('cortex-m4', 'cortex-m', 'GRAPH'): {'graph': -27.75, 'op': 2.25},
 ('cortex-m4', 'cortex-m', 'abs_u16'): {'chunks': 51.5339,
                                        'g8': 2.1069,
                                        'nnz': 3.9846,
                                        'op': 73.5389,
                                        'rows': 30.9585,
                                        'rows_nz': 4.9407},
 ('cortex-m4', 'cortex-m', 'abs_u32'): {'chunks': 49.5897,
                                        'g8': 2.1065,
                                        'nnz': 3.986,
                                        'op': 75.5304,
                                        'rows': 31.1159,
                                        'rows_nz': 4.8298},
 ('cortex-m4', 'cortex-m', 'abs_u8'): {'chunks': 49.3794,
                                       'g8': 2.1108,
                                       'nnz': 3.9847,
                                       'op': 74.6977,
                                       'rows': 31.0931,
                                       'rows_nz': 4.9073},
 ('cortex-m4', 'cortex-m', 'blk8'): {'chunks': 66.5269,
                                     'g8': 0.0103,
                                     'nnz': 3.9974,
                                     'op': 74.4285,
                                     'over64': 2.374,
                                     'row_blocks': 0.0,
                                     'rows': 28.0281,
                                     'rows_b2': 7.1443,
                                     'rows_b4': 20.9991,
                                     'rows_bn': 14.0182,
                                     'runs_nz': 0.0},
 ('cortex-m4', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                     'col_calls': 0.0,
                                     'col_calls_b2': 0.0,
                                     'col_calls_bn': 9.8237,
                                     'dead_col_blocks': 1.906,
                                     'dead_cols': 9.3623,
                                     'live_col_blocks': 0.0,
                                     'live_col_blocks_bn': 0.0,
                                     'live_cols': 11.2019,
                                     'live_cols_b2': 4.1151,
                                     'live_cols_bn': 0.0,
                                     'live_g8': 0.0,
                                     'live_g8_bn': 0.9617,
                                     'live_nnz': 4.9999,
                                     'live_nnz_bn': 0.3399,
                                     'live_over64': 2.1205,
                                     'live_runs_bn': 23.7909,
                                     'live_runs_nz': 0.0059,
                                     'op': 154.2345,
                                     'quads': 0.0,
                                     'quads_bn': 0.0,
                                     'rows': 18.9868,
                                     'zero_quad_blocks': 2.2728,
                                     'zero_quad_blocks_bn': 55.775,
                                     'zero_quads': 12.7127},
 ('cortex-m4', 'cortex-m', 'dense'): {'d_any1': 1.992,
                                      'd_any8': 10.9941,
                                      'd_blocks8': 31.0009,
                                      'd_has4': 13.9923,
                                      'd_single': 8.0053,
                                      'op': 78.9957,
                                      'pairs': 71.0025},
 ('cortex-m4', 'cortex-m', 'rel4'): {'chunks': 26.0573,
                                     'op': 115.0117,
                                     'r4_asm': 0.9898,
                                     'rows': 14.5494,
                                     'rows_nz': 5.9498},
 ('cortex-m4', 'cortex-m', 'rel8'): {'chunks': 55.1529,
                                     'e_div4': 43.9958,
                                     'e_div4_any': 6.0528,
                                     'e_rem4': 12.9684,
                                     'e_rem4_any': 1.017,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 74.7418,
                                     'rows': 35.0582,
                                     'rows_nz': 0.0},
 ('cortex-m4', 'portable', 'GRAPH'): {'graph': 8.7039, 'op': 2.0724},
 ('cortex-m4', 'portable', 'abs_u16'): {'nnz': 5.9903, 'op': 53.0701, 'rows': 63.0433, 'rows_nz': 9.648},
 ('cortex-m4', 'portable', 'abs_u32'): {'nnz': 6.0031, 'op': 56.3499, 'rows': 63.3365, 'rows_nz': 8.7535},
 ('cortex-m4', 'portable', 'abs_u8'): {'nnz': 5.9889, 'op': 53.0379, 'rows': 63.5498, 'rows_nz': 6.94},
 ('cortex-m4', 'portable', 'blk8'): {'nnz': 5.9877,
                                     'op': 55.5439,
                                     'row_blocks': 5.6358,
                                     'rows': 76.6196,
                                     'runs_nz': 6.4461},
 ('cortex-m4', 'portable', 'csc8'): {'col_blocks': 3.7039,
                                     'cols': 21.0225,
                                     'live_col_blocks': 4.6169,
                                     'live_cols': 3.0851,
                                     'live_nnz': 7.9904,
                                     'live_runs_nz': 6.9532,
                                     'op': 68.7057,
                                     'rows': 61.8132},
 ('cortex-m4', 'portable', 'dense'): {'macs': 5.0009, 'op': 37.2484, 'rows': 65.6109},
 ('cortex-m4', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.8513,
                                     'op': 51.5436,
                                     'p4_pairs': 11.2875,
                                     'r4_last': 8.4084,
                                     'r4_peel': 6.5672,
                                     'rows': 79.6971,
                                     'rows_nz': 2.1278},
 ('cortex-m4', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0254,
                                     'op': 57.5551,
                                     'rows': 65.6549,
                                     'rows_nz': 2.0751},
 ('cortex-m55', 'any', 'RESHAPE'): {'op': 2.976},
 ('cortex-m55', 'any', 'SOFTMAX'): {'elems': 27.6262, 'exp_bits': 28.9132, 'live': 389.68, 'op': 226.4364},
 ('cortex-m55', 'cortex-m', 'GRAPH'): {'graph': 12.694, 'op': 2.558},
 ('cortex-m55', 'cortex-m', 'abs_u16'): {'chunks': 50.1089,
                                         'g8': 2.4722,
                                         'nnz': 3.9412,
                                         'op': 73.4788,
                                         'rows': 31.2208,
                                         'rows_nz': 4.628},
 ('cortex-m55', 'cortex-m', 'abs_u32'): {'chunks': 60.9687,
                                         'g8': 1.9485,
                                         'nnz': 4.0024,
                                         'op': 64.1761,
                                         'rows': 30.7345,
                                         'rows_nz': 4.8852},
 ('cortex-m55', 'cortex-m', 'abs_u8'): {'chunks': 55.2162,
                                        'g8': 2.5644,
                                        'nnz': 3.9269,
                                        'op': 69.2424,
                                        'rows': 30.7736,
                                        'rows_nz': 4.8446},
 ('cortex-m55', 'cortex-m', 'blk8'): {'chunks': 65.5321,
                                      'g8': 0.0,
                                      'nnz': 4.0021,
                                      'op': 73.8202,
                                      'over64': 2.3672,
                                      'row_blocks': 0.0,
                                      'rows': 26.9253,
                                      'rows_b2': 6.8264,
                                      'rows_b4': 20.9044,
                                      'rows_bn': 13.9581,
                                      'runs_nz': 0.0},
 ('cortex-m55', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                      'col_calls': 0.0,
                                      'col_calls_b2': 3.2673,
                                      'col_calls_bn': 53.7045,
                                      'dead_col_blocks': 0.0,
                                      'dead_cols': 11.9043,
                                      'live_col_blocks': 0.0,
                                      'live_col_blocks_bn': 0.0,
                                      'live_cols': 10.1187,
                                      'live_cols_b2': 0.0,
                                      'live_cols_bn': 0.0,
                                      'live_g8': 0.0,
                                      'live_g8_bn': 0.0,
                                      'live_nnz': 4.9907,
                                      'live_nnz_bn': 0.0,
                                      'live_over64': 2.7877,
                                      'live_runs_bn': 0.0,
                                      'live_runs_nz': 0.0,
                                      'op': 156.9769,
                                      'quads': 0.0663,
                                      'quads_bn': 0.0,
                                      'rows': 17.0196,
                                      'zero_quad_blocks': 0.0,
                                      'zero_quad_blocks_bn': 0.0,
                                      'zero_quads': 16.7453},
 ('cortex-m55', 'cortex-m', 'dense'): {'d_any1': 14.9044,
                                       'd_any8': 18.0181,
                                       'd_blocks8': 29.9972,
                                       'd_has4': 20.1205,
                                       'd_single': 0.0,
                                       'op': 76.6211,
                                       'pairs': 71.9685},
 ('cortex-m55', 'cortex-m', 'rel4'): {'chunks': 39.9964,
                                      'op': 110.9111,
                                      'r4_asm': 0.9894,
                                      'rows': 14.6929,
                                      'rows_nz': 0.6204},
 ('cortex-m55', 'cortex-m', 'rel8'): {'chunks': 54.1081,
                                      'e_div4': 36.002,
                                      'e_div4_any': 7.8931,
                                      'e_rem4': 8.7804,
                                      'e_rem4_any': 0.0,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 69.8493,
                                      'rows': 34.5424,
                                      'rows_nz': 0.0},
 ('cortex-m55', 'helium', 'GRAPH'): {'graph': 8.2113, 'op': 2.6484},
 ('cortex-m55', 'helium', 'abs_u16'): {'chunks': 56.2126,
                                       'g8': 0.0,
                                       'm_op': 0.0,
                                       'm_rows': 39.9465,
                                       'm_rows_nz': 6.035,
                                       'm_steps': 18.001,
                                       'nnz': 4.0658,
                                       'op': 83.9847,
                                       'rows': 30.9058,
                                       'rows_nz': 6.8477},
 ('cortex-m55', 'helium', 'abs_u32'): {'chunks': 60.9687,
                                       'g8': 1.9485,
                                       'nnz': 4.0024,
                                       'op': 64.1761,
                                       'rows': 30.7345,
                                       'rows_nz': 4.8852},
 ('cortex-m55', 'helium', 'abs_u8'): {'chunks': 59.7408,
                                      'g8': 0.0,
                                      'm_op': 2.9662,
                                      'm_rows': 41.0367,
                                      'm_rows_nz': 6.9529,
                                      'm_steps': 18.9938,
                                      'nnz': 4.1857,
                                      'op': 82.1867,
                                      'rows': 30.8334,
                                      'rows_nz': 6.4265},
 ('cortex-m55', 'helium', 'blk8'): {'chunks': 65.5321,
                                    'g8': 0.0,
                                    'nnz': 4.0021,
                                    'op': 73.8202,
                                    'over64': 2.3672,
                                    'row_blocks': 0.0,
                                    'rows': 26.9253,
                                    'rows_b2': 6.8238,
                                    'rows_b4': 20.9044,
                                    'rows_bn': 13.9493,
                                    'runs_nz': 0.0},
 ('cortex-m55', 'helium', 'csc8'): {'col_call_blocks': 0.0,
                                    'col_calls': 0.0,
                                    'col_calls_b2': 3.2803,
                                    'col_calls_bn': 53.7144,
                                    'dead_col_blocks': 0.0,
                                    'dead_cols': 11.9129,
                                    'live_col_blocks': 0.0,
                                    'live_col_blocks_bn': 0.0,
                                    'live_cols': 10.1474,
                                    'live_cols_b2': 0.0,
                                    'live_cols_bn': 0.0,
                                    'live_g8': 0.0,
                                    'live_g8_bn': 0.0,
                                    'live_nnz': 4.9895,
                                    'live_nnz_bn': 0.0,
                                    'live_over64': 2.8039,
                                    'live_runs_bn': 0.0,
                                    'live_runs_nz': 0.0,
                                    'op': 156.9776,
                                    'quads': 0.0,
                                    'quads_bn': 0.0,
                                    'rows': 17.0192,
                                    'zero_quad_blocks': 0.0,
                                    'zero_quad_blocks_bn': 0.0,
                                    'zero_quads': 16.7892},
 ('cortex-m55', 'helium', 'dense'): {'op': 58.2001, 'rows': 36.0011, 'v16': 16.0006},
 ('cortex-m55', 'helium', 'rel4'): {'chunks': 39.9964,
                                    'op': 110.9111,
                                    'r4_asm': 0.9894,
                                    'rows': 14.6929,
                                    'rows_nz': 0.6204},
 ('cortex-m55', 'helium', 'rel8'): {'chunks': 54.1081,
                                    'e_div4': 36.002,
                                    'e_div4_any': 7.8931,
                                    'e_rem4': 8.7804,
                                    'e_rem4_any': 0.0,
                                    'escapes': 0.0,
                                    'nnz': 0.0,
                                    'op': 69.8493,
                                    'rows': 34.5424,
                                    'rows_nz': 0.0},
 ('cortex-m55', 'portable', 'GRAPH'): {'graph': 12.5675, 'op': 2.6655},
 ('cortex-m55', 'portable', 'abs_u16'): {'nnz': 4.9825, 'op': 54.2077, 'rows': 63.009, 'rows_nz': 12.9769},
 ('cortex-m55', 'portable', 'abs_u32'): {'nnz': 4.9911, 'op': 53.3115, 'rows': 62.7933, 'rows_nz': 13.1901},
 ('cortex-m55', 'portable', 'abs_u8'): {'nnz': 4.9994, 'op': 54.4098, 'rows': 62.6522, 'rows_nz': 11.0987},
 ('cortex-m55', 'portable', 'blk8'): {'nnz': 5.0068,
                                      'op': 53.775,
                                      'row_blocks': 5.985,
                                      'rows': 79.1459,
                                      'runs_nz': 5.0081},
 ('cortex-m55', 'portable', 'csc8'): {'col_blocks': 2.839,
                                      'cols': 27.3108,
                                      'live_col_blocks': 6.4794,
                                      'live_cols': 0.0,
                                      'live_nnz': 7.0108,
                                      'live_runs_nz': 5.1787,
                                      'op': 69.8613,
                                      'rows': 64.4996},
 ('cortex-m55', 'portable', 'dense'): {'macs': 3.9963, 'op': 42.4636, 'rows': 63.1614},
 ('cortex-m55', 'portable', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.2004,
                                      'op': 55.8472,
                                      'p4_pairs': 14.6427,
                                      'r4_last': 5.3982,
                                      'r4_peel': 16.9944,
                                      'rows': 78.88,
                                      'rows_nz': 0.6678},
 ('cortex-m55', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0495,
                                      'op': 54.3296,
                                      'rows': 69.4916,
                                      'rows_nz': 0.0},
 ('cortex-m7', 'any', 'RESHAPE'): {'op': 6.0},
 ('cortex-m7', 'any', 'SOFTMAX'): {'elems': 28.2157, 'exp_bits': 28.7903, 'live': 363.5327, 'op': 211.5061},
 ('cortex-m7', 'cortex-m', 'GRAPH'): {'graph': -25.1579, 'op': 4.1053},
 ('cortex-m7', 'cortex-m', 'abs_u16'): {'chunks': 51.5275,
                                        'g8': 2.1077,
                                        'nnz': 3.9845,
                                        'op': 67.5442,
                                        'rows': 30.9586,
                                        'rows_nz': 4.9406},
 ('cortex-m7', 'cortex-m', 'abs_u32'): {'chunks': 50.5932,
                                        'g8': 2.0612,
                                        'nnz': 3.9909,
                                        'op': 68.3877,
                                        'rows': 31.029,
                                        'rows_nz': 4.9307},
 ('cortex-m7', 'cortex-m', 'abs_u8'): {'chunks': 49.3788,
                                       'g8': 2.1114,
                                       'nnz': 3.9846,
                                       'op': 68.6971,
                                       'rows': 31.093,
                                       'rows_nz': 4.9075},
 ('cortex-m7', 'cortex-m', 'blk8'): {'chunks': 67.927,
                                     'g8': 0.0,
                                     'nnz': 3.9999,
                                     'op': 71.062,
                                     'over64': 2.2707,
                                     'row_blocks': 0.0,
                                     'rows': 28.0037,
                                     'rows_b2': 6.9994,
                                     'rows_b4': 20.9897,
                                     'rows_bn': 13.9919,
                                     'runs_nz': 0.004},
 ('cortex-m7', 'cortex-m', 'csc8'): {'col_call_blocks': 0.0,
                                     'col_calls': 0.0,
                                     'col_calls_b2': 0.0,
                                     'col_calls_bn': 11.7593,
                                     'dead_col_blocks': 1.9251,
                                     'dead_cols': 9.3256,
                                     'live_col_blocks': 0.0,
                                     'live_col_blocks_bn': 0.0,
                                     'live_cols': 11.2376,
                                     'live_cols_b2': 4.0504,
                                     'live_cols_bn': 0.0,
                                     'live_g8': 0.0,
                                     'live_g8_bn': 0.9187,
                                     'live_nnz': 5.0016,
                                     'live_nnz_bn': 0.3439,
                                     'live_over64': 2.1044,
                                     'live_runs_bn': 23.8391,
                                     'live_runs_nz': 0.0,
                                     'op': 149.3984,
                                     'quads': 0.0,
                                     'quads_bn': 0.0,
                                     'rows': 18.9916,
                                     'zero_quad_blocks': 2.2496,
                                     'zero_quad_blocks_bn': 55.307,
                                     'zero_quads': 12.7109},
 ('cortex-m7', 'cortex-m', 'dense'): {'d_any1': 1.9791,
                                      'd_any8': 8.381,
                                      'd_blocks8': 31.0013,
                                      'd_has4': 14.2391,
                                      'd_single': 7.6678,
                                      'op': 77.385,
                                      'pairs': 75.3374},
 ('cortex-m7', 'cortex-m', 'rel4'): {'chunks': 25.7031,
                                     'op': 111.3033,
                                     'r4_asm': 0.9896,
                                     'rows': 14.5426,
                                     'rows_nz': 6.0313},
 ('cortex-m7', 'cortex-m', 'rel8'): {'chunks': 59.0314,
                                     'e_div4': 44.0005,
                                     'e_div4_any': 5.9929,
                                     'e_rem4': 13.0016,
                                     'e_rem4_any': 1.0015,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 66.9716,
                                     'rows': 37.9981,
                                     'rows_nz': 0.0},
 ('cortex-m7', 'portable', 'GRAPH'): {'graph': -5.8224, 'op': 4.2566},
 ('cortex-m7', 'portable', 'abs_u16'): {'nnz': 5.9878, 'op': 52.4603, 'rows': 64.0504, 'rows_nz': 9.6307},
 ('cortex-m7', 'portable', 'abs_u32'): {'nnz': 6.002, 'op': 52.591, 'rows': 64.2559, 'rows_nz': 8.9602},
 ('cortex-m7', 'portable', 'abs_u8'): {'nnz': 5.9897, 'op': 55.5329, 'rows': 64.5196, 'rows_nz': 6.7872},
 ('cortex-m7', 'portable', 'blk8'): {'nnz': 5.9964,
                                     'op': 49.4926,
                                     'row_blocks': 5.8074,
                                     'rows': 77.5681,
                                     'runs_nz': 6.1786},
 ('cortex-m7', 'portable', 'csc8'): {'col_blocks': 3.7246,
                                     'cols': 20.9962,
                                     'live_col_blocks': 4.5467,
                                     'live_cols': 3.1654,
                                     'live_nnz': 7.991,
                                     'live_runs_nz': 6.9726,
                                     'op': 67.186,
                                     'rows': 62.8067},
 ('cortex-m7', 'portable', 'dense'): {'macs': 5.0014, 'op': 33.2376, 'rows': 63.7153},
 ('cortex-m7', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.9113,
                                     'op': 45.4569,
                                     'p4_pairs': 11.1771,
                                     'r4_last': 8.4576,
                                     'r4_peel': 6.9156,
                                     'rows': 79.8649,
                                     'rows_nz': 1.908},
 ('cortex-m7', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0186,
                                     'op': 52.2041,
                                     'rows': 66.6517,
                                     'rows_nz': 2.1119}}
FIT_INFO = {'cortex-m0/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 2},
 'cortex-m0/any/SOFTMAX': {'max_abs_error': 287.5,
                           'max_rel_error': 0.0169,
                           'mean_instructions': 34104.6,
                           'samples': 5000},
 'cortex-m0/portable/abs_u16': {'max_abs_error': 3.4,
                                'max_rel_error': 0.0007,
                                'mean_instructions': 6479.7,
                                'samples': 6},
 'cortex-m0/portable/abs_u32': {'max_abs_error': 13.6,
                                'max_rel_error': 0.0022,
                                'mean_instructions': 3533.6,
                                'samples': 6},
 'cortex-m0/portable/abs_u8': {'max_abs_error': 21.5,
                               'max_rel_error': 0.0029,
                               'mean_instructions': 6425.0,
                               'samples': 6},
 'cortex-m0/portable/blk8': {'max_abs_error': 52.0,
                             'max_rel_error': 0.0067,
                             'mean_instructions': 4153.8,
                             'samples': 6},
 'cortex-m0/portable/csc8': {'max_abs_error': 0.0,
                             'max_rel_error': 0.0,
                             'mean_instructions': 4139.9,
                             'samples': 6},
 'cortex-m0/portable/dense': {'max_abs_error': 48.7,
                              'max_rel_error': 0.0039,
                              'mean_instructions': 53392.7,
                              'samples': 8},
 'cortex-m0/portable/rel4': {'max_abs_error': 11.7,
                             'max_rel_error': 0.0018,
                             'mean_instructions': 6131.1,
                             'samples': 6},
 'cortex-m0/portable/rel8': {'max_abs_error': 19.3,
                             'max_rel_error': 0.003,
                             'mean_instructions': 6145.3,
                             'samples': 6},
 'cortex-m3/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 8},
 'cortex-m3/any/SOFTMAX': {'max_abs_error': 153.8,
                           'max_rel_error': 0.0323,
                           'mean_instructions': 9010.5,
                           'samples': 2080},
 'cortex-m3/cortex-m/abs_u16': {'max_abs_error': 73.6,
                                'max_rel_error': 0.0041,
                                'mean_instructions': 19332.8,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u32': {'max_abs_error': 44.7,
                                'max_rel_error': 0.0062,
                                'mean_instructions': 13352.8,
                                'samples': 21},
 'cortex-m3/cortex-m/abs_u8': {'max_abs_error': 29.9,
                               'max_rel_error': 0.0052,
                               'mean_instructions': 15500.1,
                               'samples': 21},
 'cortex-m3/cortex-m/blk8': {'max_abs_error': 258.2,
                             'max_rel_error': 0.0037,
                             'mean_instructions': 32214.4,
                             'samples': 27},
 'cortex-m3/cortex-m/csc8': {'max_abs_error': 74.6,
                             'max_rel_error': 0.0056,
                             'mean_instructions': 40238.1,
                             'samples': 39},
 'cortex-m3/cortex-m/dense': {'max_abs_error': 1.8,
                              'max_rel_error': 0.0,
                              'mean_instructions': 88404.5,
                              'samples': 25},
 'cortex-m3/cortex-m/rel4': {'max_abs_error': 239.5,
                             'max_rel_error': 0.0071,
                             'mean_instructions': 28584.3,
                             'samples': 21},
 'cortex-m3/cortex-m/rel8': {'max_abs_error': 18.6,
                             'max_rel_error': 0.0012,
                             'mean_instructions': 16317.2,
                             'samples': 21},
 'cortex-m3/portable/abs_u16': {'max_abs_error': 123.1,
                                'max_rel_error': 0.0119,
                                'mean_instructions': 26027.7,
                                'samples': 21},
 'cortex-m3/portable/abs_u32': {'max_abs_error': 60.3,
                                'max_rel_error': 0.0092,
                                'mean_instructions': 17773.3,
                                'samples': 21},
 'cortex-m3/portable/abs_u8': {'max_abs_error': 53.0,
                               'max_rel_error': 0.0055,
                               'mean_instructions': 20480.9,
                               'samples': 21},
 'cortex-m3/portable/blk8': {'max_abs_error': 164.4,
                             'max_rel_error': 0.0103,
                             'mean_instructions': 45302.2,
                             'samples': 27},
 'cortex-m3/portable/csc8': {'max_abs_error': 308.1,
                             'max_rel_error': 0.0045,
                             'mean_instructions': 56874.1,
                             'samples': 39},
 'cortex-m3/portable/dense': {'max_abs_error': 314.0,
                              'max_rel_error': 0.0049,
                              'mean_instructions': 112947.2,
                              'samples': 25},
 'cortex-m3/portable/rel4': {'max_abs_error': 36.2,
                             'max_rel_error': 0.0037,
                             'mean_instructions': 34672.5,
                             'samples': 21},
 'cortex-m3/portable/rel8': {'max_abs_error': 120.8,
                             'max_rel_error': 0.0065,
                             'mean_instructions': 19448.6,
                             'samples': 21},
 'cortex-m33/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 8},
 'cortex-m33/any/SOFTMAX': {'max_abs_error': 132.2,
                            'max_rel_error': 0.0471,
                            'mean_instructions': 9009.5,
                            'samples': 2600},
 'cortex-m33/cortex-m/abs_u16': {'max_abs_error': 25.1,
                                 'max_rel_error': 0.0007,
                                 'mean_instructions': 17366.9,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u32': {'max_abs_error': 10.0,
                                 'max_rel_error': 0.0022,
                                 'mean_instructions': 11693.2,
                                 'samples': 21},
 'cortex-m33/cortex-m/abs_u8': {'max_abs_error': 11.2,
                                'max_rel_error': 0.0019,
                                'mean_instructions': 13487.3,
                                'samples': 21},
 'cortex-m33/cortex-m/blk8': {'max_abs_error': 16.2,
                              'max_rel_error': 0.001,
                              'mean_instructions': 24292.9,
                              'samples': 27},
 'cortex-m33/cortex-m/csc8': {'max_abs_error': 130.8,
                              'max_rel_error': 0.0018,
                              'mean_instructions': 33710.0,
                              'samples': 39},
 'cortex-m33/cortex-m/dense': {'max_abs_error': 1.9,
                               'max_rel_error': 0.0001,
                               'mean_instructions': 45460.3,
                               'samples': 25},
 'cortex-m33/cortex-m/rel4': {'max_abs_error': 1093.4,
                              'max_rel_error': 0.0342,
                              'mean_instructions': 17166.2,
                              'samples': 21},
 'cortex-m33/cortex-m/rel8': {'max_abs_error': 2.2,
                              'max_rel_error': 0.0007,
                              'mean_instructions': 14459.0,
                              'samples': 21},
 'cortex-m33/portable/abs_u16': {'max_abs_error': 193.5,
                                 'max_rel_error': 0.0106,
                                 'mean_instructions': 26086.7,
                                 'samples': 21},
 'cortex-m33/portable/abs_u32': {'max_abs_error': 64.0,
                                 'max_rel_error': 0.0099,
                                 'mean_instructions': 17825.3,
                                 'samples': 21},
 'cortex-m33/portable/abs_u8': {'max_abs_error': 61.9,
                                'max_rel_error': 0.0059,
                                'mean_instructions': 20547.2,
                                'samples': 21},
 'cortex-m33/portable/blk8': {'max_abs_error': 215.9,
                              'max_rel_error': 0.0307,
                              'mean_instructions': 45434.2,
                              'samples': 27},
 'cortex-m33/portable/csc8': {'max_abs_error': 316.4,
                              'max_rel_error': 0.0043,
                              'mean_instructions': 58222.1,
                              'samples': 39},
 'cortex-m33/portable/dense': {'max_abs_error': 386.1,
                               'max_rel_error': 0.0093,
                               'mean_instructions': 112946.7,
                               'samples': 25},
 'cortex-m33/portable/rel4': {'max_abs_error': 135.6,
                              'max_rel_error': 0.0126,
                              'mean_instructions': 34696.5,
                              'samples': 21},
 'cortex-m33/portable/rel8': {'max_abs_error': 132.9,
                              'max_rel_error': 0.0085,
                              'mean_instructions': 19517.6,
                              'samples': 21},
 'cortex-m4/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 8},
 'cortex-m4/any/SOFTMAX': {'max_abs_error': 161.6,
                           'max_rel_error': 0.0473,
                           'mean_instructions': 8962.0,
                           'samples': 2080},
 'cortex-m4/cortex-m/abs_u16': {'max_abs_error': 23.8,
                                'max_rel_error': 0.0007,
                                'mean_instructions': 17368.8,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u32': {'max_abs_error': 8.5,
                                'max_rel_error': 0.0027,
                                'mean_instructions': 11695.1,
                                'samples': 21},
 'cortex-m4/cortex-m/abs_u8': {'max_abs_error': 10.4,
                               'max_rel_error': 0.0012,
                               'mean_instructions': 13489.2,
                               'samples': 21},
 'cortex-m4/cortex-m/blk8': {'max_abs_error': 22.9,
                             'max_rel_error': 0.0008,
                             'mean_instructions': 24309.9,
                             'samples': 27},
 'cortex-m4/cortex-m/csc8': {'max_abs_error': 160.7,
                             'max_rel_error': 0.0018,
                             'mean_instructions': 33219.2,
                             'samples': 39},
 'cortex-m4/cortex-m/dense': {'max_abs_error': 10.7,
                              'max_rel_error': 0.0001,
                              'mean_instructions': 45463.4,
                              'samples': 25},
 'cortex-m4/cortex-m/rel4': {'max_abs_error': 1066.5,
                             'max_rel_error': 0.0329,
                             'mean_instructions': 17168.1,
                             'samples': 21},
 'cortex-m4/cortex-m/rel8': {'max_abs_error': 7.5,
                             'max_rel_error': 0.0011,
                             'mean_instructions': 16745.3,
                             'samples': 21},
 'cortex-m4/portable/abs_u16': {'max_abs_error': 131.8,
                                'max_rel_error': 0.008,
                                'mean_instructions': 26128.8,
                                'samples': 21},
 'cortex-m4/portable/abs_u32': {'max_abs_error': 64.9,
                                'max_rel_error': 0.0104,
                                'mean_instructions': 17849.0,
                                'samples': 21},
 'cortex-m4/portable/abs_u8': {'max_abs_error': 81.2,
                               'max_rel_error': 0.0056,
                               'mean_instructions': 20547.2,
                               'samples': 21},
 'cortex-m4/portable/blk8': {'max_abs_error': 215.7,
                             'max_rel_error': 0.0117,
                             'mean_instructions': 45436.5,
                             'samples': 27},
 'cortex-m4/portable/csc8': {'max_abs_error': 318.8,
                             'max_rel_error': 0.0044,
                             'mean_instructions': 57636.1,
                             'samples': 39},
 'cortex-m4/portable/dense': {'max_abs_error': 199.6,
                              'max_rel_error': 0.0054,
                              'mean_instructions': 112948.5,
                              'samples': 25},
 'cortex-m4/portable/rel4': {'max_abs_error': 136.1,
                             'max_rel_error': 0.0042,
                             'mean_instructions': 34699.4,
                             'samples': 21},
 'cortex-m4/portable/rel8': {'max_abs_error': 232.1,
                             'max_rel_error': 0.0118,
                             'mean_instructions': 19517.2,
                             'samples': 21},
 'cortex-m55/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 9},
 'cortex-m55/any/SOFTMAX': {'max_abs_error': 132.1,
                            'max_rel_error': 0.0302,
                            'mean_instructions': 9199.1,
                            'samples': 6750},
 'cortex-m55/cortex-m/abs_u16': {'max_abs_error': 7.2,
                                 'max_rel_error': 0.001,
                                 'mean_instructions': 5378.9,
                                 'samples': 12},
 'cortex-m55/cortex-m/abs_u32': {'max_abs_error': 6.0,
                                 'max_rel_error': 0.0006,
                                 'mean_instructions': 6683.5,
                                 'samples': 9},
 'cortex-m55/cortex-m/abs_u8': {'max_abs_error': 4.5,
                                'max_rel_error': 0.0007,
                                'mean_instructions': 6612.6,
                                'samples': 12},
 'cortex-m55/cortex-m/blk8': {'max_abs_error': 1.5,
                              'max_rel_error': 0.0008,
                              'mean_instructions': 12121.9,
                              'samples': 12},
 'cortex-m55/cortex-m/csc8': {'max_abs_error': 4.5,
                              'max_rel_error': 0.002,
                              'mean_instructions': 7360.2,
                              'samples': 12},
 'cortex-m55/cortex-m/dense': {'max_abs_error': 15.0,
                               'max_rel_error': 0.0004,
                               'mean_instructions': 20460.9,
                               'samples': 12},
 'cortex-m55/cortex-m/rel4': {'max_abs_error': 33.2,
                              'max_rel_error': 0.0124,
                              'mean_instructions': 4203.8,
                              'samples': 9},
 'cortex-m55/cortex-m/rel8': {'max_abs_error': 5.5,
                              'max_rel_error': 0.0004,
                              'mean_instructions': 5629.7,
                              'samples': 9},
 'cortex-m55/helium/abs_u16': {'max_abs_error': 1.4,
                               'max_rel_error': 0.0003,
                               'mean_instructions': 4316.3,
                               'samples': 12},
 'cortex-m55/helium/abs_u32': {'max_abs_error': 6.0,
                               'max_rel_error': 0.0006,
                               'mean_instructions': 6683.5,
                               'samples': 9},
 'cortex-m55/helium/abs_u8': {'max_abs_error': 4.0,
                              'max_rel_error': 0.0004,
                              'mean_instructions': 4378.7,
                              'samples': 12},
 'cortex-m55/helium/blk8': {'max_abs_error': 1.5,
                            'max_rel_error': 0.0008,
                            'mean_instructions': 12121.7,
                            'samples': 12},
 'cortex-m55/helium/csc8': {'max_abs_error': 4.4,
                            'max_rel_error': 0.002,
                            'mean_instructions': 7360.1,
                            'samples': 12},
 'cortex-m55/helium/dense': {'max_abs_error': 1.2,
                             'max_rel_error': 0.0003,
                             'mean_instructions': 11491.2,
                             'samples': 12},
 'cortex-m55/helium/rel4': {'max_abs_error': 33.2,
                            'max_rel_error': 0.0124,
                            'mean_instructions': 4203.8,
                            'samples': 9},
 'cortex-m55/helium/rel8': {'max_abs_error': 5.5,
                            'max_rel_error': 0.0004,
                            'mean_instructions': 5629.7,
                            'samples': 9},
 'cortex-m55/portable/abs_u16': {'max_abs_error': 40.7,
                                 'max_rel_error': 0.0038,
                                 'mean_instructions': 7652.8,
                                 'samples': 12},
 'cortex-m55/portable/abs_u32': {'max_abs_error': 25.2,
                                 'max_rel_error': 0.0022,
                                 'mean_instructions': 9622.7,
                                 'samples': 9},
 'cortex-m55/portable/abs_u8': {'max_abs_error': 13.3,
                                'max_rel_error': 0.0018,
                                'mean_instructions': 9216.1,
                                'samples': 12},
 'cortex-m55/portable/blk8': {'max_abs_error': 69.8,
                              'max_rel_error': 0.0087,
                              'mean_instructions': 19116.7,
                              'samples': 12},
 'cortex-m55/portable/csc8': {'max_abs_error': 55.3,
                              'max_rel_error': 0.0028,
                              'mean_instructions': 15504.4,
                              'samples': 12},
 'cortex-m55/portable/dense': {'max_abs_error': 220.5,
                               'max_rel_error': 0.0198,
                               'mean_instructions': 41956.8,
                               'samples': 12},
 'cortex-m55/portable/rel4': {'max_abs_error': 5.5,
                              'max_rel_error': 0.0007,
                              'mean_instructions': 7764.5,
                              'samples': 9},
 'cortex-m55/portable/rel8': {'max_abs_error': 76.1,
                              'max_rel_error': 0.0034,
                              'mean_instructions': 7315.6,
                              'samples': 9},
 'cortex-m7/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 6.0,
                           'samples': 8},
 'cortex-m7/any/SOFTMAX': {'max_abs_error': 139.9,
                           'max_rel_error': 0.0413,
                           'mean_instructions': 8940.6,
                           'samples': 2080},
 'cortex-m7/cortex-m/abs_u16': {'max_abs_error': 23.9,
                                'max_rel_error': 0.0007,
                                'mean_instructions': 17362.8,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u32': {'max_abs_error': 11.3,
                                'max_rel_error': 0.0011,
                                'mean_instructions': 11689.0,
                                'samples': 21},
 'cortex-m7/cortex-m/abs_u8': {'max_abs_error': 10.4,
                               'max_rel_error': 0.0012,
                               'mean_instructions': 13483.2,
                               'samples': 21},
 'cortex-m7/cortex-m/blk8': {'max_abs_error': 3.2,
                             'max_rel_error': 0.0003,
                             'mean_instructions': 24322.3,
                             'samples': 27},
 'cortex-m7/cortex-m/csc8': {'max_abs_error': 156.2,
                             'max_rel_error': 0.0014,
                             'mean_instructions': 33395.0,
                             'samples': 39},
 'cortex-m7/cortex-m/dense': {'max_abs_error': 38.1,
                              'max_rel_error': 0.0011,
                              'mean_instructions': 45537.2,
                              'samples': 25},
 'cortex-m7/cortex-m/rel4': {'max_abs_error': 1093.1,
                             'max_rel_error': 0.0332,
                             'mean_instructions': 17164.1,
                             'samples': 21},
 'cortex-m7/cortex-m/rel8': {'max_abs_error': 0.8,
                             'max_rel_error': 0.0001,
                             'mean_instructions': 17117.3,
                             'samples': 21},
 'cortex-m7/portable/abs_u16': {'max_abs_error': 173.9,
                                'max_rel_error': 0.0114,
                                'mean_instructions': 26237.8,
                                'samples': 21},
 'cortex-m7/portable/abs_u32': {'max_abs_error': 64.7,
                                'max_rel_error': 0.0118,
                                'mean_instructions': 17939.6,
                                'samples': 21},
 'cortex-m7/portable/abs_u8': {'max_abs_error': 108.2,
                               'max_rel_error': 0.0055,
                               'mean_instructions': 20658.8,
                               'samples': 21},
 'cortex-m7/portable/blk8': {'max_abs_error': 189.4,
                             'max_rel_error': 0.0129,
                             'mean_instructions': 45672.1,
                             'samples': 27},
 'cortex-m7/portable/csc8': {'max_abs_error': 303.1,
                             'max_rel_error': 0.0044,
                             'mean_instructions': 57915.9,
                             'samples': 39},
 'cortex-m7/portable/dense': {'max_abs_error': 317.7,
                              'max_rel_error': 0.0055,
                              'mean_instructions': 112769.9,
                              'samples': 25},
 'cortex-m7/portable/rel4': {'max_abs_error': 113.3,
                             'max_rel_error': 0.0088,
                             'mean_instructions': 34694.5,
                             'samples': 21},
 'cortex-m7/portable/rel8': {'max_abs_error': 161.0,
                             'max_rel_error': 0.0114,
                             'mean_instructions': 19631.5,
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
                live_over64=float(p @ np.maximum(n - 64, 0).sum(axis=1)),
                dead_cols=col_calls - live_calls, dead_col_blocks=(col_calls - live_calls) * blocks,
                # The Cortex-M kernel specializes its column loop for one and two row blocks.
                col_calls_b2=col_calls * (blocks == 2), live_cols_b2=live_calls * (blocks == 2),
                col_calls_bn=col_calls * (blocks > 2), live_cols_bn=live_calls * (blocks > 2),
                # Over two row blocks the column loop is C (tfs_cm_csc8_columns), with its own per-entry cost.
                live_nnz_bn=float(p @ n.sum(axis=1)) * (blocks > 2), live_g8_bn=float(p @ ((n + 7) >> 3).sum(axis=1)) * (blocks > 2),
                live_runs_bn=float(p @ (n > 0).sum(axis=1)) * (blocks > 2), live_col_blocks_bn=live_calls * blocks * (blocks > 2),
                quads_bn=quads * (blocks > 2), zero_quad_blocks_bn=float(zero_quads.sum()) * blocks * (blocks > 2))


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
                 rows_b2=rows * (blocks == 2), rows_b4=rows * (blocks == 4), rows_bn=rows * (blocks not in (1, 2, 4)),
                 over64=int(np.maximum(n - 64, 0).sum()), chunks=-(-rows // 16))
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
                 e_div4_any=int(((e >> 2) > 0).sum()), e_rem4_any=int(((e & 3) > 0).sum()),
                 r4_words_any=int(((rest >> 3) > 0).sum()), r4_bytes_any=int((((rest & 7) >> 1) > 0).sum()),
                 r4_peel=int(peel.sum()), r4_words=int((rest >> 3).sum()), r4_bytes=int(((rest & 7) >> 1).sum()),
                 r4_last=int((rest & 1).sum()), p4_pairs=int((rest >> 1).sum()), chunks=-(-rows // 16))
        if weights.encoding == "rel4":
            f.update(_rel4_word_features(weights, start + peel, rest))
    else:
        raise CostModelError(f"unknown weight container {type(weights).__name__}")
    if kernel == "helium":
        f.update(_helium_features(weights, f))
    return {k: (v if k == "op" else v * batches) for k, v in f.items()}


def _rel4_word_features(weights, first, rest) -> dict:
    """``r4_asm``: the instructions of the Cortex-M rel4 assembly's row loop (tfs_cm_rel4_rows in
    firmware/kernels/cortex_m/fully_connected.c), path by path. Per row, ``rest`` entries from entry
    ``first`` (after a first gap on a high nibble) go as whole words of eight gaps, two words per loop,
    then a partial word: an escape-free word takes 37 instructions, a word with one escape 43 (+1 as the
    first of a pair), one with several 38 (+1) plus 3 per nonzero, a loop over a pair 2; the partial
    word 16 + 4 per gap, or with an escape 16 + 3 per gap + 3 per nonzero; a row 31 (30 with an odd
    word count), 16 when empty; a first gap on a high nibble 5, + 3 unless it is the escape."""
    packed = np.asarray(weights.indices, np.uint8)
    esc = np.stack([(packed & 15) == 15, (packed >> 4) == 15], axis=1).reshape(-1).astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(esc)])
    words = rest >> 3
    n_words = int(words.sum())
    row_of = np.repeat(np.arange(len(words)), words)
    index = np.arange(n_words) - np.repeat(np.cumsum(words) - words, words)  # word k of its row
    w0 = first[row_of] + 8 * index
    per_word = cum[w0 + 8] - cum[w0]
    # The loop starts at copy B with an odd word count: copy A holds the even-numbered words of its row.
    copy_a = ((index + (words[row_of] & 1)) & 1) == 0
    one, several = per_word == 1, per_word > 1
    word_cost = (37 * (per_word == 0) + (43 + copy_a) * one + (38 + copy_a + 3 * (8 - per_word)) * several).sum()
    pairs = int(((words + 1) >> 1).sum())
    rem = rest & 7
    tail0 = first + 8 * words
    tail_esc_count = cum[first + rest] - cum[tail0]
    tail_esc = tail_esc_count > 0
    tail_cost = np.where(rem == 0, 0, np.where(tail_esc, 16 + 3 * rem + 3 * (rem - tail_esc_count), 16 + 4 * rem)).sum()
    peel = first - weights.row_ptr.astype(np.int64)[:-1][: len(first)]  # 1 where the row starts on a high nibble
    peel_esc = np.zeros_like(peel)
    odd = peel > 0
    peel_esc[odd] = esc[first[odd] - 1]
    entries = np.diff(weights.row_ptr.astype(np.int64))
    nonempty = entries > 0
    row_cost = np.where(nonempty, 31 - (words & 1), 16).sum() + (5 * peel + 3 * (peel - peel_esc)).sum()
    return dict(r4_asm=float(word_cost + 2 * pairs + tail_cost + row_cost))


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
CONV_COEFFICIENTS = {('cortex-m33', 'any', 'IM2COL'): {'pixels': 392.4927, 'taps': -0.0238},
 ('cortex-m33', 'cortex-m', 'CONV_2D_DENSE'): {'blocks': 17.4928,
                                               'border_kx': 28.6791,
                                               'border_pixels': 149.4243,
                                               'border_rows': 50.2794,
                                               'border_taps': 0.0,
                                               'clamps': 13.657,
                                               'direct_blocks': 0.0,
                                               'gather_rows': 39.8166,
                                               'gather_taps': 1.6268,
                                               'general_pairs': 70.3109,
                                               'odd_blocks': 39.7116,
                                               'op': 758.7898,
                                               'packed_pairs': 41.3091,
                                               'packed_single': 46.7279,
                                               'pixel_pairs': 71.4861,
                                               'row_pairs': 59.7625,
                                               'tail1': 7.3359,
                                               'tail23': 31.7169},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_abs_u16'): {'blocks': 454.8937,
                                                         'gather_bytes_odd': 4.4998,
                                                         'gather_kx': 103.7519,
                                                         'gather_rows': 0.0,
                                                         'nnz': 8.255,
                                                         'op': 0.0,
                                                         'row_blocks': 82.2272,
                                                         'runs': 10.2402,
                                                         'taps': 8.9415},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_abs_u32'): {'blocks': 454.8937,
                                                         'gather_bytes_odd': 4.4998,
                                                         'gather_kx': 103.7519,
                                                         'gather_rows': 0.0,
                                                         'nnz': 8.255,
                                                         'op': 0.0,
                                                         'row_blocks': 82.2272,
                                                         'runs': 10.2402,
                                                         'taps': 8.9415},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_abs_u8'): {'blocks': 454.8937,
                                                        'gather_bytes_odd': 4.4998,
                                                        'gather_kx': 103.7519,
                                                        'gather_rows': 0.0,
                                                        'nnz': 8.255,
                                                        'op': 0.0,
                                                        'row_blocks': 82.2272,
                                                        'runs': 10.2402,
                                                        'taps': 8.9415},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_blk8'): {'blocks': 488.6629,
                                                      'gather_bytes_odd': 5.1878,
                                                      'gather_kx': 101.2865,
                                                      'gather_rows': 0.0,
                                                      'nnz': 9.6977,
                                                      'op': 0.0,
                                                      'row_blocks': 95.6221,
                                                      'runs': 0.0,
                                                      'taps': 8.8581},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_rel4'): {'blocks': 624.9055,
                                                      'gather_bytes_odd': 5.9349,
                                                      'gather_kx': 97.2371,
                                                      'gather_rows': 0.0,
                                                      'nnz': 11.2243,
                                                      'op': 0.0,
                                                      'row_blocks': 72.3931,
                                                      'runs': 24.195,
                                                      'taps': 7.9762},
 ('cortex-m33', 'cortex-m', 'CONV_2D_SPARSE4_rel8'): {'blocks': 505.753,
                                                      'gather_bytes_odd': 3.5187,
                                                      'gather_kx': 105.5102,
                                                      'gather_rows': 0.0,
                                                      'nnz': 13.1213,
                                                      'op': 0.0,
                                                      'row_blocks': 66.5251,
                                                      'runs': 14.7836,
                                                      'taps': 8.5684},
 ('cortex-m4', 'any', 'IM2COL'): {'pixels': 387.6995, 'taps': 0.015},
 ('cortex-m4', 'cortex-m', 'CONV_2D_DENSE'): {'blocks': 17.4853,
                                              'border_kx': 28.6513,
                                              'border_pixels': 149.9551,
                                              'border_rows': 50.1353,
                                              'border_taps': 0.0,
                                              'clamps': 13.6943,
                                              'direct_blocks': 0.0,
                                              'gather_rows': 39.9307,
                                              'gather_taps': 1.6454,
                                              'general_pairs': 70.4678,
                                              'odd_blocks': 39.4492,
                                              'op': 797.8774,
                                              'packed_pairs': 44.3151,
                                              'packed_single': 44.9414,
                                              'pixel_pairs': 68.573,
                                              'row_pairs': 59.774,
                                              'tail1': 7.3017,
                                              'tail23': 31.7031},
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
 ('cortex-m7', 'any', 'IM2COL'): {'pixels': 410.0454, 'taps': -0.0275},
 ('cortex-m7', 'cortex-m', 'CONV_2D_DENSE'): {'blocks': 17.4606,
                                              'border_kx': 30.3064,
                                              'border_pixels': 155.6748,
                                              'border_rows': 49.1034,
                                              'border_taps': 0.0,
                                              'clamps': 13.855,
                                              'direct_blocks': 0.0,
                                              'gather_rows': 42.0032,
                                              'gather_taps': 1.3329,
                                              'general_pairs': 68.1621,
                                              'odd_blocks': 39.3033,
                                              'op': 752.9264,
                                              'packed_pairs': 53.0229,
                                              'packed_single': 59.8964,
                                              'pixel_pairs': 66.8261,
                                              'row_pairs': 59.7129,
                                              'tail1': 7.3731,
                                              'tail23': 31.106},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_abs_u16'): {'blocks': 467.8167,
                                                        'gather_bytes_odd': 4.8665,
                                                        'gather_kx': 117.937,
                                                        'gather_rows': 0.0,
                                                        'nnz': 8.0839,
                                                        'op': 0.0,
                                                        'row_blocks': 81.3781,
                                                        'runs': 11.6022,
                                                        'taps': 9.0245},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_abs_u32'): {'blocks': 467.8167,
                                                        'gather_bytes_odd': 4.8665,
                                                        'gather_kx': 117.937,
                                                        'gather_rows': 0.0,
                                                        'nnz': 8.0839,
                                                        'op': 0.0,
                                                        'row_blocks': 81.3781,
                                                        'runs': 11.6022,
                                                        'taps': 9.0245},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_abs_u8'): {'blocks': 467.5426,
                                                       'gather_bytes_odd': 4.8695,
                                                       'gather_kx': 117.9416,
                                                       'gather_rows': 0.0,
                                                       'nnz': 8.0807,
                                                       'op': 0.0,
                                                       'row_blocks': 81.3678,
                                                       'runs': 11.6271,
                                                       'taps': 9.0274},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_blk8'): {'blocks': 500.5415,
                                                     'gather_bytes_odd': 5.6337,
                                                     'gather_kx': 115.1855,
                                                     'gather_rows': 0.0,
                                                     'nnz': 9.6967,
                                                     'op': 0.0,
                                                     'row_blocks': 95.4141,
                                                     'runs': 0.0,
                                                     'taps': 8.9611},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_rel4'): {'blocks': 650.0803,
                                                     'gather_bytes_odd': 6.4368,
                                                     'gather_kx': 111.0004,
                                                     'gather_rows': 0.0,
                                                     'nnz': 11.6174,
                                                     'op': 0.0,
                                                     'row_blocks': 69.9366,
                                                     'runs': 26.2544,
                                                     'taps': 7.8737},
 ('cortex-m7', 'cortex-m', 'CONV_2D_SPARSE4_rel8'): {'blocks': 517.6597,
                                                     'gather_bytes_odd': 3.9673,
                                                     'gather_kx': 119.4733,
                                                     'gather_rows': 0.0,
                                                     'nnz': 13.1161,
                                                     'op': 0.0,
                                                     'row_blocks': 67.155,
                                                     'runs': 16.866,
                                                     'taps': 8.6923}}
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


def conv_dense_features(op, model) -> dict:
    """Loop counts of the Cortex-M dense convolution (eval_dense in firmware/kernels/cortex_m/conv_2d.c):
    output pixels in pairs (``pixel_pairs``; ``general_pairs`` those outside the lean loop of a
    pointwise layer with an even channel count), each pair's two columns built one way: a 1x1 filter
    without padding expands them straight from the input (``direct_blocks``: blocks of 4 taps), a 3x3
    filter over 1 or 3 channels packs interior pairs of one output row from the input words
    (``packed_pairs``; its other interior windows one by one, ``packed_single``), other interior
    windows are read row by row (``gather_rows`` filter rows, ``gather_taps`` taps) and border windows
    go through the im2col (``border_pixels``, ``border_taps``; ``border_rows`` filter rows filled or
    copied whole, ``border_kx`` filter columns filled or copied one by one); then every pair of output
    channels (``row_pairs``) runs the whole blocks of 4 taps (``blocks``), the taps % 4 last taps
    (``tail1`` for one, ``tail23`` for two or three), requantization and the clamps the activation
    needs (``clamps``: row pairs x sides); an odd last channel takes the C loop (``odd_blocks``). A
    layer with a shift below -23 runs the same loop with the zero point added after the shift
    (``_conv_cost`` adds its 4 instructions per row pair); one with a shift above -2 runs the slower C
    loop, which this does not price."""
    _, oh, ow, cout = (int(d) for d in model.tensors[op.output].shape)
    _, ih, iw, cin = (int(d) for d in model.tensors[op.input].shape)
    taps = int(op.weights.shape[1])
    kh, kw, sh, sw = int(op.filter_height), int(op.filter_width), int(op.stride_height), int(op.stride_width)
    ph, pw = int(op.padding_height), int(op.padding_width)
    pixels = oh * ow
    pairs = -(-pixels // 2)
    rp = pairs * (cout // 2)
    blocks4, rest = taps >> 2, taps & 3
    direct = kh == kw == 1 and ph == pw == 0
    dilated = op.dilation_height_factor != 1 or op.dilation_width_factor != 1

    def interior(p_, k, s, size, n):
        lo = -(-p_ // s)
        lim = size - k + p_
        hi = 0 if lim < 0 else min(n, lim // s + 1)
        return lo, hi

    (oy_lo, oy_hi), (ox_lo, ox_hi) = interior(ph, kh, sh, ih, oh), interior(pw, kw, sw, iw, ow)
    if dilated:
        oy_hi = oy_lo
    pix = np.arange(pixels)
    oy, ox = pix // ow, pix % ow
    inside = (oy >= oy_lo) & (oy < oy_hi) & (ox >= ox_lo) & (ox < ox_hi)
    packed = np.zeros(pixels, bool)
    small = kh == 3 and kw * cin in (3, 9) and not direct
    if small:
        first = pix[0::2]
        second = np.minimum(first + 1, pixels - 1)
        ok = inside[first] & inside[second] & (oy[first] == oy[second])
        packed[first[ok]] = packed[second[ok]] = True
    n_single = int((inside & ~packed).sum()) if small else 0
    n_inside = 0 if small else int(inside.sum())
    n_border = int((~inside).sum())
    # tfs_conv_2d_column on the border pixels: a filter row wholly in the padding or inside the input
    # is one fill or copy, any other row one fill or copy per filter column
    dh, dw = int(op.dilation_height_factor), int(op.dilation_width_factor)
    by, bx = oy[~inside] * sh - ph, ox[~inside] * sw - pw
    y = by[:, None] + np.arange(kh)[None, :] * dh
    x_ok = (dw == 1) & (bx >= 0) & (bx + (kw - 1) * dw < iw)
    split = ((y >= 0) & (y < ih)) & ~x_ok[:, None]
    border_kx = int(split.sum()) * kw
    border_rows = int((~split).sum())
    lo, hi = int(op.activation_min), int(op.activation_max)
    sides = 0 if (lo, hi) == (-128, 127) else (1 if hi == 127 else 2)
    pointwise = direct and sh == sw == 1 and (ih, iw) == (oh, ow) and cout % 2 == 0
    return {"op": 1.0, "pixel_pairs": pairs, "general_pairs": 0 if pointwise else pairs, "row_pairs": rp, "blocks": rp * blocks4,
            "tail1": rp * (rest == 1), "tail23": rp * (rest > 1), "clamps": rp * sides,
            "odd_blocks": pairs * (cout & 1) * -(-taps // 4),
            "direct_blocks": pairs * -(-taps // 4) if direct else 0,
            "packed_pairs": int(packed.sum()) // 2, "packed_single": n_single,
            "gather_rows": 0 if direct else kh * n_inside, "gather_taps": 0 if direct else taps * n_inside,
            "border_pixels": 0 if direct else n_border, "border_taps": 0 if direct else taps * n_border,
            "border_rows": 0 if direct else border_rows, "border_kx": 0 if direct else border_kx}


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


#: Instructions per row pair that pairs_dsp_zp (cortex_m/conv_2d.c) runs beyond pairs_dsp: the zero point
#: loaded and added to 4 outputs after the shift instead of riding in the SMLAL start (counted from the
#: assembly, the same on every core).
ZP_AFTER_SHIFT = 4.0


def _zp_after_shift(op, features) -> int:
    """Row pairs the dense Cortex-M conv runs through pairs_dsp_zp: every shift <= -2 and one below -23."""
    shift = np.asarray(op.shift)
    deep = int(op.weights.shape[1]) >= 4 and shift.max() <= -2 and shift.min() < -23
    return features["row_pairs"] if deep else 0


def _conv_cost(op, model, core, kernel, live_fraction) -> OpCost:
    """CONV_2D: dense weights on the Cortex-M kernel run the DSP convolution (its own fit), sparse row
    forms the four-pixel sparse convolution (a fit per encoding); the portable kernel runs the
    fully-connected kernel on each output pixel's column, plus the im2col gather."""
    w = op.weights
    g = conv_geometry(op, model)
    rows = int(w.shape[0])
    if isinstance(w, DenseMatrix) and kernel == "cortex-m":
        coef = _conv_coefficients(core, kernel, "CONV_2D_DENSE")
        f = conv_dense_features(op, model)
        mean = worst = float(sum(c * float(f[n]) for n, c in coef.items())) + ZP_AFTER_SHIFT * _zp_after_shift(op, f)
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


# ---- Graph ops (DEPTHWISE_CONV_2D, ADD, pools, MEAN, CONCATENATION, PAD, QUANTIZE, LOGISTIC, EXPAND_DIMS) ----
# Linear in loop counts of their kernels (firmware/kernels/<op>.c and cortex_m/<op>.c), computed from the
# op's shapes by graph_features; coefficients per (core, kernel, kind) fitted on QEMU by
# benchmarks/graph_cost_fit.py (random chains of these ops), which rewrites the table below.
_WINDOW = ("op", "pixels", "outputs", "w_rows", "w_taps", "e_rows", "e_taps")
_GROUPS = ("op", "pixels", "g", "g_rows", "g_taps", "r", "r_rows", "r_taps")
_DW = ("op", "pixels", "outputs", "k_rows", "taps", "w_taps", "e_taps", "e_taps_m", "pad_taps")
GRAPH_FEATURES = {}
for _kern in ("portable", "cortex-m"):
    GRAPH_FEATURES.update({
        (_kern, "MAX_POOL_2D"): _WINDOW, (_kern, "AVERAGE_POOL_2D"): _WINDOW,
        (_kern, "DEPTHWISE_CONV_2D"): _DW,
        (_kern, "ADD"): ("op", "elems", "table", "t_elems"),
        (_kern, "MEAN"): ("op", "channels", "count", "elems"),
        # memcpy per row / per input slice: words and leftover bytes.
        # (u_words: words of slices whose length is not a multiple of 4, so later slices are misaligned).
        (_kern, "CONCATENATION"): ("op", "calls", "elems", "words", "u_words", "tail"),
        (_kern, "PAD"): ("op", "rows", "elems", "words", "u_words", "tail", "out_elems"),
        (_kern, "QUANTIZE"): ("op", "elems"),
        (_kern, "LOGISTIC"): ("op", "elems", "live", "exp_bits"),
        (_kern, "EXPAND_DIMS"): ("op",),
    })
GRAPH_FEATURES.update({
    # Cortex-M twins: 4 channels per word (groups "g"), leftover channels one by one ("r"); max pool
    # unrolls 2x2 windows ("g2"); ADD's table loop writes 4 results per word ("t_quads").
    ("cortex-m", "MAX_POOL_2D"): _GROUPS + ("g2", "g_clamp"),
    ("cortex-m", "AVERAGE_POOL_2D"): _GROUPS,
    ("cortex-m", "ADD"): ("op", "elems", "table", "t_quads", "t_clamp", "t_tail"),
    # Depthwise: 3x3, multiplier 1, 4-channel blocks packed ("p_*": interior and border pixel blocks,
    # output rows); other filters 4 channels per step ("g_*"); the rest one channel at a time.
    ("cortex-m", "DEPTHWISE_CONV_2D"): ("op", "pixels", "p_op", "p_runs", "p_int", "p_bpx", "p_border", "p_clamp",
                                        "p_pack", "g", "g_taps", "g_bpx", "g_border", "r", "r_taps"),
})
#: Inputs of an ADD from which its kernels tabulate each input's rescaling (codegen.graph_ops).
_ADD_TABLE_MIN = 256


def _spans(size, k, stride, pad, out, dilation=1):
    """Per output position: (first valid tap, taps inside the input) along one dimension."""
    start = np.arange(out) * stride - pad
    taps = start[:, None] + np.arange(k) * dilation
    valid = (taps >= 0) & (taps < size)
    return valid


def graph_features(op, model, kernel: str) -> dict:
    """Loop counts of one graph op's kernel (the features of :data:`GRAPH_FEATURES`), from its shapes."""
    t = model.tensors
    out_shape = tuple(int(d) for d in t[op.output].shape)
    elems = int(np.prod(out_shape))
    kind = op.kind
    f = {"op": 1.0}
    if kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "DEPTHWISE_CONV_2D"):
        _, ih, iw, _ = (int(d) for d in t[op.input].shape)
        _, oh, ow, c = out_shape
        dy, dx = getattr(op, "dilation_height_factor", 1), getattr(op, "dilation_width_factor", 1)
        vy = _spans(ih, op.filter_height, op.stride_height, op.padding_height, oh, dy)
        vx = _spans(iw, op.filter_width, op.stride_width, op.padding_width, ow, dx)
        ry, rx = vy.sum(axis=1), vx.sum(axis=1)  # valid taps per output row / column
        pixels = oh * ow
        taps = float(np.outer(ry, rx).sum())  # valid taps over all output pixels
        rows = float(ry.sum() * ow)  # window rows over all output pixels
        g, r = c // 4, c % 4
        f.update(pixels=pixels, outputs=pixels * c, w_rows=rows, w_taps=taps, e_rows=rows * c, e_taps=taps * c)
        if kind == "DEPTHWISE_CONV_2D":
            k = op.filter_height * op.filter_width
            multi = op.depth_multiplier != 1  # the portable kernel divides the channel per tap
            f.update(pad_taps=(pixels * k - taps) * c, taps=pixels * k, k_rows=pixels * op.filter_height,
                     e_taps=0.0 if multi else taps * c,
                     e_taps_m=taps * c if multi else 0.0)
            if kernel == "cortex-m":
                packed = (op.filter_height == op.filter_width == 3 and op.depth_multiplier == 1 and g > 0)
                inside = np.outer(ry == 3, rx == 3) if dx == 1 else np.zeros((oh, ow), bool)
                interior = float(inside.sum())
                clamp = op.activation_min != -128 or op.activation_max != 127
                if packed:  # each output row's interior pixels in one call, the others through a tap table
                    f.update(p_op=1.0, p_runs=float(inside.any(axis=1).sum()), p_int=interior * g,
                             p_bpx=pixels - interior, p_border=(pixels - interior) * g,
                             p_clamp=pixels * g if clamp else 0, p_pack=g, r=pixels * r, r_taps=pixels * k * r)
                elif op.depth_multiplier == 1:  # interior pixels and border pixels (valid tap ranges)
                    border = pixels - float(np.outer(ry == op.filter_height, rx == op.filter_width).sum())
                    f.update(g=pixels * g, g_taps=pixels * k * g, g_bpx=border if g else 0, g_border=border * g,
                             r=pixels * r, r_taps=pixels * k * r)
                else:
                    f.update(r=pixels * c, r_taps=pixels * k * c)
        elif kernel == "cortex-m":
            two = np.outer(ry == 2, rx == 2)
            fast = float(two.sum()) if kind == "MAX_POOL_2D" else 0.0
            slow_taps = taps - 4 * fast
            slow_rows = rows - 2 * fast
            clamp = op.activation_min != -128 or op.activation_max != 127
            f.update(g=(pixels - fast) * g, g_rows=slow_rows * g, g_taps=slow_taps * g, g2=fast * g,
                     g_clamp=pixels * g if clamp else 0, r=pixels * r, r_rows=rows * r, r_taps=taps * r)
    elif kind == "ADD":
        table = elems >= _ADD_TABLE_MIN
        f.update(elems=0 if table else elems, table=float(table), t_elems=elems if table else 0)
        if kernel == "cortex-m":
            quads = elems // 4 if table and 1 <= -op.output_shift <= 22 else 0
            clamp = op.activation_min != -128 or op.activation_max != 127
            f.update(t_elems=0, t_quads=quads, t_clamp=quads if clamp else 0, t_tail=(elems - 4 * quads) if table else 0)
    elif kind == "MEAN":
        shape = tuple(int(d) for d in t[op.input].shape)
        channels = shape[-1]
        count = int(np.prod(shape)) // channels
        f.update(channels=channels, count=count, elems=count * channels)
    elif kind == "CONCATENATION":
        axis = op.axis % len(out_shape)
        outer = int(np.prod(out_shape[:axis]))
        inner = [int(np.prod(tuple(t[i].shape)[axis:])) for i in op.inputs]
        misaligned = any(n % 4 for n in inner)
        f.update(calls=outer * len(op.inputs), elems=elems, words=outer * sum(n // 4 for n in inner),
                 u_words=outer * sum(n // 4 for n in inner) if misaligned else 0, tail=outer * sum(n % 4 for n in inner))
    elif kind == "PAD":
        shape = tuple(int(d) for d in t[op.input].shape)
        rows = int(np.prod(shape[:-1]))
        words = rows * (shape[-1] // 4)
        f.update(rows=rows, elems=int(np.prod(shape)), words=words, u_words=words if shape[-1] % 4 else 0,
                 tail=rows * (shape[-1] % 4), out_elems=elems)
    elif kind == "QUANTIZE":
        f.update(elems=elems)
    elif kind == "LOGISTIC":
        # Inputs within the input range radius of the zero point take the fixed-point exp and 1/(1+x);
        # the others (and inputs at the zero point) take a shortcut; the exp barrel multiplies once per
        # set bit of the integer part (logistic_activity measures both; here the worst case).
        f.update(elems=elems, live=elems, exp_bits=elems * _LOGISTIC_BARREL_BITS)
    return f


def _graph_coefficients(core, kernel, kind):
    coef = GRAPH_COEFFICIENTS.get((PROXY_CORES.get(core, core), kernel, kind))
    if coef is None:
        coef = GRAPH_COEFFICIENTS.get((_GRAPH_FIT_CORE, kernel, kind))
    if coef is None:
        raise CostModelError(f"the cost model has no {kind} coefficients for {core!r} ({kernel} kernel); fit them "
                             "with benchmarks/graph_cost_fit.py")
    return coef


_LOGISTIC_BARREL_BITS = 6  # exp_on_negative_values with 4 integer bits: k = 0 .. 5


def logistic_activity(op, x) -> np.ndarray:
    """Per sample of LOGISTIC's int8 input ``x`` (leading batch axis): (fraction of inputs off the zero
    point and inside the input range radius, which take the fixed-point exp and 1/(1+x), while the
    others saturate or return one half at once; fraction of the exp barrel's 6 multiply steps taken)."""
    d = np.asarray(x, np.int64).reshape(len(x), -1) - op.input_zero_point
    live = (np.abs(d) < op.input_range_radius) & (d != 0)
    q4 = multiply_by_quantized_multiplier(np.where(live, d, 0), op.input_multiplier, op.input_left_shift)
    a = -np.abs(np.asarray(q4, np.int64))
    quarter = 1 << (31 - 4 - 2)
    bits = ((((a & (quarter - 1)) - quarter) - a) >> 25) & ((1 << _LOGISTIC_BARREL_BITS) - 1)
    count = np.zeros_like(bits)
    for k in range(_LOGISTIC_BARREL_BITS):
        count += (bits >> k) & 1
    count = np.where(live & (q4 != 0), count, 0)
    return np.stack([live.mean(axis=1), count.sum(axis=1) / (d.shape[1] * _LOGISTIC_BARREL_BITS)], axis=1)


def add_without_tables(op, model, target: Union[str, Target], kernel: Optional[str] = None) -> float:
    """Instructions of an ADD whose rescale tables the arena planner dropped to fit the RAM (the
    per-element path whatever its size; :func:`op_cost` prices the path its size picks)."""
    tgt = get_target(target)
    kern = kernel or tgt.kernel_impl
    coef = _graph_coefficients(tgt.cpu, kern if kern in ("portable", "cortex-m") else "cortex-m", "ADD")
    return coef["op"] + coef["elems"] * float(np.prod(model.tensors[op.output].shape))


def _graph_cost(op, model, core, kernel, live_fraction) -> OpCost:
    """A graph op without weights to choose: instructions from :func:`graph_features`. Only LOGISTIC
    depends on the data: its ``live_fraction`` is ``(live, exp_bits)``, :func:`logistic_activity`'s
    means (None: the worst case, every input live and every exp step taken); the others ignore it."""
    kern = kernel if kernel in ("portable", "cortex-m") else "cortex-m"
    f = graph_features(op, model, kern)
    coef = _graph_coefficients(core, kern, op.kind)
    worst = mean = float(sum(c * float(f.get(n, 0.0)) for n, c in coef.items()))
    if op.kind == "LOGISTIC" and live_fraction is not None:
        live, bits = (float(v) for v in np.ravel(live_fraction)[:2])
        f.update(live=live * f["elems"], exp_bits=bits * f["elems"] * _LOGISTIC_BARREL_BITS)
        mean = float(sum(c * float(f.get(n, 0.0)) for n, c in coef.items()))
    flash = macs = nnz = 0
    if op.kind == "DEPTHWISE_CONV_2D":
        w = op.weights
        flash = _const_bytes(w.weights) + 3 * 4 * int(w.shape[0])
        macs = nnz = int(np.prod(w.shape))
        macs *= int(np.prod(model.tensors[op.output].shape[1:3]))
    return OpCost(instructions=mean, worst_case_instructions=max(mean, worst), flash_bytes=flash,
                  arena_bytes=op_scratch_bytes(op, model), macs=macs, nnz=nnz)


# Cores without their own fit use cortex-m4's coefficients (an estimate).
_GRAPH_FIT_CORE = "cortex-m4"
# BEGIN GRAPH FITTED (benchmarks/graph_cost_fit.py; do not edit by hand)
GRAPH_COEFFICIENTS = {('cortex-m0', 'portable', 'ADD'): {'elems': 328.266, 'op': 41.1558, 't_elems': 141.298, 'table': 53985.425},
 ('cortex-m0', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 11.4396,
                                                'e_taps': 8.419,
                                                'op': 1.0798,
                                                'outputs': 68.433,
                                                'pixels': 93.6265,
                                                'w_rows': 0.0,
                                                'w_taps': 0.0},
 ('cortex-m0', 'portable', 'CONCATENATION'): {'calls': 43.6768,
                                              'elems': 0.0,
                                              'op': 18.8132,
                                              'tail': 0.0,
                                              'u_words': 9.9223,
                                              'words': 6.2996},
 ('cortex-m0', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 9.215,
                                                  'e_taps_m': 33.9365,
                                                  'k_rows': 1.0483,
                                                  'op': 45.375,
                                                  'outputs': 138.1467,
                                                  'pad_taps': 9.3055,
                                                  'pixels': 64.2338,
                                                  'taps': 32.8715,
                                                  'w_taps': 22.3644},
 ('cortex-m0', 'portable', 'EXPAND_DIMS'): {'op': 3.024},
 ('cortex-m0', 'portable', 'LOGISTIC'): {'elems': 115.1027,
                                         'exp_bits': 78.7774,
                                         'live': 1012.7839,
                                         'op': 25.4925},
 ('cortex-m0', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.1336,
                                            'e_taps': 11.5257,
                                            'op': 50.3589,
                                            'outputs': 14.9097,
                                            'pixels': 100.2568,
                                            'w_rows': 11.1209,
                                            'w_taps': 19.0239},
 ('cortex-m0', 'portable', 'MEAN'): {'channels': 119.5641, 'count': 11.5705, 'elems': 8.3906, 'op': 60.4258},
 ('cortex-m0', 'portable', 'PAD'): {'elems': 0.0,
                                    'op': 151.4707,
                                    'out_elems': 0.7773,
                                    'rows': 48.6889,
                                    'tail': 0.0,
                                    'u_words': 14.4885,
                                    'words': 4.3716},
 ('cortex-m0', 'portable', 'QUANTIZE'): {'elems': 114.2155, 'op': 32.3235},
 ('cortex-m3', 'cortex-m', 'ADD'): {'elems': 87.9513,
                                    'op': 68.0233,
                                    't_clamp': 111.9882,
                                    't_quads': 89.0072,
                                    't_tail': 48.4825,
                                    'table': 7219.843},
 ('cortex-m3', 'cortex-m', 'AVERAGE_POOL_2D'): {'g': 97.8829,
                                                'g_rows': 36.8004,
                                                'g_taps': 17.24,
                                                'op': 38.2455,
                                                'pixels': 63.0861,
                                                'r': 21.203,
                                                'r_rows': 8.8727,
                                                'r_taps': 6.6758},
 ('cortex-m3', 'cortex-m', 'CONCATENATION'): {'calls': 32.3286,
                                              'elems': 0.0,
                                              'op': 21.3139,
                                              'tail': 1.9287,
                                              'u_words': 3.419,
                                              'words': 3.0101},
 ('cortex-m3', 'cortex-m', 'DEPTHWISE_CONV_2D'): {'g': 101.5197,
                                                  'g_border': 94.0759,
                                                  'g_bpx': 0.0,
                                                  'g_taps': 32.6807,
                                                  'op': 0.0,
                                                  'p_border': 294.2239,
                                                  'p_bpx': 296.8517,
                                                  'p_clamp': 4.7052,
                                                  'p_int': 325.7115,
                                                  'p_op': 150.0711,
                                                  'p_pack': 307.8648,
                                                  'p_runs': 410.6629,
                                                  'pixels': 82.3523,
                                                  'r': 24.1709,
                                                  'r_taps': 32.5635},
 ('cortex-m3', 'cortex-m', 'EXPAND_DIMS'): {'op': 3.0},
 ('cortex-m3', 'cortex-m', 'LOGISTIC'): {'elems': 50.1982,
                                         'exp_bits': 21.9851,
                                         'live': 280.9582,
                                         'op': 16.644},
 ('cortex-m3', 'cortex-m', 'MAX_POOL_2D'): {'g': 25.5496,
                                            'g2': 213.0807,
                                            'g_clamp': 122.9576,
                                            'g_rows': 14.3029,
                                            'g_taps': 64.7031,
                                            'op': 74.6946,
                                            'pixels': 57.4355,
                                            'r': 20.5648,
                                            'r_rows': 6.8738,
                                            'r_taps': 8.1722},
 ('cortex-m3', 'cortex-m', 'MEAN'): {'channels': 55.1869, 'count': 9.1784, 'elems': 5.9767, 'op': 32.8547},
 ('cortex-m3', 'cortex-m', 'PAD'): {'elems': 0.0,
                                    'op': 125.4049,
                                    'out_elems': 0.3033,
                                    'rows': 38.0139,
                                    'tail': 1.2322,
                                    'u_words': 3.5605,
                                    'words': 3.324},
 ('cortex-m3', 'cortex-m', 'QUANTIZE'): {'elems': 58.2747, 'op': 19.3325},
 ('cortex-m3', 'portable', 'ADD'): {'elems': 129.0971,
                                    'op': 48.5953,
                                    't_elems': 60.3417,
                                    'table': 20217.3262},
 ('cortex-m3', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 7.9434,
                                                'e_taps': 5.8402,
                                                'op': 26.7707,
                                                'outputs': 29.2521,
                                                'pixels': 41.4472,
                                                'w_rows': 1.1041,
                                                'w_taps': 0.5},
 ('cortex-m3', 'portable', 'CONCATENATION'): {'calls': 32.4743,
                                              'elems': 0.0,
                                              'op': 18.9181,
                                              'tail': 2.0184,
                                              'u_words': 3.3238,
                                              'words': 2.9622},
 ('cortex-m3', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 7.0277,
                                                  'e_taps_m': 8.828,
                                                  'k_rows': 2.813,
                                                  'op': 40.3344,
                                                  'outputs': 55.2893,
                                                  'pad_taps': 6.9907,
                                                  'pixels': 48.2068,
                                                  'taps': 26.0275,
                                                  'w_taps': 10.6062},
 ('cortex-m3', 'portable', 'EXPAND_DIMS'): {'op': 3.0},
 ('cortex-m3', 'portable', 'LOGISTIC'): {'elems': 50.1813,
                                         'exp_bits': 21.7915,
                                         'live': 280.9954,
                                         'op': 18.497},
 ('cortex-m3', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.1182,
                                            'e_taps': 7.9287,
                                            'op': 42.2314,
                                            'outputs': 10.2376,
                                            'pixels': 68.1725,
                                            'w_rows': 5.336,
                                            'w_taps': 13.7606},
 ('cortex-m3', 'portable', 'MEAN'): {'channels': 55.2407, 'count': 9.3687, 'elems': 5.9552, 'op': 31.5211},
 ('cortex-m3', 'portable', 'PAD'): {'elems': 0.0,
                                    'op': 124.4063,
                                    'out_elems': 0.2927,
                                    'rows': 38.1077,
                                    'tail': 1.2048,
                                    'u_words': 3.5498,
                                    'words': 3.366},
 ('cortex-m3', 'portable', 'QUANTIZE'): {'elems': 58.2988, 'op': 17.8394},
 ('cortex-m33', 'cortex-m', 'ADD'): {'elems': 88.0451,
                                     'op': 62.1747,
                                     't_clamp': 5.9781,
                                     't_quads': 50.018,
                                     't_tail': 0.0,
                                     'table': 6705.2245},
 ('cortex-m33', 'cortex-m', 'AVERAGE_POOL_2D'): {'g': 92.2753,
                                                 'g_rows': 29.5552,
                                                 'g_taps': 5.6241,
                                                 'op': 43.9428,
                                                 'pixels': 56.4572,
                                                 'r': 24.2055,
                                                 'r_rows': 8.1974,
                                                 'r_taps': 6.2174},
 ('cortex-m33', 'cortex-m', 'CONCATENATION'): {'calls': 32.7014,
                                               'elems': 0.0,
                                               'op': 22.1288,
                                               'tail': 1.4699,
                                               'u_words': 3.8073,
                                               'words': 2.8489},
 ('cortex-m33', 'cortex-m', 'DEPTHWISE_CONV_2D'): {'g': 104.9712,
                                                   'g_border': 0.0,
                                                   'g_bpx': 0.0,
                                                   'g_taps': 33.1761,
                                                   'op': 0.0,
                                                   'p_border': 109.9924,
                                                   'p_bpx': 333.3712,
                                                   'p_clamp': 4.0027,
                                                   'p_int': 109.1229,
                                                   'p_op': 173.2651,
                                                   'p_pack': 238.0411,
                                                   'p_runs': 103.4792,
                                                   'pixels': 16.017,
                                                   'r': 91.195,
                                                   'r_taps': 27.7176},
 ('cortex-m33', 'cortex-m', 'EXPAND_DIMS'): {'op': 3.0},
 ('cortex-m33', 'cortex-m', 'LOGISTIC'): {'elems': 49.4928,
                                          'exp_bits': 21.1124,
                                          'live': 282.4354,
                                          'op': 21.0393},
 ('cortex-m33', 'cortex-m', 'MAX_POOL_2D'): {'g': 18.0516,
                                             'g2': 19.3299,
                                             'g_clamp': 5.7977,
                                             'g_rows': 8.7164,
                                             'g_taps': 8.0594,
                                             'op': 69.5195,
                                             'pixels': 65.7591,
                                             'r': 26.9641,
                                             'r_rows': 2.2062,
                                             'r_taps': 9.1591},
 ('cortex-m33', 'cortex-m', 'MEAN'): {'channels': 54.9766, 'count': 9.1964, 'elems': 5.9922, 'op': 33.8325},
 ('cortex-m33', 'cortex-m', 'PAD'): {'elems': 0.0,
                                     'op': 124.1872,
                                     'out_elems': 0.3556,
                                     'rows': 37.8975,
                                     'tail': 1.2338,
                                     'u_words': 4.0061,
                                     'words': 3.0133},
 ('cortex-m33', 'cortex-m', 'QUANTIZE'): {'elems': 57.1102, 'op': 20.5412},
 ('cortex-m33', 'portable', 'ADD'): {'elems': 128.6144,
                                     'op': 44.3498,
                                     't_elems': 64.2116,
                                     'table': 20226.1086},
 ('cortex-m33', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 8.1289,
                                                 'e_taps': 5.7672,
                                                 'op': 31.6976,
                                                 'outputs': 28.9826,
                                                 'pixels': 42.1008,
                                                 'w_rows': 0.0,
                                                 'w_taps': 1.3228},
 ('cortex-m33', 'portable', 'CONCATENATION'): {'calls': 32.6592,
                                               'elems': 0.0,
                                               'op': 24.6485,
                                               'tail': 1.3685,
                                               'u_words': 3.8541,
                                               'words': 2.857},
 ('cortex-m33', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 7.0149,
                                                   'e_taps_m': 8.9894,
                                                   'k_rows': 2.9484,
                                                   'op': 21.5476,
                                                   'outputs': 55.4523,
                                                   'pad_taps': 7.0355,
                                                   'pixels': 50.3093,
                                                   'taps': 26.6979,
                                                   'w_taps': 9.2036},
 ('cortex-m33', 'portable', 'EXPAND_DIMS'): {'op': 3.0},
 ('cortex-m33', 'portable', 'LOGISTIC'): {'elems': 49.1848,
                                          'exp_bits': 20.5802,
                                          'live': 282.9744,
                                          'op': 20.4778},
 ('cortex-m33', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.6119,
                                             'e_taps': 7.8622,
                                             'op': 44.3119,
                                             'outputs': 9.5156,
                                             'pixels': 67.47,
                                             'w_rows': 4.4462,
                                             'w_taps': 14.2167},
 ('cortex-m33', 'portable', 'MEAN'): {'channels': 54.9864, 'count': 9.6458, 'elems': 5.9198, 'op': 35.8735},
 ('cortex-m33', 'portable', 'PAD'): {'elems': 0.0,
                                     'op': 125.6719,
                                     'out_elems': 0.3684,
                                     'rows': 37.712,
                                     'tail': 1.3093,
                                     'u_words': 3.9626,
                                     'words': 2.9794},
 ('cortex-m33', 'portable', 'QUANTIZE'): {'elems': 57.1905, 'op': 12.5397},
 ('cortex-m4', 'cortex-m', 'ADD'): {'elems': 93.0103,
                                    'op': 63.2189,
                                    't_clamp': 5.9857,
                                    't_quads': 50.0109,
                                    't_tail': 0.0,
                                    'table': 6708.0908},
 ('cortex-m4', 'cortex-m', 'AVERAGE_POOL_2D'): {'g': 92.2465,
                                                'g_rows': 29.6656,
                                                'g_taps': 5.564,
                                                'op': 46.302,
                                                'pixels': 56.5385,
                                                'r': 24.3297,
                                                'r_rows': 7.5145,
                                                'r_taps': 6.4642},
 ('cortex-m4', 'cortex-m', 'CONCATENATION'): {'calls': 33.3906,
                                              'elems': 0.0,
                                              'op': 23.1458,
                                              'tail': 1.1587,
                                              'u_words': 3.9825,
                                              'words': 2.2918},
 ('cortex-m4', 'cortex-m', 'DEPTHWISE_CONV_2D'): {'g': 106.6993,
                                                  'g_border': 0.0,
                                                  'g_bpx': 0.0,
                                                  'g_taps': 32.8954,
                                                  'op': 0.0,
                                                  'p_border': 109.7419,
                                                  'p_bpx': 327.9296,
                                                  'p_clamp': 4.455,
                                                  'p_int': 108.8041,
                                                  'p_op': 176.1116,
                                                  'p_pack': 237.5326,
                                                  'p_runs': 87.2344,
                                                  'pixels': 17.9908,
                                                  'r': 93.5078,
                                                  'r_taps': 27.2508},
 ('cortex-m4', 'cortex-m', 'EXPAND_DIMS'): {'op': 3.0625},
 ('cortex-m4', 'cortex-m', 'LOGISTIC'): {'elems': 49.8743,
                                         'exp_bits': 21.8037,
                                         'live': 281.7706,
                                         'op': 19.5556},
 ('cortex-m4', 'cortex-m', 'MAX_POOL_2D'): {'g': 18.4723,
                                            'g2': 19.2656,
                                            'g_clamp': 5.5924,
                                            'g_rows': 8.2908,
                                            'g_taps': 8.1596,
                                            'op': 67.0811,
                                            'pixels': 65.9008,
                                            'r': 26.4574,
                                            'r_rows': 2.3497,
                                            'r_taps': 9.1552},
 ('cortex-m4', 'cortex-m', 'MEAN'): {'channels': 54.1689, 'count': 8.8, 'elems': 5.9895, 'op': 34.1425},
 ('cortex-m4', 'cortex-m', 'PAD'): {'elems': 0.0,
                                    'op': 107.0938,
                                    'out_elems': 0.3497,
                                    'rows': 38.5167,
                                    'tail': 1.0863,
                                    'u_words': 4.4038,
                                    'words': 2.6142},
 ('cortex-m4', 'cortex-m', 'QUANTIZE'): {'elems': 55.1113, 'op': 21.0068},
 ('cortex-m4', 'portable', 'ADD'): {'elems': 128.5598, 'op': 46.3981, 't_elems': 64.212, 'table': 20225.5859},
 ('cortex-m4', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 8.0725,
                                                'e_taps': 5.8026,
                                                'op': 26.6489,
                                                'outputs': 29.0763,
                                                'pixels': 43.2454,
                                                'w_rows': 0.0,
                                                'w_taps': 0.8986},
 ('cortex-m4', 'portable', 'CONCATENATION'): {'calls': 33.3927,
                                              'elems': 0.0,
                                              'op': 20.9676,
                                              'tail': 1.0522,
                                              'u_words': 4.0882,
                                              'words': 2.3313},
 ('cortex-m4', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 7.1008,
                                                  'e_taps_m': 8.7927,
                                                  'k_rows': 5.0713,
                                                  'op': 21.4884,
                                                  'outputs': 55.306,
                                                  'pad_taps': 6.9891,
                                                  'pixels': 55.2236,
                                                  'taps': 27.5921,
                                                  'w_taps': 9.2561},
 ('cortex-m4', 'portable', 'EXPAND_DIMS'): {'op': 3.0625},
 ('cortex-m4', 'portable', 'LOGISTIC'): {'elems': 49.8907,
                                         'exp_bits': 22.0139,
                                         'live': 281.6819,
                                         'op': 22.5623},
 ('cortex-m4', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.6298,
                                            'e_taps': 7.8667,
                                            'op': 41.9122,
                                            'outputs': 11.4561,
                                            'pixels': 71.9738,
                                            'w_rows': 4.0776,
                                            'w_taps': 14.2381},
 ('cortex-m4', 'portable', 'MEAN'): {'channels': 54.0276, 'count': 8.1637, 'elems': 6.0549, 'op': 34.4528},
 ('cortex-m4', 'portable', 'PAD'): {'elems': 0.0,
                                    'op': 104.6319,
                                    'out_elems': 0.345,
                                    'rows': 38.4382,
                                    'tail': 1.1496,
                                    'u_words': 4.3707,
                                    'words': 2.6686},
 ('cortex-m4', 'portable', 'QUANTIZE'): {'elems': 55.113, 'op': 21.4997},
 ('cortex-m55', 'cortex-m', 'ADD'): {'elems': 102.0132,
                                     'op': 56.6208,
                                     't_clamp': 5.9954,
                                     't_quads': 50.005,
                                     't_tail': 0.0,
                                     'table': 6713.588},
 ('cortex-m55', 'cortex-m', 'AVERAGE_POOL_2D'): {'g': 96.6774,
                                                 'g_rows': 29.6183,
                                                 'g_taps': 4.4234,
                                                 'op': 36.2991,
                                                 'pixels': 58.0949,
                                                 'r': 28.6665,
                                                 'r_rows': 8.2637,
                                                 'r_taps': 4.4239},
 ('cortex-m55', 'cortex-m', 'CONCATENATION'): {'calls': 32.6111,
                                               'elems': 0.0,
                                               'op': 20.9852,
                                               'tail': 1.7047,
                                               'u_words': 3.6332,
                                               'words': 2.8813},
 ('cortex-m55', 'cortex-m', 'DEPTHWISE_CONV_2D'): {'g': 127.5358,
                                                   'g_border': 0.0,
                                                   'g_bpx': 0.0,
                                                   'g_taps': 29.4349,
                                                   'op': 0.0,
                                                   'p_border': 110.1055,
                                                   'p_bpx': 342.9267,
                                                   'p_clamp': 3.9909,
                                                   'p_int': 109.2701,
                                                   'p_op': 194.0978,
                                                   'p_pack': 243.0386,
                                                   'p_runs': 113.4861,
                                                   'pixels': 14.7132,
                                                   'r': 94.8143,
                                                   'r_taps': 25.5089},
 ('cortex-m55', 'cortex-m', 'EXPAND_DIMS'): {'op': 2.976},
 ('cortex-m55', 'cortex-m', 'LOGISTIC'): {'elems': 49.5694,
                                          'exp_bits': 24.2616,
                                          'live': 293.3541,
                                          'op': 21.0846},
 ('cortex-m55', 'cortex-m', 'MAX_POOL_2D'): {'g': 15.3321,
                                             'g2': 19.3061,
                                             'g_clamp': 6.1685,
                                             'g_rows': 7.8302,
                                             'g_taps': 6.1689,
                                             'op': 65.9132,
                                             'pixels': 67.8161,
                                             'r': 26.0655,
                                             'r_rows': 2.7047,
                                             'r_taps': 7.0153},
 ('cortex-m55', 'cortex-m', 'MEAN'): {'channels': 49.671, 'count': 13.3732, 'elems': 5.0789, 'op': 35.8698},
 ('cortex-m55', 'cortex-m', 'PAD'): {'elems': 0.0,
                                     'op': 73.864,
                                     'out_elems': 0.383,
                                     'rows': 37.0125,
                                     'tail': 1.2786,
                                     'u_words': 4.0618,
                                     'words': 2.8836},
 ('cortex-m55', 'cortex-m', 'QUANTIZE'): {'elems': 54.5929, 'op': 20.8659},
 ('cortex-m55', 'portable', 'ADD'): {'elems': 129.6317,
                                     'op': 41.3578,
                                     't_elems': 66.211,
                                     'table': 21252.5527},
 ('cortex-m55', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 9.1267,
                                                 'e_taps': 3.7518,
                                                 'op': 30.6824,
                                                 'outputs': 32.1215,
                                                 'pixels': 41.5774,
                                                 'w_rows': 0.0,
                                                 'w_taps': 1.3234},
 ('cortex-m55', 'portable', 'CONCATENATION'): {'calls': 32.6505,
                                               'elems': 0.0,
                                               'op': 21.665,
                                               'tail': 1.6864,
                                               'u_words': 3.6424,
                                               'words': 2.8599},
 ('cortex-m55', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 5.9722,
                                                   'e_taps_m': 8.1236,
                                                   'k_rows': 5.5127,
                                                   'op': 35.3278,
                                                   'outputs': 57.4677,
                                                   'pad_taps': 6.0505,
                                                   'pixels': 58.6647,
                                                   'taps': 34.5252,
                                                   'w_taps': 6.8134},
 ('cortex-m55', 'portable', 'EXPAND_DIMS'): {'op': 2.976},
 ('cortex-m55', 'portable', 'LOGISTIC'): {'elems': 49.4068,
                                          'exp_bits': 24.1886,
                                          'live': 293.5494,
                                          'op': 23.2989},
 ('cortex-m55', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.6623,
                                             'e_taps': 6.8573,
                                             'op': 45.1977,
                                             'outputs': 11.4023,
                                             'pixels': 70.1811,
                                             'w_rows': 6.6137,
                                             'w_taps': 16.3305},
 ('cortex-m55', 'portable', 'MEAN'): {'channels': 49.6184, 'count': 13.0531, 'elems': 5.1065, 'op': 36.7497},
 ('cortex-m55', 'portable', 'PAD'): {'elems': 0.0,
                                     'op': 75.5979,
                                     'out_elems': 0.3865,
                                     'rows': 37.0068,
                                     'tail': 1.2691,
                                     'u_words': 4.0622,
                                     'words': 2.859},
 ('cortex-m55', 'portable', 'QUANTIZE'): {'elems': 54.5908, 'op': 21.3963},
 ('cortex-m7', 'cortex-m', 'ADD'): {'elems': 86.9628,
                                    'op': 62.7782,
                                    't_clamp': 6.0042,
                                    't_quads': 49.9912,
                                    't_tail': 0.0,
                                    'table': 6707.8223},
 ('cortex-m7', 'cortex-m', 'AVERAGE_POOL_2D'): {'g': 92.6092,
                                                'g_rows': 29.6181,
                                                'g_taps': 5.4755,
                                                'op': 30.9036,
                                                'pixels': 59.4899,
                                                'r': 22.6259,
                                                'r_rows': 9.2963,
                                                'r_taps': 6.1823},
 ('cortex-m7', 'cortex-m', 'CONCATENATION'): {'calls': 33.4709,
                                              'elems': 0.0,
                                              'op': 21.6392,
                                              'tail': 1.0236,
                                              'u_words': 4.0223,
                                              'words': 2.2823},
 ('cortex-m7', 'cortex-m', 'DEPTHWISE_CONV_2D'): {'g': 113.4182,
                                                  'g_border': 0.0,
                                                  'g_bpx': 0.0,
                                                  'g_taps': 31.857,
                                                  'op': 0.0,
                                                  'p_border': 110.5987,
                                                  'p_bpx': 324.0324,
                                                  'p_clamp': 3.9179,
                                                  'p_int': 108.8706,
                                                  'p_op': 179.0355,
                                                  'p_pack': 236.0434,
                                                  'p_runs': 105.8057,
                                                  'pixels': 16.5464,
                                                  'r': 100.0191,
                                                  'r_taps': 27.2241},
 ('cortex-m7', 'cortex-m', 'EXPAND_DIMS'): {'op': 4.9375},
 ('cortex-m7', 'cortex-m', 'LOGISTIC'): {'elems': 50.1692,
                                         'exp_bits': 20.8533,
                                         'live': 284.3035,
                                         'op': 17.1662},
 ('cortex-m7', 'cortex-m', 'MAX_POOL_2D'): {'g': 15.8409,
                                            'g2': 18.4015,
                                            'g_clamp': 5.8833,
                                            'g_rows': 9.7455,
                                            'g_taps': 8.0854,
                                            'op': 64.9591,
                                            'pixels': 67.1613,
                                            'r': 26.6566,
                                            'r_rows': 1.8597,
                                            'r_taps': 9.2229},
 ('cortex-m7', 'cortex-m', 'MEAN'): {'channels': 55.7718, 'count': 10.1544, 'elems': 5.9929, 'op': 27.0934},
 ('cortex-m7', 'cortex-m', 'PAD'): {'elems': 0.0,
                                    'op': 104.6844,
                                    'out_elems': 0.3296,
                                    'rows': 39.7204,
                                    'tail': 1.0664,
                                    'u_words': 4.3955,
                                    'words': 2.7159},
 ('cortex-m7', 'cortex-m', 'QUANTIZE'): {'elems': 56.6134, 'op': 14.059},
 ('cortex-m7', 'portable', 'ADD'): {'elems': 131.6221,
                                    'op': 38.2532,
                                    't_elems': 65.2116,
                                    'table': 20232.5436},
 ('cortex-m7', 'portable', 'AVERAGE_POOL_2D'): {'e_rows': 8.1554,
                                                'e_taps': 5.7687,
                                                'op': 25.6705,
                                                'outputs': 28.9945,
                                                'pixels': 44.9961,
                                                'w_rows': 0.0,
                                                'w_taps': 1.1225},
 ('cortex-m7', 'portable', 'CONCATENATION'): {'calls': 33.4235,
                                              'elems': 0.0,
                                              'op': 18.2891,
                                              'tail': 1.2145,
                                              'u_words': 3.8523,
                                              'words': 2.326},
 ('cortex-m7', 'portable', 'DEPTHWISE_CONV_2D'): {'e_taps': 7.0548,
                                                  'e_taps_m': 8.8547,
                                                  'k_rows': 3.2956,
                                                  'op': 9.43,
                                                  'outputs': 56.4602,
                                                  'pad_taps': 6.9902,
                                                  'pixels': 56.6206,
                                                  'taps': 27.8585,
                                                  'w_taps': 9.1618},
 ('cortex-m7', 'portable', 'EXPAND_DIMS'): {'op': 4.9375},
 ('cortex-m7', 'portable', 'LOGISTIC'): {'elems': 49.0932,
                                         'exp_bits': 19.6194,
                                         'live': 285.9481,
                                         'op': 22.5535},
 ('cortex-m7', 'portable', 'MAX_POOL_2D'): {'e_rows': 0.6196,
                                            'e_taps': 7.8683,
                                            'op': 41.4993,
                                            'outputs': 11.4597,
                                            'pixels': 72.2169,
                                            'w_rows': 2.9025,
                                            'w_taps': 14.2668},
 ('cortex-m7', 'portable', 'MEAN'): {'channels': 55.5846, 'count': 9.1515, 'elems': 6.1089, 'op': 30.2335},
 ('cortex-m7', 'portable', 'PAD'): {'elems': 0.0,
                                    'op': 107.1535,
                                    'out_elems': 0.3397,
                                    'rows': 39.6481,
                                    'tail': 1.0766,
                                    'u_words': 4.4036,
                                    'words': 2.6656},
 ('cortex-m7', 'portable', 'QUANTIZE'): {'elems': 56.5632, 'op': 17.9385}}
# END GRAPH FITTED

#: op.kind -> cost function ``(op, model, core, kernel, live_fraction) -> OpCost``.
COST_FUNCTIONS = {"FULLY_CONNECTED": _fc_cost, "SOFTMAX": _softmax_cost, "RESHAPE": _reshape_cost,
                  "CONV_2D": _conv_cost}
COST_FUNCTIONS.update({kind: _graph_cost for kind in ("DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D",
                                                      "MEAN", "CONCATENATION", "PAD", "QUANTIZE", "LOGISTIC",
                                                      "EXPAND_DIMS")})


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
