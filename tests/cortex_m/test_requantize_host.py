"""tfs_cmd_mbqm_right (the Cortex-M conv kernel's one-product requantization for right shifts) equals
tfs_cmd_mbqm and the portable TFLM statement (tfs_multiply_by_quantized_multiplier) on the host,
under ASan + UBSan: every shift in TFLM's right-shift range against rounding ties of both signs, the
extreme accumulators and multipliers, and millions of random triples."""

from __future__ import annotations

import shutil
import subprocess

from tfsparse.codegen import hostbuild

HARNESS = r"""
#include <stdio.h>
#include "cortex_m/tfs_cm_dsp.h"

static uint64_t state = 88172645463325252ull;
static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)state;
}

static long bad, checked;

static void check(int32_t acc, int32_t m, int32_t shift) {
  const int32_t want = tfs_multiply_by_quantized_multiplier(acc, m, shift);
  const int32_t old = tfs_cmd_mbqm(acc, m, shift);
  const int32_t got = tfs_cmd_mbqm_right(acc, m, tfs_cmd_rq_d(shift), -shift - 1);
  ++checked;
  if (got != want || old != want) {
    if (bad++ < 5) printf("acc %d multiplier %d shift %d: fast %d, tfs_cmd_mbqm %d, TFLM %d\n", acc, m, shift, got, old, want);
  }
}

int main(void) {
  static const int32_t edges[] = {0, 1, -1, 2, -2, 2147483647, -2147483647 - 1, 1073741824, -1073741824,
                                  1073741823, -1073741825, 12345, -12345};
  const int n_edges = (int)(sizeof edges / sizeof edges[0]);
  for (int32_t shift = -31; shift <= -1; ++shift) {
    for (int e = 0; e < n_edges; ++e) {
      for (int f = 0; f < n_edges; ++f) {
        check(edges[e], edges[f] & 0x7FFFFFFF, shift);
      }
    }
    /* rounding ties: acc * m / 2^31 lands on k / 2^e +- 1 / 2^(e+1) for multipliers 2^30 and 2^30 + 1 */
    for (int32_t acc = -3000; acc <= 3000; ++acc) {
      check(acc, 1073741824, shift);
      check(acc, 1073741825, shift);
      check(acc, 2147483647, shift);
      check(acc, 1, shift);
      check((int32_t)((uint32_t)acc << (-shift - 1 > 20 ? 20 : -shift - 1)), 1073741824, shift);
    }
  }
  for (long i = 0; i < 3000000; ++i) {
    int32_t acc = (int32_t)next();
    acc >>= next() % 32;
    int32_t m = (int32_t)(next() & 0x7FFFFFFF);
    if (i % 4 == 0) m >>= next() % 31;
    check(acc, m, -(int32_t)(1 + next() % 31));
  }
  printf("%ld of %ld differ\n", bad, checked);
  return bad != 0;
}
"""


def test_fast_right_shift_requantization_equals_tflm(tmp_path):
    cc = "cc"
    assert shutil.which(cc), "the host tests need a C compiler (cc)"
    src = tmp_path / "rq.c"
    src.write_text(HARNESS)
    exe = tmp_path / "rq"
    kernels = hostbuild.firmware_root() / "kernels"
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", *hostbuild.SANITIZE, f"-I{kernels}",
                    str(src), "-o", str(exe)], check=True, capture_output=True, text=True)
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().startswith("0 of "), proc.stdout
    assert int(proc.stdout.split()[2]) > 3_000_000
