/*
 * sysroot-escape: the ways out of a --sysroot that were found to work once,
 * each tried against a host file D/secret.txt that the sysroot shadows with
 * its own D/secret.txt. Usage: sysroot-escape D. Every line says what the
 * guest saw: the first line of what it read, or the errno name.
 *
 * Expected layout (built by the test):
 *   D/secret.txt          the sysroot's copy (the host's is a decoy)
 *   D/link -> D/secret.txt (absolute)
 *   D/dangling -> /nonexistent/x   (the host has a file D/dangling)
 *   D/hostonly            a directory only the host has
 *
 * The test runs the same source natively in a chroot of the merged view
 * (the sysroot plus D/hostonly) as the reference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *dir;

static const char *ename(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    default: return "E?";
  }
}

static char *at(const char *name) {
  static char buf[4][4096];
  static int i;
  char *b = buf[i++ % 4];
  snprintf(b, sizeof buf[0], "%s/%s", dir, name);
  return b;
}

/* Prints what fd reads (newlines as '|'), closing it, or the errno of a failed open. */
static void show(const char *what, int fd) {
  if (fd < 0) {
    printf("%s: %s\n", what, ename(errno));
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) {
    printf("%s: read %s\n", what, ename(errno));
    return;
  }
  buf[n] = 0;
  for (char *c = buf; *c; c++)
    if (*c == '\n') *c = '|';
  printf("%s: %s\n", what, buf);
}

static int openat2_(int dfd, const char *path, int flags, unsigned long long resolve) {
  struct open_how how = {.flags = (unsigned long long)flags, .mode = 0, .resolve = resolve};
  return (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
}

static void result(const char *what, int r) {
  if (r < 0) printf("%s: %s\n", what, ename(errno));
  else printf("%s: ok\n", what);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  dir = argv[1];
  setvbuf(stdout, NULL, _IONBF, 0);

  /* openat2 with restrictions resolves in the guest's view, like any path. */
  show("openat2 NO_SYMLINKS", openat2_(AT_FDCWD, at("secret.txt"), O_RDONLY, RESOLVE_NO_SYMLINKS));
  show("openat2 NO_XDEV abs", openat2_(AT_FDCWD, at("secret.txt"), O_RDONLY, RESOLVE_NO_XDEV));
  show("openat2 NO_XDEV link", openat2_(AT_FDCWD, at("link"), O_RDONLY, RESOLVE_NO_XDEV));
  show("openat2 NO_SYMLINKS link", openat2_(AT_FDCWD, at("link"), O_RDONLY, RESOLVE_NO_SYMLINKS));
  {
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    char up[4096];
    /* '..' above the start directory goes up the guest's path, not kept literally. */
    snprintf(up, sizeof up, "../../../../../../../..%s/secret.txt", dir);
    show("openat2 dotdot", openat2_(d, up, O_RDONLY, RESOLVE_NO_SYMLINKS));
    show("openat2 IN_ROOT abs", openat2_(d, "/secret.txt", O_RDONLY, RESOLVE_IN_ROOT));
    show("openat2 BENEATH dotdot", openat2_(d, "../secret.txt", O_RDONLY, RESOLVE_BENEATH));
    close(d);
  }
  /* RESOLVE_IN_ROOT from AT_FDCWD: the working directory is the root an absolute path starts at. */
  {
    int orig = open(".", O_RDONLY | O_DIRECTORY);
    if (chdir(dir) == 0) {
      show("openat2 IN_ROOT abs from cwd", openat2_(AT_FDCWD, "/secret.txt", O_RDONLY, RESOLVE_IN_ROOT));
      show("openat2 BENEATH abs from cwd", openat2_(AT_FDCWD, "/secret.txt", O_RDONLY, RESOLVE_BENEATH));
    }
    fchdir(orig);
    close(orig);
  }
  /* A path that goes on below a regular file: ENOTDIR, in each layer. */
  {
    struct stat st;
    result("stat file/below", stat(at("secret.txt/below"), &st));
    result("stat dangling/below", stat(at("dangling/below"), &st));
  }

  /* fchdir to an O_PATH|O_NOFOLLOW handle of a symlink: not a directory. */
  {
    int orig = open(".", O_RDONLY | O_DIRECTORY);
    int l = open(at("link"), O_PATH | O_NOFOLLOW);
    result("fchdir O_PATH link", fchdir(l));
    show("after fchdir, ./secret.txt", open("secret.txt", O_RDONLY));
    close(l);
    fchdir(orig);
    close(orig);
  }

  /* chdir into a directory only the host has, then '..': the guest's parent, in the guest's view. */
  {
    int orig = open(".", O_RDONLY | O_DIRECTORY);
    result("chdir hostonly", chdir(at("hostonly")));
    show("hostonly/../secret.txt", open("../secret.txt", O_RDONLY));
    char cwd[4096];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? (strcmp(cwd, at("hostonly")) == 0 ? "D/hostonly" : cwd) : ename(errno));
    fchdir(orig);
    close(orig);
  }

  /* linkat(AT_SYMLINK_FOLLOW) of the symlink: a hard link to what the guest's walk finds. */
  result("linkat follow", linkat(AT_FDCWD, at("link"), AT_FDCWD, at("hard"), AT_SYMLINK_FOLLOW));
  {
    int fd = open(at("hard"), O_WRONLY | O_APPEND);
    if (fd >= 0) {
      result("write through hard link", (int)write(fd, "appended\n", 9));
      close(fd);
    } else {
      printf("write through hard link: %s\n", ename(errno));
    }
  }

  /* AT_EMPTY_PATH on an O_PATH handle of the symlink changes the link itself. */
  {
    int l = open(at("link"), O_PATH | O_NOFOLLOW);
    result("fchownat EMPTY_PATH", fchownat(l, "", 4321, 4321, AT_EMPTY_PATH));
    struct timespec ts[2] = {{1, 0}, {2, 0}};
    result("utimensat EMPTY_PATH", utimensat(l, "", ts, AT_EMPTY_PATH));
    struct stat st;
    fstatat(l, "", &st, AT_EMPTY_PATH);
    printf("link owner %u, mtime %ld\n", (unsigned)st.st_uid, (long)st.st_mtim.tv_sec);
    close(l);
  }

  /* The sysroot's dangling symlink is the sysroot's: never the host's file of the same name. */
  show("open dangling", open(at("dangling"), O_WRONLY | O_APPEND));
  show("open dangling O_CREAT", open(at("dangling"), O_WRONLY | O_APPEND | O_CREAT, 0644));
  {
    struct stat st;
    result("stat dangling", stat(at("dangling"), &st));
    result("lstat dangling", lstat(at("dangling"), &st));
  }

  /* What the guest's secret.txt holds now. */
  show("secret.txt", open(at("secret.txt"), O_RDONLY));
  return 0;
}
