/*
 * IEEE 754 corner cases under every FPCR setting a program can choose:
 * rounding mode (RN, RP, RM, RZ), flush-to-zero and default NaN. Each line
 * prints the result bits and the FPSR cumulative flags of one operation, so
 * a run under elfuse and under qemu-aarch64 must match byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t get_fpsr(void) { uint64_t v; __asm__ volatile("mrs %0, fpsr" : "=r"(v) : : "memory"); return v; }
static void set_fpsr(uint64_t v) { __asm__ volatile("msr fpsr, %0" : : "r"(v) : "memory"); }
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" : : "r"(v) : "memory"); }

static uint64_t bits_d(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t bits_f(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

static const uint64_t operands[] = {
  0x3ff0000000000000, 0x3ff0000000000001, 0x3ca0000000000000, 0x3cb0000000000000, /* 1, 1+ulp, 2^-53, 2^-52 */
  0x7fefffffffffffff, 0x0010000000000000, 0x000fffffffffffff, 0x0000000000000001, /* max, min normal, subnormals */
  0x4008000000000000, 0xbff8000000000000, 0x3fd5555555555555, 0x4340000000000001, /* 3, -1.5, 1/3, 2^54+2 */
  0x3810000000000000, 0x380fffffffffffff, 0x47efffffe0000000, 0x36a0000000000000, /* single min normal, below, single max+half ulp, 2^-149 */
  0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0x7ff4000000000001, /* +0, -0, inf, sNaN */
};
#define N (sizeof operands / sizeof operands[0])

static void report(const char *what, uint64_t r) {
  printf(" %s=%016llx/%02llx", what, (unsigned long long)r, (unsigned long long)(get_fpsr() & 0x9f));
  set_fpsr(0);
}

int main(void) {
  static const char *modes[] = { "RN", "RP", "RM", "RZ" };
  for (unsigned cfg = 0; cfg < 16; cfg++) {
    uint64_t fpcr = ((uint64_t)(cfg & 3) << 22) | ((uint64_t)(cfg >> 2 & 1) << 24) | ((uint64_t)(cfg >> 3) << 25);
    printf("== %s FZ=%u DN=%u\n", modes[cfg & 3], cfg >> 2 & 1, cfg >> 3);
    for (unsigned i = 0; i < N; i++) {
      for (unsigned j = 0; j < N; j += 5) {
        volatile double a = from_bits(operands[i]), b = from_bits(operands[j]);
        volatile float fa = (float)from_bits(operands[(i + 5) % N]), fb = (float)from_bits(operands[(j + 7) % N]);
        set_fpcr(fpcr);
        set_fpsr(0);
        printf("%u,%u:", i, j);
        volatile double r;
        volatile float f;
        double t;
        int64_t k;
        r = a + b; report("add", bits_d(r));
        r = a - b; report("sub", bits_d(r));
        r = a * b; report("mul", bits_d(r));
        r = a / b; report("div", bits_d(r));
        r = __builtin_fma(a, b, -a); report("fma", bits_d(r));
        __asm__ volatile("fsqrt %d0, %d1" : "=w"(t) : "w"(a) : "memory"); report("sqrt", bits_d(t));
        f = (float)a; report("cvt", bits_f(f));
        f = fa * fb; report("fmul", bits_f(f));
        f = fa / fb; report("fdiv", bits_f(f));
        volatile int64_t iv = (int64_t)(operands[i] >> 3) * (j & 1 ? -1 : 1);
        f = (float)iv; report("scvtf", bits_f(f));
        __asm__ volatile("fcvtzs %0, %d1" : "=r"(k) : "w"(a) : "memory"); report("fcvtzs", (uint64_t)k);
        __asm__ volatile("fmul %d0, %d1, %d2\n\tfrintx %d0, %d0" : "=&w"(t) : "w"(a), "w"(0x1p-40) : "memory"); report("frintx", bits_d(t));
        set_fpcr(0);
        printf("\n");
      }
    }
  }
  return 0;
}
