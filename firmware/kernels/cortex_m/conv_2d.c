/* tfsparse: Cortex-M twin of kernels/conv_2d.c (same header, bit-identical results).
 *
 * Sparse weights (every row encoding): four output pixels at a time, their columns interleaved so
 * that each nonzero is decoded once for four multiply-accumulates (eval_sparse4 below). The column
 * form (csc8, which the converter never gives a convolution) falls back to the per-pixel FC path.
 * Dense weights: CMSIS-NN's blocking, written anew. Two output pixels' columns are expanded to int16
 * once ("unordered": each 4 taps become the pairs (x0, x2), (x1, x3), which is what SXTB16 makes
 * of 4 weight bytes), then two output channels x two columns run together: per 4 taps, 2 weight
 * loads, 4 SXTB16, 4 column loads and 8 SMLAD for 16 multiply-accumulates. Columns get the last
 * taps % 4 as one zero-padded block; a 1x1 filter without padding expands its columns straight from
 * the input (any stride), interior windows row by row (3x3 over 1 or 3 channels packed from input
 * words; interior pixel pairs of one output row without per-pixel checks), border windows through the
 * shared im2col. With every shift <= -2 (the usual case) one assembly loop (pairs_dsp, called straight
 * from the pixel loop when the channels pair up; pairs_dsp_zp, 4 instructions more per row pair, when a
 * shift is below -23, e.g. a pruned layer's near-empty filter) runs all row pairs: the MAC loop unrolled by two
 * blocks, each row's last taps % 4 weights as one in-bounds word (a single last tap, e.g. 3x3 over one
 * channel, as 4 SMLABB), requantization in 5 instructions per output (one SMLAL, tfs_cm_dsp.h's
 * tfs_cmd_mbqm_right identity), SSAT, and only the clamps the activation needs; other layers, an
 * unpaired last row and builds without the DSP extension or optimization take the C loop.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../tfs_conv.h"
#include "tfs_cm_dsp.h"

#if defined(__GNUC__)
#define CONV_NOINLINE __attribute__((noinline))
#define CONV_INLINE inline __attribute__((always_inline))
#else
#define CONV_NOINLINE
#define CONV_INLINE inline
#endif

/* Expand `taps` int8 values into int16 pairs for the DSP loop: for each 4 taps, the words (x0, x2),
 * (x1, x3) (what SXTB16 makes of 4 weight bytes) at words 4q, 4q + 1 of `blocks` (column a) or
 * 4q + 2, 4q + 3 (column b: the caller passes blocks + 2), so one pointer walks both columns. The last
 * taps % 4 values make one more block, zero-padded: a padded tap multiplies whatever weight byte
 * tail_word puts there (0), so every row runs ceil(taps / 4) blocks and no scalar rest. Reads exactly
 * `taps` bytes of src. */
static void expand_column(const int8_t *src, int32_t taps, int32_t *blocks) {
  for (int32_t k = taps >> 2; k > 0; --k) {
    const uint32_t x = tfs_cmd_read4(src);
    blocks[0] = tfs_cmd_sxtb16(x);
    blocks[1] = tfs_cmd_sxtb16_ror8(x);
    blocks += 4, src += 4;
  }
  const int32_t rest = taps & 3;
  if (rest != 0) {
    uint32_t x = (uint8_t)src[0];
    if (rest > 1) {
      x |= (uint32_t)(uint8_t)src[1] << 8;
    }
    if (rest > 2) {
      x |= (uint32_t)(uint8_t)src[2] << 16;
    }
    blocks[0] = tfs_cmd_sxtb16(x);
    blocks[1] = tfs_cmd_sxtb16_ror8(x);
  }
}

/* expand_column of two columns at once (both `taps` long): one pass writes each block's 4 words. */
static void expand_two_columns(const int8_t *src_a, const int8_t *src_b, int32_t taps, int32_t *blocks) {
  for (int32_t k = taps >> 2; k > 0; --k) {
    const uint32_t x = tfs_cmd_read4(src_a), y = tfs_cmd_read4(src_b);
    blocks[0] = tfs_cmd_sxtb16(x);
    blocks[1] = tfs_cmd_sxtb16_ror8(x);
    blocks[2] = tfs_cmd_sxtb16(y);
    blocks[3] = tfs_cmd_sxtb16_ror8(y);
    blocks += 4, src_a += 4, src_b += 4;
  }
  if ((taps & 3) != 0) {
    expand_column(src_a, taps & 3, blocks);
    expand_column(src_b, taps & 3, blocks + 2);
  }
}

/* The last `rest` (1..3) weights of a row of `taps` as the low bytes of a word, the others 0: one
 * read of the row's last 4 bytes (never past the row), shifted down. */
static inline uint32_t tail_word(const int8_t *row, int32_t taps, int32_t rest) {
  if (taps >= 4) {
    return tfs_cmd_read4(row + taps - 4) >> (8 * (4 - rest));
  }
  uint32_t x = 0;
  for (int32_t k = rest - 1; k >= 0; --k) {
    x = (x << 8) | (uint8_t)row[k];
  }
  return x;
}

/* acc_a0 += row0 . column a, ... over `blocks` blocks of 4 taps: 2 weight words, 4 SXTB16, 2 LDRD
 * and 8 SMLAD per 16 multiply-accumulates. */
static inline void mac_blocks(int32_t blocks, const int8_t *w0, const int8_t *w1, const int32_t *cols, int32_t *acc) {
  int32_t a0 = acc[0], b0 = acc[1], a1 = acc[2], b1 = acc[3];
#if TFS_CMD_HAVE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__)
  if (blocks > 0) {
    int32_t xa, ya, xb, yb, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[t0], [%[w0]], #4\n\t"
        "ldrd %[xa], %[ya], [%[c]], #16\n\t"
        "ldrd %[xb], %[yb], [%[c], #-8]\n\t"
        "sxtb16 %[t1], %[t0]\n\t"
        "sxtb16 %[t0], %[t0], ror #8\n\t"
        "smlad %[a0], %[t1], %[xa], %[a0]\n\t"
        "smlad %[a0], %[t0], %[ya], %[a0]\n\t"
        "smlad %[b0], %[t1], %[xb], %[b0]\n\t"
        "smlad %[b0], %[t0], %[yb], %[b0]\n\t"
        "ldr %[t0], [%[w1]], #4\n\t"
        "sxtb16 %[t1], %[t0]\n\t"
        "sxtb16 %[t0], %[t0], ror #8\n\t"
        "smlad %[a1], %[t1], %[xa], %[a1]\n\t"
        "smlad %[a1], %[t0], %[ya], %[a1]\n\t"
        "smlad %[b1], %[t1], %[xb], %[b1]\n\t"
        "smlad %[b1], %[t0], %[yb], %[b1]\n\t"
        "subs %[k], %[k], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [w0] "+r"(w0), [w1] "+r"(w1),
          [c] "+r"(cols), [k] "+r"(blocks), [xa] "=&r"(xa), [ya] "=&r"(ya), [xb] "=&r"(xb), [yb] "=&r"(yb),
          [t0] "=&r"(t0), [t1] "=&r"(t1)
        :
        : "cc", "memory");
  }
#else
  for (int32_t k = blocks; k > 0; --k, cols += 4) {
    const uint32_t u0 = tfs_cmd_read4(w0), u1 = tfs_cmd_read4(w1);
    w0 += 4, w1 += 4;
    const int32_t w0e = tfs_cmd_sxtb16(u0), w0o = tfs_cmd_sxtb16_ror8(u0);
    const int32_t w1e = tfs_cmd_sxtb16(u1), w1o = tfs_cmd_sxtb16_ror8(u1);
    a0 = tfs_cmd_smlad(w0o, cols[1], tfs_cmd_smlad(w0e, cols[0], a0));
    b0 = tfs_cmd_smlad(w0o, cols[3], tfs_cmd_smlad(w0e, cols[2], b0));
    a1 = tfs_cmd_smlad(w1o, cols[1], tfs_cmd_smlad(w1e, cols[0], a1));
    b1 = tfs_cmd_smlad(w1o, cols[3], tfs_cmd_smlad(w1e, cols[2], b1));
  }
#endif
  acc[0] = a0, acc[1] = b0, acc[2] = a1, acc[3] = b1;
}

/* Requantize the accumulators of one output channel for both pixels: the channel's multiplier and
 * shift are read once; a right shift (the usual case) takes tfs_cmd_mbqm_right, equal to
 * tfs_cmd_mbqm. */
