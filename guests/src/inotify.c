/*
 * inotify: inotify_init1, inotify_add_watch, inotify_rm_watch and reading
 * the events, case by case. Each case prints what it sees; nothing printed
 * depends on timing or on the directory's name, so elfuse's output must
 * equal the native kernel's (the same source built with gcc).
 *   inotify DIR basic | errors | read | flags | poll | signal | fork
 *   inotify DIR external   (waits for changes another program makes in
 *                           DIR/ext after creating DIR/ready)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOW(label, expr)                                                    \
  do {                                                                       \
    long r_ = (long)(expr);                                                  \
    if (r_ < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));       \
    else printf("%s = %ld\n", label, r_);                                    \
    fflush(stdout);                                                          \
  } while (0)

static char dir[PATH_MAX / 2];

static const char *at(const char *name) {
  static char buf[4][PATH_MAX];
  static int next;
  char *b = buf[next++ & 3];
  snprintf(b, PATH_MAX, "%s/%s", dir, name);
  return b;
}

static const struct {
  uint32_t bit;
  const char *name;
} BITS[] = {
    {IN_ACCESS, "ACCESS"},         {IN_MODIFY, "MODIFY"},         {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},     {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},         {IN_DELETE_SELF, "DELETE_SELF"}, {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_UNMOUNT, "UNMOUNT"},       {IN_Q_OVERFLOW, "Q_OVERFLOW"}, {IN_IGNORED, "IGNORED"},
    {IN_ISDIR, "ISDIR"},
};

/* Cookies are arbitrary numbers: show a pair by a letter of its own. */
static uint32_t cookies[16];
static int ncookies;

static char cookie_tag(uint32_t c) {
  if (c == 0) return '-';
  for (int i = 0; i < ncookies; i++)
    if (cookies[i] == c) return (char)('A' + i);
  if (ncookies < 16) cookies[ncookies++] = c;
  return (char)('A' + ncookies - 1);
}

/* Prints every event in buf[0..n). */
static void show_events(const char *label, const char *buf, long n) {
  printf("%s: %ld bytes\n", label, n);
  for (long off = 0; off < n;) {
    const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
    printf("  wd %d", ev->wd);
    for (size_t i = 0; i < sizeof BITS / sizeof BITS[0]; i++)
      if (ev->mask & BITS[i].bit) printf(" %s", BITS[i].name);
    printf(" cookie %c len %u", cookie_tag(ev->cookie), ev->len);
    if (ev->len) printf(" name \"%s\"", ev->name);
    printf("\n");
    off += (long)sizeof *ev + ev->len;
  }
  fflush(stdout);
}

static char evbuf[65536] __attribute__((aligned(8)));

/* One non-blocking read of everything queued. */
static void drain(int fd, const char *label) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  long n = read(fd, evbuf, sizeof evbuf);
  if (n < 0) printf("%s: -1 %s\n", label, strerrorname_np(errno));
  else show_events(label, evbuf, n);
  fflush(stdout);
  fcntl(fd, F_SETFL, fl);
}

static void touch(const char *path, const char *text) {
  int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (text) (void)!write(f, text, strlen(text));
  close(f);
}

