/*
 * pty: pseudo-terminals through /dev/ptmx and /dev/pts, case by case.
 * Nothing printed depends on the pty's number, on pids or on timing, so
 * elfuse's output must equal the native kernel's (the same source built
 * with gcc).
 *   pty master | io | peer | script
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SHOW(label, expr)                                                    \
  do {                                                                       \
    long r_ = (long)(expr);                                                  \
    if (r_ < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));       \
    else printf("%s = %ld\n", label, r_);                                    \
    fflush(stdout);                                                          \
  } while (0)

/* Prints bytes with C escapes. */
static void show_bytes(const char *label, const char *buf, long n) {
  printf("%s: %ld \"", label, n);
  for (long i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\n') printf("\\n");
    else if (c == '\r') printf("\\r");
    else if (c < 32 || c > 126) printf("\\x%02x", c);
    else putchar(c);
  }
  printf("\"\n");
  fflush(stdout);
}

/* Whether `name` is /dev/pts/N for the master's N. */
static int names_master(const char *name, int master) {
  unsigned n = 0;
  char want[64];
  if (ioctl(master, TIOCGPTN, &n) != 0) return 0;
  snprintf(want, sizeof want, "/dev/pts/%u", n);
  return name && !strcmp(name, want);
}

/*
 * Reads until `want` bytes came (the line discipline passes them on from a
 * work queue, so they may come late under load), or, with want 0, what
 * comes within 200 ms.
 */
