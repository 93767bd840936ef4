/* jit-code: a guest that generates code, as JIT compilers do, in the ways
 * Linux on arm64 allows: written to a read-write page that mprotect then
 * makes executable; written to a page mapped read-write-execute and changed
 * while it is in use; and code in an RWX page that stores into its own page.
 * Each time __builtin___clear_cache (DC CVAU + IC IVAU) precedes the call. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MOVZ_W0(imm) (0x52800000u | ((uint32_t)(imm) << 5))
#define ADD_W0_W0(imm) (0x11000000u | ((uint32_t)(imm) << 10))
#define RET 0xd65f03c0u
#define STR_W1_X0 0xb9000001u     /* str w1, [x0] */
#define LDR_W1_X0 0xb9400001u     /* ldr w1, [x0] */
#define ADD_W1_W1_1 0x11000421u   /* add w1, w1, #1 */

typedef int (*fn1)(int);
typedef int (*fn2)(void *, int);

static void put(uint32_t *at, const uint32_t *code, size_t n)
{
	memcpy(at, code, n * 4);
	__builtin___clear_cache((char *)at, (char *)(at + n));
}

int main(void)
{
	long page = 4096;
	/* 1: W then X by mprotect, twice. */
	uint32_t *p = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int v = 42; v <= 43; v++) {
		mprotect(p, page, PROT_READ | PROT_WRITE);
		uint32_t code[] = { MOVZ_W0(v), RET };
		put(p, code, 2);
		mprotect(p, page, PROT_READ | PROT_EXEC);
		printf("mprotect RW->RX: %d\n", ((fn1)p)(0));
	}
	/* 2: an RWX page, rewritten between calls. */
	uint32_t *q = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int k = 1; k <= 3; k++) {
		uint32_t code[] = { ADD_W0_W0(k), RET };
		put(q, code, 2);
		printf("rwx rewritten: 5 + %d = %d\n", k, ((fn1)q)(5));
	}
	/* 3: code in an RWX page that stores into the same page. */
	uint32_t store[] = { STR_W1_X0, MOVZ_W0(7), RET };
	put(q, store, 3);
	int r = ((fn2)q)((char *)q + 2048, 99);
	printf("store into its own page: returned %d, stored %u\n", r, *(uint32_t *)((char *)q + 2048));
	/* 4: a counter next to the code, incremented by it 1000 times. */
	uint32_t count[] = { LDR_W1_X0, ADD_W1_W1_1, STR_W1_X0, MOVZ_W0(0), RET };
	put(q + 16, count, 5);
	*(uint32_t *)((char *)q + 3072) = 0;
	for (int i = 0; i < 1000; i++)
		((fn2)(q + 16))((char *)q + 3072, 0);
	printf("counter in the code's page: %u\n", *(uint32_t *)((char *)q + 3072));
	return 0;
}
