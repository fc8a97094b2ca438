"""The portable kernels built for the host with -Wall -Wextra -Werror and ASan + UBSan, on thousands of
random layers: every encoding, edge shapes, extreme quantization parameters, all-zero rows."""

from __future__ import annotations

import numpy as np
import pytest

from tfsparse.codegen import hostbuild
from tfsparse.converter import csr
from tfsparse.converter.ir import FullyConnected, Quantization, Tensor
from tfsparse.converter.model import SparseModel
from tfsparse.converter.ops.sparse_fully_connected import unfold_bias

ENCODINGS = ("abs_u8", "abs_u16", "abs_u32", "rel8", "rel4", "blk8", "csc8", "dense")


def _random_layer(rng, encoding):
    edge = rng.random() < 0.3
    rows = int(rng.choice([1, 2, 3, 17, 255, 256, 600]) if edge else rng.integers(1, 48))
    max_cols = 256 if encoding == "abs_u8" else 1200
    cols = int(rng.choice([1, 2, 15, 16, 17, 255, 256, max_cols]) if edge else rng.integers(1, max_cols + 1))
    cols = min(cols, max_cols)
    w = rng.integers(-128, 128, (rows, cols)).astype(np.int8)
    mode = rng.integers(0, 5)
    if mode == 0:
        w[:] = 0  # no nonzero at all
    elif mode == 1:
        w[rng.random((rows, cols)) >= 0.01] = 0  # long gaps: relative escapes
    else:
        w[rng.random((rows, cols)) >= rng.random()] = 0
    w[rng.random(rows) < 0.2] = 0  # all-zero rows
    if rng.random() < 0.1:
        w[w != 0] = rng.choice([-128, 127])  # extreme weights
    extreme = rng.random() < 0.3
    mult = rng.integers(1 << 30, (1 << 31), rows, dtype=np.int64)
    if extreme:
        mult[rng.random(rows) < 0.3] = (1 << 31) - 1
        mult[rng.random(rows) < 0.1] = 0  # TFLM flushes tiny scales to a zero multiplier
    shift = rng.integers(-31, 1, rows) if extreme else rng.integers(-14, -4, rows)
    # Left shifts only where the accumulator cannot overflow int32 after shifting.
    bias_range = 1 << 22
    if extreme and cols <= 64:
        shift[rng.random(rows) < 0.3] = rng.integers(1, 8)
        bias_range = 1 << 10
    bias = rng.integers(-bias_range, bias_range, rows)
    zp = int(rng.choice([-128, 127])) if extreme else int(rng.integers(-128, 128))
    lo, hi = sorted(int(v) for v in rng.integers(-128, 128, 2))
    if rng.random() < 0.5:
        lo, hi = -128, 127
    batches = int(rng.integers(1, 4))
    x = rng.integers(-128, 128, (batches, cols)).astype(np.int8)
    if extreme:
        x[:] = rng.choice([-128, 127])
    # The column form skips inputs at the input zero point: make many of them so.
    in_zp = int(x.flat[0]) if extreme else int(rng.integers(-128, 128))
    x[rng.random(x.shape) < rng.random()] = in_zp
    kernel_bias = unfold_bias(bias, w, in_zp) if encoding == "csc8" else bias.astype(np.int32)
    case = hostbuild.FCCase(csr.encode(w, encoding), kernel_bias, mult.astype(np.int32),
                            shift.astype(np.int32), zp, lo, hi, x, in_zp)
    return case, bias.astype(np.int32), w


def _one_layer_model(case, folded_bias):
    """The case as a one-op SparseModel, to run through the converter's reference executor."""
    rows, cols = case.weights.shape
    q = Quantization(np.array([1.0]), np.array([case.input_zero_point]))
    tensors = [Tensor(0, "x", (1, cols), "int8", q), Tensor(1, "y", (1, rows), "int8", q)]
    op = FullyConnected("fc", 0, 1, case.weights, folded_bias, case.multiplier, case.shift, case.output_zero_point,
                        case.activation_min, case.activation_max)
    return SparseModel("layer", tensors, [op], 0, 1)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_random_layers_match_tflm_arithmetic(sanitized_harness, fc_ref, encoding, tmp_path):
    """Each output against SparseModel.predict (the converter's executor) and an independent statement."""
    rng = np.random.default_rng(ENCODINGS.index(encoding))
    layers = [_random_layer(rng, encoding) for _ in range(600)]
    results = hostbuild.run_cases(sanitized_harness, [c for c, _, _ in layers], tmp_path)
    vs_predict = vs_statement = 0
    for (case, folded_bias, w), (status, out) in zip(layers, results):
        assert status == 0, case
        out = out.reshape(len(case.input), -1)
        vs_predict += int((out != _one_layer_model(case, folded_bias).predict(case.input)).sum())
        expected = fc_ref(w, folded_bias, case.multiplier, case.shift, case.output_zero_point,
                          case.activation_min, case.activation_max, case.input)
        vs_statement += int((out != expected).sum())
    assert (vs_predict, vs_statement) == (0, 0)


def test_escapes_are_exercised():
    # The random layers above contain relative escapes (gaps >= 15 and >= 255): make sure of it.
    rng = np.random.default_rng(ENCODINGS.index("rel8"))
    layers = [_random_layer(rng, "rel8") for _ in range(600)]
    assert sum(int((c.weights.indices == 255).sum()) for c, _, _ in layers) > 50


