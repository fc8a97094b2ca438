"""The README's recipe for using the generated sources in another project, followed literally.

Only the model sources and the kernels are copied into a fresh directory and compiled with the host's
gcc next to a ``main.c`` that uses the documented API (prepare, input, invoke, output); the outputs
must equal the TFLM interpreter's byte for byte. No runtime, start-up code, linker script or Makefile.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

# The files the README tells users to copy (the portable kernel).
RECIPE = ["tfs_model.c", "tfs_model.h", "tfs_model_data.c", "tfs_model_data.h", "kernels/fully_connected_common.c",
          "kernels/softmax.c", "kernels/fully_connected.c"]

MAIN_C = r"""
#include <stdio.h>
#include <string.h>
#include "tfs_model.h"

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  if (tfs_model_prepare() >= 0) return 3;
  FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
  int8_t x[TFS_MODEL_INPUT_BYTES];
  while (fread(x, 1, sizeof x, in) == sizeof x) {
    memcpy(tfs_model_input(), x, sizeof x);
    tfs_model_invoke();
    fwrite(tfs_model_output(), 1, TFS_MODEL_OUTPUT_BYTES, out);
  }
  fclose(in);
  fclose(out);
  return 0;
}
"""


def test_model_and_kernel_sources_alone_build_on_the_host_and_match_tflm(workspace, exported, tflm_reference, tmp_path):
    import tfsparse

    root, _ = workspace
    app = tmp_path / "my_project"
    for rel in RECIPE + [str(p.relative_to(exported)) for p in (exported / "kernels").glob("*.h")]:
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(exported / rel, app / rel)
    (app / "main.c").write_text(MAIN_C)
    sources = [str(app / "main.c")] + [str(app / rel) for rel in RECIPE if rel.endswith(".c")]
    subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Werror", f"-I{app}", f"-I{app / 'kernels'}", *sources,
                    "-o", str(app / "model")], check=True, capture_output=True, text=True)
    x = np.load(root / "x_test.npy")
    x_q = tfsparse.convert(exported / "model_int8.tflite").quantize_input(x)
    x_q.tofile(app / "x.bin")
    subprocess.run([str(app / "model"), str(app / "x.bin"), str(app / "y.bin")], check=True)
    y = np.fromfile(app / "y.bin", dtype=np.int8).reshape(len(x), -1)
    assert (y == tflm_reference(exported / "model_int8.tflite", x)).all()
