/* benchmarks/_insn_split.py: a QEMU TCG plugin (plugin API version 1, QEMU 7.2) that counts executed
 * guest instructions, per guest PC inside a window, for the MAC-loop / requantization split.
 *
 * Arguments (-plugin file.so,arg=value,...):
 *   out=PATH     where the counts go (text, written at exit)
 *   start=ADDR   the window opens when the instruction at ADDR executes (counted)
 *   stop=ADDR    and closes when the instruction at ADDR executes (not counted)
 *   watch=ADDR   record the running total of executed instructions at every load from ADDR (e.g.
 *                SysTick's current-value register), to check the counts against QEMU's -icount clock
 * Output: "total N" (every executed instruction), "window N" (inside the window), "opened N",
 * "reads a b ..." (running totals at the watched loads), then one "pc count" line (hex, decimal) per
 * guest PC executed inside the window.
 *
 * Debian's qemu-system-arm loads plugins but ships no qemu-plugin.h: the few declarations used are
 * written here from the documented API (version 1). Build: gcc -shared -fPIC -O2 -o x.so this.c */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One counter per guest PC (open addressing; a PC translated again shares its counter). */
typedef struct {
  uint64_t pc;
  uint64_t count;
  bool used;
} slot_t;

#define SLOTS (1u << 20)
static slot_t *slots;
static uint64_t total, window, opened, start_pc = UINT64_MAX, stop_pc = UINT64_MAX, watch = UINT64_MAX;
static bool active;
static char out_path[4096];
#define MAX_READS (1u << 20)
static uint64_t *reads;
static size_t n_reads;

static slot_t *slot_for(uint64_t pc) {
  uint64_t h = (pc >> 1) * 0x9E3779B97F4A7C15ull;
  for (uint32_t i = (uint32_t)(h >> 44) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
    if (!slots[i].used) {
      slots[i].used = true;
      slots[i].pc = pc;
      return &slots[i];
    }
    if (slots[i].pc == pc) return &slots[i];
  }
}

static void on_exec(unsigned int vcpu, void *userdata) {
  (void)vcpu;
  slot_t *s = userdata;
  ++total;
  if (s->pc == start_pc) {
    active = true;
    ++opened;
  } else if (s->pc == stop_pc) {
    active = false;
  }
  if (active) {
    ++s->count;
    ++window;
  }
}

static void on_load(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu, (void)info, (void)userdata;
  if (vaddr == watch && n_reads < MAX_READS) reads[n_reads++] = total;
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_exec, QEMU_PLUGIN_CB_NO_REGS,
                                           slot_for(qemu_plugin_insn_vaddr(insn)));
    if (watch != UINT64_MAX) {
      qemu_plugin_register_vcpu_mem_cb(insn, on_load, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_R, NULL);
    }
  }
}

static void write_counts(qemu_plugin_id_t id, void *userdata) {
  (void)id, (void)userdata;
  FILE *f = fopen(out_path, "w");
  if (!f) {
    qemu_plugin_outs("pc_count plugin: cannot write its output file\n");
    return;
  }
  fprintf(f, "total %" PRIu64 "\nwindow %" PRIu64 "\nopened %" PRIu64 "\nreads", total, window, opened);
  for (size_t i = 0; i < n_reads; ++i) fprintf(f, " %" PRIu64, reads[i]);
  fputc('\n', f);
  for (uint32_t i = 0; i < SLOTS; ++i) {
    if (slots[i].used && slots[i].count) fprintf(f, "%" PRIx64 " %" PRIu64 "\n", slots[i].pc, slots[i].count);
  }
  fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
                                                               int argc, char **argv) {
  (void)info;
  slots = calloc(SLOTS, sizeof *slots);
  reads = calloc(MAX_READS, sizeof *reads);
  if (!slots || !reads) return -1;
  for (int i = 0; i < argc; ++i) {
    const char *eq = strchr(argv[i], '=');
    if (!eq) return -1;
    const size_t key = (size_t)(eq - argv[i]);
    if (key == 3 && !strncmp(argv[i], "out", 3)) {
      snprintf(out_path, sizeof out_path, "%s", eq + 1);
    } else if (key == 5 && !strncmp(argv[i], "start", 5)) {
      start_pc = strtoull(eq + 1, NULL, 0);
    } else if (key == 4 && !strncmp(argv[i], "stop", 4)) {
      stop_pc = strtoull(eq + 1, NULL, 0);
    } else if (key == 5 && !strncmp(argv[i], "watch", 5)) {
      watch = strtoull(eq + 1, NULL, 0);
    } else {
      return -1;
    }
  }
  if (!out_path[0]) return -1;
  active = start_pc == UINT64_MAX; /* no start: count from the first instruction */
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
  qemu_plugin_register_atexit_cb(id, write_counts, NULL);
  return 0;
}
