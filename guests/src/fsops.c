/*
 * fsops: exercises Linux's file syscalls, success and error paths, in the
 * scratch directory given as argv[1]. Prints one line per check with the
 * result or the errno name; nothing host-specific (no fd numbers, inode
 * numbers, pids or wall-clock times), so a run under elfuse and one under
 * qemu-aarch64 (the real kernel) can be compared byte for byte.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/*
 * F_GETFL shows O_LARGEFILE on 64-bit Linux, but qemu-aarch64 hides it, and
 * a native build (the second reference) has the host architecture's value.
 */
#ifdef __aarch64__
#define LARGEFILE_BIT 0400000
#else
#define LARGEFILE_BIT 0100000
#endif

static const char *ename(int e) {
  static char buf[32];
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
    E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(EMFILE)
    E(ENOTTY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(EDEADLK)
    E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP) E(ENOLCK)
#undef E
  default:
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
  }
}

/* A call's result: its value, or -1 and the errno name. */
static long show(const char *what, long r) {
  if (r < 0) printf("%s = -1 %s\n", what, ename(errno));
  else printf("%s = %ld\n", what, r);
  return r;
}
#define T(what, expr) (errno = 0, show(what, (long)(expr)))

/* A call that returns an fd: "fd" when it succeeded (the number differs between runners). */
static int showfd(const char *what, int r) {
  if (r < 0) printf("%s = -1 %s\n", what, ename(errno));
  else printf("%s = fd\n", what);
  return r;
}
#define FD(what, expr) (errno = 0, showfd(what, (int)(expr)))

static void put(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) {
    printf("setup %s failed: %s\n", path, ename(errno));
    exit(1);
  }
  close(fd);
}

static void show_file(const char *label, const char *path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n < 0) {
    printf("%s: <%s>\n", label, ename(errno));
    return;
  }
  buf[n] = 0;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == 0) buf[i] = '0';
  printf("%s: \"%s\"\n", label, buf);
}

static void show_mode(const char *label, const char *path, int nofollow) {
  struct stat st;
  int r = nofollow ? lstat(path, &st) : stat(path, &st);
  if (r < 0) printf("%s: <%s>\n", label, ename(errno));
  else printf("%s: type=%o perm=%o nlink=%lu size=%lld\n", label, st.st_mode & S_IFMT, st.st_mode & 07777,
              (unsigned long)st.st_nlink, (long long)st.st_size);
}

static long fsize(int fd) {
  struct stat st;
  return fstat(fd, &st) < 0 ? -1 : (long)st.st_size;
}

static int is_root;