static inline void requantize_channel(int32_t acc_a, int32_t acc_b, int32_t m, int32_t shift, const int32_t *out_params,
                                      int8_t *out_a, int8_t *out_b) {
  int32_t va, vb;
  if (shift < 0) {
    const uint32_t d = tfs_cmd_rq_d(shift);
    va = tfs_cmd_mbqm_right(acc_a, m, d, -shift - 1);
    vb = tfs_cmd_mbqm_right(acc_b, m, d, -shift - 1);
  } else {
    va = tfs_cmd_mbqm(acc_a, m, shift);
    vb = tfs_cmd_mbqm(acc_b, m, shift);
  }
  const int32_t zp = out_params[0], lo = out_params[1], hi = out_params[2];
  *out_a = (int8_t)tfs_clamp(tfs_add_wrap(va, zp), lo, hi);
  *out_b = (int8_t)tfs_clamp(tfs_add_wrap(vb, zp), lo, hi);
}

/* State of pairs_dsp (the loop needs all 14 general registers: its address is kept on the stack while
 * the multiply-accumulate loop runs). Offsets are part of the assembly (LDRD/STRD pairs: cols and
 * blocks, mult and shift, w and taps, out_a and out_b). The walking fields start from their *_start
 * copies at every call; the caller sets out_a, out_b, out_end. */
typedef struct {
  const int32_t *cols;       /* 0: the two expanded columns */
  int32_t blocks;            /* 4: taps / 4 whole blocks (taps >= 4), run two per loop iteration */
  int32_t rest;              /* 8: taps % 4 (the assembly uses tail_offset) */
  const int8_t *out_end;     /* 12: out_a after the last pair (set by the caller) */
  const int32_t *bias;       /* 16: walking from bias_start */
  const int32_t *mult;       /* 20: walking */
  const int32_t *shift;      /* 24: walking; every shift <= -2 (pairs_dsp: in [-23, -2]) */
  const int8_t *w;           /* 28: walking, row r */
  int32_t taps;              /* 32 */
  int8_t *out_a;             /* 36: walking */
  int8_t *out_b;             /* 40: walking */
  int32_t zp_term;           /* 44: pairs_dsp: 2 zp + 1 (TFS_RQ's H adds the zero point); pairs_dsp_zp: zp */
  int32_t lo;                /* 48 */
  int32_t hi;                /* 52 */
  int32_t clamp;             /* 56: 0: lo == -128 && hi == 127 (SSAT alone clamps); 1: only lo (hi == 127); 2: both */
  int32_t tail_offset;       /* 60: rest - 4 (0 when rest == 0): the row's last 4 bytes, from the end of its whole blocks */
  int32_t tail_bits;         /* 64: 8 * (4 - rest): shifts the bytes before the tail out */
  const int32_t *bias_start; /* 68 */
  const int32_t *mult_start; /* 72 */
  const int32_t *shift_start; /* 76 */
  const int8_t *w_start;     /* 80 */
} pair_state_t;
typedef void (*pairs_fn_t)(pair_state_t *);

#if TFS_CMD_HAVE_DSP && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(__clang__)
#define TFS_CONV_ASM_PAIRS 1

/* One output channel's requantization of accumulator ACC in place, plus the output zero point zp:
 * tfs_cmd_mbqm_right for e >= 2 as one SMLAL from 2^30 * (1 + 2^e - 2 * [acc < 0]) + zp * 2^(32 + E) =
 * (H - [acc < 0]) * 2^32 + 2^30 + [acc < 0] * 2^31 with H = 2^(e-2) + zp * 2^E = (2 zp + 1) * 2^(E-1)
 * (the high word grows by exactly zp * 2^E, which the shift by E turns into + zp; for e <= 23 it stays
 * inside int32); M multiplier, E = e - 1; LO, HI scratch. */
#define TFS_RQ(ACC, M, H, E, LO, HI)             \
  "and " LO ", " ACC ", #0x80000000\n\t"         \
  "orr " LO ", " LO ", #0x40000000\n\t"          \
  "add " HI ", " H ", " ACC ", asr #31\n\t"      \
  "smlal " LO ", " HI ", " ACC ", " M "\n\t"      \
  "asr " ACC ", " HI ", " E "\n\t"
#define TFS_CLAMP_LO(ACC)                    \
  "cmp " ACC ", r7\n\t"                      \
  "it lt\n\t"                                \
  "movlt " ACC ", r7\n\t"
#define TFS_CLAMP_HI(ACC)                    \
  "cmp " ACC ", r8\n\t"                      \
  "it gt\n\t"                                \
  "movgt " ACC ", r8\n\t"

/* One block (4 taps) of rows w0 = r6, w1 = r7 against both columns at r8: 2 x 2 accumulators r2-r5. */
#define TFS_MAC_BLOCK \
  "ldr lr, [r6], #4\n\t" \
  "ldrd r9, r10, [r8], #16\n\t" \
  "ldrd r11, r12, [r8, #-8]\n\t" \
  "sxtb16 r1, lr\n\t" \
  "sxtb16 lr, lr, ror #8\n\t" \
  "smlad r2, r1, r9, r2\n\t" \
  "smlad r2, lr, r10, r2\n\t" \
  "smlad r3, r1, r11, r3\n\t" \
  "smlad r3, lr, r12, r3\n\t" \
  "ldr lr, [r7], #4\n\t" \
  "sxtb16 r1, lr\n\t" \
  "sxtb16 lr, lr, ror #8\n\t" \
  "smlad r4, r1, r9, r4\n\t" \
  "smlad r4, lr, r10, r4\n\t" \
  "smlad r5, r1, r11, r5\n\t" \
  "smlad r5, lr, r12, r5\n\t"

/* Row pairs (r, r + 1) x both columns: 2 x 2 accumulators from the biases, the DSP loop over the
 * whole blocks, the last taps % 4 weights of each row as one word read at the row's end and shifted
 * down (never past the row), requantization, zero point, clamp, 4 byte stores. Equal to the C loop
 * of dense_two_columns. */
