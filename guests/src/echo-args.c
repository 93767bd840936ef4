/* echo-args: shows what the guest received: argc, every argv[i], and the
 * environment entries starting with ELFUSE_TEST_ (the rest of the host
 * environment differs between runs, so it is left out). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv, char **envp)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=[%s]\n", i, argv[i]);
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "ELFUSE_TEST_", 12) == 0)
			printf("env=[%s]\n", *e);
	return 0;
}
