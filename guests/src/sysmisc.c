/*
 * sysmisc: small calls real programs make, for test/e2e/sysmisc.test.ts,
 * compared with the same source built natively and run on this machine's
 * kernel: memfd_create (I/O, mmap, fork, its /proc/self/fd name, the
 * flag and name checks), personality, the scheduling-policy calls, the
 * mlock family and sync_file_range. Prints results, never addresses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long r) {
  static char buf[64];
  if (r >= 0) snprintf(buf, sizeof buf, "%ld", r);
  else snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
  return buf;
}

static void memfd(void) {
  int fd = memfd_create("demo", MFD_CLOEXEC);
  printf("memfd_create: %s, close-on-exec %d\n", fd >= 0 ? "ok" : res(fd), (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  printf("write: %s\n", res(write(fd, "hello", 5)));
  lseek(fd, 0, SEEK_SET);
  char buf[32] = {0};
  printf("read back: %s [%s]\n", res(read(fd, buf, sizeof buf - 1)), buf);
  struct stat st;
  fstat(fd, &st);
  printf("fstat: regular %d, size %lld, links %lu\n", S_ISREG(st.st_mode), (long long)st.st_size, (unsigned long)st.st_nlink);
  printf("ftruncate 8192: %s\n", res(ftruncate(fd, 8192)));
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    printf("mmap: failed\n");
    return;
  }
  strcpy(m + 100, "through the mapping");
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 19, 100);
  printf("pread sees the mapping's write: [%s]\n", buf);
  char link[64], path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  printf("/proc/self/fd: %s\n", link);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    pwrite(fd, "child", 5, 200);
    _exit(0);
  }
  waitpid(p, NULL, 0);
  printf("the child's write, in the parent's mapping: [%.5s]\n", m + 200);
  munmap(m, 8192);
  close(fd);
  errno = 0;
  printf("unknown flag: %s\n", res(memfd_create("x", 0x100)));
  char name[300];
  memset(name, 'a', sizeof name);
  name[250] = 0;
  printf("name of 250 bytes: %s\n", res(memfd_create(name, 0)));
  name[249] = 0;
  fd = memfd_create(name, 0);
  printf("name of 249 bytes: %s\n", fd >= 0 ? "ok" : res(fd));
  close(fd);
}

static void persona(void) {
  int first = personality(0xffffffff);
  printf("personality query: %#x\n", first);
  printf("set ADDR_NO_RANDOMIZE returns the old one: %#x\n", personality(first | ADDR_NO_RANDOMIZE));
  printf("query again: %#x\n", personality(0xffffffff));
  personality(first);
}

static void sched(void) {
  struct sched_param sp = {0};
  printf("getscheduler(0): %s\n", res(sched_getscheduler(0)));
  printf("priority FIFO %d..%d, RR %d..%d, OTHER %d..%d, BATCH %d..%d\n", sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO),
         sched_get_priority_min(SCHED_RR), sched_get_priority_max(SCHED_RR), sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER),
         sched_get_priority_min(SCHED_BATCH), sched_get_priority_max(SCHED_BATCH));
  printf("priority range of policy 42: %s\n", res(sched_get_priority_max(42)));
  sp.sched_priority = 7;
  printf("getparam: %s", res(sched_getparam(0, &sp)));
  printf(", priority %d\n", sp.sched_priority);
  sp.sched_priority = 0;
  printf("setscheduler BATCH: %s", res(sched_setscheduler(0, SCHED_BATCH, &sp)));
  printf(", now %s\n", res(sched_getscheduler(0)));
  printf("setscheduler OTHER: %s", res(sched_setscheduler(0, SCHED_OTHER, &sp)));
  printf(", now %s\n", res(sched_getscheduler(0)));
  sp.sched_priority = 5;
  printf("setscheduler OTHER priority 5: %s\n", res(sched_setscheduler(0, SCHED_OTHER, &sp)));
  printf("setparam priority 5: %s\n", res(sched_setparam(0, &sp)));
  sp.sched_priority = 0;
  printf("setscheduler policy 42: %s\n", res(sched_setscheduler(0, 42, &sp)));
  printf("setparam priority 0: %s\n", res(sched_setparam(0, &sp)));
  printf("getscheduler(-1): %s\n", res(sched_getscheduler(-1)));
  printf("getparam NULL: %s\n", res(syscall(SYS_sched_getparam, 0, NULL)));
}

static void locks(void) {
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + 2 * 4096, 4096);
  printf("mlock two mapped pages: %s\n", res(mlock(m + 10, 8000)));
  printf("munlock them: %s\n", res(munlock(m, 8192)));
  printf("mlock over an unmapped page: %s\n", res(mlock(m + 4096, 8192)));
  printf("mlock of 0 bytes: %s\n", res(mlock(m, 0)));
  printf("mlock2 bad flag: %s\n", res(syscall(SYS_mlock2, m, 4096, 2)));
  printf("mlock2 MLOCK_ONFAULT: %s\n", res(syscall(SYS_mlock2, m, 4096, 1)));
  printf("mlockall(0): %s\n", res(mlockall(0)));
  printf("mlockall(MCL_ONFAULT): %s\n", res(mlockall(MCL_ONFAULT)));
  printf("mlockall(MCL_CURRENT): %s\n", res(mlockall(MCL_CURRENT)));
  printf("munlockall: %s\n", res(munlockall()));
  munmap(m, 2 * 4096);
}

static void syncrange(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/sysmisc-sync", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "data", 4);
  printf("sync_file_range WRITE: %s\n", res(sync_file_range(fd, 0, 4, SYNC_FILE_RANGE_WRITE)));
  printf("sync_file_range all flags, whole file: %s\n", res(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)));
  printf("sync_file_range flag 8: %s\n", res(sync_file_range(fd, 0, 4, 8)));
  printf("sync_file_range offset -1: %s\n", res(sync_file_range(fd, -1, 4, 0)));
  int p[2];
  pipe(p);
  printf("sync_file_range on a pipe: %s\n", res(sync_file_range(p[0], 0, 4, 0)));
  printf("sync_file_range on a closed fd: %s\n", res(sync_file_range(999, 0, 4, 0)));
  close(p[0]);
  close(p[1]);
  close(fd);
  unlink(path);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  memfd();
  persona();
  sched();
  locks();
  syncrange(argc > 1 ? argv[1] : "/tmp");
  return 0;
}