#define TFS_PAIRS_DSP(NAME, H_BASE, ZP_ADD) \
static void NAME(pair_state_t *state) {                                                                   \
  register pair_state_t *st __asm__("r0") = state;                                                        \
  __asm__ volatile(                                                                                       \
      "push {r0}\n\t"                                                                                     \
      "add r1, r0, #68\n\t"                                                                               \
      "ldm r1, {r2, r3, r4, r5}\n\t"                                                                      \
      "add r1, r0, #16\n\t"                                                                               \
      "stm r1, {r2, r3, r4, r5}\n\t"                                                                      \
      "1:\n\t"                                                                                            \
      "ldr r1, [r0, #16]\n\t"                                                                             \
      "ldrd r2, r4, [r1], #8\n\t"                                                                         \
      "str r1, [r0, #16]\n\t"                                                                             \
      "mov r3, r2\n\t"                                                                                    \
      "mov r5, r4\n\t"                                                                                    \
      "ldrd r6, r1, [r0, #28]\n\t"                                                                        \
      "add r7, r6, r1\n\t"                                                                                \
      "ldrd r8, r0, [r0]\n\t"                                                                             \
      "lsrs r0, r0, #1\n\t" /* whole blocks in twos; an odd one first */                                  \
      "bcc 2f\n\t"                                                                                        \
      TFS_MAC_BLOCK                                                                                       \
      "cmp r0, #0\n\t"                                                                                    \
      "beq 5f\n\t"                                                                                        \
      "2:\n\t"                                                                                            \
      TFS_MAC_BLOCK                                                                                       \
      TFS_MAC_BLOCK                                                                                       \
      "subs r0, r0, #1\n\t"                                                                               \
      "bne 2b\n\t"                                                                                        \
      "5:\n\t"                                                                                            \
      "ldr r0, [sp]\n\t"                                                                                  \
      "ldr r1, [r0, #60]\n\t"                                                                             \
      "cbz r1, 4f\n\t"                                                                                    \
      "cmn r1, #3\n\t"                                                                                    \
      "beq 6f\n\t"                                                                                        \
      "ldr r0, [r0, #64]\n\t"                                                                             \
      "ldrd r9, r10, [r8]\n\t"                                                                            \
      "ldrd r11, r12, [r8, #8]\n\t"                                                                       \
      "ldr lr, [r6, r1]\n\t"                                                                              \
      "lsr lr, lr, r0\n\t"                                                                                \
      "sxtb16 r8, lr\n\t"                                                                                 \
      "sxtb16 lr, lr, ror #8\n\t"                                                                         \
      "smlad r2, r8, r9, r2\n\t"                                                                          \
      "smlad r2, lr, r10, r2\n\t"                                                                         \
      "smlad r3, r8, r11, r3\n\t"                                                                         \
      "smlad r3, lr, r12, r3\n\t"                                                                         \
      "ldr lr, [r7, r1]\n\t"                                                                              \
      "lsr lr, lr, r0\n\t"                                                                                \
      "sxtb16 r8, lr\n\t"                                                                                 \
      "sxtb16 lr, lr, ror #8\n\t"                                                                         \
      "smlad r4, r8, r9, r4\n\t"                                                                          \
      "smlad r4, lr, r10, r4\n\t"                                                                         \
      "smlad r5, r8, r11, r5\n\t"                                                                         \
      "smlad r5, lr, r12, r5\n\t"                                                                         \
      "ldr r0, [sp]\n\t"                                                                                  \
      "add r7, r7, r1\n\t" /* row r + 2 = end of the whole blocks + rest, rest = tail offset + 4 */       \
      "add r7, r7, #4\n\t"                                                                                \
      "b 4f\n\t"                                                                                          \
      "6:\n\t" /* one last tap (rest 1): its column values are the low halves of words 0 and 2 */         \
      "ldr r9, [r8]\n\t"                                                                                  \
      "ldr r11, [r8, #8]\n\t"                                                                             \
      "ldrsb lr, [r6]\n\t"                                                                                \
      "ldrsb r12, [r7], #1\n\t"                                                                           \
      "smlabb r2, r9, lr, r2\n\t"                                                                         \
      "smlabb r3, r11, lr, r3\n\t"                                                                        \
      "smlabb r4, r9, r12, r4\n\t"                                                                        \
      "smlabb r5, r11, r12, r5\n\t"                                                                       \
      "4:\n\t"                                                                                            \
      "str r7, [r0, #28]\n\t"                                                                             \
      TFS_RQ_BEGIN                                                                                        \
      "ldrd r6, r7, [r0, #20]\n\t"                                                                        \
      "ldrd r8, r10, [r6], #8\n\t"                                                                        \
      "ldrd r9, r11, [r7], #8\n\t"                                                                        \
      "strd r6, r7, [r0, #20]\n\t"                                                                        \
      H_BASE                                                                                              \
      "mvn r9, r9\n\t"                                                                                    \
      "sub r6, r9, #1\n\t"                                                                                \
      "lsl r6, r1, r6\n\t"                                                                                \
      "mvn r11, r11\n\t"                                                                                  \
      "sub r7, r11, #1\n\t"                                                                               \
      "lsl r7, r1, r7\n\t"                                                                                \
      TFS_RQ("r2", "r8", "r6", "r9", "r12", "lr")                                                         \
      TFS_RQ("r3", "r8", "r6", "r9", "r12", "lr")                                                         \
      TFS_RQ("r4", "r10", "r7", "r11", "r12", "lr")                                                       \
      TFS_RQ("r5", "r10", "r7", "r11", "r12", "lr")                                                       \
      ZP_ADD                                                                                              \
      "ssat r2, #8, r2\n\t"                                                                               \
      "ssat r3, #8, r3\n\t"                                                                               \
      "ssat r4, #8, r4\n\t"                                                                               \
      "ssat r5, #8, r5\n\t"                                                                               \
      "ldr r1, [r0, #56]\n\t"                                                                             \
      "cbz r1, 3f\n\t"                                                                                    \
      TFS_RQ_END TFS_RQ_BEGIN /* straight-line pieces: the clamps run only as the activation needs */     \
      "ldr r7, [r0, #48]\n\t"                                                                             \
      TFS_CLAMP_LO("r2") TFS_CLAMP_LO("r3") TFS_CLAMP_LO("r4") TFS_CLAMP_LO("r5")                         \
      "cmp r1, #1\n\t"                                                                                    \
      "beq 3f\n\t"                                                                                        \
      TFS_RQ_END TFS_RQ_BEGIN                                                                             \
      "ldr r8, [r0, #52]\n\t"                                                                             \
      TFS_CLAMP_HI("r2") TFS_CLAMP_HI("r3") TFS_CLAMP_HI("r4") TFS_CLAMP_HI("r5")                         \
      TFS_RQ_END                                                                                          \
      "3:\n\t"                                                                                            \
      TFS_RQ_BEGIN                                                                                        \
      "ldrd r9, r10, [r0, #36]\n\t"                                                                       \
      "strb r2, [r9], #1\n\t"                                                                             \
      "strb r4, [r9], #1\n\t"                                                                             \
      "strb r3, [r10], #1\n\t"                                                                            \
      "strb r5, [r10], #1\n\t"                                                                            \
      "strd r9, r10, [r0, #36]\n\t"                                                                       \
      TFS_RQ_END                                                                                          \
      "ldr r1, [r0, #12]\n\t"                                                                             \
      "cmp r9, r1\n\t"                                                                                    \
      "bne 1b\n\t"                                                                                        \
      "add sp, sp, #4\n\t"                                                                                \
      : "+r"(st)                                                                                          \
      :                                                                                                   \
      : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"); \
}
/* pairs_dsp: every shift in [-23, -2], the zero point folded into H (state zp_term = 2 zp + 1); pairs_dsp_zp:
 * any shift <= -2 (H = 2^(e-2) would not fit int32 with the zero point folded in for e > 23), the zero
 * point (state zp_term = zp) added after the shift, 4 instructions more per row pair. */
TFS_PAIRS_DSP(pairs_dsp, "ldr r1, [r0, #44]\n\t", "")
TFS_PAIRS_DSP(pairs_dsp_zp, "movs r1, #1\n\t",
              "ldr r6, [r0, #44]\n\t"
              "add r2, r2, r6\n\t"
              "add r3, r3, r6\n\t"
              "add r4, r4, r6\n\t"
              "add r5, r5, r6\n\t")
#undef TFS_PAIRS_DSP
#undef TFS_RQ
#undef TFS_MAC_BLOCK
#undef TFS_CLAMP_LO
#undef TFS_CLAMP_HI
#define TFS_PAIRS_FN(f) f
#define TFS_PAIRS_FOLD(f) ((f) == pairs_dsp)
#else
#define TFS_CONV_ASM_PAIRS 0
#define TFS_PAIRS_FN(f) NULL
#define TFS_PAIRS_FOLD(f) 0
#endif

/* Two columns (expand_column layout, ceil(taps / 4) blocks) times every output channel: out_a, out_b
 * receive the requantized pixels. Rows are taken in pairs; an odd last row pairs with itself. The
 * columns' zero-padded last block lets every row but the matrix's last run ceil(taps / 4) whole
 * blocks: the up to 3 weight bytes read past such a row belong to the next row and meet zero taps.
 * The last pair reads its last block through tail_word instead (never past the array). */
static void dense_two_columns(const tfs_fc_params_t *fc, const int32_t *cols, int8_t *out_a, int8_t *out_b,
                              pair_state_t *st, pairs_fn_t pairs) {
  const int32_t rows = fc->rows, taps = fc->cols, blocks = taps >> 2, rest = taps & 3;
  const int32_t *tail = cols + 4 * blocks;
  const int32_t out_params[3] = {fc->output_zero_point, fc->activation_min, fc->activation_max};
  const int8_t *w = fc->values;
  const int32_t *bias = fc->bias, *mult = fc->multiplier, *shift = fc->shift;
  int32_t inner = (rows - 1) >> 1, first = 0; /* C loop: `inner` pairs whose rows are not the last, from row `first` */
#if TFS_CONV_ASM_PAIRS
  if (st != NULL) {
    st->out_a = out_a, st->out_b = out_b, st->out_end = out_a + 2 * (rows >> 1);
    pairs(st);
    if ((rows & 1) == 0) {
      return;
    }
    w = st->w, bias = st->bias, mult = st->mult, shift = st->shift, out_a = st->out_a, out_b = st->out_b;
    inner = 0, first = rows - 1;
  }
#else
  (void)st, (void)pairs;
#endif
  for (int32_t k = inner; k > 0; --k) {
    int32_t acc[4] = {bias[0], bias[0], bias[1], bias[1]};
    mac_blocks((taps + 3) >> 2, w, w + taps, cols, acc);
    requantize_channel(acc[0], acc[1], mult[0], shift[0], out_params, out_a, out_b);
    requantize_channel(acc[2], acc[3], mult[1], shift[1], out_params, out_a + 1, out_b + 1);
    w += 2 * (size_t)taps, bias += 2, mult += 2, shift += 2, out_a += 2, out_b += 2;
  }
  const int pair = first + 2 * inner + 1 < rows;
  const int8_t *w1 = pair ? w + taps : w;
  int32_t acc[4] = {bias[0], bias[0], bias[pair], bias[pair]};
  mac_blocks(blocks, w, w1, cols, acc);
  if (rest != 0) {
    const uint32_t u0 = tail_word(w, taps, rest), u1 = tail_word(w1, taps, rest);
    const int32_t w0e = tfs_cmd_sxtb16(u0), w0o = tfs_cmd_sxtb16_ror8(u0);
    const int32_t w1e = tfs_cmd_sxtb16(u1), w1o = tfs_cmd_sxtb16_ror8(u1);
    acc[0] = tfs_cmd_smlad(w0o, tail[1], tfs_cmd_smlad(w0e, tail[0], acc[0]));
    acc[1] = tfs_cmd_smlad(w0o, tail[3], tfs_cmd_smlad(w0e, tail[2], acc[1]));
    acc[2] = tfs_cmd_smlad(w1o, tail[1], tfs_cmd_smlad(w1e, tail[0], acc[2]));
    acc[3] = tfs_cmd_smlad(w1o, tail[3], tfs_cmd_smlad(w1e, tail[2], acc[3]));
  }
  requantize_channel(acc[0], acc[1], mult[0], shift[0], out_params, out_a, out_b);
  if (pair) {
    requantize_channel(acc[2], acc[3], mult[1], shift[1], out_params, out_a + 1, out_b + 1);
  }
}

/* How eval_dense builds a column, decided once per layer. Output pixels with oy in [oy_lo, oy_hi) and
 * ox in [ox_lo, ox_hi) have their window inside the input (dilation 1 only; otherwise the ranges are
 * empty): such a window is read row by row, straight into the blocks when each filter row's
 * kw * cin bytes are whole blocks (`whole_blocks`), else copied word by word into the staging column
 * (whose last word may run up to 3 bytes past the taps: the scratch has room, and later rows
 * overwrite it; input words past a row are read only when they stay inside the input). Other pixels
 * take the shared tfs_conv_2d_column. */
typedef struct {
  int32_t oy_lo, oy_hi, ox_lo, ox_hi;
  int32_t row_bytes, kh, whole_blocks;
  size_t stride;        /* bytes per input row */
  ptrdiff_t origin;     /* input offset of pixel (0, 0)'s window origin (negative with padding) */
  const int8_t *end;    /* input end */
} column_plan_t;

static int32_t ceil_div(int32_t a, int32_t b) {
  return a <= 0 ? 0 : (a + b - 1) / b;
}

static void column_plan(const tfs_conv_params_t *p, const int8_t *input, column_plan_t *plan) {
  const tfs_window_t *w = &p->window;
  const int32_t cin = w->input_channels;
  plan->row_bytes = w->filter_width * cin;
  plan->kh = w->filter_height;
  plan->whole_blocks = (plan->row_bytes & 3) == 0;
  plan->stride = (size_t)w->input_width * (size_t)cin;
  plan->origin = -(ptrdiff_t)w->padding_height * (ptrdiff_t)plan->stride - (ptrdiff_t)w->padding_width * cin;
  plan->end = input + (size_t)w->input_height * plan->stride;
  plan->oy_lo = ceil_div(w->padding_height, w->stride_height);
  plan->ox_lo = ceil_div(w->padding_width, w->stride_width);
  /* last oy with oy * sh - ph + kh <= H, +1 (and at most the output size) */
  const int32_t ylim = w->input_height - w->filter_height + w->padding_height;
  const int32_t xlim = w->input_width - w->filter_width + w->padding_width;
  plan->oy_hi = ylim < 0 ? 0 : ylim / w->stride_height + 1;
  plan->ox_hi = xlim < 0 ? 0 : xlim / w->stride_width + 1;
  plan->oy_hi = plan->oy_hi < w->output_height ? plan->oy_hi : w->output_height;
  plan->ox_hi = plan->ox_hi < w->output_width ? plan->ox_hi : w->output_width;
  if (w->dilation_height != 1 || w->dilation_width != 1) {
    plan->oy_hi = plan->oy_lo;
  }
}

/* Store word x (4 taps) as one block of expand_column's layout. */
static inline void put_block(int32_t *blocks, uint32_t x) {
  blocks[0] = tfs_cmd_sxtb16(x);
  blocks[1] = tfs_cmd_sxtb16_ror8(x);
}

/* The first convolutions of image models (3x3 filters over 1 or 3 input channels: rows of 3 or 9
 * bytes) packed into blocks straight from the input words, no staging copy. Reads up to 3 bytes past
 * each row (the caller checked the input's end). Returns 0 for other shapes. */
static int pack_small_rows(const int8_t *src, size_t stride, int32_t row_bytes, int32_t kh, int32_t *blocks) {
  if (kh != 3 || (row_bytes != 3 && row_bytes != 9)) {
    return 0;
  }
  const int8_t *b = src + stride, *c = b + stride;
  if (row_bytes == 3) { /* A0 A1 A2 B0 | B1 B2 C0 C1 | C2 */
    const uint32_t ra = tfs_cmd_read4(src), rb = tfs_cmd_read4(b), rc = tfs_cmd_read4(c);
    put_block(blocks, (ra & 0xFFFFFFu) | (rb << 24));
    put_block(blocks + 4, ((rb >> 8) & 0xFFFFu) | (rc << 16));
    put_block(blocks + 8, (rc >> 16) & 0xFFu);
    return 1;
  }
  /* A0-3 | A4-7 | A8 B0-2 | B3-6 | B7 B8 C0 C1 | C2-5 | C6-8 */
  const uint32_t rb0 = tfs_cmd_read4(b), rb1 = tfs_cmd_read4(b + 4), rb2 = tfs_cmd_read4(b + 8);
  const uint32_t rc0 = tfs_cmd_read4(c), rc1 = tfs_cmd_read4(c + 4), rc2 = tfs_cmd_read4(c + 8);
  put_block(blocks, tfs_cmd_read4(src));
  put_block(blocks + 4, tfs_cmd_read4(src + 4));
  put_block(blocks + 8, (uint32_t)(uint8_t)src[8] | (rb0 << 8));
  put_block(blocks + 12, (rb0 >> 24) | (rb1 << 8));
  put_block(blocks + 16, (rb1 >> 24) | ((rb2 & 0xFFu) << 8) | (rc0 << 16));
  put_block(blocks + 20, (rc0 >> 16) | (rc1 << 16));
  put_block(blocks + 24, (rc1 >> 16) | ((rc2 & 0xFFu) << 16));
  return 1;
}

/* Output pixel (oy, ox)'s column in expand_column's layout at `blocks` (+ 2 for column b). */
static void dense_column(const tfs_conv_params_t *p, const column_plan_t *plan, const int8_t *input, int32_t oy,
                         int32_t ox, int8_t *staging, int32_t *blocks) {
  if (oy >= plan->oy_lo && oy < plan->oy_hi && ox >= plan->ox_lo && ox < plan->ox_hi) {
    const tfs_window_t *w = &p->window;
    const int32_t row_bytes = plan->row_bytes, kh = plan->kh;
    const size_t stride = plan->stride;
    const int8_t *src = input + (plan->origin + (ptrdiff_t)(oy * w->stride_height) * (ptrdiff_t)stride +
                                 (ptrdiff_t)(ox * w->stride_width) * w->input_channels);
    if (plan->whole_blocks) {
      for (int32_t ky = 0; ky < kh; ++ky, src += stride, blocks += row_bytes) {
        expand_column(src, row_bytes, blocks);
      }
      return;
    }
    if (src + (size_t)(kh - 1) * stride + (size_t)((row_bytes + 3) & ~3) <= plan->end) {
      if (pack_small_rows(src, stride, row_bytes, kh, blocks)) {
        return;
      }
      int8_t *dst = staging;
      for (int32_t ky = 0; ky < kh; ++ky, src += stride, dst += row_bytes) {
        for (int32_t k = 0; k < row_bytes; k += 4) {
          const uint32_t word = tfs_cmd_read4(src + k);
          memcpy(dst + k, &word, 4);
        }
      }
      expand_column(staging, p->fc.cols, blocks);
      return;
    }
  }
  tfs_conv_2d_column(p, input, oy, ox, staging);
  expand_column(staging, p->fc.cols, blocks);
}

/* Dense weights: pixels in pairs (an odd last pixel runs as its own pair, second result dropped into
 * the same place). Scratch (within TFS_CONV_2D_SCRATCH_BYTES): the interleaved blocks of both columns
 * (16 * ceil(taps / 4) bytes), then the int8 im2col column. A 1x1 filter without padding (any stride)
 * expands its columns straight from the input. */
static CONV_INLINE void eval_dense_with(const tfs_conv_params_t *p, const int8_t *input, int8_t *output,
                                        int32_t *scratch, int asm_pairs, pairs_fn_t pairs) {
  const tfs_window_t *w = &p->window;
  const int32_t taps = p->fc.cols, cout = w->output_channels, ow = w->output_width;
  const int32_t pixels = w->output_height * ow;
  const int direct = w->filter_height == 1 && w->filter_width == 1 && w->padding_height == 0 && w->padding_width == 0;
  const size_t step_x = (size_t)w->stride_width * (size_t)taps;
  const size_t step_y = (size_t)w->stride_height * (size_t)w->input_width * (size_t)taps;
  int8_t *staging = (int8_t *)(scratch + 4 * ((taps + 3) >> 2));
  /* `st`: the assembly row-pair loop's state, NULL without it (eval_dense). */
  const tfs_fc_params_t *fc = &p->fc;
  const int32_t rest = taps & 3;
  pair_state_t state = {scratch, taps >> 2, rest, NULL, NULL, NULL, NULL, NULL, taps, NULL, NULL,
                        TFS_PAIRS_FOLD(pairs) ? 2 * fc->output_zero_point + 1 : fc->output_zero_point,
                        fc->activation_min, fc->activation_max, fc->activation_max == 127 ? fc->activation_min != -128 : 2,
                        rest != 0 ? rest - 4 : 0, 8 * (4 - rest), fc->bias, fc->multiplier, fc->shift, fc->values};
  pair_state_t *st = asm_pairs ? &state : NULL;
#if TFS_CONV_ASM_PAIRS
  if (st != NULL && (cout & 1) == 0 && tfs_conv_2d_is_pointwise(w)) {
    /* Pointwise, channels in pairs: pixel i's column is input + i * taps; nothing else to track. */
    for (int32_t i = 0; i < pixels; i += 2) {
      const int32_t j = i + 1 < pixels ? i + 1 : i;
      expand_two_columns(input + (size_t)i * (size_t)taps, input + (size_t)j * (size_t)taps, taps, scratch);
      state.out_a = output + (size_t)i * (size_t)cout, state.out_b = output + (size_t)j * (size_t)cout;
      state.out_end = state.out_a + cout;
      pairs(&state);
    }
    return;
  }
#endif
  column_plan_t plan;
  column_plan(p, input, &plan);
  /* Interior pixel pairs on one output row of a 3x3 filter over 1 or 3 channels: both columns packed
   * straight from the input (pack_small_rows) when the second window's last word stays inside the
   * input (input offset of its origin <= pack_limit). */
  const int small = plan.kh == 3 && (plan.row_bytes == 3 || plan.row_bytes == 9) && plan.oy_lo < plan.oy_hi;
  const ptrdiff_t pack_limit = (ptrdiff_t)(plan.end - input) - (ptrdiff_t)(2 * plan.stride) - ((plan.row_bytes + 3) & ~3);
  const ptrdiff_t pair_step = (ptrdiff_t)w->stride_width * w->input_channels;
  const ptrdiff_t row_step = (ptrdiff_t)w->stride_height * (ptrdiff_t)plan.stride;
  int32_t oy = 0, ox = 0; /* pixel i */
  for (int32_t i = 0; i < pixels; i += 2) {
    const int32_t j = i + 1 < pixels ? i + 1 : i;
    int32_t oy_j = oy, ox_j = ox + (j - i);
    if (ox_j == ow) {
      oy_j += 1, ox_j = 0;
    }
    int8_t *out_a = output + (size_t)i * (size_t)cout, *out_b = output + (size_t)j * (size_t)cout;
    if (direct) {
      expand_two_columns(input + (size_t)oy * step_y + (size_t)ox * step_x,
                         input + (size_t)oy_j * step_y + (size_t)ox_j * step_x, taps, scratch);
    } else {
      const ptrdiff_t at = plan.origin + oy * row_step + ox * pair_step;
      if (small && oy_j == oy && oy >= plan.oy_lo && oy < plan.oy_hi && ox >= plan.ox_lo && ox_j < plan.ox_hi &&
          at + pair_step <= pack_limit) {
        pack_small_rows(input + at, plan.stride, plan.row_bytes, 3, scratch);
        pack_small_rows(input + at + (ox_j - ox) * pair_step, plan.stride, plan.row_bytes, 3, scratch + 2);
      } else {
        dense_column(p, &plan, input, oy, ox, staging, scratch);
        dense_column(p, &plan, input, oy_j, ox_j, staging, scratch + 2);
      }
    }
#if TFS_CONV_ASM_PAIRS
    if (st != NULL && (cout & 1) == 0) { /* dense_two_columns' assembly case, called directly */
      st->out_a = out_a, st->out_b = out_b, st->out_end = out_a + cout;
      pairs(st);
    } else
#endif
    {
      dense_two_columns(&p->fc, scratch, out_a, out_b, st, pairs);
    }
    oy = oy_j, ox = ox_j + 1;
    if (ox == ow) {
      oy += 1, ox = 0;
    }
  }
}

/* The assembly row-pair loops apply when every channel's shift is <= -2, taps >= 4 and there are 2 or
 * more channels: pairs_dsp (zero point folded into the requantization) when every shift is also >= -23,
 * else pairs_dsp_zp. Each gets its own copy of the pixel loops (direct calls, chosen once per layer). */
static CONV_NOINLINE void eval_dense(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, int32_t *scratch) {
  const tfs_fc_params_t *fc = &p->fc;
  const int32_t cout = p->window.output_channels;
  const int can = TFS_CONV_ASM_PAIRS && fc->cols >= 4 && cout >= 2;
  int fold = can, deep = can; /* the common case scans the shifts once */
  for (int32_t r = 0; r < cout; ++r) {
    fold &= fc->shift[r] <= -2 && fc->shift[r] >= -23;
  }
  for (int32_t r = 0; r < cout && !fold && deep; ++r) {
    deep &= fc->shift[r] <= -2;
  }
  if (fold || !deep) {
    eval_dense_with(p, input, output, scratch, fold, TFS_PAIRS_FN(pairs_dsp));
  } else {
    eval_dense_with(p, input, output, scratch, 1, TFS_PAIRS_FN(pairs_dsp_zp));
  }
}

/* ---- Sparse weights: four output pixels per walk of each row ------------------------------------- */

/* Sparse rows run four output pixels ("lanes") at once: their columns are interleaved in the scratch
 * buffer, tap t of lane j at byte 4 t + j, so one word load at the tap fetches all four lanes, two
 * SXTB16 split it into the pairs (lane 0, lane 2) and (lane 1, lane 3), and each nonzero is decoded
 * once for four SMLABB/SMLABT: index load, value load, word load, 2 SXTB16 and 4 multiply-accumulates
 * for 4 MACs. A row's bias is loaded and its requantization parameters fetched once per 4 pixels.
 * The input zero point is folded into the bias over all taps, so padded taps carry the zero point
 * (exact), and a last block of fewer than 4 pixels repeats its last pixel in the spare lanes (the same
 * values written to the same place). */

/* The fast requantization: TFLM's MultiplyByQuantizedMultiplier (double rounding) + zero point + clamp
 * for right shifts of 2 or more (shift <= -2) as one SMLAL on a preset accumulator, one shift, one
 * QADD and one SSAT:
 * - for m >= 0 (Prepare), SaturatingRoundingDoublingHighMul(a, m) = floor((a m + 2^30) / 2^31);
 * - RoundingDivideByPOT(h, e) (half away from zero) = floor((floor((a m + c) / 2^(30 + e)) + 1) / 2)
 *   with c = +2^30 for a >= 0 and -2^30 below (for a m in [-2^30, 0) the inner floor is 0 or -1, which
 *   the outer halving maps to 0 either way), and 30 + e >= 32 makes the inner floor the high word of
 *   a m + c shifted right by e - 2;
 * - out = floor((t + 2 zp + 1) / 2), clamped to int8 by SSAT #8 of (t + 2 zp + 1) >> 1 (QADD saturates
 *   only far outside int8, where the clamp lands on the same end).
 * Shifts >= -1 take TFLM's formula as written (tfs_cmd_requantize). */
typedef struct {
  const int32_t *multiplier;
  const int32_t *shift;
  int32_t zp, k, lo, hi, full_range;
} conv_requant_t;

/* One lane's output, fast form (e2 = -2 - shift >= 0), before the activation clamp. */
static CONV_INLINE int32_t conv_fast1(int32_t acc, int32_t m, int32_t e2, int32_t k) {
  return tfs_cmd_ssat8_half(tfs_cmd_qadd(tfs_cmd_high_word(acc, m) >> e2, k));
}

/* Four accumulators of row r requantized and stored at out[0], out[d[0]], out[d[1]], out[d[2]]: the
 * fast form inline in the walkers, TFLM's formula for shifts >= -1 (rare) out of line. Every value is
 * computed before the first byte store, which could alias the layer constants. */
static CONV_NOINLINE void conv_store4_slow(const conv_requant_t *q, int32_t r, int32_t a0, int32_t a1, int32_t a2,
                                           int32_t a3, int8_t *out, const int32_t *d) {
  const int32_t m = q->multiplier[r], shift = q->shift[r], zp = q->zp, lo = q->lo, hi = q->hi;
  const int8_t v0 = tfs_cmd_requantize(a0, m, shift, zp, lo, hi), v1 = tfs_cmd_requantize(a1, m, shift, zp, lo, hi);
  const int8_t v2 = tfs_cmd_requantize(a2, m, shift, zp, lo, hi), v3 = tfs_cmd_requantize(a3, m, shift, zp, lo, hi);
  out[0] = v0, out[d[0]] = v1, out[d[1]] = v2, out[d[2]] = v3;
}

static CONV_INLINE void conv_store4(const conv_requant_t *q, int32_t r, int32_t a0, int32_t a1, int32_t a2,
                                    int32_t a3, int8_t *out, const int32_t *d) {
  const int32_t m = q->multiplier[r], e2 = -2 - q->shift[r];
  if (e2 < 0) {
    conv_store4_slow(q, r, a0, a1, a2, a3, out, d);
    return;
  }
  const int32_t k = q->k;
  int32_t v0 = conv_fast1(a0, m, e2, k), v1 = conv_fast1(a1, m, e2, k);
  int32_t v2 = conv_fast1(a2, m, e2, k), v3 = conv_fast1(a3, m, e2, k);
  if (!q->full_range) {
    const int32_t lo = q->lo, hi = q->hi;
    v0 = tfs_clamp(v0, lo, hi), v1 = tfs_clamp(v1, lo, hi), v2 = tfs_clamp(v2, lo, hi), v3 = tfs_clamp(v3, lo, hi);
  }
  const int32_t d0 = d[0], d1 = d[1], d2 = d[2];
  out[0] = (int8_t)v0;
  out[d0] = (int8_t)v1;
  out[d1] = (int8_t)v2;
  out[d2] = (int8_t)v3;
}

/* The same as a call, for walkers whose entry loop needs every register (inlined, it spills there). */
static CONV_NOINLINE void conv_store4_call(const conv_requant_t *q, int32_t r, int32_t a0, int32_t a1, int32_t a2,
                                           int32_t a3, int8_t *out, const int32_t *d) {
  conv_store4(q, r, a0, a1, a2, a3, out, d);
}

/* Where a block's four lanes write: lane 0 at `out`, lanes 1..3 at these byte offsets from it. */
typedef struct {
  int32_t d[3];
} conv_lanes_t;

/* Tap t (a byte offset 4 t into the interleaved columns at x) times value v into the lanes' a0..a3. */
#define CONV_MAC4(x, off, v) CONV_MAC4_WORD(tfs_cmd_read4((x) + (off)), v)

/* The same for the tap's word of four lanes. */
#define CONV_MAC4_WORD(word, v)                                        \
  do {                                                                 \
    const uint32_t w_ = (word);                                        \
    const int32_t even_ = tfs_cmd_sxtb16(w_), odd_ = tfs_cmd_sxtb16_ror8(w_); \
    const int32_t v_ = (v);                                            \
    a0 = tfs_cmd_smlabb(v_, even_, a0);                                \
    a1 = tfs_cmd_smlabb(v_, odd_, a1);                                 \
    a2 = conv_smlabt(v_, even_, a2);                                   \
    a3 = conv_smlabt(v_, odd_, a3);                                    \
  } while (0)

/* acc + lo16(x) * hi16(pair) (SMLABT). */
static inline int32_t conv_smlabt(int32_t x, int32_t pair, int32_t acc) {
#if TFS_CMD_HAVE_DSP
  return __smlabt(x, pair, acc);
#else
  const int32_t p = (int32_t)(int16_t)((uint32_t)x & 0xFFFFu) * (int32_t)(int16_t)((uint32_t)pair >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
#endif
}

/* The row-pointer entry count of row r (uint16 or uint32 row pointers). */
static inline uint32_t conv_row_len(const tfs_fc_params_t *fc, int32_t r) {
  if (fc->row_ptr_bytes == 2) {
    const uint16_t *rp = (const uint16_t *)fc->row_ptr;
    return (uint32_t)rp[r + 1] - rp[r];
  }
  const uint32_t *rp = (const uint32_t *)fc->row_ptr;
  return rp[r + 1] - rp[r];
}

/* A walker runs one block of four lanes over every row, from the start of the encoding's arrays; its
 * value and index pointers advance entry by entry, so only each row's entry count is read. */
#define CONV_ROWS_BEGIN                                                                  \
  const tfs_fc_params_t *fc = &p->fc;                                                    \
  const int8_t *v = fc->values;                                                          \
  for (int32_t r = 0; r < fc->rows; ++r) {                                               \
    int32_t a0 = fc->bias[r], a1 = a0, a2 = a0, a3 = a0;

#define CONV_ROWS_END(STORE)                                                             \
    STORE(q, r, a0, a1, a2, a3, out + r, lanes.d);                                       \
  }

/* One entry with an absolute tap: the tap's word of four lanes times the next value. */
#define CONV_ABS_NEXT(x, idx, v) CONV_MAC4(x, 4u * (uint32_t)*(idx)++, *(v)++)

/* n entries of absolute taps, Duff's device: one computed jump into an eight-entry body, then whole
 * bodies (rows hold a few to a few dozen entries: the per-run cost matters). */
#define CONV_ABS_RUN(x, idx, v, n)                                                   \
  do {                                                                               \
    uint32_t k_ = ((n) + 7u) >> 3;                                                   \
    if (k_ != 0) switch ((n) & 7u) {                                                 \
      case 0: do { CONV_ABS_NEXT(x, idx, v); /* fall through */                      \
      case 7: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 6: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 5: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 4: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 3: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 2: CONV_ABS_NEXT(x, idx, v); /* fall through */                           \
      case 1: CONV_ABS_NEXT(x, idx, v);                                              \
              } while (--k_ > 0);                                                    \
    }                                                                                \
  } while (0)

/* Absolute indices (uint8, uint16 or uint32 taps) with RP row pointers. */
#define CONV_DEFINE_ABS(NAME, IDX, RP)                                                                 \
  static CONV_NOINLINE void NAME(const tfs_conv_params_t *p, const conv_requant_t *q, const uint8_t *x,   \
                                 int8_t *out, conv_lanes_t lanes) {                                    \
    const IDX *idx = (const IDX *)p->fc.indices;                                                       \
    const RP *rp = (const RP *)p->fc.row_ptr;                                                          \
    CONV_ROWS_BEGIN                                                                                    \
    const uint32_t n = (uint32_t)rp[r + 1] - rp[r];                                                    \
    CONV_ABS_RUN(x, idx, v, n);                                                                        \
    CONV_ROWS_END(conv_store4_call)                                                                    \
  }

CONV_DEFINE_ABS(conv_rows_abs_u8, uint8_t, uint16_t)
CONV_DEFINE_ABS(conv_rows_abs_u16, uint16_t, uint16_t)
CONV_DEFINE_ABS(conv_rows_abs_u32, uint32_t, uint16_t)
CONV_DEFINE_ABS(conv_rows_abs_u8_p32, uint8_t, uint32_t)
CONV_DEFINE_ABS(conv_rows_abs_u16_p32, uint16_t, uint32_t)
CONV_DEFINE_ABS(conv_rows_abs_u32_p32, uint32_t, uint32_t)

/* blk8: per row, a count per 255-tap block and uint8 taps relative to the block's start. */
static CONV_NOINLINE void conv_rows_blk8(const tfs_conv_params_t *p, const conv_requant_t *q, const uint8_t *x,
                                         int8_t *out, conv_lanes_t lanes) {
  const uint8_t *idx = (const uint8_t *)p->fc.indices;
  const uint8_t *count = (const uint8_t *)p->fc.row_ptr;
  const int32_t blocks = TFS_BLOCKS(p->fc.cols);
  CONV_ROWS_BEGIN
  for (int32_t b = 0; b < blocks; ++b) {
    const uint8_t *xb = x + 4 * TFS_BLOCK * b;
    const uint32_t n = *count++;
    CONV_ABS_RUN(xb, idx, v, n);
  }
  CONV_ROWS_END(conv_store4)
}

/* Relative walkers keep `off`, the byte offset of the next tap in the interleaved columns at x. One
 * entry: skip `gap` taps; unless it is the escape, multiply the next value into the tap and step past
 * it. */
#define CONV_REL_STEP(gap, esc)                 \
  do {                                          \
    off += 4 * (int32_t)(gap);                  \
    if ((gap) != (esc)) {                       \
      CONV_MAC4(x, off, *v++);                  \
      off += 4;                                 \
    }                                           \
  } while (0)

/* A compiler barrier between entries: GCC cannot hoist the next entries' loads above it, so each
 * entry's registers are free again before the next one (hoisted eight deep, they spill). */
#if defined(__GNUC__)
#define CONV_PIN() __asm__ volatile("" ::: "memory")
#else
#define CONV_PIN() ((void)0)
#endif

/* Whether a word of gaps holds an escape (every bit set in a byte, resp. a nibble): the carry-free
 * "has a zero field" test on the complement. A word without one gets 1 added to every field (no
 * carry: every field is below the escape), so that with `off` one tap back each entry is one shift-add
 * and one load: off += 4 (gap + 1), tap at off. */
#define CONV_HAS_ESC8(w) ((((~(w)) - 0x01010101u) & (w) & 0x80808080u) != 0)
#define CONV_HAS_ESC4(w) ((((~(w)) - 0x11111111u) & (w) & 0x88888888u) != 0)

/* One entry of an escape-free word: gap1 = gap + 1, off one tap back. */
#define CONV_REL_FAST(gap1)                     \
  do {                                          \
    off += 4 * (int32_t)(gap1);                 \
    CONV_PIN();                                 \
    CONV_MAC4(x, off, *v++);                    \
  } while (0)

/* rel8: four gaps per word load; a word without escapes takes no per-entry test. */
static CONV_NOINLINE void conv_rows_rel8(const tfs_conv_params_t *p, const conv_requant_t *q, const uint8_t *x,
                                         int8_t *out, conv_lanes_t lanes) {
  const uint8_t *g = (const uint8_t *)p->fc.indices;
  CONV_ROWS_BEGIN
  int32_t off = 0;
  const uint32_t n = conv_row_len(fc, r);
  for (uint32_t k = n >> 2; k > 0; --k) {
    const uint32_t w = tfs_cmd_read4(g);
    g += 4;
    if (CONV_HAS_ESC8(w)) {
      const uint32_t g0 = w & 0xFFu, g1 = (w >> 8) & 0xFFu, g2 = (w >> 16) & 0xFFu, g3 = w >> 24;
      CONV_REL_STEP(g0, 255u);
      CONV_REL_STEP(g1, 255u);
      CONV_REL_STEP(g2, 255u);
      CONV_REL_STEP(g3, 255u);
      continue;
    }
    const uint32_t w1 = w + 0x01010101u;
    off -= 4;
    CONV_REL_FAST(w1 & 0xFFu);
    CONV_REL_FAST((w1 >> 8) & 0xFFu);
    CONV_REL_FAST((w1 >> 16) & 0xFFu);
    CONV_REL_FAST(w1 >> 24);
    off += 4;
  }
  for (uint32_t k = n & 3u; k > 0; --k) {
    const uint32_t gap = *g++;
    CONV_REL_STEP(gap, 255u);
  }
  CONV_ROWS_END(conv_store4)
}

/* rel4: two gaps per byte, low nibble first; a row may start on a high nibble. `px` points at the
 * tap's word of four lanes and stays one tap back: a word of eight gaps without escapes gets 1 added to
 * every nibble and is split into its even and odd nibbles times 4 (bytes of lo and hi), so that each
 * entry is one UXTAB (px += 4 (gap + 1)) and the tap's load, with no per-entry test. A row's first
 * gap when it starts on a high nibble, its last partial word and a word holding an escape go as
 * chunks: the chunk's c gaps shifted into the top nibbles of a word, then a jump into an eight-entry
 * body that tests each gap for the escape (skip 15 taps). The array's last 3 bytes are read byte by
 * byte (no read past its end). */
#define CONV_ESC4_MASK(w) (((~(w)) - 0x11111111u) & (w) & 0x88888888u)

#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
#define CONV_UXTAB(acc, w, ROT) __asm__("uxtab %0, %0, %1, ror #" #ROT : "+r"(acc) : "r"(w))
#define CONV_UXTAB0(acc, w) __asm__("uxtab %0, %0, %1" : "+r"(acc) : "r"(w))
#else
#define CONV_UXTAB(acc, w, ROT) ((acc) += (((w) >> (ROT)) & 0xFFu))
#define CONV_UXTAB0(acc, w) ((acc) += ((w) & 0xFFu))
#endif

/* One entry: px += the byte (4 (gap + 1)), then the tap at px times the next value. */
#define CONV_R4(ADD)                               \
  do {                                             \
    ADD;                                           \
    CONV_PIN();                                    \
    CONV_MAC4(px, 0, *v++);                        \
  } while (0)

/* One entry of a chunk, gap in nibble SH / 4 of w: the escape skips 15 taps, any other gap px += 4 (gap
 * + 1) and the tap at px times the next value. */
#define CONV_R4_CHECKED(w, SH)                     \
  do {                                             \
    const uint32_t g_ = ((w) >> (SH)) & 0x0Fu;     \
    if (g_ == 0x0Fu) {                             \
      px += 4 * 15;                                \
    } else {                                       \
      CONV_MAC4_WORD(conv_step_load(&px, g_), *v++); \
    }                                              \
  } while (0)

/* *px += 4 (gap + 1), then the word at *px (one ADD and one LDR with writeback). */
static inline uint32_t conv_step_load(const uint8_t **px, uint32_t gap) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t w;
  const uint8_t *q = *px;
  __asm__ volatile("add %0, %0, %2, lsl #2\n\tldr %1, [%0, #4]!" : "+r"(q), "=r"(w) : "r"(gap) : "memory");
  *px = q;
  return w;
#else
  *px += 4u * gap + 4u;
  return tfs_cmd_read4(*px);
#endif
}

static CONV_NOINLINE uint32_t conv_read_tail(const uint8_t *b, const uint8_t *end) {
  uint32_t w = 0;
  for (int32_t s = 0; b < end && s < 32; s += 8) {
    w |= (uint32_t)*b++ << s;
  }
  return w;
}

static CONV_NOINLINE void conv_rows_rel4(const tfs_conv_params_t *p, const conv_requant_t *q, const uint8_t *x,
                                         int8_t *out, conv_lanes_t lanes) {
  const uint8_t *packed = (const uint8_t *)p->fc.indices;
  const uint32_t total = p->fc.row_ptr_bytes == 2 ? ((const uint16_t *)p->fc.row_ptr)[p->fc.rows]
                                                  : ((const uint32_t *)p->fc.row_ptr)[p->fc.rows];
  const uint32_t bytes = (total + 1u) >> 1;
  const uint8_t *packed_end = packed + bytes;
  const uint8_t *safe = packed + (bytes >= 3u ? bytes - 3u : 0u); /* a word loads whole below it */
  uint32_t e = 0;
  CONV_ROWS_BEGIN
  const uint8_t *px = x - 4;
  uint32_t n = conv_row_len(fc, r);
  const uint8_t *bp = packed + (e >> 1);
  uint32_t odd = e & 1u;
  e += n;
  for (;;) {
    uint32_t w, c;
    if (odd && n != 0) {
      c = 1u;
      w = (uint32_t)*bp++ << 24;
      n -= 1u, odd = 0;
    } else if (n >= 8u) {
      w = tfs_cmd_read4(bp);
      bp += 4, n -= 8u, c = 8u;
      if (CONV_ESC4_MASK(w) == 0) {
        const uint32_t w1 = w + 0x11111111u, lo = (w1 & 0x0F0F0F0Fu) << 2, hi = (w1 >> 2) & 0x3C3C3C3Cu;
        CONV_R4(CONV_UXTAB0(px, lo));
        CONV_R4(CONV_UXTAB0(px, hi));
        CONV_R4(CONV_UXTAB(px, lo, 8));
        CONV_R4(CONV_UXTAB(px, hi, 8));
        CONV_R4(CONV_UXTAB(px, lo, 16));
        CONV_R4(CONV_UXTAB(px, hi, 16));
        CONV_R4(CONV_UXTAB(px, lo, 24));
        CONV_R4(CONV_UXTAB(px, hi, 24));
        continue;
      }
    } else if (n != 0) {
      c = n;
      w = (bp < safe ? tfs_cmd_read4(bp) : conv_read_tail(bp, packed_end)) << (32u - 4u * c);
      n = 0;
    } else {
      break;
    }
    switch (c) {
      case 8: CONV_R4_CHECKED(w, 0); /* fall through */
      case 7: CONV_R4_CHECKED(w, 4); /* fall through */
      case 6: CONV_R4_CHECKED(w, 8); /* fall through */
      case 5: CONV_R4_CHECKED(w, 12); /* fall through */
      case 4: CONV_R4_CHECKED(w, 16); /* fall through */
      case 3: CONV_R4_CHECKED(w, 20); /* fall through */
      case 2: CONV_R4_CHECKED(w, 24); /* fall through */
      case 1: CONV_R4_CHECKED(w, 28); /* fall through */
      default: break;
    }
  }
  CONV_ROWS_END(conv_store4)
}

/* Bytes 0 and 2 of w, zero-extended into halfwords (UXTB16), and likewise bytes 1 and 3. */
static inline uint32_t conv_uxtb16(uint32_t w) {
#if TFS_CMD_HAVE_DSP
  return __uxtb16(w);
#else
  return w & 0x00FF00FFu;
#endif
}

static inline uint32_t conv_uxtb16_ror8(uint32_t w) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r;
  __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
#else
  return (w >> 8) & 0x00FF00FFu;
#endif
}

/* Low halfword of lo, low halfword of hi in the top (PKHBT), and the high halfwords likewise (PKHTB). */
static inline uint32_t conv_pack_low(uint32_t lo, uint32_t hi) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
  return r;
#else
  return (lo & 0xFFFFu) | (hi << 16);
#endif
}

