/*
 * vmaname: prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) and what
 * /proc/self/maps shows of it ([anon:NAME], [anon_shmem:NAME]): naming
 * part of a mapping splits it, clearing the name merges it back, the
 * name's length and characters, file mappings (EBADF), holes (ENOMEM),
 * fork. For test/e2e/smallcalls.test.ts, compared with the same source
 * built natively (qemu-user passes prctl to the host, whose maps are not
 * the guest's). Addresses are printed relative to the first mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static char *base;
static const long P = 4096;

static long name(char *at, long len, const char *n) { return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, at, len, n); }

/* The maps lines inside [base, base + 16 pages), as page offsets from base, with perms and name. */
static void maps(const char *when) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  printf("%s:\n", when);
  while (f && fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    int n = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &lo, &hi, perms, &n) < 3) continue;
    if (lo < (unsigned long)base || hi > (unsigned long)base + 16 * P) continue;
    char *nm = line + n;
    while (*nm == ' ') nm++;
    nm[strcspn(nm, "\n")] = 0;
    printf("  +%ld..+%ld %s %s\n", (long)(lo - (unsigned long)base) / P, (long)(hi - (unsigned long)base) / P, perms, nm);
  }
  if (f) fclose(f);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* 16 pages reserved, then an 8-page private mapping and a 4-page shared one inside. */
  base = mmap(NULL, 16 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(base, 16 * P);
  char *a = mmap(base, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  char *s = mmap(base + 10 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  maps("start");
  printf("name pages 2..4 \"buf\": %s\n", res(name(a + 2 * P, 2 * P, "buf")));
  maps("then");
  printf("name pages 3..5 \"buf\" (len not page aligned): %s\n", res(name(a + 3 * P, 2 * P - 100, "buf")));
  maps("then");
  printf("name pages 0..8 \"all of it\": %s\n", res(name(a, 8 * P, "all of it")));
  maps("then");
  printf("clear pages 0..8 (NULL): %s\n", res(name(a, 8 * P, NULL)));
  maps("then");
  printf("name the shared mapping \"shm\": %s\n", res(name(s, 4 * P, "shm")));
  printf("name across the hole, pages 6..12 \"gap\": %s\n", res(name(a + 6 * P, 6 * P, "gap")));
  maps("then");
  printf("unaligned start: %s\n", res(name(a + 1, P, "x")));
  printf("length 0: %s\n", res(name(a, 0, "x")));
  printf("length -1: %s\n", res(name(a, -1, "x")));
  printf("unmapped range: %s\n", res(name(base + 8 * P, 2 * P, "x")));
  printf("empty name: %s\n", res(name(a, P, "")));
  maps("then");
  const char *bad[] = {"a[b", "a]b", "a$b", "a`b", "a\\b", "tab\there", "del\x7f", "caf\xc3\xa9"};
  for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) printf("name with byte %#x: %s\n", (unsigned char)strpbrk(bad[i], "[]$`\\\t\x7f\xc3")[0], res(name(a, P, bad[i])));
  printf("name of printable ASCII: %s\n", res(name(a, P, " !\"#%&'()*+,-./09:;<=>?@AZ^_az{|}~")));
  char longname[100];
  memset(longname, 'n', sizeof longname);
  longname[79] = 0;
  printf("name of 79 bytes: %s\n", res(name(a, P, longname)));
  longname[79] = 'n';
  longname[80] = 0;
  printf("name of 80 bytes: %s\n", res(name(a, P, longname)));
  printf("name at a bad pointer: %s\n", res(name(a, P, (const char *)8)));
  printf("PR_SET_VMA option 1: %s\n", res(prctl(PR_SET_VMA, 1, a, P, "x")));
  maps("then");
  char path[4200];
  snprintf(path, sizeof path, "%s/vmaname-file", argc > 1 ? argv[1] : "/tmp");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ftruncate(fd, 2 * P);
  char *fm = mmap(base + 14 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  printf("name a file mapping: %s\n", res(name(fm, 2 * P, "file")));
  int mfd = memfd_create("m", 0);
  ftruncate(mfd, P);
  char *mm = mmap(base + 9 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, mfd, 0);
  printf("name a memfd mapping: %s\n", res(name(mm, P, "memfd")));
  printf("name anonymous pages then the file: %s\n", res(name(a + 6 * P, 10 * P, "up to the file")));
  munmap(mm, P);
  munmap(fm, 2 * P);
  close(fd);
  close(mfd);
  unlink(path);
  maps("then");
  printf("mprotect page 1 read-only: %s\n", res(mprotect(a + P, P, PROT_READ)));
  maps("then");
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    maps("in a fork child");
    _exit(0);
  }
  waitpid(p, NULL, 0);
  /* The heap is anonymous memory too: it can be named, but maps still calls it [heap]. */
  sbrk(2 * P);
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  unsigned long heap = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, "[heap]")) sscanf(line, "%lx", &heap);
  fclose(f);
  printf("name the heap's first page: %s\n", res(name((char *)heap, P, "heap")));
  int heaplines = 0, named = 0;
  f = fopen("/proc/self/maps", "r");
  while (fgets(line, sizeof line, f)) {
    heaplines += strstr(line, "[heap]") != NULL;
    named += strstr(line, "anon:heap") != NULL;
  }
  fclose(f);
  printf("maps: %s [heap] lines, %d [anon:heap]\n", heaplines > 1 ? "several" : "one", named);
  return 0;
}
