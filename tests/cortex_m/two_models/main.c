/* Test firmware: two models generated with generate(..., name="kws") and name="ad" linked into one
 * image with one copy of the shared kernels. Runs every vector of kws_in.bin through kws_model_* and
 * of ad_in.bin through ad_model_*, interleaved, and writes kws_out.bin / ad_out.bin (semihosting). */
#include <stdint.h>

#include "ad_model.h"
#include "kws_model.h"
#include "tfs_semihost.h"

static int fail(const char *message) {
  tfs_sh_puts("two models: ");
  tfs_sh_puts(message);
  tfs_sh_puts("\n");
  return 1;
}

int main(void) {
  if (kws_model_prepare() >= 0 || ad_model_prepare() >= 0) return fail("prepare failed");
  const int32_t kin = tfs_sh_open("kws_in.bin", TFS_SH_MODE_RB), ain = tfs_sh_open("ad_in.bin", TFS_SH_MODE_RB);
  const int32_t kout = tfs_sh_open("kws_out.bin", TFS_SH_MODE_WB), aout = tfs_sh_open("ad_out.bin", TFS_SH_MODE_WB);
  if (kin < 0 || ain < 0 || kout < 0 || aout < 0) return fail("cannot open the vector files");
  const int32_t kn = tfs_sh_flen(kin) / KWS_MODEL_INPUT_BYTES, an = tfs_sh_flen(ain) / AD_MODEL_INPUT_BYTES;
  for (int32_t i = 0; i < kn || i < an; ++i) {
    if (i < kn) {
      if (tfs_sh_read(kin, kws_model_input(), KWS_MODEL_INPUT_BYTES) != 0) return fail("short read");
      kws_model_invoke();
    }
    if (i < an) {
      if (tfs_sh_read(ain, ad_model_input(), AD_MODEL_INPUT_BYTES) != 0) return fail("short read");
      ad_model_invoke();
      if (tfs_sh_write(aout, ad_model_output(), AD_MODEL_OUTPUT_BYTES) != 0) return fail("short write");
    }
    /* kws output written after ad ran: the two arenas must not overlap. */
    if (i < kn && tfs_sh_write(kout, kws_model_output(), KWS_MODEL_OUTPUT_BYTES) != 0) return fail("short write");
  }
  tfs_sh_close(kin);
  tfs_sh_close(ain);
  tfs_sh_close(kout);
  tfs_sh_close(aout);
  tfs_sh_puts("two models: done (" KWS_MODEL_NAME ", " AD_MODEL_NAME ")\n");
  return 0;
}
