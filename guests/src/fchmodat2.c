/*
 * fchmodat2: fchmodat2(2) and fchmodat(2) on files, symlinks (their own
 * mode never changes: EOPNOTSUPP), AT_EMPTY_PATH descriptors and /proc,
 * for test/e2e/smallcalls.test.ts, compared with the same source built
 * natively and run on this machine's kernel (qemu-user passes the call to
 * the host). Works in the directory given as argv[1].
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static long chmod2(int dirfd, const char *path, unsigned mode, unsigned flags) { return syscall(SYS_fchmodat2, dirfd, path, mode, flags); }

static void modes(const char *when) {
  struct stat a, b, c;
  lstat("file", &a);
  lstat("link", &b);
  stat(".", &c);
  printf("  %s: file %04o, link %s %04o, dir %04o\n", when, a.st_mode & 07777, S_ISLNK(b.st_mode) ? "symlink" : "?", b.st_mode & 07777, c.st_mode & 07777);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || chdir(argv[1]) != 0) return 2;
  mkdir("d", 0755);
  if (chdir("d") != 0) return 2;
  close(open("file", O_CREAT | O_WRONLY, 0644));
  symlink("file", "link");
  symlink("nowhere", "dangling");
  chmod(".", 0755);
  modes("start");
  printf("fchmodat2 file 0600, flags 0: %s\n", res(chmod2(AT_FDCWD, "file", 0600, 0)));
  modes("then");
  printf("fchmodat2 link 0640, flags 0 (follows): %s\n", res(chmod2(AT_FDCWD, "link", 0640, 0)));
  modes("then");
  printf("fchmodat2 link 0600, AT_SYMLINK_NOFOLLOW: %s\n", res(chmod2(AT_FDCWD, "link", 0600, AT_SYMLINK_NOFOLLOW)));
  modes("then");
  printf("fchmodat2 file 0604, AT_SYMLINK_NOFOLLOW: %s\n", res(chmod2(AT_FDCWD, "file", 0604, AT_SYMLINK_NOFOLLOW)));
  modes("then");
  printf("fchmodat2 dangling, flags 0: %s\n", res(chmod2(AT_FDCWD, "dangling", 0600, 0)));
  printf("fchmodat2 dangling, AT_SYMLINK_NOFOLLOW: %s\n", res(chmod2(AT_FDCWD, "dangling", 0600, AT_SYMLINK_NOFOLLOW)));
  printf("fchmodat2 missing: %s\n", res(chmod2(AT_FDCWD, "missing", 0600, 0)));
  printf("fchmodat2 mode 0177777 (masked to 07777): %s\n", res(chmod2(AT_FDCWD, "file", 0177777, 0)));
  modes("then");
  chmod("file", 0644);
  printf("fchmodat2 flag 0x1: %s\n", res(chmod2(AT_FDCWD, "file", 0600, 1)));
  printf("fchmodat2 AT_REMOVEDIR: %s\n", res(chmod2(AT_FDCWD, "file", 0600, AT_REMOVEDIR)));
  printf("fchmodat2 AT_SYMLINK_FOLLOW: %s\n", res(chmod2(AT_FDCWD, "file", 0600, AT_SYMLINK_FOLLOW)));
  printf("fchmodat2 \"\" without AT_EMPTY_PATH: %s\n", res(chmod2(AT_FDCWD, "", 0600, 0)));
  int fd = open("file", O_RDONLY);
  printf("fchmodat2 fd of file, \"\", AT_EMPTY_PATH: %s\n", res(chmod2(fd, "", 0611, AT_EMPTY_PATH)));
  modes("then");
  close(fd);
  fd = open("link", O_PATH | O_NOFOLLOW);
  printf("fchmodat2 O_PATH fd of link, \"\", AT_EMPTY_PATH: %s\n", res(chmod2(fd, "", 0600, AT_EMPTY_PATH)));
  printf("fchmodat2 O_PATH fd of link, \"\", AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW: %s\n", res(chmod2(fd, "", 0600, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)));
  close(fd);
  fd = open("file", O_PATH);
  printf("fchmodat2 O_PATH fd of file, \"\", AT_EMPTY_PATH: %s\n", res(chmod2(fd, "", 0620, AT_EMPTY_PATH)));
  modes("then");
  close(fd);
  printf("fchmodat2 AT_FDCWD, \"\", AT_EMPTY_PATH: %s\n", res(chmod2(AT_FDCWD, "", 0700, AT_EMPTY_PATH)));
  modes("then");
  chmod(".", 0755);
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  printf("fchmodat2 dirfd-relative link, AT_SYMLINK_NOFOLLOW: %s\n", res(chmod2(dfd, "link", 0600, AT_SYMLINK_NOFOLLOW)));
  printf("fchmodat2 bad dirfd: %s\n", res(chmod2(999, "file", 0600, 0)));
  printf("fchmodat2 path NULL: %s\n", res(chmod2(AT_FDCWD, NULL, 0600, 0)));
  close(dfd);
  printf("fchmodat2 /proc/self/status: %s\n", res(chmod2(AT_FDCWD, "/proc/self/status", 0600, 0)));
  printf("fchmodat link 0600 (follows): %s\n", res(syscall(SYS_fchmodat, AT_FDCWD, "link", 0600)));
  modes("then");
  unlink("file");
  unlink("link");
  unlink("dangling");
  if (chdir("..") != 0) return 2;
  rmdir("d");
  return 0;
}
