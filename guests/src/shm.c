/*
 * Shared memory across fork and between processes, for test/e2e/shm.test.ts:
 * each mode prints what a parent and its child see of memory they share
 * (or must not share), never a pid or an address.
 *
 *   shm anon            MAP_SHARED|MAP_ANONYMOUS, /dev/zero and MAP_PRIVATE across fork,
 *                       split by mprotect, partly unmapped
 *   shm file PATH       MAP_SHARED of a file across fork, seen by read(2), written back at exit
 *   shm watch PATH      maps PATH shared, writes "mapped" at 0, prints "ready", then waits
 *                       (up to 10 s) for another process to write 'B' at byte 100 through the file
 *   shm posix           shm_open/ftruncate/mmap in /dev/shm across fork, shm_unlink
 *   shm sysv            shmget/shmat/shmdt/shmctl across fork (IPC_PRIVATE, keys, IPC_RMID,
 *                       IPC_STAT/IPC_SET, SHM_RDONLY, shmat at an address with SHM_RND)
 *   shm atomics         children racing on counters in MAP_SHARED memory, started together:
 *                       LDXR/STXR (32 and 64 bits), LDXP/STXP of two words, LDADD, SWP,
 *                       and a CAS spinlock guarding a plain counter; every count exact
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static void status(const char *who, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", who, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", who, WTERMSIG(st));
  else printf("%s: status 0x%x\n", who, st);
}

/* Fork, run `child` in the child (its return value is the exit status), wait, print how it ended. */
static void in_child(const char *who, int (*child)(void *), void *arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork: %s\n", strerror(errno));
    return;
  }
  if (pid == 0) {
    int r = child(arg);
    fflush(stdout);
    _exit(r);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid) printf("waitpid: %s\n", strerror(errno));
  else status(who, st);
}

/* ---- anon ---- */

struct anon {
  char *shared, *priv, *zero;
};

static int anon_child(void *p) {
  struct anon *a = p;
  printf("child sees shared \"%s\" private \"%s\"\n", a->shared, a->priv);
  strcpy(a->shared, "written by child");
  strcpy(a->shared + PAGE, "page 1");
  return 0;
}

static int anon_child2(void *p) {
  struct anon *a = p;
  strcpy(a->priv, "child's private copy");
  strcpy(a->zero, "via /dev/zero");
  strcpy(a->shared + 2 * PAGE, "page 2 of 3");
  return 0;
}

static int segv_child(void *p) {
  ((char *)p)[0] = 'x';
  return 0;
}

static int anon(void) {
  struct anon a;
  a.shared = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  a.priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int zfd = open("/dev/zero", O_RDWR);
  a.zero = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
  close(zfd);
  if (a.shared == MAP_FAILED || a.priv == MAP_FAILED || a.zero == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 1;
  }
  strcpy(a.shared, "parent");
  strcpy(a.priv, "parent private");
  /* The first child writes page 0 (its own copy of the mapping is writable). */
  in_child("child 1", anon_child, &a);
  printf("parent sees \"%s\"\n", a.shared);
  printf("parent sees page 1 \"%s\"\n", a.shared + PAGE);
  /* Split the shared mapping: page 1 read-only, pages 0 and 2 stay writable, all still shared. */
  if (mprotect(a.shared + PAGE, PAGE, PROT_READ) != 0) printf("mprotect: %s\n", strerror(errno));
  in_child("child writing read-only page", segv_child, a.shared + PAGE);
  /* mremap to the same size over the two VMAs mprotect made returns the address unchanged. */
  char *g = mremap(a.shared, 3 * PAGE, 3 * PAGE, 0);
  if (g != a.shared) printf("mremap same size: %s\n", g == MAP_FAILED ? strerror(errno) : "moved");
  in_child("child 2", anon_child2, &a);
  printf("parent sees page 2 \"%s\"\n", a.shared + 2 * PAGE);
  printf("parent sees private \"%s\"\n", a.priv);
  printf("parent sees /dev/zero \"%s\"\n", a.zero);
  /* munmap of part: the rest stays shared. */
  munmap(a.shared, PAGE);
  in_child("child 3", anon_child2, &a);
  printf("parent sees page 2 after munmap of page 0 \"%s\"\n", a.shared + 2 * PAGE);
  return 0;
}

/* ---- file ---- */