static void t_basic(void) {
  int fd = inotify_init1(IN_NONBLOCK);
  SHOW("watch dir", inotify_add_watch(fd, dir, IN_ALL_EVENTS));
  touch(at("a"), "hello");
  drain(fd, "create+write");
  SHOW("rename", rename(at("a"), at("b")));
  SHOW("mkdir", mkdir(at("sub"), 0755));
  SHOW("chmod", chmod(at("b"), 0600));
  drain(fd, "rename+mkdir+chmod");
  int r = open(at("b"), O_RDONLY);
  char c[8];
  SHOW("read file", read(r, c, sizeof c));
  close(r);
  drain(fd, "open+read+close");
  SHOW("watch file", inotify_add_watch(fd, at("b"), IN_MODIFY | IN_DELETE_SELF | IN_ATTRIB));
  touch(at("b"), "x");
  SHOW("unlink", unlink(at("b")));
  SHOW("rmdir", rmdir(at("sub")));
  drain(fd, "unlink+rmdir");
  /* A long name: the record is padded to a multiple of the record size. */
  touch(at("a-name-of-some-length"), NULL);
  unlink(at("a-name-of-some-length"));
  drain(fd, "long name");
  SHOW("fionread empty", ({ int v = -1; ioctl(fd, FIONREAD, &v) < 0 ? -1 : v; }));
  touch(at("c"), NULL);
  SHOW("fionread", ({ int v = -1; ioctl(fd, FIONREAD, &v) < 0 ? -1 : v; }));
  unlink(at("c"));
  drain(fd, "c");
  close(fd);
}

static void t_errors(void) {
  int fd = inotify_init1(0);
  int p[2];
  (void)!pipe(p);
  SHOW("bad flags", inotify_init1(IN_ACCESS));
  SHOW("mask 0", inotify_add_watch(fd, dir, 0));
  SHOW("mask 0 bad fd", inotify_add_watch(-1, dir, 0));
  SHOW("add+create", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE));
  SHOW("bad fd", inotify_add_watch(99, dir, IN_CREATE));
  SHOW("pipe fd", inotify_add_watch(p[0], dir, IN_CREATE));
  SHOW("missing", inotify_add_watch(fd, at("missing"), IN_CREATE));
  SHOW("bad pointer", inotify_add_watch(fd, (const char *)8, IN_CREATE));
  touch(at("f"), NULL);
  SHOW("onlydir on file", inotify_add_watch(fd, at("f"), IN_CREATE | IN_ONLYDIR));
  SHOW("onlydir on dir", inotify_add_watch(fd, dir, IN_CREATE | IN_ONLYDIR));
  SHOW("again same wd", inotify_add_watch(fd, dir, IN_DELETE));
  SHOW("dot slash same wd", inotify_add_watch(fd, at("."), IN_DELETE));
  SHOW("mask create exists", inotify_add_watch(fd, dir, IN_DELETE | IN_MASK_CREATE));
  SHOW("rm bad wd", inotify_rm_watch(fd, 77));
  SHOW("rm pipe", inotify_rm_watch(p[0], 1));
  SHOW("rm bad fd", inotify_rm_watch(99, 1));
  SHOW("file wd", inotify_add_watch(fd, at("f"), IN_MODIFY));
  SHOW("rm file wd", inotify_rm_watch(fd, 2));
  SHOW("rm again", inotify_rm_watch(fd, 2));
  SHOW("lseek", lseek(fd, 0, SEEK_SET));
  SHOW("write", write(fd, "x", 1));
  unlink(at("f"));
  drain(fd, "events");
  close(fd);
  close(p[0]);
  close(p[1]);
}