static inline uint32_t conv_pack_high(uint32_t lo, uint32_t hi) {
#if TFS_CMD_HAVE_DSP && defined(__GNUC__)
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
  return r;
#else
  return (lo >> 16) | (hi & 0xFFFF0000u);
#endif
}

/* n bytes from each of the four lanes' sources into dst interleaved (dst[4 i + j] = src[j][i]): words
 * of four bytes per lane transposed as a 4 x 4 byte matrix (UXTB16 pairs merged by shifted ORs, then
 * halfword packs), then the last n % 4 bytes one by one. */
static void interleave4(const int8_t *const src[4], int32_t n, uint8_t *dst) {
  const int8_t *s0 = src[0], *s1 = src[1], *s2 = src[2], *s3 = src[3];
  for (int32_t i = n >> 2; i > 0; --i) {
    const uint32_t a = tfs_cmd_read4(s0), b = tfs_cmd_read4(s1), c = tfs_cmd_read4(s2), d = tfs_cmd_read4(s3);
    const uint32_t ab02 = conv_uxtb16(a) | (conv_uxtb16(b) << 8);           /* a0 b0 a2 b2 */
    const uint32_t ab13 = conv_uxtb16_ror8(a) | (conv_uxtb16_ror8(b) << 8); /* a1 b1 a3 b3 */
    const uint32_t cd02 = conv_uxtb16(c) | (conv_uxtb16(d) << 8);
    const uint32_t cd13 = conv_uxtb16_ror8(c) | (conv_uxtb16_ror8(d) << 8);
    const uint32_t w0 = conv_pack_low(ab02, cd02), w2 = conv_pack_high(ab02, cd02);
    const uint32_t w1 = conv_pack_low(ab13, cd13), w3 = conv_pack_high(ab13, cd13);
    memcpy(dst, &w0, 4);
    memcpy(dst + 4, &w1, 4);
    memcpy(dst + 8, &w2, 4);
    memcpy(dst + 12, &w3, 4);
    dst += 16, s0 += 4, s1 += 4, s2 += 4, s3 += 4;
  }
  for (int32_t i = n & 3; i > 0; --i) {
    dst[0] = (uint8_t)*s0++, dst[1] = (uint8_t)*s1++, dst[2] = (uint8_t)*s2++, dst[3] = (uint8_t)*s3++;
    dst += 4;
  }
}