static int file_child(void *p) {
  char *m = p;
  printf("child sees \"%s\"\n", m);
  strcpy(m, "child wrote through the mapping");
  strcpy(m + PAGE + 10, "second page");
  if (msync(m, 2 * PAGE, MS_SYNC) != 0) printf("msync: %s\n", strerror(errno));
  return 0;
}

static int file(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 2 * PAGE) != 0) {
    printf("open/ftruncate: %s\n", strerror(errno));
    return 1;
  }
  char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED || ro == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 1;
  }
  strcpy(m, "parent");
  in_child("child", file_child, m);
  printf("parent sees \"%s\" and \"%s\"\n", m, m + PAGE + 10);
  printf("private mapping sees \"%s\"\n", ro);
  char buf[64] = {0};
  if (pread(fd, buf, sizeof buf - 1, 0) < 0) printf("pread: %s\n", strerror(errno));
  printf("read(2) sees \"%s\"\n", buf);
  /* write(2) shows in the mapping at once. */
  if (pwrite(fd, "pwrite", 6, PAGE + 10) != 6) printf("pwrite: %s\n", strerror(errno));
  printf("mapping sees \"%s\"\n", m + PAGE + 10);
  /* Left in the mapping only: it must be in the file after exit, without msync. */
  strcpy(m + 100, "left for exit");
  close(fd);
  return 0;
}

static int watch(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, PAGE) != 0) {
    printf("open/ftruncate: %s\n", strerror(errno));
    return 1;
  }
  volatile char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 1;
  }
  strcpy((char *)m, "mapped");
  printf("ready\n");
  fflush(stdout);
  struct timespec ts = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 1000; i++) {
    if (m[100] == 'B') {
      printf("saw B from the other process\n");
      return 0;
    }
    nanosleep(&ts, NULL);
  }
  printf("never saw B\n");
  return 1;
}

/* ---- posix ---- */

static char shm_name[64];

static int posix_child(void *p) {
  char *m = p;
  printf("child sees \"%s\"\n", m);
  strcpy(m, "child");
  /* A second mapping through a new descriptor shows the same object. */
  int fd = shm_open(shm_name, O_RDWR, 0);
  char *m2 = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m2 == MAP_FAILED) printf("child shm_open/mmap: %s\n", strerror(errno));
  else strcpy(m2 + 64, "child, second mapping");
  return 0;
}

static int posix(void) {
  snprintf(shm_name, sizeof shm_name, "/elfuse-shm-test-%d", (int)getpid());
  int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    printf("shm_open: %s\n", strerror(errno));
    return 1;
  }
  if (ftruncate(fd, PAGE) != 0) printf("ftruncate: %s\n", strerror(errno));
  struct stat st;
  fstat(fd, &st);
  printf("size %lld mode %o\n", (long long)st.st_size, (unsigned)(st.st_mode & 07777));
  char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    printf("mmap: %s\n", strerror(errno));
    return 1;
  }
  strcpy(m, "parent");
  in_child("child", posix_child, m);
  printf("parent sees \"%s\" and \"%s\"\n", m, m + 64);
  int again = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
  printf("shm_open O_EXCL again: %s\n", again < 0 ? strerror(errno) : "opened");
  printf("shm_unlink: %s\n", shm_unlink(shm_name) == 0 ? "ok" : strerror(errno));
  printf("shm_open after unlink: %s\n", shm_open(shm_name, O_RDWR, 0) < 0 ? strerror(errno) : "opened");
  printf("mapping still holds \"%s\"\n", m);
  return 0;
}

/* ---- sysv ---- */

static void stat_seg(const char *when, int id) {
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) {
    printf("%s: IPC_STAT: %s\n", when, strerror(errno));
    return;
  }
  printf("%s: segsz %lu nattch %lu mode %o cpid-is-me %d uid-is-me %d cuid-is-me %d key-private %d atime-set %d dtime-set %d\n", when,
         (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch, (unsigned)(ds.shm_perm.mode & 0777), ds.shm_cpid == getpid(),
         ds.shm_perm.uid == getuid(), ds.shm_perm.cuid == getuid(), ds.shm_perm.__key == IPC_PRIVATE, ds.shm_atime != 0, ds.shm_dtime != 0);
}

static int sysv_id;

