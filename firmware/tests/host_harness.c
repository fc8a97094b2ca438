/* tfsparse: host test harness for the kernels (any implementation of tfs_fully_connected.h).
 *
 *   host_harness CASES_FILE OUTPUTS_FILE
 *
 * CASES_FILE is a sequence of little-endian records written by tests/firmware/harness.py; each array
 * is copied into its own exactly-sized heap block so AddressSanitizer catches any out-of-bounds read.
 * For each record OUTPUTS_FILE receives an int32 status (tfs_status_t of Prepare) and, when it is
 * TFS_OK, the int8 outputs.
 *
 * Record: int32 kind (0 = fully connected, 1 = softmax), then
 *   FC:      rows cols encoding row_ptr_bytes n_values n_index_bytes output_zero_point act_min act_max
 *            batches n_row_ptr_bytes input_zero_point (int32 each), values[n_values], row_ptr[n_row_ptr_bytes],
 *            indices[n_index_bytes], bias/multiplier/shift (int32[rows] each), input[batches*cols]
 *   softmax: outer depth input_multiplier input_left_shift diff_min (int32 each), input[outer*depth]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfs_fully_connected.h"
#include "tfs_softmax.h"

static FILE *in_file;

static void die(const char *what) {
  fprintf(stderr, "host_harness: %s\n", what);
  exit(2);
}

static int32_t read_i32(void) {
  uint8_t b[4];
  if (fread(b, 1, 4, in_file) != 4) {
    die("truncated cases file");
  }
  return (int32_t)((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24));
}

/* A heap block of exactly `n` bytes (NULL when n == 0) filled from the cases file. */
static void *read_block(int64_t n) {
  if (n < 0) {
    die("negative array size");
  }
  if (n == 0) {
    return NULL;
  }
  void *p = malloc((size_t)n);
  if (p == NULL) {
    die("out of memory");
  }
  if (fread(p, 1, (size_t)n, in_file) != (size_t)n) {
    die("truncated cases file");
  }
  return p;
}

/* Exactly-sized scratch filled with garbage (kernels must not rely on its contents), or NULL. */
static int32_t *new_scratch(int32_t n) {
  if (n == 0) {
    return NULL;
  }
  int32_t *p = malloc((size_t)n);
  if (p == NULL) {
    die("out of memory");
  }
  memset(p, 0xA5, (size_t)n);
  return p;
}

static void write_status(FILE *out, int32_t status) {
  const uint8_t b[4] = {(uint8_t)status, (uint8_t)(status >> 8), (uint8_t)(status >> 16), (uint8_t)(status >> 24)};
  fwrite(b, 1, 4, out);
}

static void run_fc(FILE *out) {
  tfs_fc_params_t p;
  p.rows = read_i32();
  p.cols = read_i32();
  p.encoding = (tfs_encoding_t)read_i32();
  p.row_ptr_bytes = (uint8_t)read_i32();
  const int32_t n_values = read_i32();
  const int32_t n_index_bytes = read_i32();
  p.output_zero_point = read_i32();
  p.activation_min = read_i32();
  p.activation_max = read_i32();
  const int32_t batches = read_i32();
  const int32_t n_row_ptr_bytes = read_i32();
  p.input_zero_point = read_i32();
  int8_t *values = read_block(n_values);
  void *row_ptr = read_block(n_row_ptr_bytes);
  void *indices = read_block(n_index_bytes);
  int32_t *bias = read_block((int64_t)p.rows * 4);
  int32_t *multiplier = read_block((int64_t)p.rows * 4);
  int32_t *shift = read_block((int64_t)p.rows * 4);
  int8_t *input = read_block((int64_t)batches * p.cols);
  p.values = values;
  p.row_ptr = row_ptr;
  p.indices = indices;
  p.bias = bias;
  p.multiplier = multiplier;
  p.shift = shift;
  const tfs_status_t status = tfs_fully_connected_prepare(&p);
  write_status(out, (int32_t)status);
  if (status == TFS_OK) {
    int8_t *output = malloc((size_t)batches * (size_t)p.rows);
    int32_t *scratch = new_scratch(TFS_FC_SCRATCH_BYTES(p.encoding, p.rows));
    if (scratch == NULL) {
      tfs_fully_connected_eval(&p, batches, input, output);
    } else {
      tfs_fully_connected_eval_scratch(&p, batches, input, output, scratch);
    }
    fwrite(output, 1, (size_t)batches * (size_t)p.rows, out);
    free(output);
    free(scratch);
  }
  free(values);
  free(row_ptr);
  free(indices);
  free(bias);
  free(multiplier);
  free(shift);
  free(input);
}

static void run_softmax(FILE *out) {
  tfs_softmax_params_t p;
  p.outer = read_i32();
  p.depth = read_i32();
  p.input_multiplier = read_i32();
  p.input_left_shift = read_i32();
  p.diff_min = read_i32();
  int8_t *input = read_block((int64_t)p.outer * p.depth);
  const tfs_status_t status = tfs_softmax_prepare(&p);
  write_status(out, (int32_t)status);
  if (status == TFS_OK) {
    int8_t *output = malloc((size_t)p.outer * (size_t)p.depth);
    tfs_softmax_eval(&p, input, output);
    fwrite(output, 1, (size_t)p.outer * (size_t)p.depth, out);
    free(output);
  }
  free(input);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s CASES_FILE OUTPUTS_FILE\n", argv[0]);
    return 2;
  }
  in_file = fopen(argv[1], "rb");
  FILE *out = fopen(argv[2], "wb");
  if (in_file == NULL || out == NULL) {
    die("cannot open the cases or outputs file");
  }
  int c;
  while ((c = fgetc(in_file)) != EOF) {
    ungetc(c, in_file);
    const int32_t kind = read_i32();
    if (kind == 0) {
      run_fc(out);
    } else if (kind == 1) {
      run_softmax(out);
    } else {
      die("unknown record kind");
    }
  }
  fclose(in_file);
  fclose(out);
  printf("%s\n", tfs_fully_connected_impl());
  return 0;
}
