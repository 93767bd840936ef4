/*
 * smaps: /proc/self/smaps and smaps_rollup for mappings in a known state
 * (anonymous pages written or never touched, shared anonymous memory, a
 * file mapped private read-only, private writable and shared), for
 * test/e2e/smallcalls.test.ts, compared with the same source built natively
 * and run on this machine's kernel. The mappings' blocks are printed in
 * full (addresses relative to the first); for the rest of the file, whose
 * mappings differ (a static guest against a dynamic native build), only
 * the structure: the field names of every block and of the rollup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const long P = 4096;
static char *base;

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  char path[4200];
  snprintf(path, sizeof path, "%s/smaps-file", argc > 1 ? argv[1] : "/tmp");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char page[4096];
  memset(page, 'f', sizeof page);
  for (int i = 0; i < 4; i++) write(fd, page, sizeof page);
  /* Clean pages in the page cache, and one page per file mapping (no fault-around, no page mapped twice). */
  fsync(fd);

  base = mmap(NULL, 40 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(base, 40 * P);
  char *a = mmap(base, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  a[0] = 1;
  a[2 * P] = 1;
  mmap(base + 5 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  char *c = mmap(base + 8 * P, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  c[P] = 1;
  volatile char *d = mmap(base + 12 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  (void)d[0];
  char *e = mmap(base + 15 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, P);
  e[0] = 1;
  char *f = mmap(base + 18 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 2 * P);
  f[0] = 1;
  mmap(base + 21 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  mmap(base + 24 * P, 1 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

  FILE *s = fopen("/proc/self/smaps", "r");
  char line[512];
  int mine = 0, blocks = 0, fields = 0;
  char order[2048] = "", first[2048] = "";
  int same = 1;
  while (fgets(line, sizeof line, s)) {
    unsigned long lo, hi;
    char perms[8];
    int n = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &lo, &hi, perms, &n) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      if (blocks > 0) {
        if (blocks == 1) strcpy(first, order);
        else if (strcmp(first, order) != 0) same = 0;
      }
      blocks++;
      order[0] = 0;
      fields = 0;
      mine = lo >= (unsigned long)base && hi <= (unsigned long)base + 40 * P;
      if (mine) {
        char *nm = line + n;
        while (*nm == ' ') nm++;
        nm[strcspn(nm, "\n")] = 0;
        if (strrchr(nm, '/')) nm = strrchr(nm, '/') + 1;
        printf("+%ld..+%ld %s %s\n", (long)(lo - (unsigned long)base) / P, (long)(hi - (unsigned long)base) / P, perms, nm);
      }
      continue;
    }
    char name[64];
    if (sscanf(line, "%63[^:]:", name) == 1 && fields < 60) {
      strcat(order, name);
      strcat(order, " ");
      fields++;
    }
    if (mine) printf("  %s", line);
  }
  if (blocks > 1 && strcmp(first, order) != 0) same = 0;
  fclose(s);
  printf("blocks: %s; every block's fields: %s\n", blocks > 10 ? "many" : "few", same ? "the same" : "differ");
  printf("fields: %s\n", first);

  s = fopen("/proc/self/smaps_rollup", "r");
  fgets(line, sizeof line, s);
  {
    unsigned long lo, hi;
    char perms[8], off[16], dev[16], ino[16];
    int ok = sscanf(line, "%lx-%lx %7s %15s %15s %15s", &lo, &hi, perms, off, dev, ino) == 6;
    char *name = strchr(line, '[');
    printf("rollup header: %s %s %s %s, name %s at column %ld, range %s\n", ok ? perms : "?", off, dev, ino, name ? name : "none\n", name ? (long)(name - line) : -1L,
           ok && lo < (unsigned long)base && hi > (unsigned long)base ? "around the mappings" : "?");
  }
  printf("rollup fields:");
  while (fgets(line, sizeof line, s)) {
    char name[64];
    unsigned long v;
    if (sscanf(line, "%63[^:]: %lu kB", name, &v) == 2) printf(" %s%s", name, strlen(line) == 28 ? "" : "(width?)");
  }
  printf("\n");
  fclose(s);
  close(fd);
  unlink(path);
  return 0;
}
