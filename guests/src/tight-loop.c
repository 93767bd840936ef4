/* tight-loop: a CPU-bound integer loop for the benchmark. N iterations of a
 * 64-bit LCG step with a data-dependent add; almost no syscalls, so the time
 * is the instruction rate of the vCPU. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000;
	uint64_t x = 1, sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		sum += (x >> 33) ^ i;
	}
	printf("iterations=%llu checksum=%016llx\n", (unsigned long long)n, (unsigned long long)sum);
	return 0;
}
