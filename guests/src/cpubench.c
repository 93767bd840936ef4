/*
 * cpubench: the project's integer + floating-point CPU benchmark guest.
 * A fixed mix of kernels that exercise what real programs do: loops and
 * branches (sieve), calls and recursion (fib), indirect calls and memory
 * traffic (qsort of a pseudo-random array, open-addressing hash table),
 * and double-precision arithmetic (matrix multiply, Mandelbrot escape
 * counts). Every kernel folds its result into a checksum that is printed,
 * so elfuse and qemu-aarch64 can be compared for the same output.
 * Usage: cpubench [scale]   (default 1; work grows linearly)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 0x2545f491u;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static uint64_t sieve(int n) {
  char *composite = calloc((size_t)n + 1, 1);
  uint64_t sum = 0;
  for (int i = 2; i <= n; i++) {
    if (composite[i]) continue;
    sum += (uint64_t)i;
    for (long j = (long)i * i; j <= n; j += i) composite[j] = 1;
  }
  free(composite);
  return sum;
}

static __attribute__((noinline)) uint64_t fib(int n) { return n < 2 ? (uint64_t)n : fib(n - 1) + fib(n - 2); }

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static uint64_t sort_kernel(int n) {
  uint32_t *v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) v[i] = rng();
  qsort(v, (size_t)n, sizeof *v, cmp_u32);
  uint64_t h = 0;
  for (int i = 0; i < n; i += 97) h = h * 31 + v[i];
  free(v);
  return h;
}

static uint64_t hash_kernel(int n) {
  size_t cap = 1;
  while (cap < (size_t)n * 2) cap <<= 1;
  uint64_t *keys = calloc(cap, sizeof *keys);
  uint32_t *vals = calloc(cap, sizeof *vals);
  for (int i = 0; i < n; i++) {
    uint64_t k = ((uint64_t)rng() << 32 | rng()) | 1;
    size_t s = (size_t)(k * 0x9e3779b97f4a7c15ull) & (cap - 1);
    while (keys[s] && keys[s] != k) s = (s + 1) & (cap - 1);
    keys[s] = k;
    vals[s] += (uint32_t)i;
  }
  uint64_t h = 0;
  for (size_t s = 0; s < cap; s++) h += keys[s] ^ vals[s];
  free(keys);
  free(vals);
  return h;
}

static double matmul(int n) {
  double *a = malloc(sizeof(double) * (size_t)(n * n));
  double *b = malloc(sizeof(double) * (size_t)(n * n));
  double *c = calloc((size_t)(n * n), sizeof(double));
  for (int i = 0; i < n * n; i++) {
    a[i] = (double)(rng() % 1000) / 7.0;
    b[i] = (double)(rng() % 1000) / 13.0;
  }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < n; k++) {
      double aik = a[i * n + k];
      for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  double t = 0;
  for (int i = 0; i < n * n; i++) t += c[i];
  free(a);
  free(b);
  free(c);
  return t;
}

static uint64_t mandelbrot(int size) {
  uint64_t total = 0;
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) {
      double cr = -2.0 + 2.5 * x / size, ci = -1.25 + 2.5 * y / size;
      double zr = 0, zi = 0;
      int it = 0;
      while (it < 200 && zr * zr + zi * zi < 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        it++;
      }
      total += (uint64_t)it;
    }
  return total;
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  if (scale < 1) scale = 1;
  uint64_t check = 0;
  for (int round = 0; round < scale; round++) {
    check = check * 3 + sieve(2000000);
    check = check * 3 + fib(27);
    check = check * 3 + sort_kernel(200000);
    check = check * 3 + hash_kernel(200000);
    double m = matmul(120);
    check = check * 3 + (uint64_t)(m / 1024.0);
    check = check * 3 + mandelbrot(240);
  }
  printf("cpubench scale %d checksum %016llx\n", scale, (unsigned long long)check);
  return 0;
}
