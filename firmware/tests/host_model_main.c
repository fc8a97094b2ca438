/* tfsparse: runs a generated model (tfs_model.c + kernels) on the host, for tests under sanitizers.
 *
 *   host_model INPUTS_FILE OUTPUTS_FILE
 *
 * INPUTS_FILE holds whole input vectors (TFS_MODEL_INPUT_BYTES each); OUTPUTS_FILE receives one
 * output vector per input. Exit status 3 names the op whose Prepare failed on stderr. The model is the
 * one whose prefix the build passes (runtime/tfs_main_model.h: kws_model_* for generate(..., name="kws")). */
#include <stdio.h>
#include <string.h>

#include "tfs_main_model.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUTS OUTPUTS\n", argv[0]);
    return 2;
  }
  const int failed = MODEL(prepare)();
  if (failed >= 0) {
    fprintf(stderr, "prepare rejected op %d (%s)\n", failed, MODEL(op_name)(failed));
    return 3;
  }
  FILE *in = fopen(argv[1], "rb");
  FILE *out = fopen(argv[2], "wb");
  if (in == NULL || out == NULL) {
    fprintf(stderr, "cannot open the input or output file\n");
    return 2;
  }
  static int8_t vector[MODEL_CONST(INPUT_BYTES)];
  while (fread(vector, 1, sizeof vector, in) == sizeof vector) {
    memcpy(MODEL(input)(), vector, sizeof vector);
    MODEL(invoke)();
    if (fwrite(MODEL(output)(), 1, MODEL_CONST(OUTPUT_BYTES), out) != MODEL_CONST(OUTPUT_BYTES)) {
      fprintf(stderr, "short write\n");
      return 2;
    }
  }
  fclose(in);
  fclose(out);
  return 0;
}