static void t_read(void) {
  int fd = inotify_init1(IN_NONBLOCK);
  SHOW("empty", read(fd, evbuf, sizeof evbuf));
  SHOW("watch", inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE));
  touch(at("name1"), NULL);
  touch(at("name2"), NULL);
  SHOW("zero buffer", read(fd, evbuf, 0));
  SHOW("too small", read(fd, evbuf, sizeof(struct inotify_event)));
  SHOW("header+1", read(fd, evbuf, sizeof(struct inotify_event) + 1));
  /* A buffer for one record reads exactly one. */
  long one = read(fd, evbuf, sizeof(struct inotify_event) + 16);
  show_events("one", evbuf, one);
  drain(fd, "rest");
  SHOW("fcntl getfl", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  SHOW("cloexec", fcntl(fd, F_GETFD));
  int fd2 = inotify_init1(IN_CLOEXEC);
  SHOW("cloexec2", fcntl(fd2, F_GETFD));
  SHOW("getfl2", fcntl(fd2, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  char link[64], target[64] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd2);
  SHOW("readlink", readlink(link, target, sizeof target - 1));
  printf("target %s\n", target);
  struct stat st;
  SHOW("fstat", fstat(fd2, &st));
  printf("S_IFMT %o\n", st.st_mode & S_IFMT);
  close(fd2);
  unlink(at("name1"));
  unlink(at("name2"));
  close(fd);
}

static void t_flags(void) {
  int fd = inotify_init1(IN_NONBLOCK);
  touch(at("t"), NULL);
  SHOW("symlink", symlink("t", at("l")));
  SHOW("follow", inotify_add_watch(fd, at("l"), IN_ATTRIB));
  SHOW("dont follow", inotify_add_watch(fd, at("l"), IN_ATTRIB | IN_DONT_FOLLOW));
  SHOW("touch target", chmod(at("t"), 0600));
  drain(fd, "attrib on target");
  /* IN_MASK_ADD: the mask grows; without it, it is replaced. */
  SHOW("modify only", inotify_add_watch(fd, at("t"), IN_MODIFY));
  SHOW("mask add attrib", inotify_add_watch(fd, at("t"), IN_ATTRIB | IN_MASK_ADD));
  touch(at("t"), "1");
  chmod(at("t"), 0644);
  drain(fd, "modify+attrib");
  SHOW("replace with attrib", inotify_add_watch(fd, at("t"), IN_ATTRIB));
  touch(at("t"), "2");
  chmod(at("t"), 0600);
  drain(fd, "attrib only");
  /* IN_ONESHOT: one event, then the watch goes (IN_IGNORED). */
  SHOW("oneshot", inotify_add_watch(fd, dir, IN_CREATE | IN_ONESHOT));
  touch(at("o1"), NULL);
  touch(at("o2"), NULL);
  drain(fd, "oneshot");
  /* IN_EXCL_UNLINK: no events for a child that was unlinked while open. */
  int w = inotify_add_watch(fd, dir, IN_MODIFY);
  int f = open(at("o1"), O_WRONLY);
  unlink(at("o1"));
  (void)!write(f, "x", 1);
  drain(fd, "unlinked child, no excl");
  SHOW("excl unlink", inotify_add_watch(fd, dir, IN_MODIFY | IN_EXCL_UNLINK) == w);
  int g = open(at("o2"), O_WRONLY);
  unlink(at("o2"));
  (void)!write(f, "y", 1);
  (void)!write(g, "y", 1);
  drain(fd, "unlinked child, excl");
  close(f);
  close(g);
  /* inotify_rm_watch: IN_IGNORED for the removed watch. */
  SHOW("rm", inotify_rm_watch(fd, w));
  drain(fd, "after rm");
  unlink(at("l"));
  unlink(at("t"));
  drain(fd, "end");
  close(fd);
}

static void t_poll(void) {
  int fd = inotify_init1(IN_NONBLOCK);
  inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE);
  struct pollfd p = {fd, POLLIN, 0};
  SHOW("poll empty", poll(&p, 1, 0));
  touch(at("p"), NULL);
  SHOW("poll ready", poll(&p, 1, 1000));
  printf("revents %#x\n", p.revents);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7}, out[2];
  SHOW("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
  SHOW("epoll wait", epoll_wait(ep, out, 2, 1000));
  printf("events %#x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
  SHOW("epoll again (edge)", epoll_wait(ep, out, 2, 0));
  drain(fd, "drained");
  SHOW("epoll drained", epoll_wait(ep, out, 2, 0));
  unlink(at("p"));
  SHOW("epoll new event", epoll_wait(ep, out, 2, 1000));
  drain(fd, "unlink");
  /* A blocking read that waits for another process's change. */
  int b = inotify_init1(0);
  inotify_add_watch(b, dir, IN_CREATE);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    touch(at("from-child"), NULL);
    _exit(0);
  }
  long n = read(b, evbuf, sizeof evbuf);
  show_events("blocking read", evbuf, n);
  waitpid(pid, NULL, 0);
  unlink(at("from-child"));
  close(b);
  close(ep);
  close(fd);
}

