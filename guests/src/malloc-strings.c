/* malloc-strings: heap and string-library workout with deterministic output.
 * Exercises brk/mmap-backed malloc (small, medium and >128 KiB blocks that
 * glibc serves with mmap), realloc growth and shrink, and the optimised
 * string/memory routines (which use SIMD loads on aarch64). Every result is
 * folded into a checksum so a wrong byte anywhere changes the output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64: fixed sequence, independent of libc's rand(). */
static uint64_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fold(uint64_t h, uint64_t v)
{
	return fnv1a(h, &v, sizeof v);
}

static void fill_letters(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + next_random() % 26);
	s[len] = '\0';
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t test_alloc_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 15, 16, 24, 31, 32, 63, 64, 100, 255, 256,
					1000, 4095, 4096, 4097, 65536, 131072, 200000, 1 << 20 };
	uint64_t h = 0xcbf29ce484222325ull;
	enum { N = sizeof sizes / sizeof sizes[0] };
	unsigned char *blocks[N];

	for (size_t i = 0; i < N; i++) {
		blocks[i] = malloc(sizes[i] + 1);
		if (!blocks[i])
			return 0;
		memset(blocks[i], (int)(i * 37 + 1), sizes[i] + 1);
	}
	for (size_t i = 0; i < N; i++) {
		h = fnv1a(h, blocks[i], sizes[i] + 1);
		/* alignment guarantee of malloc on aarch64 is 16 */
		h = fold(h, (uintptr_t)blocks[i] % 16);
	}
	for (size_t i = 0; i < N; i += 2)
		free(blocks[i]);
	for (size_t i = 1; i < N; i += 2) {
		size_t grown = sizes[i] * 3 + 10;
		unsigned char *p = realloc(blocks[i], grown);
		if (!p)
			return 0;
		/* the old contents must survive the move */
		h = fnv1a(h, p, sizes[i] + 1);
		memset(p + sizes[i] + 1, 0x5a, grown - sizes[i] - 1);
		p = realloc(p, sizes[i] / 2 + 1);
		h = fnv1a(h, p, sizes[i] / 2 + 1);
		free(p);
	}
	return h;
}

static uint64_t test_churn(void)
{
	enum { SLOTS = 512, ROUNDS = 20000 };
	char *slot[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	uint64_t h = 0xcbf29ce484222325ull;

	for (int r = 0; r < ROUNDS; r++) {
		size_t i = next_random() % SLOTS;
		if (slot[i]) {
			h = fold(h, strlen(slot[i]));
			h = fnv1a(h, slot[i], len[i]);
			free(slot[i]);
			slot[i] = NULL;
			continue;
		}
		len[i] = next_random() % (r % 100 == 0 ? 70000 : 300);
		slot[i] = malloc(len[i] + 1);
		if (!slot[i])
			return 0;
		fill_letters(slot[i], len[i]);
	}
	for (size_t i = 0; i < SLOTS; i++)
		free(slot[i]);
	return h;
}

static uint64_t test_mem_routines(void)
{
	enum { SIZE = 8192 };
	unsigned char *a = malloc(SIZE), *b = malloc(SIZE);
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < SIZE; i++)
		a[i] = (unsigned char)next_random();
	/* every small length and misalignment, where the SIMD paths branch */
	for (size_t off = 0; off < 17; off++) {
		for (size_t n = 0; n < 200; n += 3) {
			memset(b, 0xee, SIZE);
			memcpy(b + off, a + (n & 15), n);
			h = fnv1a(h, b, off + n + 16);
			h = fold(h, (uint64_t)(memcmp(a + (n & 15), b + off, n) == 0));
		}
	}
	memcpy(b, a, SIZE);
	memmove(b + 3, b, 5000);	/* overlapping, forwards */
	h = fnv1a(h, b, SIZE);
	memmove(b, b + 1001, 6000);	/* overlapping, backwards */
	h = fnv1a(h, b, SIZE);
	memset(b + 5, 0, 3001);
	h = fnv1a(h, b, SIZE);
	for (int c = 0; c < 256; c += 17) {
		unsigned char *p = memchr(a, c, SIZE);
		h = fold(h, p ? (uint64_t)(p - a) : UINT64_MAX);
	}
	free(a);
	free(b);
	return h;
}

static uint64_t test_string_routines(void)
{
	enum { COUNT = 2000 };
	char **words = malloc(COUNT * sizeof *words);
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[64];

	for (size_t i = 0; i < COUNT; i++) {
		size_t n = 1 + next_random() % 40;
		words[i] = malloc(n + 1);
		fill_letters(words[i], n);
	}
	qsort(words, COUNT, sizeof *words, compare_strings);
	for (size_t i = 0; i < COUNT; i++) {
		h = fnv1a(h, words[i], strlen(words[i]) + 1);
		if (i > 0)
			h = fold(h, (uint64_t)(strcmp(words[i - 1], words[i]) <= 0));
		char *first = strchr(words[i], 'q'), *last = strrchr(words[i], 'q');
		h = fold(h, first ? (uint64_t)(first - words[i]) : 99);
		h = fold(h, last ? (uint64_t)(last - words[i]) : 99);
		char *sub = strstr(words[i], "ab");
		h = fold(h, sub ? (uint64_t)(sub - words[i]) : 99);
		/* strncpy pads with NULs up to n and does not terminate on overflow */
		memset(buf, 'x', sizeof buf);
		strncpy(buf, words[i], 20);
		h = fnv1a(h, buf, sizeof buf);
	}
	h = fold(h, (uint64_t)strlen(words[0]) + (uint64_t)strlen(words[COUNT - 1]));
	printf("first=%s last=%s\n", words[0], words[COUNT - 1]);
	for (size_t i = 0; i < COUNT; i++)
		free(words[i]);
	free(words);
	return h;
}

int main(void)
{
	printf("alloc-sizes %016llx\n", (unsigned long long)test_alloc_sizes());
	printf("churn       %016llx\n", (unsigned long long)test_churn());
	printf("mem         %016llx\n", (unsigned long long)test_mem_routines());
	printf("string      %016llx\n", (unsigned long long)test_string_routines());
	return 0;
}
