/*
 * mmap and friends, success and error paths: mmap (anonymous, private and
 * shared files, MAP_FIXED, MAP_FIXED_NOREPLACE, hints, PROT_NONE guards,
 * MAP_POPULATE, MAP_GROWSDOWN), munmap and mprotect on partial ranges,
 * mremap, msync, mincore, madvise and brk. Prints results, errno names and
 * memory contents, never raw addresses (only "same"/"moved" or offsets).
 *
 * usage: mmap DIR SECTION   (DIR: a scratch directory for files)
 *   core   what qemu-aarch64 and Linux agree on
 *   linux  error paths qemu-user emulates differently (checked against Linux)
 *   bus    touches a file mapping past the file's end: dies by SIGBUS
 *   guard  touches a PROT_NONE guard page: dies by SIGSEGV
 *   big    mallocs 3000 MiB and touches a little of it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096L

static const char *dir;

static const char *ename(int e) {
  switch (e) {
  case EINVAL: return "EINVAL";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EBADF: return "EBADF";
  case EEXIST: return "EEXIST";
  case EFAULT: return "EFAULT";
  case EPERM: return "EPERM";
  case ENODEV: return "ENODEV";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case EAGAIN: return "EAGAIN";
  default: return "E?";
  }
}

/* An int-returning call: its result, or -1 and the errno name. */
static void rc(const char *what, long r) {
  if (r == -1) printf("%s: -1 %s\n", what, ename(errno));
  else printf("%s: %ld\n", what, r);
}

/* An mmap-like call: "ok" or the errno name. */
static int okp(const char *what, void *p) {
  if (p == MAP_FAILED) {
    printf("%s: MAP_FAILED %s\n", what, ename(errno));
    return 0;
  }
  printf("%s: ok\n", what);
  return 1;
}

static void *map(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return mmap(addr, len, prot, flags, fd, off);
}