static volatile sig_atomic_t caught, create;
static char handler_path[PATH_MAX];
static void on_alarm(int sig) {
  (void)sig;
  caught++;
  if (create) close(open(handler_path, O_WRONLY | O_CREAT, 0644));
}

/* A timer that fires every 50 ms until stopped, so one lands inside the read however slow the start. */
static void timer(int on) {
  struct itimerval it = {{0, on ? 50000 : 0}, {0, on ? 50000 : 0}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static void t_signal(void) {
  int fd = inotify_init1(0);
  inotify_add_watch(fd, dir, IN_CREATE);
  snprintf(handler_path, sizeof handler_path, "%s", at("from-handler"));
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  timer(1);
  SHOW("read interrupted", read(fd, evbuf, sizeof evbuf));
  timer(0);
  printf("caught %d\n", caught > 0);
  /* SA_RESTART: the read starts again and sees what the handler created. */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  caught = 0;
  create = 1;
  timer(1);
  long n = read(fd, evbuf, sizeof evbuf);
  timer(0);
  printf("caught %d\n", caught > 0);
  show_events("restarted read", evbuf, n);
  unlink(at("from-handler"));
  close(fd);
}

static void t_fork(void) {
  /* The child shares the instance: what one reads the other does not see. */
  int fd = inotify_init1(IN_NONBLOCK);
  inotify_add_watch(fd, dir, IN_CREATE);
  touch(at("k1"), NULL);
  pid_t pid = fork();
  if (pid == 0) {
    drain(fd, "child");
    touch(at("k2"), NULL);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  drain(fd, "parent");
  unlink(at("k1"));
  unlink(at("k2"));
  close(fd);
}

static void t_external(void) {
  char ext[PATH_MAX];
  snprintf(ext, sizeof ext, "%s/ext", dir);
  int fd = inotify_init1(0);
  SHOW("watch", inotify_add_watch(fd, ext, IN_CREATE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE));
  touch(at("ready"), NULL);
  /* The other program: creates new.txt, appends to it, renames it to moved.txt, deletes it. */
  char all[65536];
  long len = 0;
  for (;;) {
    long n = read(fd, all + len, sizeof all - len);
    if (n <= 0) break;
    long end = len + n;
    int done = 0;
    for (long off = len; off < end;) {
      const struct inotify_event *ev = (const struct inotify_event *)(all + off);
      if ((ev->mask & IN_DELETE) && ev->len && !strcmp(ev->name, "moved.txt")) done = 1;
      off += (long)sizeof *ev + ev->len;
    }
    len = end;
    if (done) break;
  }
  /* How many MODIFY events a write makes is the writer's business: show them once. */
  long out = 0;
  uint32_t last = 0;
  char compact[65536];
  for (long off = 0; off < len;) {
    const struct inotify_event *ev = (const struct inotify_event *)(all + off);
    long sz = (long)sizeof *ev + ev->len;
    if (!(ev->mask == IN_MODIFY && last == IN_MODIFY)) {
      memcpy(compact + out, ev, sz);
      out += sz;
    }
    last = ev->mask;
    off += sz;
  }
  show_events("external", compact, out);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: inotify DIR basic|errors|read|flags|poll|signal|fork|external\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  const char *what = argv[2];
  if (!strcmp(what, "basic")) t_basic();
  else if (!strcmp(what, "errors")) t_errors();
  else if (!strcmp(what, "read")) t_read();
  else if (!strcmp(what, "flags")) t_flags();
  else if (!strcmp(what, "poll")) t_poll();
  else if (!strcmp(what, "signal")) t_signal();
  else if (!strcmp(what, "fork")) t_fork();
  else if (!strcmp(what, "external")) t_external();
  else {
    fprintf(stderr, "inotify: unknown case %s\n", what);
    return 2;
  }
  return 0;
}
