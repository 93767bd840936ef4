/* hello: the smallest libc guest (glibc static start-up, stdio, exit). */
#include <stdio.h>

int main(void)
{
	printf("Hello, world from aarch64 C (%d-bit pointers)\n", (int)(8 * sizeof(void *)));
	return 0;
}
