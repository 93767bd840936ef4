/*
 * xattr: the extended-attribute calls on a file, a directory, a symlink, a
 * FIFO, descriptors (O_PATH, a pipe) and /proc: sizes (0 asks, too small
 * is ERANGE), XATTR_CREATE/XATTR_REPLACE, names (empty, 255 and 256
 * bytes, no namespace), E2BIG, ENODATA, and the order of the checks, for
 * test/e2e/smallcalls.test.ts, compared with the same source built natively
 * and run on this machine's kernel. Works in the directory argv[1], which
 * must be on a filesystem with user.* attributes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A listxattr result, names sorted (the filesystem's order is its own). */
static void names(const char *what, long n, char *list) {
  printf("%s: %s", what, res(n));
  char *v[64];
  int k = 0;
  for (long i = 0; i < n && k < 64; i += strlen(list + i) + 1) v[k++] = list + i;
  qsort(v, k, sizeof *v, cmp);
  for (int i = 0; i < k; i++) printf(" [%s]", v[i]);
  printf("\n");
}

static void value(const char *what, long n, const char *buf) {
  printf("%s: %s", what, res(n));
  if (n > 0) printf(" [%.*s]", (int)n, buf);
  printf("\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  close(open("f", O_CREAT | O_WRONLY, 0644));
  mkdir("d", 0755);
  symlink("f", "l");
  mkfifo("p", 0644);
  char buf[256], list[1024];

  printf("setxattr f user.a: %s\n", res(setxattr("f", "user.a", "hello", 5, 0)));
  printf("getxattr f user.a size 0: %s\n", res(getxattr("f", "user.a", NULL, 0)));
  value("getxattr f user.a", getxattr("f", "user.a", buf, sizeof buf), buf);
  value("getxattr f user.a size 2", getxattr("f", "user.a", buf, 2), buf);
  value("getxattr f user.a size 100000", getxattr("f", "user.a", malloc(100000), 100000), "");
  value("getxattr f user.missing", getxattr("f", "user.missing", buf, sizeof buf), buf);
  printf("setxattr user.a XATTR_CREATE (exists): %s\n", res(setxattr("f", "user.a", "x", 1, XATTR_CREATE)));
  printf("setxattr user.b XATTR_REPLACE (missing): %s\n", res(setxattr("f", "user.b", "x", 1, XATTR_REPLACE)));
  printf("setxattr user.b XATTR_CREATE: %s\n", res(setxattr("f", "user.b", "bee", 3, XATTR_CREATE)));
  printf("setxattr user.b XATTR_REPLACE: %s\n", res(setxattr("f", "user.b", "bees", 4, XATTR_REPLACE)));
  printf("setxattr user.c both flags (missing): %s\n", res(setxattr("f", "user.c", "x", 1, XATTR_CREATE | XATTR_REPLACE)));
  printf("setxattr user.e empty value: %s\n", res(setxattr("f", "user.e", "", 0, 0)));
  value("getxattr user.e", getxattr("f", "user.e", buf, sizeof buf), buf);
  printf("setxattr flags 4: %s\n", res(setxattr("f", "user.a", "x", 1, 4)));
  printf("setxattr name \"\": %s\n", res(setxattr("f", "", "x", 1, 0)));
  char longname[300] = "user.";
  memset(longname + 5, 'n', 250);
  longname[255] = 0;
  printf("setxattr name of 255 bytes: %s\n", res(setxattr("f", longname, "x", 1, 0)));
  printf("removexattr it: %s\n", res(removexattr("f", longname)));
  longname[255] = 'n';
  longname[256] = 0;
  printf("setxattr name of 256 bytes: %s\n", res(setxattr("f", longname, "x", 1, 0)));
  value("getxattr name of 256 bytes", getxattr("f", longname, buf, sizeof buf), buf);
  printf("setxattr name without namespace: %s\n", res(setxattr("f", "plain", "x", 1, 0)));
  value("getxattr name without namespace", getxattr("f", "plain", buf, sizeof buf), buf);
  printf("setxattr size 65537: %s\n", res(setxattr("f", "user.big", malloc(65537), 65537, 0)));
  printf("setxattr name NULL: %s\n", res(setxattr("f", NULL, "x", 1, 0)));
  printf("setxattr value unmapped: %s\n", res(syscall(SYS_setxattr, "f", "user.a", (void *)8, 4, 0)));
  printf("getxattr buffer unmapped: %s\n", res(syscall(SYS_getxattr, "f", "user.a", (void *)8, 64)));
  printf("listxattr f size 0: %s\n", res(listxattr("f", NULL, 0)));
  names("listxattr f", listxattr("f", list, sizeof list), list);
  printf("listxattr f size 3: %s\n", res(listxattr("f", list, 3)));

  printf("-- missing paths, and which check comes first\n");
  value("getxattr missing", getxattr("missing", "user.a", buf, sizeof buf), buf);
  value("getxattr missing, name \"\"", getxattr("missing", "", buf, sizeof buf), buf);
  printf("setxattr missing, flags 4: %s\n", res(setxattr("missing", "user.a", "x", 1, 4)));
  printf("setxattr missing, size 65537: %s\n", res(syscall(SYS_setxattr, "missing", "user.a", "x", 65537, 0)));
  printf("removexattr missing, name \"\": %s\n", res(removexattr("missing", "")));
  printf("listxattr missing: %s\n", res(listxattr("missing", list, sizeof list)));
  printf("getxattr f/ (not a directory): %s\n", res(getxattr("f/", "user.a", buf, sizeof buf)));

  printf("-- symlinks, directories, FIFOs\n");
  value("getxattr l (follows)", getxattr("l", "user.a", buf, sizeof buf), buf);
  value("lgetxattr l", lgetxattr("l", "user.a", buf, sizeof buf), buf);
  printf("lsetxattr l user.a: %s\n", res(lsetxattr("l", "user.a", "x", 1, 0)));
  names("llistxattr l", llistxattr("l", list, sizeof list), list);
  names("listxattr l (follows)", listxattr("l", list, sizeof list), list);
  printf("lremovexattr l user.a: %s\n", res(lremovexattr("l", "user.a")));
  printf("setxattr d user.dir: %s\n", res(setxattr("d", "user.dir", "dd", 2, 0)));
  value("getxattr d/. user.dir", getxattr("d/.", "user.dir", buf, sizeof buf), buf);
  printf("setxattr p (FIFO) user.a: %s\n", res(setxattr("p", "user.a", "x", 1, 0)));
  value("getxattr p user.a", getxattr("p", "user.a", buf, sizeof buf), buf);

  printf("-- descriptors\n");
  int fd = open("f", O_RDONLY);
  value("fgetxattr user.b", fgetxattr(fd, "user.b", buf, sizeof buf), buf);
  printf("fsetxattr user.fd: %s\n", res(fsetxattr(fd, "user.fd", "via fd", 6, 0)));
  names("flistxattr", flistxattr(fd, list, sizeof list), list);
  printf("fremovexattr user.fd: %s\n", res(fremovexattr(fd, "user.fd")));
  printf("fremovexattr user.fd again: %s\n", res(fremovexattr(fd, "user.fd")));
  close(fd);
  fd = open("f", O_PATH);
  value("fgetxattr on O_PATH", fgetxattr(fd, "user.b", buf, sizeof buf), buf);
  printf("flistxattr on O_PATH: %s\n", res(flistxattr(fd, list, sizeof list)));
  close(fd);
  printf("fgetxattr bad fd, name \"\": %s\n", res(fgetxattr(999, "", buf, sizeof buf)));
  printf("fsetxattr bad fd, flags 4: %s\n", res(fsetxattr(999, "user.a", "x", 1, 4)));
  printf("fremovexattr bad fd, name \"\": %s\n", res(fremovexattr(999, "")));
  printf("flistxattr bad fd: %s\n", res(flistxattr(999, list, sizeof list)));
  int pfd[2];
  pipe(pfd);
  value("fgetxattr pipe user.a", fgetxattr(pfd[0], "user.a", buf, sizeof buf), buf);
  printf("fsetxattr pipe user.a: %s\n", res(fsetxattr(pfd[0], "user.a", "x", 1, 0)));
  close(pfd[0]);
  close(pfd[1]);

  printf("-- /proc\n");
  value("getxattr /proc/self/status user.a", getxattr("/proc/self/status", "user.a", buf, sizeof buf), buf);
  printf("setxattr /proc/self/status user.a: %s\n", res(setxattr("/proc/self/status", "user.a", "x", 1, 0)));
  names("listxattr /proc/self/status", listxattr("/proc/self/status", list, sizeof list), list);

  printf("-- removal\n");
  printf("removexattr user.a: %s\n", res(removexattr("f", "user.a")));
  printf("removexattr user.a again: %s\n", res(removexattr("f", "user.a")));
  names("listxattr f", listxattr("f", list, sizeof list), list);
  unlink("f");
  unlink("l");
  unlink("p");
  rmdir("d");
  return 0;
}
