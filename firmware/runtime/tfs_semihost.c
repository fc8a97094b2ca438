/* tfsparse: semihosting through BKPT 0xAB (Thumb), with QEMU's -semihosting-config enable=on. */
#include "tfs_semihost.h"

#include <string.h>

enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE0 = 0x04,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_FLEN = 0x0C,
  SYS_EXIT = 0x18
};

static int32_t semihost(int32_t op, const void *arg) {
  register int32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

int32_t tfs_sh_open(const char *path, int32_t mode) {
  const uint32_t args[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
  return semihost(SYS_OPEN, args);
}

int32_t tfs_sh_close(int32_t handle) {
  const uint32_t args[1] = {(uint32_t)handle};
  return semihost(SYS_CLOSE, args);
}

int32_t tfs_sh_read(int32_t handle, void *buffer, int32_t length) {
  const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buffer, (uint32_t)length};
  return semihost(SYS_READ, args);
}

int32_t tfs_sh_write(int32_t handle, const void *buffer, int32_t length) {
  const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buffer, (uint32_t)length};
  return semihost(SYS_WRITE, args);
}

int32_t tfs_sh_flen(int32_t handle) {
  const uint32_t args[1] = {(uint32_t)handle};
  return semihost(SYS_FLEN, args);
}

void tfs_sh_puts(const char *text) { (void)semihost(SYS_WRITE0, text); }

void tfs_sh_exit(int success) {
  /* ADS_Stopped_ApplicationExit makes QEMU exit with status 0; RunTimeErrorUnknown with 1. */
  (void)semihost(SYS_EXIT, (const void *)(success ? 0x20026u : 0x20023u));
  for (;;) {
  }
}