/* The interleaved columns of output pixels pix[0..3] (row-major pixel numbers). Padded taps read
 * `zeros`, a run of filter_width * input_channels bytes at the input zero point. A filter row is one
 * run of filter_width * cin taps when every lane's row lies inside the input (or wholly in the padding)
 * and is contiguous there; otherwise it goes tap column by tap column. */
static void gather4(const tfs_conv_params_t *p, const int8_t *input, const int32_t pix[4], const int8_t *zeros,
                    uint8_t *cols) {
  const tfs_window_t *w = &p->window;
  const int32_t cin = w->input_channels, row_bytes = w->filter_width * cin;
  const size_t in_row = (size_t)w->input_width * (size_t)cin;
  int32_t y0[4], x0[4];
  int inside_x = w->dilation_width == 1;
  for (int j = 0; j < 4; ++j) {
    y0[j] = pix[j] / w->output_width * w->stride_height - w->padding_height;
    x0[j] = pix[j] % w->output_width * w->stride_width - w->padding_width;
    inside_x = inside_x && x0[j] >= 0 && x0[j] + w->filter_width <= w->input_width;
  }
  const int8_t *src[4];
  for (int32_t ky = 0; ky < w->filter_height; ++ky, cols += 4 * row_bytes) {
    const int8_t *row[4];
    int any_out = 0;
    for (int j = 0; j < 4; ++j) {
      const int32_t y = y0[j] + ky * w->dilation_height;
      row[j] = y >= 0 && y < w->input_height ? input + (size_t)y * in_row : NULL;
      any_out |= row[j] == NULL;
    }
    if (inside_x || (any_out && row[0] == NULL && row[1] == NULL && row[2] == NULL && row[3] == NULL)) {
      for (int j = 0; j < 4; ++j) {
        src[j] = row[j] != NULL ? row[j] + (size_t)x0[j] * (size_t)cin : zeros;
      }
      interleave4(src, row_bytes, cols);
      continue;
    }
    for (int32_t kx = 0; kx < w->filter_width; ++kx) {
      for (int j = 0; j < 4; ++j) {
        const int32_t x = x0[j] + kx * w->dilation_width;
        src[j] = row[j] != NULL && x >= 0 && x < w->input_width ? row[j] + (size_t)x * (size_t)cin : zeros;
      }
      interleave4(src, cin, cols + 4 * kx * cin);
    }
  }
}

