/* SPDX-License-Identifier: MIT */
/* fuzz-main.c — replay driver: runs a fuzz target once on each file given (-Dfuzzing=none). */
/*
 * Usage: fuzz-<target> FILE|DIR...
 * Each regular file is read whole into a buffer of exactly its size (so the
 * sanitizers see any over-read) and passed to LLVMFuzzerTestOneInput once.
 * A directory is replayed file by file in name order (dot files skipped).
 * Exit 0 when every input ran, 1 when a file or directory could not be read.
 * A crash is a crash: the sanitizer report names the input printed before it.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_FILE (64u << 20) /* refuse anything larger: corpora are small */

static int replay_file(const char *path, unsigned *count)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t len;

	if (!f || fstat(fileno(f), &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size > REPLAY_MAX_FILE) {
		fprintf(stderr, "fuzz-main: %s: cannot read\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf || fread(buf, 1, len, f) != len) {
		fprintf(stderr, "fuzz-main: %s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "fuzz-main: running %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *path, unsigned *count)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "fuzz-main: %s: cannot open directory\n", path);
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			char **nn = realloc(names, ncap * sizeof *nn);
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
			cap = ncap;
		}
		if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(names[i], count) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "Usage: %s FILE|DIR...\nRuns the fuzz target once on each input.\n",
			argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-main: %s: no such file\n", argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) < 0
					       : replay_file(argv[i], &count) < 0) {
			rc = 1;
		}
	}
	printf("%u inputs replayed\n", count);
	return rc;
}
