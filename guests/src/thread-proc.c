/*
 * thread-proc.c: threads as /proc shows them (/proc/self/task/<tid>/comm,
 * stat, status; /proc/thread-self; Threads: in /proc/self/status), names
 * per thread (PR_SET_NAME, PR_GET_NAME, writing comm) and the affinity of
 * one thread. Thread ids never appear in the output, only whether they
 * match, so it equals the native build's run on the host kernel (qemu-user
 * shows its own helper threads in /proc).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 3
static pid_t tids[N];
static atomic_int named, done;

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static void read_file(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  buf[0] = 0;
  if (!f) return;
  size_t n = fread(buf, 1, len - 1, f);
  buf[n] = 0;
  fclose(f);
}

static void *worker(void *arg) {
  int me = (int)(long)arg;
  tids[me] = tid();
  char name[16];
  snprintf(name, sizeof name, "worker-%d", me);
  prctl(PR_SET_NAME, name);
  atomic_fetch_add(&named, 1);
  while (!atomic_load(&done)) usleep(1000);
  return NULL;
}

static const char *field(const char *status, const char *key, char *out) {
  const char *p = strstr(status, key);
  out[0] = 0;
  if (p) sscanf(p + strlen(key), " %63[^\n]", out);
  return out;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  prctl(PR_SET_NAME, "main-thread");
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  while (atomic_load(&named) < N) usleep(1000);

  int entries = 0, mine = 0;
  DIR *d = opendir("/proc/self/task");
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    entries++;
    pid_t id = atoi(e->d_name);
    for (int i = 0; i < N; i++) mine += id == tids[i];
    mine += id == getpid();
  }
  if (d) closedir(d);
  printf("task entries %d, all ours %s\n", entries, mine == entries ? "yes" : "no");

  char path[96], buf[4096], v[64];
  for (int i = 0; i < N; i++) {
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[i]);
    read_file(path, buf, sizeof buf);
    printf("thread %d comm %s", i, buf);
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tids[i]);
    read_file(path, buf, sizeof buf);
    int sid = 0;
    char comm[64] = "";
    sscanf(buf, "%d (%63[^)])", &sid, comm);
    printf("thread %d stat pid field is its tid %s, comm %s\n", i, sid == tids[i] ? "yes" : "no", comm);
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tids[i]);
    read_file(path, buf, sizeof buf);
    printf("thread %d status Name %s", i, field(buf, "Name:", v));
    printf(" Pid is tid %s", atoi(field(buf, "\nPid:", v)) == tids[i] ? "yes" : "no");
    printf(" Tgid is pid %s\n", atoi(field(buf, "Tgid:", v)) == getpid() ? "yes" : "no");
  }
  read_file("/proc/self/status", buf, sizeof buf);
  printf("process Name %s Threads %s\n", field(buf, "Name:", v), field(buf, "Threads:", path));
  read_file("/proc/self/stat", buf, sizeof buf);
  int f1 = 0;
  sscanf(buf, "%d", &f1);
  printf("process stat pid %s\n", f1 == getpid() ? "yes" : "no");

  /* Renaming one thread through its comm file changes that thread only. */
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", tids[1]);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs("renamed", f);
    fclose(f);
  }
  read_file(path, buf, sizeof buf);
  printf("after writing comm: %s", buf);
  char name[17] = "";
  prctl(PR_GET_NAME, name);
  printf("main's PR_GET_NAME still %s\n", name);
  read_file("/proc/thread-self/comm", buf, sizeof buf);
  printf("thread-self comm %s", buf);

  cpu_set_t set;
  CPU_ZERO(&set);
  int ar = sched_getaffinity(tids[0], sizeof set, &set);
  printf("sched_getaffinity of a thread: %d, cpu0 %d\n", ar, CPU_ISSET(0, &set));
  printf("sched_getaffinity of no such thread: %d\n", sched_getaffinity(0x3ffffff0, sizeof set, &set));

  atomic_store(&done, 1);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  d = opendir("/proc/self/task");
  entries = 0;
  for (struct dirent *e; d && (e = readdir(d));) entries += e->d_name[0] != '.';
  if (d) closedir(d);
  printf("task entries after the joins %d\n", entries);
  return 0;
}