static int sysv_child(void *p) {
  char *m = p;
  printf("child sees \"%s\"\n", m);
  strcpy(m, "child wrote");
  stat_seg("child after fork", sysv_id);
  char *again = shmat(sysv_id, NULL, 0);
  if (again == (void *)-1) printf("child shmat: %s\n", strerror(errno));
  else {
    printf("child's second attach sees \"%s\"\n", again);
    strcpy(again + 100, "second attach");
    stat_seg("child with two attaches", sysv_id);
  }
  return 0;
}

static int ro_child(void *p) {
  printf("read-only attach reads \"%s\"\n", (char *)p);
  fflush(stdout);
  ((char *)p)[0] = 'x';
  return 0;
}

static int sysv(void) {
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  if (id < 0) {
    printf("shmget: %s\n", strerror(errno));
    return 1;
  }
  sysv_id = id;
  stat_seg("created", id);
  char *m = shmat(id, NULL, 0);
  if (m == (void *)-1) {
    printf("shmat: %s\n", strerror(errno));
    return 1;
  }
  printf("fresh segment reads zero: %d\n", m[0] == 0 && m[9999] == 0);
  strcpy(m, "parent");
  stat_seg("attached", id);
  in_child("child", sysv_child, m);
  printf("parent sees \"%s\" and \"%s\"\n", m, m + 100);
  stat_seg("after child", id);

  /* SHM_RDONLY: reading works, writing is SIGSEGV; mprotect cannot add PROT_WRITE. */
  char *ro = shmat(id, NULL, SHM_RDONLY);
  if (ro == (void *)-1) printf("shmat SHM_RDONLY: %s\n", strerror(errno));
  else {
    in_child("child writing read-only attach", ro_child, ro);
    printf("mprotect RW of read-only attach: %s\n", mprotect(ro, PAGE, PROT_READ | PROT_WRITE) == 0 ? "ok" : strerror(errno));
    printf("shmdt read-only: %s\n", shmdt(ro) == 0 ? "ok" : strerror(errno));
  }

  /* shmat at an address: unaligned without SHM_RND is EINVAL; with it, rounded down to SHMLBA. */
  char *area = mmap(NULL, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(area, 16 * PAGE);
  char *want = area + 4 * PAGE + 100;
  char *r = shmat(id, want, 0);
  printf("shmat unaligned: %s\n", r == (void *)-1 ? strerror(errno) : "attached");
  r = shmat(id, want, SHM_RND);
  if (r == (void *)-1) printf("shmat SHM_RND: %s\n", strerror(errno));
  else {
    printf("SHM_RND attach at area+%ld sees \"%s\"\n", (long)(r - area), r);
    printf("shmdt inside the attach: %s\n", shmdt(r + PAGE) == 0 ? "ok" : strerror(errno));
    printf("shmdt: %s\n", shmdt(r) == 0 ? "ok" : strerror(errno));
    printf("shmdt again: %s\n", shmdt(r) == 0 ? "ok" : strerror(errno));
  }

  /* IPC_SET changes the mode; IPC_STAT shows it and a new ctime. */
  struct shmid_ds ds;
  shmctl(id, IPC_STAT, &ds);
  ds.shm_perm.mode = 0640;
  printf("IPC_SET: %s\n", shmctl(id, IPC_SET, &ds) == 0 ? "ok" : strerror(errno));
  stat_seg("after IPC_SET", id);

  /* IPC_RMID: the attached segment lives on (and can still be attached: Linux allows it) until the last detach. */
  printf("IPC_RMID: %s\n", shmctl(id, IPC_RMID, NULL) == 0 ? "ok" : strerror(errno));
  printf("still reads \"%s\"\n", m);
  in_child("child after IPC_RMID", sysv_child, m);
  printf("parent sees \"%s\"\n", m);
  printf("shmdt: %s\n", shmdt(m) == 0 ? "ok" : strerror(errno));
  printf("IPC_STAT after last detach: %s\n", shmctl(id, IPC_STAT, &ds) == 0 ? "ok" : strerror(errno));
  printf("shmat after last detach: %s\n", shmat(id, NULL, 0) == (void *)-1 ? strerror(errno) : "attached");

  /* Keys: IPC_CREAT|IPC_EXCL on an existing key is EEXIST; without IPC_CREAT a missing key is ENOENT. */
  key_t key = 0x5e000000 | (getpid() & 0xffffff);
  int k1 = shmget(key, PAGE, IPC_CREAT | IPC_EXCL | 0600);
  printf("shmget key create: %s\n", k1 < 0 ? strerror(errno) : "ok");
  int k2 = shmget(key, PAGE, IPC_CREAT | IPC_EXCL | 0600);
  printf("shmget key IPC_EXCL again: %s\n", k2 < 0 ? strerror(errno) : "ok");
  int k3 = shmget(key, PAGE, 0);
  printf("shmget key again: %s\n", k3 < 0 ? strerror(errno) : k3 == k1 ? "same id" : "other id");
  printf("shmget key larger: %s\n", shmget(key, 2 * PAGE, 0) < 0 ? strerror(errno) : "ok");
  shmctl(k1, IPC_STAT, &ds);
  printf("key matches: %d\n", ds.shm_perm.__key == key);
  shmctl(k1, IPC_RMID, NULL);
  printf("shmget removed key: %s\n", shmget(key, PAGE, 0) < 0 ? strerror(errno) : "ok");
  printf("shmget size 0 private: %s\n", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600) < 0 ? strerror(errno) : "ok");
  printf("shmctl bad id: %s\n", shmctl(-1, IPC_STAT, &ds) == 0 ? "ok" : strerror(errno));
  printf("shmdt not attached: %s\n", shmdt(area) == 0 ? "ok" : strerror(errno));

  /* The statistics commands: the host's limits, and our segment found by index with SHM_STAT. */
  struct shminfo si;
  int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
  printf("IPC_INFO: %s shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", maxidx >= 0 ? "ok" : strerror(errno), si.shmmax, si.shmmin,
         si.shmmni, si.shmseg, si.shmall);
  struct shm_info info;
  printf("SHM_INFO: %s\n", shmctl(0, SHM_INFO, (struct shmid_ds *)&info) >= 0 && info.used_ids >= 0 ? "ok" : strerror(errno));
  int mine = shmget(IPC_PRIVATE, 12345, IPC_CREAT | 0600);
  maxidx = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
  int found = 0;
  for (int i = 0; i <= maxidx; i++) {
    int got = shmctl(i, SHM_STAT, &ds);
    if (got == mine) found = 1, printf("SHM_STAT found it: segsz %lu nattch %lu\n", (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
  }
  printf("SHM_STAT found it: %d\n", found);
  printf("SHM_STAT past the table: %s\n", shmctl(maxidx + 1, SHM_STAT, &ds) < 0 ? strerror(errno) : "ok");
  printf("SHM_LOCK: %s\n", shmctl(mine, SHM_LOCK, NULL) == 0 ? "ok" : strerror(errno));
  shmctl(mine, IPC_RMID, NULL);
  return 0;
}

/* ---- atomics between processes (AArch64 instructions; the native build for the SysV case has none) ---- */

#if defined(__aarch64__)

#define RACERS 3
#define ROUNDS 60000

struct counters {
  volatile int ready;
  volatile int go;
  uint64_t exclusive64;
  uint32_t exclusive32;
  uint32_t pad;
  uint32_t pair[2];
  uint64_t ldadd;
  uint64_t swp_total;
  uint32_t lock;
  uint32_t guarded;
};

static void add_exclusive64(uint64_t *p) {
  uint64_t v;
  uint32_t fail;
  __asm__ volatile("1: ldxr %0, [%2]\n add %0, %0, #1\n stxr %w1, %0, [%2]\n cbnz %w1, 1b" : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
}

static void add_exclusive32(uint32_t *p) {
  uint32_t v, fail;
  __asm__ volatile("1: ldxr %w0, [%2]\n add %w0, %w0, #1\n stxr %w1, %w0, [%2]\n cbnz %w1, 1b" : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
}

/* Both words of the pair go up by one, as one exclusive pair. */
static void add_pair(uint32_t *p) {
  uint32_t a, b, fail;
  __asm__ volatile("1: ldxp %w0, %w1, [%3]\n add %w0, %w0, #1\n add %w1, %w1, #1\n stxp %w2, %w0, %w1, [%3]\n cbnz %w2, 1b"
                   : "=&r"(a), "=&r"(b), "=&r"(fail)
                   : "r"(p)
                   : "memory");
}

static void add_ldadd(uint64_t *p) {
  uint64_t one = 1, old;
  __asm__ volatile(".arch_extension lse\n ldaddal %1, %0, [%2]" : "=&r"(old) : "r"(one), "r"(p) : "memory");
}

/* SWP takes the whole value out and puts 0 in: what each racer takes adds up to what was put in. */
static uint64_t take_all(uint64_t *p) {
  uint64_t zero = 0, old;
  __asm__ volatile(".arch_extension lse\n swpal %1, %0, [%2]" : "=&r"(old) : "r"(zero), "r"(p) : "memory");
  return old;
}

static void lock(uint32_t *l) {
  for (;;) {
    uint32_t expected = 0, desired = 1;
    __asm__ volatile(".arch_extension lse\n casa %w0, %w2, [%1]" : "+r"(expected) : "r"(l), "r"(desired) : "memory");
    if (expected == 0) return;
  }
}

static void unlock(uint32_t *l) { __asm__ volatile("stlr wzr, [%0]" : : "r"(l) : "memory"); }

static int atomics(void) {
  struct counters *c = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (c == MAP_FAILED) return 1;
  memset(c, 0, sizeof *c);
  /* SWP's pool: the racers add what they take back to a per-racer total, put back below. */
  uint64_t *pool = (uint64_t *)((char *)c + 2048);
  uint64_t *taken = pool + 1;
  fflush(stdout);
  pid_t kids[RACERS];
  for (int k = 0; k < RACERS; k++) {
    kids[k] = fork();
    if (kids[k] < 0) return 1;
    if (kids[k] == 0) {
      __atomic_fetch_add(&c->ready, 1, __ATOMIC_SEQ_CST);
      while (!c->go) {
      }
      uint64_t mine = 0;
      for (int i = 0; i < ROUNDS; i++) {
        add_exclusive64(&c->exclusive64);
        add_exclusive32(&c->exclusive32);
        add_pair(c->pair);
        add_ldadd(&c->ldadd);
        add_ldadd(pool); /* one more into the pool... */
        mine += take_all(pool); /* ...and whatever is there out of it */
        lock(&c->lock);
        c->guarded++;
        unlock(&c->lock);
      }
      __atomic_fetch_add(taken, mine, __ATOMIC_SEQ_CST);
      _exit(0);
    }
  }
  /* All racers start at once, so they really do race. */
  while (c->ready < RACERS) {
  }
  c->go = 1;
  int ok = 1;
  for (int k = 0; k < RACERS; k++) {
    int st;
    waitpid(kids[k], &st, 0);
    ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  uint64_t want = (uint64_t)RACERS * ROUNDS;
  printf("racers: %d, rounds each: %d, all exited 0: %s\n", RACERS, ROUNDS, ok ? "yes" : "no");
  printf("LDXR/STXR 64-bit counter: %llu (%s)\n", (unsigned long long)c->exclusive64, c->exclusive64 == want ? "exact" : "LOST UPDATES");
  printf("LDXR/STXR 32-bit counter: %u (%s)\n", c->exclusive32, c->exclusive32 == want ? "exact" : "LOST UPDATES");
  printf("LDXP/STXP pair: %u %u (%s)\n", c->pair[0], c->pair[1], c->pair[0] == want && c->pair[1] == want ? "exact" : "LOST UPDATES");
  printf("LDADD counter: %llu (%s)\n", (unsigned long long)c->ldadd, c->ldadd == want ? "exact" : "LOST UPDATES");
  printf("SWP: taken plus left equals put in: %s\n", *taken + *pool == want ? "yes" : "no");
  printf("CAS spinlock, plain counter under it: %u (%s)\n", c->guarded, c->guarded == want ? "exact" : "LOST UPDATES");
  return 0;
}
#else
static int atomics(void) {
  fprintf(stderr, "shm atomics: AArch64 only\n");
  return 2;
}
#endif

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && !strcmp(argv[1], "anon")) return anon();
  if (argc >= 3 && !strcmp(argv[1], "file")) return file(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "watch")) return watch(argv[2]);
  if (argc >= 2 && !strcmp(argv[1], "posix")) return posix();
  if (argc >= 2 && !strcmp(argv[1], "sysv")) return sysv();
  if (argc >= 2 && !strcmp(argv[1], "atomics")) return atomics();
  fprintf(stderr, "usage: shm anon|file PATH|watch PATH|posix|sysv\n");
  return 2;
}