static void *anon(size_t len, int prot) {
  return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* mincore of [p, p+n pages): a string of 0/1, or the errno name. */
static void core(const char *what, void *p, long n) {
  unsigned char v[64];
  if (mincore(p, n * PG, v) != 0) {
    printf("%s: mincore %s\n", what, ename(errno));
    return;
  }
  printf("%s: ", what);
  for (long i = 0; i < n; i++) putchar('0' + (v[i] & 1));
  putchar('\n');
}

static void bytes(const char *what, const unsigned char *p, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf(" %02x", p[i]);
  putchar('\n');
}

static char *path(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

/* A file of `size` bytes, byte i = (i * 7 + 3) & 0xff. */
static int make_file(const char *name, long size) {
  int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
  unsigned char *b = malloc(size);
  for (long i = 0; i < size; i++) b[i] = (unsigned char)(i * 7 + 3);
  if (write(fd, b, size) != size) printf("short write\n");
  free(b);
  return fd;
}

static void anonymous(void) {
  puts("-- anonymous");
  unsigned char *p = anon(3 * PG, PROT_READ | PROT_WRITE);
  okp("mmap 3 pages", p);
  core("untouched", p, 3);
  printf("zero: %d %d\n", p[0], p[3 * PG - 1]);
  p[0] = 1;
  p[PG] = 2;
  p[2 * PG] = 3;
  core("touched", p, 3);

  /* mprotect the middle page: the VMA splits in three. */
  rc("mprotect mid RO", mprotect(p + PG, PG, PROT_READ));
  rc("mprotect mid RW", mprotect(p + PG, PG, PROT_READ | PROT_WRITE));
  p[PG + 1] = 9;
  printf("after split: %d %d %d %d\n", p[0], p[PG], p[PG + 1], p[2 * PG]);
  /* mprotect of the first page only, then of a range running past the end. */
  rc("mprotect head NONE", mprotect(p, PG, PROT_NONE));
  rc("mprotect head back", mprotect(p, PG, PROT_READ | PROT_WRITE));
  printf("kept under NONE: %d\n", p[0]);
  rc("mprotect unaligned", mprotect(p + 1, PG, PROT_READ));

  /* munmap the middle page: a hole. */
  rc("munmap mid", munmap(p + PG, PG));
  core("hole", p, 3);
  rc("mprotect over hole", mprotect(p, 3 * PG, PROT_READ));
  rc("munmap hole again", munmap(p + PG, PG));
  rc("munmap unaligned", munmap(p + 1, PG));
  rc("munmap len 0", munmap(p, 0));
  printf("ends survive: %d %d\n", p[0], p[2 * PG]);

  /* MAP_FIXED into the hole and over part of a mapping. */
  unsigned char *q = map(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed in hole: %s %d\n", q == p + PG ? "same" : "moved", q[0]);
  q = map(p + PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("fixed over: %s %d %d first=%d\n", q == p + PG ? "same" : "moved", q[0], q[PG], p[0]);
  munmap(p + 2 * PG, PG);
  q = map(p + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace free: %s\n", q == p + 2 * PG ? "same" : "other");
  rc("munmap all", munmap(p, 3 * PG));
  core("gone", p, 3);

  /* A hint that is free is used as given; one that is taken is not. */
  unsigned char *h = anon(PG, PROT_READ | PROT_WRITE);
  munmap(h, PG);
  q = map(h, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("free hint: %s\n", q == h ? "same" : "other");
  unsigned char *r = map(h, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("taken hint: %s\n", r == h ? "same" : "other");
  munmap(q, PG);
  munmap(r, PG);

  /* Errors. */
  okp("len 0", anon(0, PROT_READ));
  okp("no type", map(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
  okp("fixed unaligned", map((void *)(uintptr_t)0x10001000 + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  okp("bad fd", map(NULL, PG, PROT_READ, MAP_PRIVATE, 99, 0));
  okp("huge", anon((size_t)1 << 50, PROT_READ));

  /* Flags programs pass that change nothing visible. */
  p = map(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  okp("noreserve|stack", p);
  p[5] = 5;
  printf("noreserve value: %d\n", p[5]);
  munmap(p, 4 * PG);

  /* A guard page between two halves, as thread stacks have. */
  p = anon(3 * PG, PROT_READ | PROT_WRITE);
  rc("guard", mprotect(p + PG, PG, PROT_NONE));
  p[0] = 1;
  p[2 * PG] = 2;
  printf("around guard: %d %d\n", p[0], p[2 * PG]);
  munmap(p, 3 * PG);
}

static void files(void) {
  puts("-- files");
  int fd = make_file("data", 5000);
  unsigned char buf[16];

  /* Private: contents, the zero-filled tail of the last page, writes stay private. */
  unsigned char *p = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  okp("private", p);
  bytes("head", p, 4);
  bytes("at 4096", p + 4096, 4);
  bytes("tail past EOF", p + 4998, 6);
  p[0] = 0xee;
  pread(fd, buf, 1, 0);
  printf("file unchanged: %02x\n", buf[0]);
  rc("madvise dontneed private file", madvise(p, PG, MADV_DONTNEED));
  bytes("re-read", p, 2);
  munmap(p, 2 * PG);

  /* An offset mapping. */
  p = map(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
  bytes("offset 4096", p, 4);
  munmap(p, PG);
  okp("offset unaligned", map(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100));

  /* Shared: stores reach the file on msync and munmap; write() reaches the mapping. */
  p = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  okp("shared", p);
  printf("read first: %02x\n", p[40]); /* the page comes in on a read fault... */
  memcpy(p + 10, "SHARED", 6);           /* ...and is then stored to without one */
  rc("msync", msync(p, 2 * PG, MS_SYNC));
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 6, 10);
  printf("file after msync: %.6s\n", buf);
  pwrite(fd, "WRITE", 5, 100);
  printf("mapping after pwrite: %.5s\n", (char *)p + 100);
  memcpy(p + 4097, "TAIL", 4);
  p[5000] = 'X'; /* past EOF inside the last page: never reaches the file */
  pread(fd, buf, 4, 4097);
  printf("read sees mapping: %.4s\n", buf);
  unsigned char *p2 = map(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  printf("second mapping: %.6s\n", (char *)p2 + 10);
  p[11] = 'h';
  printf("second sees store: %.6s\n", (char *)p2 + 10);
  munmap(p2, PG);
  memcpy(p + 20, "UNMAP", 5);
  rc("munmap shared", munmap(p, 2 * PG));
  pread(fd, buf, 5, 20);
  printf("file after munmap: %.5s\n", buf);
  struct stat st;
  fstat(fd, &st);
  printf("size: %ld\n", (long)st.st_size);

  /* A shared mapping outlives its descriptor. */
  int fd2 = open(path("data"), O_RDWR);
  p = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  close(fd2);
  memcpy(p + 30, "CLOSED", 6);
  rc("msync async", msync(p, PG, MS_ASYNC));
  rc("msync invalidate", msync(p, PG, MS_INVALIDATE));
  pread(fd, buf, 6, 30);
  printf("after close: %.6s\n", buf);
  rc("msync both", msync(p, PG, MS_SYNC | MS_ASYNC));
  rc("msync unaligned", msync(p + 1, PG, MS_SYNC));
  rc("msync bad flag", msync(p, PG, 8));
  munmap(p, PG);
  rc("msync unmapped", msync(p, PG, MS_SYNC));

  /* Permissions of the descriptor. */
  int ro = open(path("data"), O_RDONLY);
  int wo = open(path("data"), O_WRONLY);
  okp("shared write of O_RDONLY", map(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
  p = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  okp("private write of O_RDONLY", p);
  munmap(p, PG);
  okp("map of O_WRONLY", map(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0));
  p = map(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
  okp("shared read of O_RDONLY", p);
  rc("mprotect to write", mprotect(p, PG, PROT_READ | PROT_WRITE));
  munmap(p, PG);
  int dfd = open(dir, O_RDONLY);
  okp("directory", map(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0));
  close(dfd);
  close(ro);
  close(wo);

  /* /dev/zero maps as zeroed memory. */
  int z = open("/dev/zero", O_RDWR);
  p = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  okp("/dev/zero", p);
  printf("zero page: %d\n", p[100]);
  munmap(p, PG);
  close(z);
  close(fd);
}

static void shared_anon(void) {
  puts("-- shared anonymous");
  unsigned char *p = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  okp("shared anon", p);
  p[0] = 7;
  rc("madvise dontneed shared", madvise(p, 2 * PG, MADV_DONTNEED));
  printf("kept: %d\n", p[0]);
  munmap(p, 2 * PG);
}

static void remap(void) {
  puts("-- mremap");
  unsigned char *p = anon(4 * PG, PROT_READ | PROT_WRITE);
  for (int i = 0; i < 4; i++) p[i * PG] = (unsigned char)(10 + i);
  /* Grow in place into free pages. */
  munmap(p + 2 * PG, 2 * PG);
  unsigned char *q = mremap(p, 2 * PG, 4 * PG, 0);
  printf("grow in place: %s %d %d %d\n", q == p ? "same" : "moved", q[0], q[PG], q[3 * PG]);
  /* Shrink in place. */
  q = mremap(p, 4 * PG, PG, 0);
  printf("shrink: %s %d\n", q == p ? "same" : "moved", q[0]);
  core("after shrink", p, 1);
  /* Blocked: without MAYMOVE ENOMEM, with it the pages move with their contents. */
  unsigned char *block = map(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  (void)block;
  q = mremap(p, PG, 3 * PG, 0);
  printf("blocked: %s\n", q == MAP_FAILED ? ename(errno) : "grew");
  q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
  printf("maymove: %s %d %d\n", q == p ? "same" : "moved", q[0], q[2 * PG]);
  core("old place", p, 1);
  /* MREMAP_FIXED to a chosen address. */
  unsigned char *target = anon(3 * PG, PROT_READ);
  unsigned char *r = mremap(q, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  printf("fixed: %s %d\n", r == target ? "same" : "other", r[0]);
  /* Errors. */
  errno = 0;
  okp("fixed overlap", mremap(r, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, r + PG));
  okp("fixed without maymove", mremap(r, PG, PG, MREMAP_FIXED, r + 8 * PG));
  okp("bad flags", mremap(r, PG, PG, 0x40));
  okp("unaligned", mremap(r + 1, PG, PG, 0));
  munmap(r, 3 * PG);
  okp("unmapped", mremap(r, PG, 2 * PG, MREMAP_MAYMOVE));
  munmap(p + PG, PG);

  okp("dontunmap resize", mremap(p, PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
  okp("dontunmap without maymove", mremap(p, PG, PG, MREMAP_DONTUNMAP));

  /* A file mapping grows into the rest of the file. */
  int fd = make_file("remap", 3 * PG);
  p = map(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
  bytes("file grown", q + 2 * PG, 3);
  munmap(q, 3 * PG);
  close(fd);
}

static void advice(void) {
  puts("-- madvise");
  unsigned char *p = anon(4 * PG, PROT_READ | PROT_WRITE);
  memset(p, 0x5a, 4 * PG);
  rc("dontneed", madvise(p + PG, 2 * PG, MADV_DONTNEED));
  printf("after dontneed: %x %x %x %x\n", p[0], p[PG], p[2 * PG], p[3 * PG]);
  core("after dontneed", p, 4);
  rc("normal", madvise(p, 4 * PG, MADV_NORMAL));
  rc("random", madvise(p, 4 * PG, MADV_RANDOM));
  rc("sequential", madvise(p, 4 * PG, MADV_SEQUENTIAL));
  rc("willneed", madvise(p, 4 * PG, MADV_WILLNEED));
  rc("dontfork", madvise(p, 4 * PG, MADV_DONTFORK));
  rc("dofork", madvise(p, 4 * PG, MADV_DOFORK));
  rc("dontdump", madvise(p, 4 * PG, MADV_DONTDUMP));
  rc("free", madvise(p, PG, MADV_FREE));
  rc("unaligned", madvise(p + 1, PG, MADV_NORMAL));
  rc("len 0", madvise(p, 0, MADV_NORMAL));
  munmap(p, 4 * PG);
}

static long sys_brk(long to) {
  return syscall(SYS_brk, to);
}

static void brk_edges(void) {
  puts("-- brk");
  long start = sys_brk(0);
  long b = sys_brk(start + 3 * PG);
  printf("grow: +%ld\n", b - start);
  unsigned char *h = (unsigned char *)start;
  h[0] = 1;
  h[3 * PG - 1] = 2;
  printf("heap: %d %d\n", h[0], h[3 * PG - 1]);
  b = sys_brk(start + PG + 10);
  printf("shrink: +%ld\n", b - start);
  core("heap pages", h, 2);
  b = sys_brk(start + 3 * PG);
  printf("regrow: +%ld zero=%d\n", b - start, h[3 * PG - 1]);
  b = sys_brk(start - 1000 * PG);
  printf("below start: +%ld\n", b - start);
  b = sys_brk(start + ((long)1 << 47));
  printf("too far: +%ld\n", b - start);
  b = sys_brk(start);
  printf("back: +%ld\n", b - start);
}

static void growsdown(void) {
  puts("-- growsdown");
  /* Placed 3 MiB above anything else, so the stack guard gap (1 MiB) is free below it. */
  unsigned char *area = anon(4 << 20, PROT_NONE);
  munmap(area, 4 << 20);
  unsigned char *p = map(area + (4 << 20) - 2 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
  okp("growsdown", p);
  p[0] = 1;
  p[-1] = 2; /* one byte below: the mapping grows */
  printf("grown: %d %d\n", p[-1], p[0]);
  okp("shared growsdown", map(NULL, PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0));
}

/* Error paths where qemu-user's own mmap emulation differs from Linux. */
static void linux_only(void) {
  puts("-- linux");
  unsigned char *p = anon(4 * PG, PROT_READ | PROT_WRITE);
  rc("mprotect len 0", mprotect(p, 0, PROT_READ));
  unsigned char *q = map(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("noreplace taken: %s\n", q == MAP_FAILED ? ename(errno) : "mapped");
  munmap(p, 4 * PG);
  p = map(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  okp("populate", p);
  core("populated", p, 4);
  rc("guard", mprotect(p + PG, PG, PROT_NONE));
  p[0] = 1;
  core("with guard", p, 4);
  munmap(p, 4 * PG);
  p = map(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  p[0] = 7;
  q = mremap(p, 0, 2 * PG, MREMAP_MAYMOVE);
  okp("mremap dup", q);
  printf("dup sees: %d\n", q[0]);
  q[1] = 8;
  printf("original sees: %d\n", p[1]);
  munmap(q, 2 * PG);
  munmap(p, 2 * PG);
  p = anon(2 * PG, PROT_READ | PROT_WRITE);
  munmap(p + PG, PG);
  rc("madvise unknown", madvise(p, PG, 12345));
  rc("madvise over hole", madvise(p, 2 * PG, MADV_NORMAL));
  rc("madvise unmapped", madvise(p + PG, PG, MADV_NORMAL));
  /* Above the address space is only unmapped (ENOMEM); a range that wraps is EINVAL. */
  rc("madvise above the address space", madvise((void *)(1UL << 48), PG, MADV_NORMAL));
  rc("madvise across the top", madvise((void *)((1UL << 48) - PG), 2 * PG, MADV_NORMAL));
  rc("madvise wraps", madvise((void *)(-2 * PG), 4 * PG, MADV_NORMAL));
  rc("madvise ends at 0", madvise((void *)(-PG), PG, MADV_NORMAL));
  rc("mincore unaligned", mincore(p + 1, PG, (unsigned char[2]){0}));
  unsigned char *s = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  rc("madvise free shared", madvise(s, PG, MADV_FREE));
  rc("madvise remove private", madvise(p, PG, MADV_REMOVE));
  s[0] = 3;
  rc("madvise remove shared", madvise(s, PG, MADV_REMOVE));
  printf("removed: %d\n", s[0]);
  rc("populate_write RO", madvise((void *)anon(PG, PROT_READ), PG, MADV_POPULATE_WRITE));
  okp("validate unknown flag", map(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x200000, -1, 0));
  int fd = make_file("validate", PG);
  okp("validate file unknown flag", map(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x400000, fd, 0));
  void *v = map(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0);
  okp("validate file", v);
  close(fd);
  okp("anon shared_validate", map(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
  p = anon(2 * PG, PROT_READ | PROT_WRITE);
  okp("mremap new size 0", mremap(p, PG, 0, MREMAP_MAYMOVE));
  okp("mremap private dup", mremap(p, 0, PG, MREMAP_MAYMOVE));
  okp("mremap past the vma", mremap(p, 4 * PG, 8 * PG, MREMAP_MAYMOVE));
  unsigned char *h = map((void *)0x1000, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("low hint: %s\n", h == (void *)0x10000 ? "mmap_min_addr" : "elsewhere");
  h = map((void *)0x300000001, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("unaligned hint: %s\n", h == (void *)0x300000000 ? "rounded down" : "elsewhere");
}

static void bus(void) {
  int fd = make_file("bus", 100);
  unsigned char *p = map(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  printf("in last page: %d\n", p[200]);
  fflush(stdout);
  printf("past EOF: %d\n", p[PG]);
}

static void guard(void) {
  unsigned char *p = anon(2 * PG, PROT_READ | PROT_WRITE);
  mprotect(p + PG, PG, PROT_NONE);
  p[0] = 1;
  printf("before guard: %d\n", p[0]);
  fflush(stdout);
  p[PG] = 1;
  printf("after guard\n");
}

static void big(void) {
  size_t n = (size_t)3000 << 20;
  unsigned char *p = malloc(n);
  printf("malloc 3000 MiB: %s\n", p ? "ok" : "NULL");
  if (!p) return;
  for (size_t i = 0; i < n; i += 64 << 20) p[i] = (unsigned char)(i >> 20);
  p[n - 1] = 0x77;
  unsigned long sum = 0;
  for (size_t i = 0; i < n; i += 64 << 20) sum += p[i];
  printf("sum %lu last %x untouched %d\n", sum, p[n - 1], p[n / 2 + 12345]);
  free(p);
  /* And the 20 MB a small program really uses, written in full. */
  unsigned char *q = malloc(20 << 20);
  memset(q, 1, 20 << 20);
  sum = 0;
  for (size_t i = 0; i < (20u << 20); i += 4096) sum += q[i];
  printf("20 MiB sum %lu\n", sum);
  free(q);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  dir = argc > 1 ? argv[1] : ".";
  const char *what = argc > 2 ? argv[2] : "core";
  if (!strcmp(what, "core")) {
    anonymous();
    files();
    shared_anon();
    remap();
    advice();
    brk_edges();
    growsdown();
  } else if (!strcmp(what, "linux")) {
    linux_only();
  } else if (!strcmp(what, "bus")) {
    bus();
  } else if (!strcmp(what, "guard")) {
    guard();
  } else if (!strcmp(what, "big")) {
    big();
  } else {
    return 2;
  }
  return 0;
}
