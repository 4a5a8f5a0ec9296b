/* SPDX-License-Identifier: MIT */
/* creds.c — the analyzer's credentials file: "user:realm:password" lines. */
#include "capture.h"

#include <stdlib.h>
#include <string.h>

int cap_creds_parse(const uint8_t *buf, size_t len, struct rules_credential **ret, size_t *n,
		    size_t *bad_line)
{
	*ret = NULL;
	*n = 0;
	*bad_line = 0;
	/* one block: the array, then a NUL-terminated copy of the text */
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	size_t arr = lines * sizeof(struct rules_credential);
	uint8_t *block = calloc(1, arr + len + 1);
	if (!block)
		return -ENOMEM;
	struct rules_credential *c = (struct rules_credential *)block;
	char *text = (char *)block + arr;
	memcpy(text, buf, len);
	size_t count = 0, lineno = 0;
	char *p = text, *end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		lineno++;
		char *e = le;
		if (e > p && e[-1] == '\r')
			e--;
		*e = '\0';
		char *s = p;
		p = le + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		char *c1 = strchr(s, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		/* a user, two colons, a password; no NUL byte inside the line */
		if (!c1 || !c2 || c1 == s || !c2[1] || strlen(s) != (size_t)(e - s)) {
			*bad_line = lineno;
			explicit_bzero(block, arr + len + 1);
			free(block);
			return -EBADMSG;
		}
		*c1 = '\0';
		*c2 = '\0';
		c[count].username = s;
		c[count].realm = c1 + 1;
		c[count].password = c2 + 1;
		count++;
	}
	*ret = c;
	*n = count;
	return 0;
}

void cap_creds_free(struct rules_credential *c, size_t n)
{
	if (!c)
		return;
	/* the strings follow the array in the same block: wipe to the last password's end */
	const char *last = NULL;
	for (size_t i = 0; i < n; i++)
		if (!last || c[i].password > last)
			last = c[i].password;
	size_t len = last ? (size_t)(last + strlen(last) - (const char *)c) : 0;
	explicit_bzero(c, len);
	free(c);
}
