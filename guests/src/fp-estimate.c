/*
 * The reciprocal estimates FRECPE, FRSQRTE and FRECPX, swept over their
 * tables: the result depends on the operand's sign, exponent and top fraction
 * bits (after normalising a subnormal), the FPCR (rounding mode, FZ, FZ16,
 * DN) and nothing else, so every exponent with every 9-bit fraction prefix
 * (half precision: every value) reaches every table entry and every
 * exponent rule. Each line prints a hash of the result bits and of FPSR
 * after each operation, so a run under elfuse and one under qemu-aarch64
 * (which implements the ARM ARM's tables exactly) must match byte for byte.
 *
 * Vector forms (8H, 4S, 2D) run the full sweeps with FPCR = 0 and with
 * FZ/FZ16/DN; the scalar forms run the operands near the exponent limits
 * (where rounding mode and flushing decide) under all 32 FPCR settings.
 */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__asm__(".arch_extension fp16");

static uint64_t get_fpsr(void) { uint64_t v; __asm__ volatile("mrs %0, fpsr" : "=r"(v) : : "memory"); return v; }
static void set_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" : : "r"(v) : "memory"); }
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" : : "r"(v) : "memory"); }

static uint32_t rng = 0x2545f491;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static uint64_t next64(void) { uint64_t hi = next(); return hi << 32 | next(); }

/* Operands, as bit patterns in 64-bit slots; n of them. */
static uint64_t *ops;
static unsigned n;
static void add(uint64_t v) { ops[n++] = v; }

/* Every exponent with every 9-bit fraction prefix (or `prefixes` random ones,
 * except for exponents within `edge` of either limit), subnormals with every
 * leading-one position, random low bits and signs. */
static void operands(unsigned ebits, unsigned fbits, unsigned prefixes, unsigned edge, int only_edges) {
  unsigned emax = (1u << ebits) - 1;
  uint64_t lowmask = (1ull << (fbits - 9)) - 1;
  n = 0;
  for (unsigned e = 0; e <= emax; e++) {
    int at_edge = e <= edge || e + edge >= emax || (e + edge >= emax / 2 && e <= emax / 2 + edge);
    if (only_edges && !at_edge) continue;
    unsigned count = at_edge || prefixes >= 512 ? 512 : prefixes;
    for (unsigned k = 0; k < count; k++) {
      uint64_t prefix = count == 512 ? k : next() & 511;
      uint64_t sign = (uint64_t)(next() & 1) << (ebits + fbits);
      add(sign | (uint64_t)e << fbits | prefix << (fbits - 9) | (next64() & lowmask));
    }
  }
  /* Subnormals: the leading one at each position, the 9 bits below it all values (or random). */
  for (unsigned lead = 0; lead < fbits; lead++) {
    unsigned count = only_edges ? 16 : 512;
    for (unsigned k = 0; k < count; k++) {
      uint64_t below = lead >= 9 ? (uint64_t)(count == 512 ? k : next() & 511) << (lead - 9) | (next64() & ((1ull << (lead - 9)) - 1))
                                 : next64() & ((1ull << lead) - 1);
      uint64_t sign = (uint64_t)(next() & 1) << (ebits + fbits);
      add(sign | 1ull << lead | below);
    }
  }
}

static uint64_t hash;
static void fold(uint64_t v) { hash = (hash ^ v) * 0x100000001b3ull; }

#define VEC(name, insn, arr, lanes)                                                          \
  static void name(void) {                                                                   \
    for (unsigned i = 0; i + (lanes) <= n; i += (lanes)) {                                   \
      uint64x2_t a = arr(i), r;                                                              \
      __asm__ volatile(insn : "=w"(r) : "w"(a));                                             \
      fold(vgetq_lane_u64(r, 0));                                                            \
      fold(vgetq_lane_u64(r, 1));                                                            \
      fold(get_fpsr());                                                                      \
    }                                                                                        \
  }
static uint64x2_t arr_h(unsigned i) {
  uint64_t lo = ops[i] | ops[i + 1] << 16 | ops[i + 2] << 32 | ops[i + 3] << 48;
  uint64_t hi = ops[i + 4] | ops[i + 5] << 16 | ops[i + 6] << 32 | ops[i + 7] << 48;
  return vcombine_u64(vcreate_u64(lo), vcreate_u64(hi));
}
static uint64x2_t arr_s(unsigned i) {
  return vcombine_u64(vcreate_u64(ops[i] | ops[i + 1] << 32), vcreate_u64(ops[i + 2] | ops[i + 3] << 32));
}
static uint64x2_t arr_d(unsigned i) { return vcombine_u64(vcreate_u64(ops[i]), vcreate_u64(ops[i + 1])); }
VEC(recpe_8h, "frecpe %0.8h, %1.8h", arr_h, 8)
VEC(rsqrte_8h, "frsqrte %0.8h, %1.8h", arr_h, 8)
VEC(recpe_4s, "frecpe %0.4s, %1.4s", arr_s, 4)
VEC(rsqrte_4s, "frsqrte %0.4s, %1.4s", arr_s, 4)
VEC(recpe_2d, "frecpe %0.2d, %1.2d", arr_d, 2)
VEC(rsqrte_2d, "frsqrte %0.2d, %1.2d", arr_d, 2)

