/*
 * replay.c - the driver that stands in for libFuzzer in ordinary builds
 * (gcc, with or without ASan): feed every regular file of every directory
 * (or file) named on the command line to LLVMFuzzerTestOneInput, once each,
 * in name order. A crash, a sanitizer report or a failed check in the
 * harness ends the run with its report; otherwise it prints how many inputs
 * ran and exits 0. A named directory that does not exist counts as empty (a
 * harness with no regressions yet); at least one input must run.
 *
 *   fuzz_<name>_replay DIR|FILE...
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Largest input replayed: far above every seed and every -max_len fuzz.sh uses. */
#define REPLAY_MAX ((long)64 << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > REPLAY_MAX || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	/* An exact-size allocation, so ASan sees a read one byte past the input. */
	data = malloc(n ? (size_t)n : 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	long runs = 0;
	int i, j, n, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct dirent **list = NULL;
		struct stat st;
		char path[4096];

		if (stat(argv[i], &st) != 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= run_file(argv[i]) < 0;
			runs++;
			continue;
		}
		if ((n = scandir(argv[i], &list, not_dot, by_name)) < 0) {
			fprintf(stderr, "replay: cannot list '%s'\n", argv[i]);
			return 1;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failed |= run_file(path) < 0;
				runs++;
			}
			free(list[j]);
		}
		free(list);
	}
	if (failed)
		return 1;
	if (runs == 0) {
		fprintf(stderr, "replay: no inputs found\n");
		return 1;
	}
	printf("replay: %ld inputs ran cleanly\n", runs);
	return 0;
}
