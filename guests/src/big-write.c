/*
 * big-write: write(2) from memory the program never touched. Linux reads
 * such anonymous pages as zeros without allocating them, so writing a huge
 * fresh buffer costs no memory; pages that were touched, and pages of a
 * file mapping, must still be written with their contents.
 *
 * usage: big-write MIB OUT SRC
 *   MIB  size of the anonymous buffer, in MiB
 *   OUT  a file to write (or /dev/null)
 *   SRC  a scratch file for the file-mapping case (created here)
 * Prints what write returned and checksums of what reached OUT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024L * 1024)

/* Writes the whole buffer (write may be short on a pipe); returns the total or -errno. */
static long write_all(int fd, const char *p, long len) {
  long done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, (size_t)(len - done));
    if (n < 0) return -errno;
    if (n == 0) break;
    done += n;
  }
  return done;
}

/* Sum of the bytes at a few offsets of OUT, and whether [0, len) has any other nonzero byte at the probes. */
static void probe(const char *path, long len, const long *at, int n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open %s: errno %d\n", path, errno);
    return;
  }
  printf("size %ld:", (long)lseek(fd, 0, SEEK_END));
  for (int i = 0; i < n; i++) {
    unsigned char c = 0;
    if (at[i] < len && pread(fd, &c, 1, at[i]) != 1) c = 0xee;
    printf(" %02x", c);
  }
  printf("\n");
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: big-write MIB OUT SRC\n");
    return 2;
  }
  long len = atol(argv[1]) * MIB;
  const char *out = argv[2];
  setvbuf(stdout, NULL, _IONBF, 0);

  /* 1. Untouched anonymous memory, except three bytes. */
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    printf("mmap: errno %d\n", errno);
    return 1;
  }
  p[1] = 'a';
  p[len / 2 + 7] = 'b';
  p[len - 1] = 'c';
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  printf("anonymous: write %ld\n", write_all(fd, p, len));
  close(fd);
  long at1[] = {0, 1, 2, len / 2 + 7, len / 2 + 4096, len - 2, len - 1};
  if (strcmp(out, "/dev/null") != 0) probe(out, len, at1, 7);

  /* 2. A private file mapping never touched: its bytes are the file's, not zeros. */
  int src = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);
  char pattern[3 * 4096];
  for (int i = 0; i < (int)sizeof pattern; i++) pattern[i] = (char)(i * 7 + 1);
  if (write(src, pattern, sizeof pattern) != (ssize_t)sizeof pattern) return 1;
  char *f = mmap(NULL, sizeof pattern, PROT_READ, MAP_PRIVATE, src, 0);
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  printf("private file mapping: write %ld\n", write_all(fd, f, sizeof pattern));
  close(fd);
  long at2[] = {0, 1, 4096, 8191, 12287};
  if (strcmp(out, "/dev/null") != 0) probe(out, sizeof pattern, at2, 5);

  /* 3. Shared anonymous memory, one page touched. */
  char *s = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[4096 + 5] = 'S';
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  printf("shared anonymous: write %ld\n", write_all(fd, s, 4 * 4096));
  close(fd);
  long at3[] = {0, 4096 + 5, 3 * 4096};
  if (strcmp(out, "/dev/null") != 0) probe(out, 4 * 4096, at3, 3);
  close(src);
  return 0;
}