#define SCALAR(name, insn, reg)                                                              \
  static void name(void) {                                                                   \
    for (unsigned i = 0; i < n; i++) {                                                       \
      uint64_t r;                                                                            \
      __asm__ volatile("fmov d16, %1\n\t" insn " " reg "16, " reg "16\n\tfmov %0, d16"       \
                       : "=r"(r) : "r"(ops[i]) : "v16");                                      \
      fold(r);                                                                               \
      fold(get_fpsr());                                                                      \
    }                                                                                        \
  }
SCALAR(recpe_h, "frecpe", "h")
SCALAR(rsqrte_h, "frsqrte", "h")
SCALAR(recpx_h, "frecpx", "h")
SCALAR(recpe_s, "frecpe", "s")
SCALAR(rsqrte_s, "frsqrte", "s")
SCALAR(recpx_s, "frecpx", "s")
SCALAR(recpe_d, "frecpe", "d")
SCALAR(rsqrte_d, "frsqrte", "d")
SCALAR(recpx_d, "frecpx", "d")

static void run(const char *what, void (*fn)(void), uint64_t fpcr) {
  hash = 0xcbf29ce484222325ull;
  set_fpcr(fpcr);
  set_fpsr(0);
  fn();
  uint64_t fpsr = get_fpsr();
  set_fpcr(0);
  printf("%-12s fpcr=%08llx n=%-6u hash=%016llx fpsr=%02llx\n", what, (unsigned long long)fpcr, n,
         (unsigned long long)hash, (unsigned long long)(fpsr & 0x9f));
}

#define FZ16 (1u << 19)
#define FZ (1u << 24)
#define DN (1u << 25)

int main(void) {
  ops = malloc(sizeof *ops * (1u << 18));
  if (!ops) return 1;
  static const struct { unsigned ebits, fbits, prefixes; } prec[3] = { { 5, 10, 512 }, { 8, 23, 512 }, { 11, 52, 8 } };
  static const char *names[3] = { "h", "s", "d" };
  void (*vec[3][2])(void) = { { recpe_8h, rsqrte_8h }, { recpe_4s, rsqrte_4s }, { recpe_2d, rsqrte_2d } };
  void (*scalar[3][3])(void) = { { recpe_h, rsqrte_h, recpx_h }, { recpe_s, rsqrte_s, recpx_s }, { recpe_d, rsqrte_d, recpx_d } };
  char what[32];
  for (unsigned p = 0; p < 3; p++) {
    if (p == 0) {
      /* Half precision: every one of the 65536 values, in order. */
      n = 0;
      for (unsigned v = 0; v < 65536; v++) add(v);
    } else {
      operands(prec[p].ebits, prec[p].fbits, prec[p].prefixes, 8, 0);
    }
    for (unsigned k = 0; k < 2; k++) {
      snprintf(what, sizeof what, "%s.%s", k ? "frsqrte" : "frecpe", p == 0 ? "8h" : p == 1 ? "4s" : "2d");
      run(what, vec[p][k], 0);
      run(what, vec[p][k], FZ | FZ16 | DN);
    }
    snprintf(what, sizeof what, "frecpx %s", names[p]);
    run(what, scalar[p][2], 0);
    run(what, scalar[p][2], FZ | FZ16 | DN);
    /* The edges under every rounding mode, FZ (FZ16 for half precision) and DN. */
    if (p == 0) {
      n = 0;
      for (unsigned v = 0; v < 65536; v++) {
        unsigned e = v >> 10 & 31;
        if (e <= 2 || e >= 29 || (v & 0x3f) == 0) add(v);
      }
    } else {
      operands(prec[p].ebits, prec[p].fbits, 4, 3, 1);
    }
    for (unsigned cfg = 0; cfg < 16; cfg++) {
      uint64_t fpcr = (uint64_t)(cfg & 3) << 22 | (cfg & 4 ? (p == 0 ? FZ16 : FZ) : 0) | (cfg & 8 ? DN : 0);
      for (unsigned k = 0; k < 3; k++) {
        snprintf(what, sizeof what, "%s %s", k == 0 ? "frecpe" : k == 1 ? "frsqrte" : "frecpx", names[p]);
        run(what, scalar[p][k], fpcr);
      }
    }
  }
  return 0;
}