static long read_upto(int fd, char *buf, long want, long size) {
  long got = 0;
  struct pollfd p = {fd, POLLIN, 0};
  while (got < size && (want == 0 || got < want) && poll(&p, 1, want == 0 ? 200 : 10000) > 0) {
    long n = read(fd, buf + got, size - got);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

static void t_master(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  SHOW("posix_openpt ok", m >= 0);
  SHOW("isatty master", isatty(m));
  int locked = -1;
  SHOW("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &locked));
  printf("locked %d\n", locked);
  const char *name = ptsname(m);
  SHOW("ptsname names TIOCGPTN", names_master(name, m));
  SHOW("open locked slave", open(name, O_RDWR | O_NOCTTY));
  SHOW("grantpt", grantpt(m));
  SHOW("unlockpt", unlockpt(m));
  SHOW("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &locked));
  printf("locked %d\n", locked);
  int s = open(name, O_RDWR | O_NOCTTY);
  SHOW("open slave ok", s >= 0);
  SHOW("isatty slave", isatty(s));
  struct stat st;
  SHOW("fstat slave", fstat(s, &st));
  printf("chr %d major %u\n", S_ISCHR(st.st_mode), major(st.st_rdev));
  SHOW("stat by name", stat(name, &st));
  printf("chr %d major %u\n", S_ISCHR(st.st_mode), major(st.st_rdev));
  SHOW("ttyname is ptsname", ttyname(s) && !strcmp(ttyname(s), name));
  char link[64], target[64] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", m);
  SHOW("readlink master", readlink(link, target, sizeof target - 1));
  printf("master link %s\n", target);
  unsigned n;
  SHOW("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &n));
  int p[2];
  (void)!pipe(p);
  SHOW("ptsname on pipe", ptsname(p[0]) ? 0 : -1);
  SHOW("TIOCGPTPEER odd flags ok", ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_DIRECTORY) >= 0);
  SHOW("TIOCSCTTY not leader", ioctl(s, TIOCSCTTY, 0));
  struct stat dir;
  SHOW("stat /dev/pts", stat("/dev/pts", &dir));
  printf("dir %d\n", S_ISDIR(dir.st_mode));
  SHOW("stat /dev/ptmx", stat("/dev/ptmx", &st));
  printf("chr %d major %u minor %u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  close(p[0]);
  close(p[1]);
  close(s);
  close(m);
}

static void t_io(void) {
  int m, s;
  char buf[256];
  struct winsize ws = {24, 80, 0, 0};
  SHOW("openpty", openpty(&m, &s, NULL, NULL, &ws));
  SHOW("names", names_master(ttyname(s), m));
  struct termios t;
  SHOW("tcgetattr slave", tcgetattr(s, &t));
  printf("ICANON %d ECHO %d ISIG %d ONLCR %d ICRNL %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO),
         !!(t.c_lflag & ISIG), !!(t.c_oflag & ONLCR), !!(t.c_iflag & ICRNL));
  struct winsize got = {0};
  SHOW("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &got));
  printf("rows %d cols %d\n", got.ws_row, got.ws_col);
  ws.ws_row = 40;
  ws.ws_col = 100;
  SHOW("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
  SHOW("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &got));
  printf("rows %d cols %d\n", got.ws_row, got.ws_col);
  /* Canonical input: the master's bytes are echoed back to it, the slave reads the line. */
  SHOW("write master", write(m, "hi there\r", 9));
  show_bytes("echo on master", buf, read_upto(m, buf, 10, sizeof buf));
  show_bytes("slave reads", buf, read(s, buf, sizeof buf));
  /* Output processing: \n becomes \r\n. */
  SHOW("write slave", write(s, "one\ntwo\n", 8));
  show_bytes("master reads", buf, read_upto(m, buf, 10, sizeof buf));
  int avail = -1;
  SHOW("write slave", write(s, "xyz", 3));
  for (int i = 0; i < 1000 && (ioctl(m, FIONREAD, &avail) != 0 || avail < 3); i++) usleep(10000);
  SHOW("FIONREAD master", ioctl(m, FIONREAD, &avail) == 0 ? avail : -1);
  show_bytes("master reads", buf, read_upto(m, buf, 3, sizeof buf));
  /* Erase and kill characters are the line discipline's. */
  SHOW("write master", write(m, "abd\x7f" "c\n", 6));
  show_bytes("echo edited", buf, read_upto(m, buf, 9, sizeof buf));
  show_bytes("slave reads edited", buf, read(s, buf, sizeof buf));
  /* Raw mode: no echo, bytes as they come. */
  cfmakeraw(&t);
  SHOW("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
  SHOW("write master", write(m, "\x03raw\n", 5));
  show_bytes("slave reads raw", buf, read_upto(s, buf, 5, sizeof buf));
  show_bytes("no echo", buf, read_upto(m, buf, 0, sizeof buf));
  SHOW("tcgetattr master", tcgetattr(m, &t));
  printf("ICANON %d ECHO %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO));
  /* Nothing to read: a non-blocking master says EAGAIN. */
  fcntl(m, F_SETFL, O_NONBLOCK);
  SHOW("read empty master", read(m, buf, sizeof buf));
  fcntl(m, F_SETFL, 0);
  /* Every slave closed: the master reads EIO and polls as hung up. */
  close(s);
  struct pollfd p = {m, POLLIN, 0};
  SHOW("poll hung up", poll(&p, 1, 1000));
  printf("revents POLLHUP %d\n", !!(p.revents & POLLHUP));
  SHOW("read master", read(m, buf, sizeof buf));
  close(m);
}

static void t_peer(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  unlockpt(m);
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  SHOW("TIOCGPTPEER ok", s >= 0);
  SHOW("cloexec", fcntl(s, F_GETFD));
  SHOW("accmode", fcntl(s, F_GETFL) & O_ACCMODE);
  SHOW("ttyname names", names_master(ttyname(s), m));
  char link[64], target[64] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", s);
  SHOW("link names", readlink(link, target, sizeof target - 1) > 0 && names_master(target, m));
  char buf[64];
  SHOW("write peer", write(s, "peer\n", 5));
  show_bytes("master reads", buf, read_upto(m, buf, 6, sizeof buf));
  int ro = ioctl(m, TIOCGPTPEER, O_RDONLY | O_NONBLOCK);
  SHOW("read-only peer flags", fcntl(ro, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  SHOW("read empty peer", read(ro, buf, sizeof buf));
  SHOW("write read-only peer", write(ro, "x", 1));
  close(ro);
  close(s);
  close(m);
}

/* The `script` pattern: a child in a new session with the slave as its controlling terminal. */
static void t_script(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(m);
  unlockpt(m);
  char name[64];
  snprintf(name, sizeof name, "%s", ptsname(m));
  pid_t pid = fork();
  if (pid == 0) {
    close(m);
    int s = open(name, O_RDWR | O_NOCTTY);
    int before = ioctl(s, TIOCSCTTY, 0);
    int e = errno;
    setsid();
    int after = ioctl(s, TIOCSCTTY, 0);
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    if (s > 2) close(s);
    printf("TIOCSCTTY before setsid %d %s, after %d\n", before, before < 0 ? strerrorname_np(e) : "", after);
    printf("sid is pid %d, foreground is pid %d\n", getsid(0) == getpid(), tcgetpgrp(0) == getpid());
    printf("ttyname(0) is the slave %d\n", ttyname(0) && !strcmp(ttyname(0), name));
    int t = open("/dev/tty", O_RDWR);
    printf("/dev/tty opens %d\n", t >= 0);
    if (t >= 0) {
      (void)!write(t, "via /dev/tty\n", 13);
      close(t);
    }
    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (fgets(line, sizeof line, stdin)) printf("got: %s", line);
    fflush(stdout);
    _exit(3);
  }
  /* The parent is the terminal's user: it answers once the child is ready, then reads until EIO. */
  char all[4096];
  long len = 0;
  for (;;) {
    long n = read(m, all + len, sizeof all - len - 1);
    if (n <= 0) break;
    len += n;
    all[len] = 0;
    if (strstr(all, "ready\r\n")) break;
  }
  SHOW("write input", write(m, "input line\n", 11));
  for (;;) {
    long n = read(m, all + len, sizeof all - len - 1);
    if (n < 0) {
      printf("master read ends: %s\n", strerrorname_np(errno));
      break;
    }
    if (n == 0) {
      printf("master read ends: 0\n");
      break;
    }
    len += n;
  }
  show_bytes("transcript", all, len);
  int st;
  waitpid(pid, &st, 0);
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
  close(m);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pty master|io|peer|script\n");
    return 2;
  }
  signal(SIGHUP, SIG_IGN);
  const char *what = argv[1];
  if (!strcmp(what, "master")) t_master();
  else if (!strcmp(what, "io")) t_io();
  else if (!strcmp(what, "peer")) t_peer();
  else if (!strcmp(what, "script")) t_script();
  else {
    fprintf(stderr, "pty: unknown case %s\n", what);
    return 2;
  }
  return 0;
}
