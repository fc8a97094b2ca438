/* tfsparse: firmware entry point. Reads input vectors from a semihosting file, runs one inference
 * per vector, and writes each output followed by the inference's SysTick count (uint32, little
 * endian) and, with TFS_OP_TIMING, one SysTick count per op (uint32 each, op order) to another
 * semihosting file. Only tfs_model_invoke() is inside the counted region. */
#include <stdint.h>
#include <string.h>

#include "tfs_counter.h"
#include "tfs_model.h"
#include "tfs_semihost.h"

#ifndef TFS_INPUT_FILE
#define TFS_INPUT_FILE "tfs_inputs.bin"
#endif
#ifndef TFS_OUTPUT_FILE
#define TFS_OUTPUT_FILE "tfs_outputs.bin"
#endif

#ifdef TFS_OP_TIMING
#define TIMED_OPS TFS_MODEL_NUM_OPS
uint32_t tfs_op_stamps[2 * TFS_MODEL_NUM_OPS];
#else
#define TIMED_OPS 0
#endif

/* Outputs are buffered to keep the number of (slow) semihosting calls low. */
#define RECORD_BYTES (TFS_MODEL_OUTPUT_BYTES + 4 + 4 * TIMED_OPS)
#define RECORDS_PER_FLUSH ((4096 + RECORD_BYTES - 1) / RECORD_BYTES)
static uint8_t out_buffer[RECORDS_PER_FLUSH * RECORD_BYTES];

static int fail(const char *message) {
  tfs_sh_puts("tfsparse firmware: ");
  tfs_sh_puts(message);
  tfs_sh_puts("\n");
  return 1;
}

int main(void) {
  const int failed_op = tfs_model_prepare();
  if (failed_op >= 0) {
    tfs_sh_puts("tfsparse firmware: prepare rejected op ");
    return fail(tfs_model_op_name(failed_op));
  }
  const int32_t in = tfs_sh_open(TFS_INPUT_FILE, TFS_SH_MODE_RB);
  if (in < 0) {
    return fail("cannot open " TFS_INPUT_FILE " (run QEMU in the directory that holds it)");
  }
  const int32_t length = tfs_sh_flen(in);
  if (length < 0 || length % TFS_MODEL_INPUT_BYTES != 0) {
    return fail(TFS_INPUT_FILE " is not a whole number of input vectors");
  }
  const int32_t out = tfs_sh_open(TFS_OUTPUT_FILE, TFS_SH_MODE_WB);
  if (out < 0) {
    return fail("cannot create " TFS_OUTPUT_FILE);
  }
  const int32_t count = length / TFS_MODEL_INPUT_BYTES;
  int32_t buffered = 0;
  for (int32_t i = 0; i < count; ++i) {
    if (tfs_sh_read(in, tfs_model_input(), TFS_MODEL_INPUT_BYTES) != 0) {
      return fail("short read from " TFS_INPUT_FILE);
    }
    tfs_counter_start();
    tfs_model_invoke();
    const uint32_t ticks = tfs_counter_stop();
    uint8_t *record = out_buffer + buffered * RECORD_BYTES;
    memcpy(record, tfs_model_output(), TFS_MODEL_OUTPUT_BYTES);
    memcpy(record + TFS_MODEL_OUTPUT_BYTES, &ticks, 4); /* Cortex-M is little endian */
#ifdef TFS_OP_TIMING
    for (int32_t k = 0; k < TIMED_OPS; ++k) {
      const uint32_t op_ticks = tfs_counter_ticks_between(tfs_op_stamps[2 * k], tfs_op_stamps[2 * k + 1]);
      memcpy(record + TFS_MODEL_OUTPUT_BYTES + 4 + 4 * k, &op_ticks, 4);
    }
#endif
    if (++buffered == RECORDS_PER_FLUSH || i + 1 == count) {
      if (tfs_sh_write(out, out_buffer, buffered * RECORD_BYTES) != 0) {
        return fail("short write to " TFS_OUTPUT_FILE);
      }
      buffered = 0;
    }
  }
  tfs_sh_close(in);
  tfs_sh_close(out);
  tfs_sh_puts("tfsparse firmware: done (" TFS_MODEL_NAME ", kernel ");
  tfs_sh_puts(tfs_fully_connected_impl());
  tfs_sh_puts(")\n");
  return 0;
}
