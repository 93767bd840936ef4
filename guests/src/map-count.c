/*
 * map-count: vm.max_map_count (65530 by default). Makes mappings until the
 * kernel refuses, then tries at that limit what splits a VMA and what does
 * not. Prints errno names and VMA counts, never addresses; a VMA count is
 * the number of lines of /proc/self/maps, without the x86 [vsyscall] gate
 * page (not a VMA), so the native build on x86-64 and the aarch64 build
 * print the same figures where the kernels agree.
 *
 * usage: map-count SECTION [N]
 *   mmap      one-page anonymous mappings, alternating PROT_READ and
 *             PROT_READ|PROT_WRITE so that none merges, until refused
 *   mprotect  one big mapping; every other page made read-only (each a
 *             split in the middle of the VMA), until refused
 *   edges     fills up with mmap, then, at the limit: a munmap, mprotect
 *             and MAP_FIXED mmap that would split a VMA in the middle, a
 *             munmap of a VMA's head, an mprotect that merges with its
 *             neighbours, and the mmap freed room allows
 *   N         stop after N successful calls and print only that (timing
 *             below the limit, where every system prints the same)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


#define PG 4096L

static const char *ename(int e) {
  switch (e) {
  case 0: return "ok";
  case ENOMEM: return "ENOMEM";
  case EINVAL: return "EINVAL";
  case EFAULT: return "EFAULT";
  default: return "E?";
  }
}

/* Room for /proc/self/maps at the limit, in the bss: at the limit malloc cannot map more. */
static char buf[16 << 20];

/* Lines of /proc/self/maps, without [vsyscall] (read whole: a line may straddle two reads). */
static long vmas(void) {
  int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return -1;
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) > 0) len += (size_t)n;
  close(fd);
  long lines = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n') lines++;
  return lines - (memmem(buf, len, "[vsyscall]", 10) != NULL);
}

static int call(long r) { return r == -1 ? errno : 0; }

static void *map1(int i) {
  return mmap(NULL, PG, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* Alternating one-page mappings until refused (or n made); returns how many. */
static long fill(long n, int *err) {
  long made = 0;
  *err = 0;
  for (; n == 0 || made < n; made++) {
    if (map1((int)made) == MAP_FAILED) {
      *err = errno;
      break;
    }
  }
  return made;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: map-count mmap|mprotect|edges [N]\n");
    return 2;
  }
  long n = argc > 2 ? atol(argv[2]) : 0;
  setvbuf(stdout, NULL, _IONBF, 0);

  if (strcmp(argv[1], "mmap") == 0) {
    int err;
    long made = fill(n, &err);
    /* Below the limit (timing) only what every system agrees on is printed. */
    if (n) {
      printf("mmap: %s; made %ld\n", err ? ename(err) : "stopped", made);
      return 0;
    }
    /* Where the limit is, the count is exact; how many calls that took depends on what merged. */
    printf("mmap: %s; vmas %ld\n", err ? ename(err) : "stopped", vmas());
    return 0;
  }

  if (strcmp(argv[1], "mprotect") == 0) {
    long pages = 2 * 70000 + 1;
    char *r = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
      printf("big mmap: %s\n", ename(errno));
      return 1;
    }
    long done = 0;
    int err = 0;
    for (long i = 1; i < pages && (n == 0 || done < n); i += 2, done++) {
      if ((err = call(mprotect(r + i * PG, PG, PROT_READ))) != 0) break;
    }
    if (n) {
      printf("mprotect: %s; made %ld\n", err ? ename(err) : "stopped", done);
      return 0;
    }
    printf("mprotect: %s; vmas %ld\n", err ? ename(err) : "stopped", vmas());
    /* At the limit: splitting the rest of the big VMA in the middle is refused... */
    char *mid = r + (pages - 3) * PG;
    printf("munmap middle page: %s\n", ename(call(munmap(mid, PG))));
    void *f = mmap(mid, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED middle page: %s\n", f == MAP_FAILED ? ename(errno) : "ok");
    /* ...but one more new mapping is not (do_mmap refuses only above the limit), and then no more. */
    f = mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap at the limit: %s\n", f == MAP_FAILED ? ename(errno) : "ok");
    f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap above it: %s\n", f == MAP_FAILED ? ename(errno) : "ok");
    printf("vmas %ld\n", vmas());
    return 0;
  }

  if (strcmp(argv[1], "edges") == 0) {
    /* A 5-page read-write VMA between two PROT_NONE guards, so nothing merges into it by accident. */
    char *g = mmap(NULL, 7 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *r = g + PG;
    mprotect(r, 5 * PG, PROT_READ | PROT_WRITE);
    int err;
    fill(0, &err);
    long full = vmas();
    printf("full: %s; vmas %ld\n", ename(err), full);
    printf("munmap middle page: %s\n", ename(call(munmap(r + 2 * PG, PG))));
    printf("mprotect middle page: %s\n", ename(call(mprotect(r + 2 * PG, PG, PROT_READ))));
    void *f = mmap(r + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED middle page: %s\n", f == MAP_FAILED ? ename(errno) : "ok");
    printf("vmas %+ld\n", vmas() - full);
    /* Splits at a VMA's edge do not add one. */
    printf("munmap head page: %s\n", ename(call(munmap(r, PG))));
    printf("vmas %+ld\n", vmas() - full);
    /* The head page again, read-write: it merges back (same flags as its neighbour). */
    f = mmap(r, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED head page back: %s\n", f == MAP_FAILED ? ename(errno) : "ok");
    printf("vmas %+ld\n", vmas() - full);
    /* Make the VMA's last page PROT_NONE: it merges into the guard after it. */
    printf("mprotect tail page to the guard's PROT_NONE: %s\n", ename(call(mprotect(r + 4 * PG, PG, PROT_NONE))));
    printf("vmas %+ld\n", vmas() - full);
    /* Unmapping a whole VMA makes room for one more. */
    printf("munmap whole VMA: %s\n", ename(call(munmap(g, 7 * PG))));
    printf("vmas %+ld\n", vmas() - full);
    printf("mmap after: %s\n", map1(0) == MAP_FAILED ? ename(errno) : "ok");
    return 0;
  }
  fprintf(stderr, "map-count: unknown section %s\n", argv[1]);
  return 2;
}