def _fc_case(w, encoding="abs_u16", rows_shift=-8, **changes):
    rows = w.shape[0]
    fields = dict(weights=csr.encode(w, encoding), bias=np.zeros(rows, np.int32),
                  multiplier=np.full(rows, 1 << 30, np.int32), shift=np.full(rows, rows_shift, np.int32),
                  output_zero_point=0, activation_min=-128, activation_max=127,
                  input=np.ones((1, w.shape[1]), np.int8))
    fields.update(changes)
    return hostbuild.FCCase(**fields)


def test_prepare_rejects_bad_parameters(sanitized_harness, tmp_path):
    w = np.eye(4, 300, dtype=np.int8)
    bad_u8 = csr.encode(np.eye(4, 300, dtype=np.int8), "abs_u16")
    bad_u8.encoding = "abs_u8"
    cases = [
        _fc_case(w, rows_shift=31),  # shift outside TFLM's range
        _fc_case(w, activation_min=10, activation_max=5),  # empty activation range
        _fc_case(w, output_zero_point=300),
        _fc_case(w, weights=bad_u8),  # abs_u8 cannot address 300 columns
        _fc_case(w),  # valid, for contrast
    ]
    statuses = [s for s, _ in hostbuild.run_cases(sanitized_harness, cases, tmp_path)]
    assert statuses[:4] == [1, 1, 1, 1] and statuses[4] == 0


def test_prepare_rejects_blocked_indices_out_of_range(sanitized_harness, tmp_path):
    """An index past the last (45-wide) block of 300 would be a store outside the accumulators (csc8) or
    a read outside the input (blk8): Prepare refuses it, and accepts the largest valid one."""
    statuses = []
    for encoding in ("csc8", "blk8"):
        w = np.zeros((300, 4), np.int8)
        w[299, 3] = 5  # index 44 of row block 1
        dense = w if encoding == "csc8" else w.T.copy()
        for index in (44, 45):
            m = csr.encode(dense, encoding)
            m.indices = np.array([index], np.uint8)
            statuses += [s for s, _ in hostbuild.run_cases(sanitized_harness, [_fc_case(dense, weights=m)], tmp_path)]
    assert statuses == [0, 1, 0, 1]


def test_prepare_rejects_decreasing_row_pointers(sanitized_harness, tmp_path):
    m = csr.encode(np.eye(3, 8, dtype=np.int8), "abs_u8")
    m.row_ptr = np.array([0, 2, 1, 3], dtype=np.uint16)
    (status, _), = hostbuild.run_cases(sanitized_harness, [_fc_case(np.eye(3, 8, dtype=np.int8), weights=m)], tmp_path)
    assert status == 1


def test_harness_reports_sanitizer_errors(tmp_path):
    # A kernel that reads one byte past its input must make the sanitized harness fail loudly.
    src = tmp_path / "bad_fc.c"
    src.write_text(
        '#include "tfs_fully_connected.h"\n'
        "void tfs_fully_connected_eval(const tfs_fc_params_t *p, int32_t b, const int8_t *x, int8_t *y) {\n"
        "  for (int32_t r = 0; r < p->rows * b; ++r) y[r] = x[p->cols];\n}\n"
        "void tfs_fully_connected_eval_scratch(const tfs_fc_params_t *p, int32_t b, const int8_t *x, int8_t *y,\n"
        "                                      int32_t *s) {\n  (void)s;\n  tfs_fully_connected_eval(p, b, x, y);\n}\n"
        'const char *tfs_fully_connected_impl(void) { return "bad"; }\n'
    )
    exe = hostbuild.build_harness(tmp_path / "bad", fc_source=src)
    with pytest.raises(hostbuild.FirmwareError, match="AddressSanitizer"):
        hostbuild.run_cases(exe, [_fc_case(np.eye(2, 5, dtype=np.int8), encoding="dense")], tmp_path)


def test_random_softmax_matches_reference(sanitized_harness, tmp_path):
    """int8 softmax of random rows (depths 1..511, input scales 2^-10..2^2) against the converter's
    NumPy statement of TFLM's softmax (the TFLM interpreter itself is the oracle in test_lenet_e2e)."""
    from tfsparse.converter.quant_math import softmax_int8, softmax_params

    rng = np.random.default_rng(11)
    cases = []
    for _ in range(400):
        scale = float(2.0 ** rng.uniform(-10, 2))
        mult, shift, diff_min = softmax_params(float(rng.choice([1.0, 0.5, 2.0])), scale)
        depth = int(rng.choice([1, 2, 10, 511]) if rng.random() < 0.3 else rng.integers(1, 512))
        x = rng.integers(-128, 128, (int(rng.integers(1, 4)), depth)).astype(np.int8)
        if rng.random() < 0.2:
            x[:] = rng.choice([-128, 127])  # all equal rows
        cases.append(hostbuild.SoftmaxCase(mult, shift, diff_min, x))
    results = hostbuild.run_cases(sanitized_harness, cases, tmp_path)
    mismatches = 0
    for case, (status, out) in zip(cases, results):
        assert status == 0
        expected = softmax_int8(case.input, case.input_multiplier, case.input_left_shift, case.diff_min)
        mismatches += int((out.reshape(expected.shape) != expected).sum())
    assert mismatches == 0


def test_softmax_prepare_rejects_rows_too_long(sanitized_harness, tmp_path):
    case = hostbuild.SoftmaxCase(1 << 30, 20, -100, np.zeros((1, 512), np.int8))
    (status, _), = hostbuild.run_cases(sanitized_harness, [case], tmp_path)
    assert status == 1
