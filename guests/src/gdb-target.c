/*
 * A program to debug: the GDB stub tests (test/e2e/gdb.test.ts) drive
 * gdb-multiarch against it under elfuse and under qemu-aarch64 -g and
 * compare the sessions. Built with -O0 -g so every variable and line is
 * where the source says.
 *   gdb-target          computes, prints "counter=6 ...", exits with 6
 *   gdb-target spin     loops forever (Ctrl-C)
 *   gdb-target segv     stores to address 0x1234 (SIGSEGV)
 *   gdb-target usr1     raises SIGUSR1 with a handler installed
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

volatile long counter = 0;
double scale = 1.5;
volatile int got_usr1 = 0;

__attribute__((noinline)) long add_to_counter(long n)
{
	counter += n;
	return counter;
}

__attribute__((noinline)) double simd_work(double x)
{
	double v = x * scale;
	return v + 0.25;
}

__attribute__((noinline)) long fill(long *a, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++) {
		a[i] = 0x1111111111111111L * (i + 1);
		s += a[i];
	}
	return s;
}

__attribute__((noinline)) void spin(void)
{
	for (;;)
		counter++;
}

static void on_usr1(int sig)
{
	got_usr1 = sig;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "normal";
	if (!strcmp(mode, "spin"))
		spin();
	if (!strcmp(mode, "segv")) {
		volatile long *p = (long *)0x1234;
		*p = 1;
	}
	if (!strcmp(mode, "usr1")) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
		printf("got_usr1=%d\n", got_usr1);
		return 0;
	}
	long a[8];
	long s = fill(a, 8);
	for (int i = 1; i <= 3; i++)
		add_to_counter(i);
	double d = simd_work(2.0);
	printf("counter=%ld sum=%lx d=%.2f\n", counter, (unsigned long)s, d);
	return (int)counter;
}