typedef void (*conv_rows_fn)(const tfs_conv_params_t *, const conv_requant_t *, const uint8_t *, int8_t *,
                             conv_lanes_t);

static conv_rows_fn conv_rows_for(const tfs_fc_params_t *fc) {
  const int p16 = fc->row_ptr_bytes == 2;
  switch (fc->encoding) {
    case TFS_ENC_ABS_U8:
      return p16 ? conv_rows_abs_u8 : conv_rows_abs_u8_p32;
    case TFS_ENC_ABS_U16:
      return p16 ? conv_rows_abs_u16 : conv_rows_abs_u16_p32;
    case TFS_ENC_ABS_U32:
      return p16 ? conv_rows_abs_u32 : conv_rows_abs_u32_p32;
    case TFS_ENC_BLK8:
      return conv_rows_blk8;
    case TFS_ENC_REL8:
      return conv_rows_rel8;
    case TFS_ENC_REL4:
      return conv_rows_rel4;
    default:
      return NULL;
  }
}

/* Sparse row forms: blocks of four output pixels. Scratch: the interleaved columns (4 * taps bytes),
 * then (not pointwise) filter_width * cin bytes at the input zero point. */
static void eval_sparse4(const tfs_conv_params_t *p, conv_rows_fn rows, const int8_t *input, int8_t *output,
                         uint8_t *scratch) {
  const tfs_window_t *w = &p->window;
  const int32_t taps = p->fc.cols, cout = w->output_channels;
  const int32_t pixels = w->output_height * w->output_width;
  const int pointwise = tfs_conv_2d_is_pointwise(w);
  int8_t *zeros = (int8_t *)scratch + 4 * (size_t)taps;
  if (!pointwise) {
    memset(zeros, (int)(uint8_t)p->input_zero_point, (size_t)(w->filter_width * w->input_channels));
  }
  conv_requant_t q;
  q.multiplier = p->fc.multiplier, q.shift = p->fc.shift, q.zp = p->fc.output_zero_point;
  q.k = 2 * q.zp + 1, q.lo = p->fc.activation_min, q.hi = p->fc.activation_max;
  q.full_range = q.lo == -128 && q.hi == 127;
  for (int32_t i = 0; i < pixels; i += 4) {
    int32_t pix[4];
    for (int j = 0; j < 4; ++j) {
      pix[j] = i + j < pixels ? i + j : pixels - 1;
    }
    if (pointwise) {
      const int8_t *src[4];
      for (int j = 0; j < 4; ++j) {
        src[j] = input + (size_t)pix[j] * (size_t)taps;
      }
      interleave4(src, taps, scratch);
    } else {
      gather4(p, input, pix, zeros, scratch);
    }
    const conv_lanes_t lanes = {{(pix[1] - i) * cout, (pix[2] - i) * cout, (pix[3] - i) * cout}};
    rows(p, &q, scratch, output + (size_t)i * (size_t)cout, lanes);
  }
}

void tfs_conv_2d_eval(const tfs_conv_params_t *p, const int8_t *input, int8_t *output, void *scratch) {
  if (p->fc.encoding == TFS_ENC_DENSE) {
    eval_dense(p, input, output, (int32_t *)scratch);
    return;
  }
  const conv_rows_fn rows = conv_rows_for(&p->fc);
  if (rows != NULL) {
    eval_sparse4(p, rows, input, output, (uint8_t *)scratch);
  }
  /* Every row form has a loop above; the column form (csc8) has none, as with the FC Eval without
   * scratch that the per-pixel fallback used to call (it wrote nothing). Not calling it keeps the FC
   * switch, and with it every FC encoding's loop, out of the link. */
}
