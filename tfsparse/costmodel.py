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

__all__ = ["OpCost", "op_cost", "COST_FUNCTIONS", "FEATURES", "COEFFICIENTS", "fc_features",
           "predict_instructions", "CostModelError", "softmax_activity"]


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
    FEATURES[("cortex-m", _enc)] = ("op", "rows", "rows_nz", "n_div8", "n_bit4", "n_bit2", "n_bit1")
FEATURES.update({
    ("portable", "dense"): ("op", "rows", "macs"),
    ("cortex-m", "dense"): ("op", "pairs", "d_blocks8", "d_any8", "d_has4", "d_single", "d_any1"),
    ("portable", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes"),
    ("cortex-m", "rel8"): ("op", "rows", "rows_nz", "nnz", "escapes", "e_div4", "e_rem4"),
    ("portable", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "p4_pairs", "r4_last"),
    ("cortex-m", "rel4"): ("op", "rows", "rows_nz", "nnz", "escapes", "r4_peel", "r4_words", "r4_bytes", "r4_last"),
    ("any", "SOFTMAX"): ("op", "elems", "live", "exp_bits"),
    ("any", "RESHAPE"): ("op",),
})

# BEGIN FITTED (benchmarks/costmodel_fit.py; do not edit by hand)
COEFFICIENTS = {('cortex-m33', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m33', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 0.0, 'live': 0.0, 'op': 4806.8946},
 ('cortex-m33', 'cortex-m', 'GRAPH'): {'graph': -44.1957, 'op': 3.1884},
 ('cortex-m33', 'cortex-m', 'abs_u16'): {'n_bit1': 0.838,
                                         'n_bit2': 6.4427,
                                         'n_bit4': 19.7923,
                                         'n_div8': 34.2971,
                                         'op': 56.7596,
                                         'rows': 60.1014,
                                         'rows_nz': 3.9357},
 ('cortex-m33', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                         'n_bit2': 7.6636,
                                         'n_bit4': 16.9722,
                                         'n_div8': 34.5885,
                                         'op': 60.6001,
                                         'rows': 61.0879,
                                         'rows_nz': 3.7318},
 ('cortex-m33', 'cortex-m', 'abs_u8'): {'n_bit1': 0.0,
                                        'n_bit2': 10.8986,
                                        'n_bit4': 13.8793,
                                        'n_div8': 34.6856,
                                        'op': 57.3511,
                                        'rows': 61.2986,
                                        'rows_nz': 4.1835},
 ('cortex-m33', 'cortex-m', 'dense'): {'d_any1': 4.7494,
                                       'd_any8': 10.1866,
                                       'd_blocks8': 30.9523,
                                       'd_has4': 14.3382,
                                       'd_single': 7.241,
                                       'op': 59.526,
                                       'pairs': 102.3623},
 ('cortex-m33', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                      'nnz': 3.8984,
                                      'op': 69.9164,
                                      'r4_bytes': 11.354,
                                      'r4_last': 0.0,
                                      'r4_peel': 14.3325,
                                      'r4_words': 37.3773,
                                      'rows': 77.6295,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'cortex-m', 'rel8'): {'e_div4': 36.2931,
                                      'e_rem4': 9.8307,
                                      'escapes': 0.0,
                                      'nnz': 0.0,
                                      'op': 59.0363,
                                      'rows': 56.5264,
                                      'rows_nz': 0.0},
 ('cortex-m33', 'portable', 'GRAPH'): {'graph': -10.9457, 'op': 3.1051},
 ('cortex-m33', 'portable', 'abs_u16'): {'nnz': 6.0059, 'op': 53.4317, 'rows': 62.5892, 'rows_nz': 9.1512},
 ('cortex-m33', 'portable', 'abs_u32'): {'nnz': 6.0033, 'op': 55.1374, 'rows': 62.4265, 'rows_nz': 9.7328},
 ('cortex-m33', 'portable', 'abs_u8'): {'nnz': 6.0023, 'op': 50.7304, 'rows': 64.1178, 'rows_nz': 6.0606},
 ('cortex-m33', 'portable', 'dense'): {'macs': 4.9975, 'op': 37.9847, 'rows': 65.921},
 ('cortex-m33', 'portable', 'rel4'): {'escapes': 0.0,
                                      'nnz': 4.9714,
                                      'op': 53.3835,
                                      'p4_pairs': 11.0659,
                                      'r4_last': 4.3005,
                                      'r4_peel': 6.5885,
                                      'rows': 79.8019,
                                      'rows_nz': 4.0219},
 ('cortex-m33', 'portable', 'rel8'): {'escapes': 0.0,
                                      'nnz': 11.0062,
                                      'op': 58.7525,
                                      'rows': 68.2521,
                                      'rows_nz': 0.93},
 ('cortex-m4', 'any', 'RESHAPE'): {'op': 3.0},
 ('cortex-m4', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 0.0, 'live': 0.0, 'op': 4775.9642},
 ('cortex-m4', 'cortex-m', 'GRAPH'): {'graph': -21.6957, 'op': 2.3551},
 ('cortex-m4', 'cortex-m', 'abs_u16'): {'n_bit1': 2.8907,
                                        'n_bit2': 5.4887,
                                        'n_bit4': 21.6934,
                                        'n_div8': 34.3642,
                                        'op': 62.7753,
                                        'rows': 64.8736,
                                        'rows_nz': 4.7679},
 ('cortex-m4', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                        'n_bit2': 8.2279,
                                        'n_bit4': 18.918,
                                        'n_div8': 34.7563,
                                        'op': 63.168,
                                        'rows': 63.1475,
                                        'rows_nz': 3.061},
 ('cortex-m4', 'cortex-m', 'abs_u8'): {'n_bit1': 0.0,
                                       'n_bit2': 14.391,
                                       'n_bit4': 14.3926,
                                       'n_div8': 35.0795,
                                       'op': 68.0566,
                                       'rows': 62.7382,
                                       'rows_nz': 7.0418},
 ('cortex-m4', 'cortex-m', 'dense'): {'d_any1': 4.8318,
                                      'd_any8': 10.2257,
                                      'd_blocks8': 30.943,
                                      'd_has4': 14.3943,
                                      'd_single': 7.2322,
                                      'op': 63.7454,
                                      'pairs': 102.2937},
 ('cortex-m4', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 3.9087,
                                     'op': 76.6793,
                                     'r4_bytes': 16.463,
                                     'r4_last': 0.0,
                                     'r4_peel': 20.7906,
                                     'r4_words': 40.7737,
                                     'rows': 79.3629,
                                     'rows_nz': 0.7565},
 ('cortex-m4', 'cortex-m', 'rel8'): {'e_div4': 44.478,
                                     'e_rem4': 14.18,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 58.1552,
                                     'rows': 58.4637,
                                     'rows_nz': 0.0},
 ('cortex-m4', 'portable', 'GRAPH'): {'graph': -2.0652, 'op': 2.0072},
 ('cortex-m4', 'portable', 'abs_u16'): {'nnz': 6.0118, 'op': 56.8287, 'rows': 63.4759, 'rows_nz': 8.5296},
 ('cortex-m4', 'portable', 'abs_u32'): {'nnz': 6.0008, 'op': 58.3869, 'rows': 63.1188, 'rows_nz': 9.3249},
 ('cortex-m4', 'portable', 'abs_u8'): {'nnz': 5.9948, 'op': 59.8149, 'rows': 63.6517, 'rows_nz': 6.5296},
 ('cortex-m4', 'portable', 'dense'): {'macs': 4.9959, 'op': 44.2089, 'rows': 65.8731},
 ('cortex-m4', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.992,
                                     'op': 56.3646,
                                     'p4_pairs': 11.0268,
                                     'r4_last': 5.2229,
                                     'r4_peel': 6.2724,
                                     'rows': 79.6057,
                                     'rows_nz': 4.0809},
 ('cortex-m4', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0045,
                                     'op': 62.955,
                                     'rows': 65.1695,
                                     'rows_nz': 3.1207},
 ('cortex-m7', 'any', 'RESHAPE'): {'op': 5.0},
 ('cortex-m7', 'any', 'SOFTMAX'): {'elems': 0.0, 'exp_bits': 0.0, 'live': 0.0, 'op': 4762.7001},
 ('cortex-m7', 'cortex-m', 'GRAPH'): {'graph': -7.6522, 'op': 4.2391},
 ('cortex-m7', 'cortex-m', 'abs_u16'): {'n_bit1': 2.8582,
                                        'n_bit2': 8.3868,
                                        'n_bit4': 25.352,
                                        'n_div8': 34.3757,
                                        'op': 55.3014,
                                        'rows': 57.9193,
                                        'rows_nz': 4.4316},
 ('cortex-m7', 'cortex-m', 'abs_u32'): {'n_bit1': 0.0,
                                        'n_bit2': 6.9428,
                                        'n_bit4': 16.8651,
                                        'n_div8': 34.7059,
                                        'op': 60.2212,
                                        'rows': 62.0179,
                                        'rows_nz': 4.4277},
 ('cortex-m7', 'cortex-m', 'abs_u8'): {'n_bit1': 0.2896,
                                       'n_bit2': 13.1752,
                                       'n_bit4': 15.2378,
                                       'n_div8': 34.9363,
                                       'op': 62.4492,
                                       'rows': 58.0756,
                                       'rows_nz': 6.2195},
 ('cortex-m7', 'cortex-m', 'dense'): {'d_any1': 4.8466,
                                      'd_any8': 10.2313,
                                      'd_blocks8': 30.9774,
                                      'd_has4': 18.371,
                                      'd_single': 7.2362,
                                      'op': 58.1679,
                                      'pairs': 103.3077},
 ('cortex-m7', 'cortex-m', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.0149,
                                     'op': 63.8232,
                                     'r4_bytes': 15.379,
                                     'r4_last': 0.0,
                                     'r4_peel': 14.7253,
                                     'r4_words': 39.451,
                                     'rows': 74.6182,
                                     'rows_nz': 2.9979},
 ('cortex-m7', 'cortex-m', 'rel8'): {'e_div4': 44.4807,
                                     'e_rem4': 14.0067,
                                     'escapes': 0.0,
                                     'nnz': 0.0,
                                     'op': 62.0391,
                                     'rows': 58.616,
                                     'rows_nz': 0.0},
 ('cortex-m7', 'portable', 'GRAPH'): {'graph': 1.2935, 'op': 3.8007},
 ('cortex-m7', 'portable', 'abs_u16'): {'nnz': 6.0113, 'op': 52.7579, 'rows': 64.571, 'rows_nz': 8.0767},
 ('cortex-m7', 'portable', 'abs_u32'): {'nnz': 6.0004, 'op': 52.6903, 'rows': 64.1434, 'rows_nz': 9.2332},
 ('cortex-m7', 'portable', 'abs_u8'): {'nnz': 6.0009, 'op': 51.8276, 'rows': 64.7905, 'rows_nz': 6.4111},
 ('cortex-m7', 'portable', 'dense'): {'macs': 4.9966, 'op': 38.6414, 'rows': 63.9192},
 ('cortex-m7', 'portable', 'rel4'): {'escapes': 0.0,
                                     'nnz': 4.9354,
                                     'op': 54.8781,
                                     'p4_pairs': 11.1375,
                                     'r4_last': 8.2147,
                                     'r4_peel': 4.0315,
                                     'rows': 79.9096,
                                     'rows_nz': 2.9617},
 ('cortex-m7', 'portable', 'rel8'): {'escapes': 0.0,
                                     'nnz': 11.0061,
                                     'op': 57.9715,
                                     'rows': 66.1766,
                                     'rows_nz': 3.0101}}
FIT_INFO = {'cortex-m33/any/RESHAPE': {'max_abs_error': 0.0,
                            'max_rel_error': 0.0,
                            'mean_instructions': 3.0,
                            'samples': 4},
 'cortex-m33/any/SOFTMAX': {'max_abs_error': 56.9,
                            'max_rel_error': 0.012,
                            'mean_instructions': 4807.1,
                            'samples': 400},
 'cortex-m33/cortex-m/abs_u16': {'max_abs_error': 1465.2,
                                 'max_rel_error': 0.0409,
                                 'mean_instructions': 23231.6,
                                 'samples': 25},
 'cortex-m33/cortex-m/abs_u32': {'max_abs_error': 1342.1,
                                 'max_rel_error': 0.0184,
                                 'mean_instructions': 14078.6,
                                 'samples': 25},
 'cortex-m33/cortex-m/abs_u8': {'max_abs_error': 308.1,
                                'max_rel_error': 0.0212,
                                'mean_instructions': 12803.6,
                                'samples': 25},
 'cortex-m33/cortex-m/dense': {'max_abs_error': 703.5,
                               'max_rel_error': 0.0128,
                               'mean_instructions': 33846.3,
                               'samples': 27},
 'cortex-m33/cortex-m/rel4': {'max_abs_error': 1334.6,
                              'max_rel_error': 0.0067,
                              'mean_instructions': 40855.8,
                              'samples': 25},
 'cortex-m33/cortex-m/rel8': {'max_abs_error': 4473.4,
                              'max_rel_error': 0.0408,
                              'mean_instructions': 36326.7,
                              'samples': 25},
 'cortex-m33/portable/abs_u16': {'max_abs_error': 259.0,
                                 'max_rel_error': 0.0122,
                                 'mean_instructions': 31232.0,
                                 'samples': 25},
 'cortex-m33/portable/abs_u32': {'max_abs_error': 104.1,
                                 'max_rel_error': 0.0107,
                                 'mean_instructions': 18100.4,
                                 'samples': 25},
 'cortex-m33/portable/abs_u8': {'max_abs_error': 93.5,
                                'max_rel_error': 0.0164,
                                'mean_instructions': 15864.9,
                                'samples': 25},
 'cortex-m33/portable/dense': {'max_abs_error': 410.1,
                               'max_rel_error': 0.014,
                               'mean_instructions': 79892.7,
                               'samples': 27},
 'cortex-m33/portable/rel4': {'max_abs_error': 143.8,
                              'max_rel_error': 0.0124,
                              'mean_instructions': 47956.5,
                              'samples': 25},
 'cortex-m33/portable/rel8': {'max_abs_error': 57.2,
                              'max_rel_error': 0.0148,
                              'mean_instructions': 44200.3,
                              'samples': 25},
 'cortex-m4/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 3.0,
                           'samples': 4},
 'cortex-m4/any/SOFTMAX': {'max_abs_error': 24.0,
                           'max_rel_error': 0.005,
                           'mean_instructions': 4776.1,
                           'samples': 320},
 'cortex-m4/cortex-m/abs_u16': {'max_abs_error': 1672.7,
                                'max_rel_error': 0.043,
                                'mean_instructions': 23774.6,
                                'samples': 25},
 'cortex-m4/cortex-m/abs_u32': {'max_abs_error': 1688.3,
                                'max_rel_error': 0.0182,
                                'mean_instructions': 14296.2,
                                'samples': 25},
 'cortex-m4/cortex-m/abs_u8': {'max_abs_error': 679.4,
                               'max_rel_error': 0.0341,
                               'mean_instructions': 13435.7,
                               'samples': 25},
 'cortex-m4/cortex-m/dense': {'max_abs_error': 822.7,
                              'max_rel_error': 0.0129,
                              'mean_instructions': 33849.5,
                              'samples': 27},
 'cortex-m4/cortex-m/rel4': {'max_abs_error': 2531.1,
                             'max_rel_error': 0.0107,
                             'mean_instructions': 43492.3,
                             'samples': 25},
 'cortex-m4/cortex-m/rel8': {'max_abs_error': 7096.8,
                             'max_rel_error': 0.0406,
                             'mean_instructions': 43750.0,
                             'samples': 25},
 'cortex-m4/portable/abs_u16': {'max_abs_error': 686.7,
                                'max_rel_error': 0.0206,
                                'mean_instructions': 31258.6,
                                'samples': 25},
 'cortex-m4/portable/abs_u32': {'max_abs_error': 94.4,
                                'max_rel_error': 0.0115,
                                'mean_instructions': 18140.0,
                                'samples': 25},
 'cortex-m4/portable/abs_u8': {'max_abs_error': 102.6,
                               'max_rel_error': 0.0063,
                               'mean_instructions': 15868.6,
                               'samples': 25},
 'cortex-m4/portable/dense': {'max_abs_error': 733.8,
                              'max_rel_error': 0.0147,
                              'mean_instructions': 79896.4,
                              'samples': 27},
 'cortex-m4/portable/rel4': {'max_abs_error': 217.6,
                             'max_rel_error': 0.0182,
                             'mean_instructions': 47959.6,
                             'samples': 25},
 'cortex-m4/portable/rel8': {'max_abs_error': 55.9,
                             'max_rel_error': 0.0138,
                             'mean_instructions': 44068.0,
                             'samples': 25},
 'cortex-m7/any/RESHAPE': {'max_abs_error': 0.0,
                           'max_rel_error': 0.0,
                           'mean_instructions': 5.0,
                           'samples': 4},
 'cortex-m7/any/SOFTMAX': {'max_abs_error': 42.7,
                           'max_rel_error': 0.009,
                           'mean_instructions': 4762.9,
                           'samples': 320},
 'cortex-m7/cortex-m/abs_u16': {'max_abs_error': 1714.7,
                                'max_rel_error': 0.0608,
                                'mean_instructions': 23381.8,
                                'samples': 25},
 'cortex-m7/cortex-m/abs_u32': {'max_abs_error': 1609.6,
                                'max_rel_error': 0.0169,
                                'mean_instructions': 14187.7,
                                'samples': 25},
 'cortex-m7/cortex-m/abs_u8': {'max_abs_error': 468.5,
                               'max_rel_error': 0.0285,
                               'mean_instructions': 12840.5,
                               'samples': 25},
 'cortex-m7/cortex-m/dense': {'max_abs_error': 390.0,
                              'max_rel_error': 0.0208,
                              'mean_instructions': 33969.0,
                              'samples': 27},
 'cortex-m7/cortex-m/rel4': {'max_abs_error': 1437.6,
                             'max_rel_error': 0.0141,
                             'mean_instructions': 42543.4,
                             'samples': 25},
 'cortex-m7/cortex-m/rel8': {'max_abs_error': 7105.9,
                             'max_rel_error': 0.032,
                             'mean_instructions': 43753.3,
                             'samples': 25},
 'cortex-m7/portable/abs_u16': {'max_abs_error': 565.9,
                                'max_rel_error': 0.0161,
                                'mean_instructions': 31330.5,
                                'samples': 25},
 'cortex-m7/portable/abs_u32': {'max_abs_error': 81.1,
                                'max_rel_error': 0.0108,
                                'mean_instructions': 18221.9,
                                'samples': 25},
 'cortex-m7/portable/abs_u8': {'max_abs_error': 61.4,
                               'max_rel_error': 0.0075,
                               'mean_instructions': 15966.2,
                               'samples': 25},
 'cortex-m7/portable/dense': {'max_abs_error': 587.1,
                              'max_rel_error': 0.0126,
                              'mean_instructions': 79722.0,
                              'samples': 27},
 'cortex-m7/portable/rel4': {'max_abs_error': 157.9,
                             'max_rel_error': 0.0082,
                             'mean_instructions': 47955.0,
                             'samples': 25},
 'cortex-m7/portable/rel8': {'max_abs_error': 63.6,
                             'max_rel_error': 0.0188,
                             'mean_instructions': 44142.9,
                             'samples': 25}}
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


def fc_features(weights, kernel: str, batches: int = 1) -> dict:
    """The loop-count features of a fully-connected layer's weights for ``kernel`` (see :data:`FEATURES`).

    Args:
        weights: a :class:`~tfsparse.converter.ir.CSRMatrix` or :class:`~tfsparse.converter.ir.DenseMatrix`.
        kernel: ``"portable"`` or ``"cortex-m"``.
        batches: rows of the input the kernel runs over (TFLite flattens leading dimensions).
    """
    rows, cols = (int(d) for d in weights.shape)
    f = {"op": 1.0}
    if isinstance(weights, DenseMatrix):
        pairs = (rows + 1) // 2
        f.update(rows=rows, macs=rows * cols, pairs=pairs, d_blocks8=pairs * (cols >> 3),
                 d_any8=pairs * int(cols >= 8), d_any1=pairs * int((cols & 3) > 0), d_has4=pairs * ((cols >> 2) & 1), d_single=pairs * (cols & 3))
    elif isinstance(weights, CSRMatrix):
        n, e, start = _row_structure(weights)
        peel = ((start & 1) == 1) & (e > 0)
        rest = e - peel
        f.update(rows=rows, rows_nz=int((e > 0).sum()), nnz=int(n.sum()), entries=int(e.sum()), escapes=int((e - n).sum()),
                 n_div8=int((n >> 3).sum()), n_bit4=int(((n >> 2) & 1).sum()), n_bit2=int(((n >> 1) & 1).sum()),
                 n_bit1=int((n & 1).sum()), e_div4=int((e >> 2).sum()), e_rem4=int((e & 3).sum()),
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
    feats = fc_features(w, kernel, batches)
    mean = predict_instructions(core, kernel, w.encoding, feats)
    if isinstance(w, DenseMatrix):
        flash = _const_bytes(w.weights)
    else:
        flash = _const_bytes(w.values, w.row_ptr, w.indices)
    flash += 3 * 4 * rows  # bias, multiplier, shift: int32 per row
    nnz = rows * cols if isinstance(w, DenseMatrix) else w.nnz
    return OpCost(instructions=mean, worst_case_instructions=mean, flash_bytes=flash,
                  arena_bytes=op_scratch_bytes(op), macs=rows * cols * batches, nnz=int(nnz))


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


#: op.kind -> cost function ``(op, model, core, kernel, live_fraction) -> OpCost``.
COST_FUNCTIONS = {"FULLY_CONNECTED": _fc_cost, "SOFTMAX": _softmax_cost, "RESHAPE": _reshape_cost}


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
            (None = 1.0): a float, or one float per input column. Only kernels that skip zero
            inputs (and SOFTMAX, whose cost depends on how many entries are near the maximum)
            depend on it; ``worst_case_instructions`` always assumes every input is live.

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
