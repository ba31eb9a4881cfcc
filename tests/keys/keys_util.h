/*
 * keys_util.h - what the key tests share: a scratch directory, writing and
 * reading whole files, and hex.
 */
#ifndef WK_TEST_KEYS_UTIL_H
#define WK_TEST_KEYS_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define MIN_KDF { WK_KEYS_PASSPHRASE, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, 0 }

static char scratch_dir[] = "/tmp/wk-keys-XXXXXX";

static inline void scratch_init(void)
{
	if (!mkdtemp(scratch_dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

/* A path in the scratch directory. One of four rotating static buffers. */
static inline const char *scratch(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", scratch_dir, name);
	return p[i];
}

static inline void scratch_cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", scratch_dir);
}

/* Write n bytes to path with the given mode (umask aside: chmod'ed after). 0 on success. */
static inline int put_file(const char *path, const void *p, size_t n, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	ok = (fclose(f) == 0) && ok;
	return ok && chmod(path, mode) == 0 ? 0 : -1;
}

/* The whole file into a malloc'd buffer of *n bytes (at most max); NULL on failure. */
static inline unsigned char *get_file(const char *path, size_t *n, size_t max)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;

	if (!f)
		return NULL;
	p = malloc(max);
	*n = p ? fread(p, 1, max, f) : 0;
	fclose(f);
	return p;
}

static inline void to_hex(char *out, size_t outsize, const unsigned char *p, size_t n)
{
	sodium_bin2hex(out, outsize, p, n);
}

/*
 * Read an annotated hex vector: hex digits and white space, with '#' starting
 * a comment to the end of the line. Returns the byte count, or 0 on failure.
 */
static inline size_t read_vector(const char *path, unsigned char *out, size_t max)
{
	FILE *f = fopen(path, "r");
	char line[1024], hex[2048];
	size_t n = 0, len, i, h;
	char *hash;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		for (i = 0, h = 0; line[i] && h + 1 < sizeof(hex); i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\n' && line[i] != '\r')
				hex[h++] = line[i];
		hex[h] = '\0';
		if (sodium_hex2bin(out + n, max - n, hex, h, NULL, &len, NULL) != 0) {
			fclose(f);
			return 0;
		}
		n += len;
	}
	fclose(f);
	return n;
}

#endif
