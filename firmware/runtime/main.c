/* tfsparse: firmware entry point. Reads input vectors from a semihosting file, runs one inference
 * per vector, and writes each output followed by the inference's SysTick count (uint32, little
 * endian) and, with TFS_OP_TIMING, one SysTick count per op (uint32 each, op order) to another
 * semihosting file. Only the model's invoke() is inside the counted region.
 *
 * The model is the one whose name prefix the Makefile passes (tfs_main_model.h). */
#include <stdint.h>
#include <string.h>

#include "tfs_counter.h"
#ifdef TFS_DITHER_MODULO
#include "tfs_dither.h"
#endif
#include "tfs_semihost.h"
#include "tfs_stack.h"

#include "tfs_main_model.h"

#ifndef TFS_INPUT_FILE
#define TFS_INPUT_FILE "tfs_inputs.bin"
#endif
#ifndef TFS_OUTPUT_FILE
#define TFS_OUTPUT_FILE "tfs_outputs.bin"
#endif

/* Outputs are buffered to keep the number of (slow) semihosting calls low; the target sets the
 * buffer's size (512 bytes on parts with little RAM). */
#ifndef TFS_IO_BUFFER_BYTES
#define TFS_IO_BUFFER_BYTES 4096
#endif
#ifdef TFS_OP_TIMING
#define TIMED_OPS MODEL_CONST(NUM_OPS)
#else
#define TIMED_OPS 0
#endif
#define RECORD_BYTES (MODEL_CONST(OUTPUT_BYTES) + 4 + 4 * TIMED_OPS)
#define RECORDS_PER_FLUSH ((TFS_IO_BUFFER_BYTES + RECORD_BYTES - 1) / RECORD_BYTES)
static uint8_t out_buffer[RECORDS_PER_FLUSH * RECORD_BYTES];

static int fail(const char *message) {
  tfs_sh_puts("tfsparse firmware: ");
  tfs_sh_puts(message);
  tfs_sh_puts("\n");
  return 1;
}

int main(void) {
  const int failed_op = MODEL(prepare)();
  if (failed_op >= 0) {
    tfs_sh_puts("tfsparse firmware: prepare rejected op ");
    return fail(MODEL(op_name)(failed_op));
  }
  const int32_t in = tfs_sh_open(TFS_INPUT_FILE, TFS_SH_MODE_RB);
  if (in < 0) {
    return fail("cannot open " TFS_INPUT_FILE " (run QEMU in the directory that holds it)");
  }
  const int32_t length = tfs_sh_flen(in);
  if (length < 0 || length % MODEL_CONST(INPUT_BYTES) != 0) {
    return fail(TFS_INPUT_FILE " is not a whole number of input vectors");
  }
  const int32_t out = tfs_sh_open(TFS_OUTPUT_FILE, TFS_SH_MODE_WB);
  if (out < 0) {
    return fail("cannot create " TFS_OUTPUT_FILE);
  }
  const int32_t count = length / MODEL_CONST(INPUT_BYTES);
  int32_t buffered = 0;
  for (int32_t i = 0; i < count; ++i) {
    if (tfs_sh_read(in, MODEL(input)(), MODEL_CONST(INPUT_BYTES)) != 0) {
      return fail("short read from " TFS_INPUT_FILE);
    }
    tfs_counter_start();
#ifdef TFS_DITHER_MODULO
    tfs_dither_spin((uint32_t)i);
    const uint32_t dithered = tfs_counter_ticks_between(0u, tfs_counter_now()); /* the counter started at 0 */
#else
    const uint32_t dithered = 0u;
#endif
    MODEL(invoke)();
    const uint32_t ticks = tfs_counter_stop() - dithered;
    uint8_t *record = out_buffer + buffered * RECORD_BYTES;
    memcpy(record, MODEL(output)(), MODEL_CONST(OUTPUT_BYTES));
    memcpy(record + MODEL_CONST(OUTPUT_BYTES), &ticks, 4); /* Cortex-M is little endian */
#ifdef TFS_OP_TIMING
    for (int32_t k = 0; k < TIMED_OPS; ++k) {
      const uint32_t op_ticks = tfs_counter_ticks_between(MODEL(op_stamps)[2 * k], MODEL(op_stamps)[2 * k + 1]);
      memcpy(record + MODEL_CONST(OUTPUT_BYTES) + 4 + 4 * k, &op_ticks, 4);
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
  tfs_stack_report();
  tfs_sh_puts("tfsparse firmware: done (" MODEL_CONST(NAME) ", kernel ");
  tfs_sh_puts(tfs_fully_connected_impl());
  tfs_sh_puts(")\n");
  return 0;
}
