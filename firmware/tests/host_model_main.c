/* tfsparse: runs a generated model (tfs_model.c + kernels) on the host, for tests under sanitizers.
 *
 *   host_model INPUTS_FILE OUTPUTS_FILE
 *
 * INPUTS_FILE holds whole input vectors (TFS_MODEL_INPUT_BYTES each); OUTPUTS_FILE receives one
 * output vector per input. Exit status 3 names the op whose Prepare failed on stderr. */
#include <stdio.h>
#include <string.h>

#include "tfs_model.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUTS OUTPUTS\n", argv[0]);
    return 2;
  }
  const int failed = tfs_model_prepare();
  if (failed >= 0) {
    fprintf(stderr, "prepare rejected op %d (%s)\n", failed, tfs_model_op_name(failed));
    return 3;
  }
  FILE *in = fopen(argv[1], "rb");
  FILE *out = fopen(argv[2], "wb");
  if (in == NULL || out == NULL) {
    fprintf(stderr, "cannot open the input or output file\n");
    return 2;
  }
  static int8_t vector[TFS_MODEL_INPUT_BYTES];
  while (fread(vector, 1, sizeof vector, in) == sizeof vector) {
    memcpy(tfs_model_input(), vector, sizeof vector);
    tfs_model_invoke();
    if (fwrite(tfs_model_output(), 1, TFS_MODEL_OUTPUT_BYTES, out) != TFS_MODEL_OUTPUT_BYTES) {
      fprintf(stderr, "short write\n");
      return 2;
    }
  }
  fclose(in);
  fclose(out);
  return 0;
}