static void test_openat(void) {
  printf("-- openat\n");
  int fd = FD("creat excl", openat(AT_FDCWD, "f1", O_RDWR | O_CREAT | O_EXCL, 0600));
  T("creat excl again", openat(AT_FDCWD, "f1", O_RDWR | O_CREAT | O_EXCL, 0600));
  T("write", write(fd, "0123456789", 10));
  close(fd);
  T("O_DIRECTORY on file", openat(AT_FDCWD, "f1", O_RDONLY | O_DIRECTORY));
  T("missing", openat(AT_FDCWD, "nope", O_RDONLY));
  T("O_CREAT|O_DIRECTORY", openat(AT_FDCWD, "cd", O_RDONLY | O_CREAT | O_DIRECTORY, 0600));
  T("O_WRONLY on dir", openat(AT_FDCWD, ".", O_WRONLY));
  T("trailing slash on file", openat(AT_FDCWD, "f1/", O_RDONLY));
  symlink("f1", "l1");
  T("O_NOFOLLOW on symlink", openat(AT_FDCWD, "l1", O_RDONLY | O_NOFOLLOW));
  fd = FD("follow symlink", openat(AT_FDCWD, "l1", O_RDONLY));
  printf("size via link %ld\n", fsize(fd));
  T("write on O_RDONLY", write(fd, "x", 1));
  close(fd);

  fd = FD("O_TRUNC", openat(AT_FDCWD, "f1", O_RDWR | O_TRUNC));
  printf("size after trunc %ld\n", fsize(fd));
  T("write abc", write(fd, "abc", 3));
  close(fd);

  fd = FD("O_APPEND", openat(AT_FDCWD, "f1", O_WRONLY | O_APPEND));
  T("lseek 0", lseek(fd, 0, SEEK_SET));
  T("append de", write(fd, "de", 2));
  T("offset after append", lseek(fd, 0, SEEK_CUR));
  T("pwrite at 0 appends", pwrite(fd, "P", 1, 0));
  int fl = fcntl(fd, F_GETFL);
  printf("F_GETFL %o\n", fl & ~LARGEFILE_BIT);
  T("F_SETFL clear O_APPEND", fcntl(fd, F_SETFL, fl & ~O_APPEND));
  printf("F_GETFL %o\n", fcntl(fd, F_GETFL) & ~LARGEFILE_BIT);
  T("lseek 1", lseek(fd, 1, SEEK_SET));
  T("overwrite", write(fd, "XY", 2));
  T("F_SETFL O_APPEND again", fcntl(fd, F_SETFL, O_APPEND));
  T("lseek 0", lseek(fd, 0, SEEK_SET));
  T("append Z", write(fd, "Z", 1));
  close(fd);
  show_file("f1", "f1");

  fd = FD("O_CLOEXEC", openat(AT_FDCWD, "f1", O_RDONLY | O_CLOEXEC));
  T("F_GETFD", fcntl(fd, F_GETFD));
  close(fd);

  fd = FD("O_PATH", openat(AT_FDCWD, "f1", O_PATH));
  char c;
  T("read O_PATH", read(fd, &c, 1));
  T("write O_PATH", write(fd, "x", 1));
  struct stat st;
  T("fstat O_PATH", fstat(fd, &st));
  printf("size %lld\n", (long long)st.st_size);
  printf("F_GETFL O_PATH %o\n", fcntl(fd, F_GETFL) & ~LARGEFILE_BIT);
  T("fchmod O_PATH", fchmod(fd, 0600));
  T("F_SETFL O_PATH", fcntl(fd, F_SETFL, O_NONBLOCK));
  T("fsync O_PATH", fsync(fd));
  T("lseek O_PATH", lseek(fd, 0, SEEK_SET));
  T("ioctl-free fcntl F_GETFD O_PATH", fcntl(fd, F_GETFD));
  T("F_DUPFD O_PATH", fcntl(fd, F_DUPFD, 60));
  close(60);
  close(fd);
  fd = FD("O_PATH|O_NOFOLLOW symlink", openat(AT_FDCWD, "l1", O_PATH | O_NOFOLLOW));
  T("fstatat empty O_PATH link", fstatat(fd, "", &st, AT_EMPTY_PATH));
  printf("is link %d\n", S_ISLNK(st.st_mode));
  char lbuf[64];
  long n = T("readlinkat empty", readlinkat(fd, "", lbuf, sizeof lbuf));
  if (n > 0) printf("target %.*s\n", (int)n, lbuf);
  close(fd);

  fd = FD("O_TMPFILE", openat(AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0600));
  T("write tmpfile", write(fd, "tmp", 3));
  T("fstat tmpfile", fstat(fd, &st));
  printf("tmpfile nlink=%lu size=%lld perm=%o\n", (unsigned long)st.st_nlink, (long long)st.st_size,
         st.st_mode & 07777);
  T("pread tmpfile", pread(fd, lbuf, 3, 0));
  close(fd);
  T("O_TMPFILE read-only", openat(AT_FDCWD, ".", O_TMPFILE | O_RDONLY, 0600));
  T("O_TMPFILE on file", openat(AT_FDCWD, "f1", O_TMPFILE | O_RDWR, 0600));
  T("O_TMPFILE missing dir", openat(AT_FDCWD, "nodir", O_TMPFILE | O_RDWR, 0600));
  T("O_TMPFILE|O_CREAT", openat(AT_FDCWD, ".", O_TMPFILE | O_CREAT | O_RDWR, 0600));

  T("mkfifo", mkfifo("fifo", 0644));
  T("O_WRONLY|O_NONBLOCK fifo, no reader", openat(AT_FDCWD, "fifo", O_WRONLY | O_NONBLOCK));
  int rfd = FD("O_RDONLY|O_NONBLOCK fifo", openat(AT_FDCWD, "fifo", O_RDONLY | O_NONBLOCK));
  T("read fifo without writer", read(rfd, lbuf, 10));
  int wfd = FD("O_WRONLY|O_NONBLOCK fifo", openat(AT_FDCWD, "fifo", O_WRONLY | O_NONBLOCK));
  T("read empty fifo", read(rfd, lbuf, 10));
  T("write fifo", write(wfd, "hi", 2));
  T("read fifo", read(rfd, lbuf, 10));
  T("lseek fifo", lseek(rfd, 0, SEEK_SET));
  T("pread fifo", pread(rfd, lbuf, 1, 0));
  T("fsync fifo", fsync(wfd));
  T("fallocate fifo", fallocate(wfd, 0, 0, 10));
  printf("fifo F_GETFL %o\n", fcntl(rfd, F_GETFL) & ~LARGEFILE_BIT);
  /* Clearing O_NONBLOCK: reads block again (data is there, so this one returns). */
  T("F_SETFL clear O_NONBLOCK", fcntl(rfd, F_SETFL, 0));
  T("write fifo", write(wfd, "abc", 3));
  T("blocking read fifo", read(rfd, lbuf, 10));
  close(wfd);
  close(rfd);
  /* Setting O_NONBLOCK on a FIFO opened blocking (O_RDWR never waits for a peer). */
  int rw = FD("O_RDWR fifo", openat(AT_FDCWD, "fifo", O_RDWR));
  T("write", write(rw, "x", 1));
  T("read", read(rw, lbuf, 10));
  T("F_SETFL O_NONBLOCK", fcntl(rw, F_SETFL, O_NONBLOCK));
  printf("fifo F_GETFL %o\n", fcntl(rw, F_GETFL) & ~LARGEFILE_BIT);
  T("read empty fifo now", read(rw, lbuf, 10));
  T("write", write(rw, "yz", 2));
  T("read", read(rw, lbuf, 10));
  /* A full pipe: a non-blocking write takes what fits, then EAGAIN. */
  static char big[70000];
  T("write 70000 non-blocking", write(rw, big, sizeof big));
  T("write more non-blocking", write(rw, big, 10));
  long drained = 0, got;
  while ((got = read(rw, big, sizeof big)) > 0) drained += got;
  printf("drained %ld then %s\n", drained, ename(errno));
  T("F_SETFL clear O_NONBLOCK", fcntl(rw, F_SETFL, 0));
  T("write", write(rw, "w", 1));
  T("read", read(rw, lbuf, 10));

  /* splice between the FIFO and a file. */
  int sf = open("spliced", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T("write fifo", write(rw, "hello", 5));
  loff_t so = 2;
  T("splice fifo->file at 2", splice(rw, NULL, sf, &so, 5, 0));
  printf("so %ld file offset %ld\n", (long)so, (long)lseek(sf, 0, SEEK_CUR));
  T("write fifo", write(rw, "XY", 2));
  T("splice fifo->file at offset", splice(rw, NULL, sf, NULL, 10, SPLICE_F_MOVE));
  printf("file offset %ld\n", (long)lseek(sf, 0, SEEK_CUR));
  show_file("spliced", "spliced");
  so = 1;
  T("splice file->fifo", splice(sf, &so, rw, NULL, 3, 0));
  printf("so %ld\n", (long)so);
  T("read fifo", read(rw, lbuf, 10));
  T("splice empty fifo NONBLOCK", splice(rw, NULL, sf, NULL, 3, SPLICE_F_NONBLOCK));
  T("splice file->file", splice(sf, NULL, sf, NULL, 3, 0));
  T("splice offset on pipe", splice(rw, &so, sf, NULL, 3, 0));
  T("splice bad flags", splice(rw, NULL, sf, NULL, 3, 0x100));
  int sfa = open("spliced", O_WRONLY | O_APPEND);
  T("splice to O_APPEND", splice(rw, NULL, sfa, NULL, 3, 0));
  T("splice len 0", splice(rw, NULL, sf, NULL, 0, 0));
  T("splice len 0 bad fd", splice(99, NULL, sf, NULL, 0, 0));
  T("splice bad fd", splice(99, NULL, sf, NULL, 3, 0));
  close(sfa);
  close(sf);
  close(rw);
}

static void test_dirs(void) {
  printf("-- mkdirat/mknodat/unlinkat\n");
  printf("umask was %o\n", umask(022));
  T("mkdirat", mkdirat(AT_FDCWD, "d1", 0777));
  show_mode("d1", "d1", 0);
  T("mkdirat again", mkdirat(AT_FDCWD, "d1", 0777));
  T("mkdirat no parent", mkdirat(AT_FDCWD, "nope/d", 0777));
  T("mkdirat under file", mkdirat(AT_FDCWD, "f1/d", 0777));
  int dfd = FD("open d1", open("d1", O_RDONLY | O_DIRECTORY));
  T("mkdirat relative to dirfd", mkdirat(dfd, "sub", 0700));
  show_mode("d1/sub", "d1/sub", 0);
  T("mkdirat on file dirfd", mkdirat(open("f1", O_RDONLY), "x", 0700));
  T("mkdirat bad dirfd", mkdirat(99, "x", 0700));
  T("mknodat fifo", mknodat(dfd, "p", S_IFIFO | 0666, 0));
  show_mode("d1/p", "d1/p", 0);
  T("mknodat fifo again", mknodat(dfd, "p", S_IFIFO | 0666, 0));
  T("mknodat regular", mknodat(dfd, "r", S_IFREG | 0640, 0));
  show_mode("d1/r", "d1/r", 0);
  T("mknodat type 0", mknodat(dfd, "r0", 0644, 0));
  show_mode("d1/r0", "d1/r0", 0);
  T("mknodat S_IFDIR", mknodat(dfd, "dd", S_IFDIR | 0755, 0));
  T("mknodat bad type", mknodat(dfd, "bad", 0170000 | 0644, 0));
  T("mknodat no parent", mknodat(AT_FDCWD, "nope/p", S_IFIFO | 0644, 0));
  if (!is_root) T("mknodat chr (unprivileged)", mknodat(dfd, "c", S_IFCHR | 0644, makedev(1, 3)));

  T("unlinkat file", unlinkat(dfd, "r", 0));
  T("unlinkat missing", unlinkat(dfd, "r", 0));
  T("unlinkat dir without AT_REMOVEDIR", unlinkat(AT_FDCWD, "d1", 0));
  T("unlinkat AT_REMOVEDIR on file", unlinkat(dfd, "r0", AT_REMOVEDIR));
  T("unlinkat non-empty dir", unlinkat(AT_FDCWD, "d1", AT_REMOVEDIR));
  T("unlinkat bad flags", unlinkat(dfd, "r0", 0x1));
  T("unlinkat AT_REMOVEDIR", unlinkat(dfd, "sub", AT_REMOVEDIR));
  T("unlinkat fifo", unlinkat(dfd, "p", 0));
  T("unlinkat r0", unlinkat(dfd, "r0", 0));
  close(dfd);
  T("rmdir d1", unlinkat(AT_FDCWD, "d1", AT_REMOVEDIR));
}

static void test_rename(void) {
  printf("-- renameat2\n");
  put("ra", "A");
  put("rb", "B");
  T("renameat", renameat(AT_FDCWD, "ra", AT_FDCWD, "rc"));
  show_file("rc", "rc");
  T("renameat missing", renameat(AT_FDCWD, "ra", AT_FDCWD, "rd"));
  T("NOREPLACE onto existing", syscall(SYS_renameat2, AT_FDCWD, "rc", AT_FDCWD, "rb", RENAME_NOREPLACE));
  T("NOREPLACE new", syscall(SYS_renameat2, AT_FDCWD, "rc", AT_FDCWD, "ra", RENAME_NOREPLACE));
  T("NOREPLACE missing source", syscall(SYS_renameat2, AT_FDCWD, "zz", AT_FDCWD, "zy", RENAME_NOREPLACE));
  T("EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "ra", AT_FDCWD, "rb", RENAME_EXCHANGE));
  show_file("ra", "ra");
  show_file("rb", "rb");
  mkdir("rdir", 0755);
  T("EXCHANGE file and dir", syscall(SYS_renameat2, AT_FDCWD, "ra", AT_FDCWD, "rdir", RENAME_EXCHANGE));
  show_mode("ra", "ra", 1);
  show_mode("rdir", "rdir", 1);
  T("EXCHANGE missing target", syscall(SYS_renameat2, AT_FDCWD, "rb", AT_FDCWD, "zz", RENAME_EXCHANGE));
  T("NOREPLACE|EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "rb", AT_FDCWD, "ra", RENAME_NOREPLACE | RENAME_EXCHANGE));
  T("unknown flag", syscall(SYS_renameat2, AT_FDCWD, "rb", AT_FDCWD, "ra", 8));
  if (!is_root) T("WHITEOUT (unprivileged)", syscall(SYS_renameat2, AT_FDCWD, "rb", AT_FDCWD, "rw", RENAME_WHITEOUT));
  T("rename dir over file", renameat(AT_FDCWD, "ra", AT_FDCWD, "rb"));
  T("rename file over dir", renameat(AT_FDCWD, "rb", AT_FDCWD, "ra"));
  rmdir("ra");
  unlink("rb");
  unlink("rdir");
}

static void test_links(void) {
  printf("-- symlinkat/readlinkat/linkat\n");
  char buf[64];
  T("symlinkat", symlinkat("target/x", AT_FDCWD, "s1"));
  long n = T("readlinkat", readlinkat(AT_FDCWD, "s1", buf, sizeof buf));
  if (n > 0) printf("s1 -> %.*s\n", (int)n, buf);
  T("readlinkat short buf", readlinkat(AT_FDCWD, "s1", buf, 3));
  T("readlinkat bufsiz 0", readlinkat(AT_FDCWD, "s1", buf, 0));
  T("readlinkat non-link", readlinkat(AT_FDCWD, "f1", buf, sizeof buf));
  T("readlinkat missing", readlinkat(AT_FDCWD, "nope", buf, sizeof buf));
  T("symlinkat existing", symlinkat("x", AT_FDCWD, "s1"));
  T("symlinkat empty target", symlinkat("", AT_FDCWD, "s2"));
  T("linkat", linkat(AT_FDCWD, "f1", AT_FDCWD, "h1", 0));
  show_mode("h1", "h1", 0);
  T("linkat existing", linkat(AT_FDCWD, "f1", AT_FDCWD, "h1", 0));
  T("linkat missing", linkat(AT_FDCWD, "nope", AT_FDCWD, "h2", 0));
  mkdir("ldir", 0755);
  T("linkat dir", linkat(AT_FDCWD, "ldir", AT_FDCWD, "h2", 0));
  T("linkat symlink itself", linkat(AT_FDCWD, "l1", AT_FDCWD, "h3", 0));
  show_mode("h3", "h3", 1);
  T("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "l1", AT_FDCWD, "h4", AT_SYMLINK_FOLLOW));
  show_mode("h4", "h4", 1);
  T("linkat bad flags", linkat(AT_FDCWD, "f1", AT_FDCWD, "h5", 0x1));
  int fd = open("f1", O_RDONLY);
  /* Unprivileged, this depends on the kernel version (ENOENT before 6.10), so only root checks it. */
  if (is_root) {
    T("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "h5", AT_EMPTY_PATH));
    show_mode("h5", "h5", 0);
  }
  T("linkat empty without flag", linkat(fd, "", AT_FDCWD, "h6", 0));
  close(fd);
  unlink("h1"), unlink("h3"), unlink("h4"), unlink("h5"), rmdir("ldir");
}

static void test_attrs(void) {
  printf("-- fchmodat/fchownat/utimensat/faccessat\n");
  T("fchmodat", fchmodat(AT_FDCWD, "f1", 0640, 0));
  show_mode("f1", "f1", 0);
  T("fchmodat missing", fchmodat(AT_FDCWD, "nope", 0640, 0));
  T("fchmodat raw", syscall(SYS_fchmodat, AT_FDCWD, "f1", 04751));
  show_mode("f1", "f1", 0);
  int fd = open("f1", O_RDONLY);
  T("fchmod", fchmod(fd, 0604));
  show_mode("f1", "f1", 0);
  T("fchmod bad fd", fchmod(99, 0600));
  T("fchown self", fchown(fd, getuid(), getgid()));
  T("fchown -1 -1", fchown(fd, -1, -1));
  T("fchownat self", fchownat(AT_FDCWD, "f1", getuid(), -1, 0));
  T("fchownat link nofollow", fchownat(AT_FDCWD, "l1", -1, getgid(), AT_SYMLINK_NOFOLLOW));
  T("fchownat empty path", fchownat(fd, "", -1, -1, AT_EMPTY_PATH));
  T("fchownat bad flags", fchownat(AT_FDCWD, "f1", -1, -1, 0x2));
  T("fchownat missing", fchownat(AT_FDCWD, "nope", -1, -1, 0));
  if (!is_root) T("fchown to root (unprivileged)", fchown(fd, 0, 0));
  int pfd = open("f1", O_PATH);
  T("fchown O_PATH", fchown(pfd, -1, -1));

  struct timespec ts[2] = {{1000000000, 123456000}, {1200000000, 5000}};
  struct stat st;
  T("utimensat", utimensat(AT_FDCWD, "f1", ts, 0));
  stat("f1", &st);
  printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  T("utimensat omit atime", utimensat(AT_FDCWD, "f1", omit, 0));
  stat("f1", &st);
  printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  T("utimensat bad nsec", utimensat(AT_FDCWD, "f1", bad, 0));
  struct timespec both[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  T("utimensat both omit, missing file", utimensat(AT_FDCWD, "nope", both, 0));
  T("utimensat missing", utimensat(AT_FDCWD, "nope", ts, 0));
  T("utimensat bad flags", utimensat(AT_FDCWD, "f1", ts, 0x4));
  struct timespec fts[2] = {{1400000000, 999999000}, {1400000001, 0}};
  T("futimens", futimens(fd, fts));
  fstat(fd, &st);
  printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  T("futimens O_PATH", futimens(pfd, fts));
  T("utimensat NULL path with flags", syscall(SYS_utimensat, fd, NULL, fts, AT_SYMLINK_NOFOLLOW));
  struct timespec lts[2] = {{1100000000, 0}, {1100000000, 0}};
  T("utimensat nofollow link", utimensat(AT_FDCWD, "l1", lts, AT_SYMLINK_NOFOLLOW));
  lstat("l1", &st);
  printf("link mtime %lld\n", (long long)st.st_mtim.tv_sec);
  stat("l1", &st);
  printf("target mtime %lld\n", (long long)st.st_mtim.tv_sec);
  struct timespec before;
  clock_gettime(CLOCK_REALTIME, &before);
  T("utimensat now", utimensat(AT_FDCWD, "f1", NULL, 0));
  stat("f1", &st);
  printf("now is recent %d\n", st.st_mtim.tv_sec >= before.tv_sec - 1);
  close(pfd);
  close(fd);

  T("faccessat F_OK", faccessat(AT_FDCWD, "f1", F_OK, 0));
  T("faccessat missing", faccessat(AT_FDCWD, "nope", F_OK, 0));
  T("faccessat R_OK", faccessat(AT_FDCWD, "f1", R_OK, 0));
  chmod("f1", 0644);
  T("faccessat X_OK no x bits", faccessat(AT_FDCWD, "f1", X_OK, 0));
  T("faccessat bad mode", syscall(SYS_faccessat, AT_FDCWD, "f1", 8));
  T("faccessat2 AT_EACCESS", syscall(439, AT_FDCWD, "f1", R_OK, AT_EACCESS));
  T("faccessat2 bad flags", syscall(439, AT_FDCWD, "f1", R_OK, 0x1));
  symlink("nowhere", "dangling");
  T("faccessat2 dangling", syscall(439, AT_FDCWD, "dangling", F_OK, 0));
  T("faccessat2 dangling nofollow", syscall(439, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
  fd = open("f1", O_RDONLY);
  T("faccessat2 empty path", syscall(439, fd, "", R_OK, AT_EMPTY_PATH));
  T("faccessat2 empty path no flag", syscall(439, fd, "", R_OK, 0));
  close(fd);
  unlink("dangling");
}

static long openat2_(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve, size_t size) {
  unsigned char buf[64] = {0};
  struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
  memcpy(buf, &how, sizeof how);
  return syscall(SYS_openat2, dirfd, path, buf, size);
}

static void test_openat2(void) {
  printf("-- openat2\n");
  mkdir("o2", 0755);
  mkdir("o2/in", 0755);
  put("o2/in/file", "inside");
  put("outside", "outside");
  symlink("../outside", "o2/up");
  symlink("/etc/passwd", "o2/abs");
  symlink("in/file", "o2/rel");
  int d = open("o2", O_RDONLY | O_DIRECTORY);
  int fd;
  fd = FD("basic", openat2_(d, "in/file", O_RDONLY, 0, 0, sizeof(struct open_how)));
  close(fd);
  T("size too small", openat2_(d, "in/file", O_RDONLY, 0, 0, 23));
  fd = FD("bigger struct, zero tail", openat2_(d, "in/file", O_RDONLY, 0, 0, 32));
  close(fd);
  {
    unsigned char buf[40] = {0};
    buf[32] = 1;
    T("nonzero tail", syscall(SYS_openat2, d, "in/file", buf, 40));
  }
  T("size > page", openat2_(d, "in/file", O_RDONLY, 0, 0, 8192));
  T("unknown flag", openat2_(d, "in/file", O_RDONLY | (1u << 30), 0, 0, 24));
  T("mode without O_CREAT", openat2_(d, "in/file", O_RDONLY, 0644, 0, 24));
  T("bad mode bits", openat2_(d, "new", O_RDWR | O_CREAT, 010000, 0, 24));
  fd = FD("O_CREAT with mode", openat2_(d, "new", O_RDWR | O_CREAT, 0600, 0, 24));
  close(fd);
  show_mode("o2/new", "o2/new", 0);
  T("unknown resolve", openat2_(d, "in/file", O_RDONLY, 0, 0x40, 24));
  T("BENEATH|IN_ROOT", openat2_(d, "in/file", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT, 24));
  T("O_PATH|O_RDWR", openat2_(d, "in/file", O_PATH | O_RDWR, 0, 0, 24));
  T("CACHED with O_CREAT", openat2_(d, "new2", O_RDWR | O_CREAT, 0600, RESOLVE_CACHED, 24));
  fd = FD("BENEATH inside", openat2_(d, "in/../in/file", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  close(fd);
  T("BENEATH ..", openat2_(d, "../outside", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  T("BENEATH absolute", openat2_(d, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  T("BENEATH symlink out", openat2_(d, "up", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  T("BENEATH absolute symlink", openat2_(d, "abs", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  fd = FD("BENEATH relative symlink", openat2_(d, "rel", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  close(fd);
  T("NO_SYMLINKS through link", openat2_(d, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, 24));
  fd = FD("NO_SYMLINKS plain", openat2_(d, "in/file", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, 24));
  close(fd);
  fd = FD("NO_SYMLINKS O_PATH|O_NOFOLLOW link", openat2_(d, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS, 24));
  close(fd);
  fd = FD("IN_ROOT absolute", openat2_(d, "/in/file", O_RDONLY, 0, RESOLVE_IN_ROOT, 24));
  char buf[32] = {0};
  if (fd >= 0) {
    read(fd, buf, sizeof buf - 1);
    printf("read %s\n", buf);
    close(fd);
  }
  fd = FD("IN_ROOT ../..", openat2_(d, "../../in/file", O_RDONLY, 0, RESOLVE_IN_ROOT, 24));
  close(fd);
  T("IN_ROOT symlink out stays in", openat2_(d, "up", O_RDONLY, 0, RESOLVE_IN_ROOT, 24));
  fd = FD("NO_XDEV", openat2_(d, "in/file", O_RDONLY, 0, RESOLVE_NO_XDEV, 24));
  close(fd);
  T("missing", openat2_(d, "in/nope", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  T("BENEATH through file", openat2_(d, "in/file/x", O_RDONLY, 0, RESOLVE_BENEATH, 24));
  close(d);
}

static void test_sizes(void) {
  printf("-- truncate/fallocate/sync/statfs\n");
  put("t1", "0123456789abcdef");
  T("truncate", truncate("t1", 4));
  show_file("t1", "t1");
  T("truncate grow", truncate("t1", 6));
  show_file("t1", "t1");
  T("truncate negative", truncate("t1", -1));
  T("truncate dir", truncate(".", 0));
  T("truncate missing", truncate("nope", 0));
  int ro = open("t1", O_RDONLY);
  int rw = open("t1", O_RDWR);
  T("ftruncate read-only fd", ftruncate(ro, 0));
  T("ftruncate", ftruncate(rw, 2));
  printf("size %ld\n", fsize(rw));
  T("ftruncate negative", ftruncate(rw, -5));
  T("ftruncate bad fd", ftruncate(99, 0));
  int dfd = open(".", O_RDONLY);
  T("ftruncate dir", ftruncate(dfd, 0));
  int ap = open("t1", O_WRONLY | O_APPEND);
  T("ftruncate O_APPEND fd", ftruncate(ap, 3));
  T("fallocate O_APPEND fd", fallocate(ap, 0, 0, 2));
  close(ap);

  T("fallocate 0", fallocate(rw, 0, 0, 100));
  printf("size %ld\n", fsize(rw));
  T("fallocate inside", fallocate(rw, 0, 10, 10));
  printf("size %ld\n", fsize(rw));
  T("fallocate KEEP_SIZE", fallocate(rw, FALLOC_FL_KEEP_SIZE, 0, 500));
  printf("size %ld\n", fsize(rw));
  T("fallocate len 0", fallocate(rw, 0, 0, 0));
  T("fallocate offset < 0", fallocate(rw, 0, -1, 10));
  T("fallocate bad mode", fallocate(rw, 0x100, 0, 10));
  T("fallocate PUNCH without KEEP", fallocate(rw, FALLOC_FL_PUNCH_HOLE, 0, 10));
  T("fallocate read-only fd", fallocate(ro, 0, 0, 10));
  T("fallocate dir", fallocate(dfd, 0, 0, 10));
  ftruncate(rw, 0);
  pwrite(rw, "abcdefghij", 10, 0);
  T("fallocate PUNCH_HOLE", fallocate(rw, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
  show_file("punched", "t1");
  T("fallocate ZERO_RANGE", fallocate(rw, FALLOC_FL_ZERO_RANGE, 8, 4));
  show_file("zeroed", "t1");
  printf("size %ld\n", fsize(rw));
  T("fallocate ZERO_RANGE|KEEP past end", fallocate(rw, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 10, 10));
  printf("size %ld\n", fsize(rw));

  T("fsync", fsync(rw));
  T("fdatasync", fdatasync(rw));
  T("fsync read-only fd", fsync(ro));
  T("fsync bad fd", fsync(99));
  sync();
  printf("sync done\n");
  T("syncfs", syncfs(rw));
  T("syncfs bad fd", syncfs(99));

  struct statfs a, b;
  T("statfs", statfs(".", &a));
  T("fstatfs", fstatfs(rw, &b));
  printf("same type %d bsize %d namelen %ld frsize==bsize %d blocks>0 %d\n", a.f_type == b.f_type,
         a.f_bsize == b.f_bsize, (long)a.f_namelen, a.f_frsize == a.f_bsize, a.f_blocks > 0);
  T("statfs missing", statfs("nope", &a));
  T("statfs bad pointer", statfs(".", (struct statfs *)8));
  T("fstatfs bad fd", fstatfs(99, &a));
  int pfd = open("t1", O_PATH);
  T("fstatfs O_PATH", fstatfs(pfd, &b));
  close(pfd);
  printf("umask(077) -> %o\n", umask(077));
  printf("umask(022) -> %o\n", umask(022));
  close(ro), close(rw), close(dfd);
}

static void show_lock(const char *label, int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0};
  errno = 0;
  if (fcntl(fd, cmd, &fl) < 0) {
    printf("%s = -1 %s\n", label, ename(errno));
    return;
  }
  const char *t = fl.l_type == F_RDLCK ? "RD" : fl.l_type == F_WRLCK ? "WR" : fl.l_type == F_UNLCK ? "UN" : "?";
  if (fl.l_type == F_UNLCK) printf("%s: UN\n", label);
  else
    printf("%s: %s start=%lld len=%lld pid=%s\n", label, t, (long long)fl.l_start, (long long)fl.l_len,
           fl.l_pid == getpid() ? "self" : fl.l_pid == -1 ? "-1" : "other");
}

static long setlk(int fd, int cmd, short type, short whence, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len, .l_pid = 0};
  return fcntl(fd, cmd, &fl);
}

static void test_locks(void) {
  printf("-- flock/fcntl locks\n");
  put("lk", "0123456789");
  int a = open("lk", O_RDWR), b = open("lk", O_RDWR), c = open("lk", O_RDONLY);
  T("flock a EX", flock(a, LOCK_EX));
  T("flock b SH|NB", flock(b, LOCK_SH | LOCK_NB));
  int a2 = dup(a);
  T("flock dup of a EX", flock(a2, LOCK_EX | LOCK_NB));
  T("flock a UN", flock(a, LOCK_UN));
  T("flock b SH", flock(b, LOCK_SH | LOCK_NB));
  T("flock c SH", flock(c, LOCK_SH | LOCK_NB));
  T("flock a EX|NB", flock(a, LOCK_EX | LOCK_NB));
  T("flock c convert EX|NB (drops c's SH)", flock(c, LOCK_EX | LOCK_NB));
  T("flock b convert EX|NB", flock(b, LOCK_EX | LOCK_NB));
  T("flock a SH|NB", flock(a, LOCK_SH | LOCK_NB));
  close(b);
  T("flock a SH after b closed", flock(a, LOCK_SH | LOCK_NB));
  T("flock bad op", flock(a, 0));
  T("flock bad op 3", flock(a, LOCK_SH | LOCK_EX));
  T("flock bad fd", flock(99, LOCK_SH));
  int pfd = open("lk", O_PATH);
  T("flock O_PATH", flock(pfd, LOCK_SH));
  flock(a, LOCK_UN);
  close(a2);

  b = open("lk", O_RDWR);
  int wo = open("lk", O_WRONLY);
  T("F_SETLK WR 0..10", setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  show_lock("F_GETLK from b (same process)", b, F_GETLK, F_WRLCK, 0, 5);
  show_lock("F_OFD_GETLK from b", b, F_OFD_GETLK, F_WRLCK, 0, 5);
  T("F_OFD_SETLK b WR 0..10", setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  T("F_OFD_SETLK b RD 20..30", setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 20, 10));
  show_lock("F_OFD_GETLK c WR 25", c, F_OFD_GETLK, F_WRLCK, 25, 1);
  show_lock("F_OFD_GETLK c RD 25", c, F_OFD_GETLK, F_RDLCK, 25, 1);
  show_lock("F_GETLK a WR 0..", a, F_GETLK, F_WRLCK, 0, 0);
  T("F_SETLK a WR 25 conflicts with OFD", setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 25, 1));
  T("F_OFD_SETLK b UN", setlk(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  T("F_SETLK RD on write-only", setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
  T("F_SETLK WR on read-only", setlk(c, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  T("F_SETLK bad whence", setlk(a, F_SETLK, F_WRLCK, 7, 0, 1));
  T("F_SETLK bad type", setlk(a, F_SETLK, 9, SEEK_SET, 0, 1));
  T("F_SETLK negative start", setlk(a, F_SETLK, F_WRLCK, SEEK_SET, -5, 1));
  show_lock("F_GETLK type UN", a, F_GETLK, F_UNLCK, 0, 1);
  {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5};
    T("F_OFD_SETLK l_pid != 0", fcntl(b, F_OFD_SETLK, &fl));
  }
  T("F_SETLK O_PATH", setlk(pfd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
  T("F_SETLK a UN all", setlk(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

  /* Split and merge: b's OFD lock WR 0..100, then unlock 40..60. */
  T("F_OFD_SETLK b WR 0..100", setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 100));
  T("F_OFD_SETLK b UN 40..60", setlk(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 40, 20));
  show_lock("query 0..100", c, F_OFD_GETLK, F_RDLCK, 0, 100);
  show_lock("query 45..50", c, F_OFD_GETLK, F_RDLCK, 45, 5);
  show_lock("query 50..", c, F_OFD_GETLK, F_RDLCK, 50, 0);
  T("F_OFD_SETLK b RD 10..20 (downgrade part)", setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 10, 10));
  show_lock("query WR 0..40", c, F_OFD_GETLK, F_WRLCK, 0, 40);
  show_lock("query RD 10..20", c, F_OFD_GETLK, F_RDLCK, 10, 10);
  show_lock("query WR 10..20", c, F_OFD_GETLK, F_WRLCK, 10, 10);
  T("negative len: a SETLK WR [5,10)", setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 10, -5));
  T("F_OFD_SETLK b UN all", setlk(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  show_lock("query WR 0..", c, F_OFD_GETLK, F_WRLCK, 0, 0);
  lseek(a, 3, SEEK_SET);
  T("SEEK_CUR lock", setlk(a, F_SETLK, F_WRLCK, SEEK_CUR, 50, 2));
  T("SEEK_END lock", setlk(a, F_SETLK, F_RDLCK, SEEK_END, 0, 0));
  show_lock("query WR 40..", c, F_OFD_GETLK, F_WRLCK, 40, 0);
  /* Closing any fd of the file drops the process's POSIX locks. */
  int other = open("lk", O_RDONLY);
  close(other);
  show_lock("after close of another fd", c, F_OFD_GETLK, F_WRLCK, 0, 0);
  /* OFD locks go with their last fd. */
  T("F_OFD_SETLK b WR", setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0));
  int b2 = dup(b);
  close(b);
  show_lock("OFD lock kept by dup", c, F_OFD_GETLK, F_WRLCK, 0, 0);
  close(b2);
  show_lock("OFD lock gone with last fd", c, F_OFD_GETLK, F_WRLCK, 0, 0);
  close(a), close(c), close(wo), close(pfd);
}

static void test_fcntl_dup(void) {
  printf("-- fcntl/dup/close_range\n");
  int fd = open("f1", O_RDONLY);
  T("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
  T("F_GETFD 20", fcntl(20, F_GETFD));
  T("F_DUPFD_CLOEXEC 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
  T("F_GETFD 30", fcntl(30, F_GETFD));
  T("F_DUPFD 20 again", fcntl(fd, F_DUPFD, 20));
  T("F_SETFD 20", fcntl(20, F_SETFD, FD_CLOEXEC));
  T("F_GETFD 20", fcntl(20, F_GETFD));
  T("F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
  T("F_DUPFD huge", fcntl(fd, F_DUPFD, 1 << 30));
  T("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK | O_RDWR));
  printf("F_GETFL %o\n", fcntl(fd, F_GETFL) & ~LARGEFILE_BIT);
  T("bad cmd", fcntl(fd, 9999));
  T("F_GETFD bad fd", fcntl(99, F_GETFD));
  T("dup bad fd", dup(99));
  T("dup3 same", dup3(fd, fd, 0));
  T("dup3 bad flags", dup3(fd, 40, 1));
  T("dup3 O_CLOEXEC", dup3(fd, 40, O_CLOEXEC));
  T("F_GETFD 40", fcntl(40, F_GETFD));
  T("dup2 onto 41", dup2(fd, 41));
  T("F_GETFD 41", fcntl(41, F_GETFD));
  T("dup3 bad newfd", dup3(fd, -1, 0));
  for (int i = 42; i <= 45; i++) dup2(fd, i);
  T("close_range 40..42", syscall(436, 40, 42, 0));
  T("F_GETFD 41 after", fcntl(41, F_GETFD));
  T("close_range CLOEXEC 43..45", syscall(436, 43, 45, 4));
  T("F_GETFD 44", fcntl(44, F_GETFD));
  T("close_range first > last", syscall(436, 45, 43, 0));
  T("close_range bad flags", syscall(436, 43, 45, 1));
  T("close_range UNSHARE 43..~0", syscall(436, 43, ~0u, 2));
  T("F_GETFD 45 after", fcntl(45, F_GETFD));
  close(20), close(21), close(30), close(fd);
}

static void test_rw(void) {
  printf("-- lseek/pread/pwrite/readv/writev/preadv2/pwritev2\n");
  int fd = open("rw", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T("write", write(fd, "hello world", 11));
  T("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));
  T("lseek SEEK_END -5", lseek(fd, -5, SEEK_END));
  T("lseek negative", lseek(fd, -100, SEEK_SET));
  T("lseek bad whence", lseek(fd, 0, 7));
  T("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
  T("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
  T("SEEK_DATA at end", lseek(fd, 11, SEEK_DATA));
  T("SEEK_HOLE past end", lseek(fd, 20, SEEK_HOLE));
  T("lseek past end", lseek(fd, 20, SEEK_SET));
  T("lseek bad fd", lseek(99, 0, SEEK_SET));
  char buf[64] = {0};
  T("pread 6", pread(fd, buf, 5, 6));
  printf("got %.5s offset %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
  T("pread negative", pread(fd, buf, 5, -1));
  T("pread past end", pread(fd, buf, 5, 100));
  T("pwrite 0", pwrite(fd, "J", 1, 0));
  T("pwrite negative", pwrite(fd, "J", 1, -1));
  struct iovec iov[3] = {{buf, 3}, {buf + 10, 4}, {buf + 20, 100}};
  lseek(fd, 0, SEEK_SET);
  T("readv", readv(fd, iov, 3));
  printf("readv %.3s|%.4s|%.4s offset %ld\n", buf, buf + 10, buf + 20, (long)lseek(fd, 0, SEEK_CUR));
  T("readv iovcnt -1", syscall(SYS_readv, fd, iov, -1));
  T("readv iovcnt 1025", syscall(SYS_readv, fd, iov, 1025));
  struct iovec w[2] = {{"AB", 2}, {"CD", 2}};
  T("writev", writev(fd, w, 2));
  /* An empty iovec between two others: the bytes after it are written too. */
  struct iovec gap[3] = {{"ab", 2}, {"", 0}, {"cd", 2}};
  T("writev with an empty iovec between", writev(fd, gap, 3));
  T("preadv at 2", preadv(fd, iov, 2, 2));
  printf("preadv %.3s|%.4s offset %ld\n", buf, buf + 10, (long)lseek(fd, 0, SEEK_CUR));
  T("pwritev at 1", pwritev(fd, w, 2, 1));
  T("preadv2 -1 uses offset", preadv2(fd, iov, 1, -1, 0));
  printf("offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  T("preadv2 bad flags", preadv2(fd, iov, 1, 0, 0x10000));
  T("preadv negative", preadv(fd, iov, 1, -3));
  printf("size %ld\n", fsize(fd));
  close(fd);
  show_file("rw", "rw");

  int in = open("rw", O_RDONLY), out = open("sf", O_RDWR | O_CREAT | O_TRUNC, 0644);
  off_t off = 2;
  T("sendfile with offset", sendfile(out, in, &off, 5));
  printf("off %ld in offset %ld\n", (long)off, (long)lseek(in, 0, SEEK_CUR));
  T("sendfile without offset", sendfile(out, in, NULL, 3));
  printf("in offset %ld\n", (long)lseek(in, 0, SEEK_CUR));
  T("sendfile past end", sendfile(out, in, &off, 0));
  T("sendfile in not readable", sendfile(in, out, NULL, 3));
  int ap = open("sf", O_WRONLY | O_APPEND);
  T("sendfile to O_APPEND", sendfile(ap, in, NULL, 3));
  show_file("sf", "sf");

  loff_t ioff = 0, ooff = 20;
  T("copy_file_range", copy_file_range(in, &ioff, out, &ooff, 4, 0));
  printf("ioff %ld ooff %ld\n", (long)ioff, (long)ooff);
  T("copy_file_range offsets from files", copy_file_range(in, NULL, out, NULL, 2, 0));
  T("copy_file_range flags", copy_file_range(in, NULL, out, NULL, 2, 1));
  T("copy_file_range to O_APPEND", copy_file_range(in, NULL, ap, NULL, 2, 0));
  T("copy_file_range to read-only", copy_file_range(in, NULL, in, NULL, 2, 0));
  int dfd = open(".", O_RDONLY);
  T("copy_file_range from dir", copy_file_range(dfd, NULL, out, NULL, 2, 0));
  loff_t a = 0, b = 2;
  T("copy_file_range overlap", copy_file_range(out, &a, out, &b, 4, 0));
  a = 1000;
  T("copy_file_range past end", copy_file_range(in, &a, out, NULL, 4, 0));
  show_file("sf", "sf");
  close(in), close(out), close(ap), close(dfd);
}

/* qemu-aarch64 7.2 refuses every RWF_* flag of pwritev2, so these are checked against the host kernel. */
static void test_rwf(void) {
  printf("-- pwritev2 flags\n");
  int fd = open("rwf", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "0123456789", 10);
  struct iovec w[2] = {{"AB", 2}, {"CD", 2}};
  T("pwritev2 RWF_APPEND at 0", pwritev2(fd, w, 1, 0, RWF_APPEND));
  T("offset", lseek(fd, 0, SEEK_CUR));
  T("pwritev2 RWF_DSYNC at 0", pwritev2(fd, w + 1, 1, 0, RWF_DSYNC));
  T("pwritev2 RWF_SYNC at 2", pwritev2(fd, w, 1, 2, RWF_SYNC));
  T("pwritev2 RWF_APPEND at -1", pwritev2(fd, w + 1, 1, -1, RWF_APPEND));
  T("offset", lseek(fd, 0, SEEK_CUR));
  T("pwritev2 RWF_HIPRI", pwritev2(fd, w, 1, 4, RWF_HIPRI));
  T("pwritev2 bad flags", pwritev2(fd, w, 1, 4, 0x10000));
  T("preadv2 RWF_NOWAIT", preadv2(fd, w, 0, 0, RWF_NOWAIT));
  close(fd);
  show_file("rwf", "rwf");
}

static void test_stat(void) {
  printf("-- newfstatat/statx\n");
  struct stat st;
  int fd = open("f1", O_RDONLY);
  T("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH));
  printf("size %lld\n", (long long)st.st_size);
  T("fstatat empty without flag", fstatat(fd, "", &st, 0));
  T("fstatat nofollow", fstatat(AT_FDCWD, "l1", &st, AT_SYMLINK_NOFOLLOW));
  printf("is link %d\n", S_ISLNK(st.st_mode));
  T("fstatat bad flags", fstatat(AT_FDCWD, "l1", &st, 0x1));
  T("fstatat missing", fstatat(AT_FDCWD, "nope", &st, 0));
  T("fstatat through file", fstatat(AT_FDCWD, "f1/x", &st, 0));
  struct statx sx;
  T("statx", statx(AT_FDCWD, "f1", 0, STATX_BASIC_STATS, &sx));
  printf("statx size %llu mode %o nlink %u\n", (unsigned long long)sx.stx_size, sx.stx_mode, sx.stx_nlink);
  T("statx empty path", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  T("statx nofollow", statx(AT_FDCWD, "l1", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  printf("statx link %d\n", S_ISLNK(sx.stx_mode));
  T("statx reserved mask", statx(AT_FDCWD, "f1", 0, 0x80000000u, &sx));
  T("statx bad flags", statx(AT_FDCWD, "f1", 0x1, STATX_SIZE, &sx));
  close(fd);
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

#define NFILES 40
static int seen[NFILES + 1];

/* Reads one getdents64 batch; records names; returns bytes. Remembers d_off of record `mark`. */
static long batch(int fd, size_t size, int mark, int64_t *mark_off, char *after_mark, int *extra, int *count) {
  static char buf[4096];
  long n = syscall(SYS_getdents64, fd, buf, size);
  if (n <= 0) return n;
  int i = 0;
  for (long at = 0; at < n; i++) {
    struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
    (*count)++;
    if (mark_off && i == mark) *mark_off = d->d_off;
    if (after_mark && i == mark + 1) strcpy(after_mark, d->d_name);
    int k;
    if (sscanf(d->d_name, "g%d", &k) == 1 && k >= 0 && k < NFILES) seen[k]++;
    else if (strcmp(d->d_name, "new") == 0) seen[NFILES]++;
    else if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) (*extra)++;
    at += d->d_reclen;
  }
  return n;
}

static void test_getdents(void) {
  printf("-- getdents64\n");
  mkdir("gd", 0755);
  char name[32];
  for (int i = 0; i < NFILES; i++) {
    snprintf(name, sizeof name, "gd/g%02d", i);
    put(name, "");
  }
  int fd = open("gd", O_RDONLY | O_DIRECTORY);
  int extra = 0, count = 0;
  int64_t mark_off = 0;
  char after[64] = "";
  long n = batch(fd, 200, 2, &mark_off, after, &extra, &count);
  printf("first batch > 0: %d\n", n > 0);
  /* Change the directory between calls: add one, remove one seen and one not yet seen. */
  put("gd/new", "");
  int removed_seen = -1, removed_unseen = -1;
  for (int i = 0; i < NFILES; i++) {
    if (seen[i] && removed_seen < 0 && strcmp(after, (snprintf(name, sizeof name, "g%02d", i), name)) != 0) removed_seen = i;
    if (!seen[i] && removed_unseen < 0) removed_unseen = i;
  }
  snprintf(name, sizeof name, "gd/g%02d", removed_seen);
  unlink(name);
  snprintf(name, sizeof name, "gd/g%02d", removed_unseen);
  unlink(name);
  while ((n = batch(fd, 200, -1, NULL, NULL, &extra, &count)) > 0) {
  }
  printf("end = %ld\n", n);
  int dups = 0, missing = 0;
  for (int i = 0; i < NFILES; i++) {
    if (seen[i] > 1) dups++;
    if (seen[i] == 0 && i != removed_unseen) missing++;
  }
  printf("dups %d missing %d extra %d removed unseen returned %d new at most once %d\n", dups, missing, extra,
         seen[removed_unseen], seen[NFILES] <= 1);

  /* lseek back to a cookie resumes after that entry. */
  T("lseek to cookie", lseek(fd, mark_off, SEEK_SET) == mark_off);
  char buf[512];
  n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  printf("resumed at the entry after the cookie: %d\n", n > 0 && strcmp(((struct linux_dirent64 *)buf)->d_name, after) == 0);

  /* Rewind lists what is there now. */
  memset(seen, 0, sizeof seen);
  extra = count = 0;
  T("rewind", lseek(fd, 0, SEEK_SET));
  while (batch(fd, 4096, -1, NULL, NULL, &extra, &count) > 0) {
  }
  printf("after rewind: %d entries, new %d\n", count, seen[NFILES]);
  T("getdents64 tiny buffer", syscall(SYS_getdents64, fd, buf, 8) );
  lseek(fd, 0, SEEK_SET);
  T("getdents64 tiny buffer at start", syscall(SYS_getdents64, fd, buf, 8));
  T("getdents64 bad pointer", syscall(SYS_getdents64, fd, (void *)8, 512));
  close(fd);
  int f = open("f1", O_RDONLY);
  T("getdents64 on file", syscall(SYS_getdents64, f, buf, sizeof buf));
  close(f);
  T("getdents64 bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf));
}

/* fadvise64: only advice, but its errors are Linux's (sort and cp call it on every input). */
static void test_fadvise(void) {
  printf("-- fadvise64\n");
  put("adv", "advice\n");
  int fd = open("adv", O_RDONLY);
  for (int advice = 0; advice <= 5; advice++) {
    char what[32];
    snprintf(what, sizeof what, "fadvise64 advice %d", advice);
    T(what, syscall(SYS_fadvise64, fd, 0L, 0L, advice));
  }
  T("fadvise64 advice 6", syscall(SYS_fadvise64, fd, 0L, 0L, 6));
  T("fadvise64 advice -1", syscall(SYS_fadvise64, fd, 0L, 0L, -1));
  T("fadvise64 negative length", syscall(SYS_fadvise64, fd, 0L, -1L, 0));
  T("fadvise64 past the end", syscall(SYS_fadvise64, fd, 1L << 40, 10L, 2));
  T("fadvise64 bad fd", syscall(SYS_fadvise64, 999, 0L, 0L, 0));
  int p[2];
  if (pipe(p) == 0) {
    T("fadvise64 pipe", syscall(SYS_fadvise64, p[0], 0L, 0L, 0));
    close(p[0]);
    close(p[1]);
  }
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  T("fadvise64 directory", syscall(SYS_fadvise64, dir, 0L, 0L, 2));
  close(dir);
  int path = open("adv", O_PATH);
  T("fadvise64 O_PATH", syscall(SYS_fadvise64, path, 0L, 0L, 0));
  close(path);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1]) < 0) {
    fprintf(stderr, "usage: fsops SCRATCH_DIR\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  is_root = geteuid() == 0;
  umask(022);
  if (argc > 2 && strcmp(argv[2], "kernel-only") == 0) {
    /* What qemu-aarch64 7.2 cannot forward: compared with a native build on the host kernel. */
    test_openat2();
    test_rwf();
    printf("done\n");
    return 0;
  }
  test_openat();
  test_dirs();
  test_rename();
  test_links();
  test_attrs();
  test_sizes();
  test_locks();
  test_fcntl_dup();
  test_rw();
  test_stat();
  test_getdents();
  test_fadvise();
  printf("done\n");
  return 0;
}
