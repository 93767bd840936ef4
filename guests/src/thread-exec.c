/*
 * thread-exec.c: fork and execve from a thread that is not the main one.
 * A forked child has only the thread that forked (it can make threads of
 * its own); an execve ends every other thread and the caller goes on as
 * the process, with its pid. Compared with the native build run on the
 * host kernel (it execs /proc/self/exe, which qemu-user runs as itself).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static int count_tasks(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  if (d) closedir(d);
  return n;
}

static atomic_int stop;
static void *spinner(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) usleep(1000);
  return NULL;
}

static void *child_thread(void *arg) { return (void *)((long)arg + 1); }

static void *forker(void *arg) {
  (void)arg;
  pid_t me = tid();
  pid_t c = fork();
  if (c == 0) {
    printf("child: pid is tid %s, tid differs from the forking thread's %s, tasks %d\n", getpid() == tid() ? "yes" : "no",
           tid() != me ? "yes" : "no", count_tasks());
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, child_thread, (void *)41);
    pthread_join(t, &r);
    printf("child: its own thread returned %ld\n", (long)r);
    fflush(stdout);
    _exit(7);
  }
  int status = 0;
  waitpid(c, &status, 0);
  printf("parent thread: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return NULL;
}

static char pidarg[32];
static void *execer(void *arg) {
  (void)arg;
  char *argv[] = {"thread-exec", "after-exec", pidarg, NULL};
  fflush(stdout);
  execv("/proc/self/exe", argv);
  perror("execv");
  return NULL;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "after-exec") == 0) {
    printf("after exec: same pid %s, tid is pid %s, tasks %d\n", atoi(argv[2]) == getpid() ? "yes" : "no", tid() == getpid() ? "yes" : "no",
           count_tasks());
    return 0;
  }
  pthread_t s, f, e;
  pthread_create(&s, NULL, spinner, NULL);
  pthread_create(&f, NULL, forker, NULL);
  pthread_join(f, NULL);
  printf("parent: tasks %d\n", count_tasks());
  snprintf(pidarg, sizeof pidarg, "%d", getpid());
  pthread_create(&e, NULL, execer, NULL);
  pthread_join(e, NULL);
  printf("not reached\n");
  return 1;
}
