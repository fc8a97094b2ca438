/* tfsparse: ARM semihosting calls (files and exit on the host QEMU runs on). */
#ifndef TFS_SEMIHOST_H_
#define TFS_SEMIHOST_H_

#include <stdint.h>

#define TFS_SH_MODE_RB 1  /* fopen "rb" */
#define TFS_SH_MODE_WB 5  /* fopen "wb" */

int32_t tfs_sh_open(const char *path, int32_t mode);
int32_t tfs_sh_close(int32_t handle);
/* Returns the number of bytes NOT transferred (0 on success), as semihosting does. */
int32_t tfs_sh_read(int32_t handle, void *buffer, int32_t length);
int32_t tfs_sh_write(int32_t handle, const void *buffer, int32_t length);
int32_t tfs_sh_flen(int32_t handle);
void tfs_sh_puts(const char *text);
void tfs_sh_exit(int success) __attribute__((noreturn));

#endif /* TFS_SEMIHOST_H_ */
