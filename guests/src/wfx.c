/* wfx: WFE and WFI from user space. SEVL then WFE returns at once (the event
 * register is set), the following WFE and WFI return too (on HVF they exit to
 * the host, which yields or waits for the next event), and a loop of WFI
 * waiting for an interval timer's signals sees every tick. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
static volatile int ticks;
static void on_alarm(int s) { (void)s; ticks++; }
int main(void) {
	__asm__ volatile("sevl\n\twfe\n\twfe\n\tsev\n\twfe\n\twfi" ::: "memory");
	printf("after wfe/wfi\n");
	signal(SIGALRM, on_alarm);
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_REAL, &it, 0);
	long spins = 0;
	while (ticks < 5) { __asm__ volatile("wfi" ::: "memory"); spins++; }
	printf("woke %d times\n", ticks);
	return 0;
}
