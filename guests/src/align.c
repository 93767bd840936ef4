/* align: the alignment rules of an M1-class CPU as a Linux program sees
 * them. FEAT_LSE2: a load-acquire, store-release or LSE atomic that is not
 * aligned works when it stays inside a 16-byte block and raises SIGBUS
 * (BUS_ADRALN, si_addr = the address) when it crosses one; exclusives need
 * alignment. SCTLR_EL1.SA0 (which Linux sets): a load or store based on an
 * SP that is not 16-byte aligned raises SIGBUS (BUS_ADRALN) with si_addr =
 * the SP (do_sp_pc_abort). Prints one line per case. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;
static siginfo_t got;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got = *si;
	siglongjmp(env, 1);
}

static uint8_t buf[64] __attribute__((aligned(16)));
/* Globals: they are read after siglongjmp. */
static uint64_t v;
static uintptr_t sp_seen;

static void report(const char *what, int faulted, uintptr_t want_addr)
{
	if (!faulted) {
		printf("%s: ok\n", what);
		return;
	}
	printf("%s: signal %d code %d addr %s\n", what, got.si_signo, got.si_code,
	       (uintptr_t)got.si_addr == want_addr ? "as expected" : "WRONG");
}

#define TRY(what, addr, body)                         \
	do {                                          \
		memset(&got, 0, sizeof got);          \
		int f_ = sigsetjmp(env, 1);           \
		if (!f_) {                            \
			body;                         \
		}                                     \
		report(what, f_, (uintptr_t)(addr));  \
	} while (0)

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, 0);

	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)i;
	uint8_t *in = buf + 17, *across = buf + 25;
	TRY("ldar x, +1 inside 16", in, __asm__ volatile("ldar %0, [%1]" : "=r"(v) : "r"(in) : "memory"));
	printf("  value %016llx\n", (unsigned long long)v);
	TRY("ldar x, crossing 16", across, __asm__ volatile("ldar %0, [%1]" : "=r"(v) : "r"(across) : "memory"));
	TRY("stlr w, crossing 16", buf + 14, __asm__ volatile("stlr %w0, [%1]" : : "r"(v), "r"(buf + 14) : "memory"));
	TRY("ldadd x, +4 inside 16", buf + 36, __asm__ volatile(".arch_extension lse\n\tldadd %1, %0, [%2]" : "=r"(v) : "r"((uint64_t)1), "r"(buf + 36) : "memory"));
	printf("  old %016llx\n", (unsigned long long)v);
	TRY("ldxr x, +4", buf + 36, __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(buf + 36) : "memory"));
	TRY("ldr from sp - 8", sp_seen,
	    __asm__ volatile("mov x9, sp\n\tsub x10, x9, #8\n\tstr x10, %0\n\tmov sp, x10\n\tldr x11, [sp]\n\tmov sp, x9"
			     : "=m"(sp_seen) : : "x9", "x10", "x11", "memory"));
	TRY("add sp, sp, #8 and back (no access)", 0,
	    __asm__ volatile("add sp, sp, #8\n\tsub sp, sp, #8" : : : "memory"));
	return 0;
}
