/* SPDX-License-Identifier: MIT */
/* cli-util.c — diagnostics, secrets and file reading shared by the subcommands. */
#include "cli.h"
#include "harness/common/xs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "xscert %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "xscert %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'xscert %s --help'.\n", cmd);
	return XS_EXIT_USAGE;
}

int cli_read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	struct xs_buf b = { 0 };
	unsigned char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (xs_buf_append(&b, tmp, n) < 0)
			break;
	int r = ferror(f) ? -EIO : (b.oom ? -ENOMEM : 0);
	if (f != stdin)
		fclose(f);
	if (r < 0) {
		xs_buf_reset(&b);
		return r;
	}
	*buf = (unsigned char *)xs_buf_steal(&b, len);
	if (!*buf)
		return -ENOMEM;
	return 0;
}

char *cli_secret(const char *cmd, const char *password_file, const char *password,
		 bool required, int *err)
{
	*err = 0;
	if (password_file) {
		unsigned char *buf;
		size_t len;
		int r = cli_read_file(password_file, &buf, &len);
		if (r < 0) {
			cli_err(cmd, "%s: cannot read password file: %s", password_file,
				strerror(-r));
			*err = XS_EXIT_USAGE;
			return NULL;
		}
		size_t n = 0;
		while (n < len && buf[n] != '\n' && buf[n] != '\r')
			n++;
		char *s = xs_span_dup(xs_span(buf, n));
		explicit_bzero(buf, len);
		free(buf);
		return s;
	}
	const char *env = getenv("XSCERT_PASSWORD");
	if (env)
		return strdup(env);
	if (password)
		return strdup(password);
	if (required) {
		cli_err(cmd, "no password: give --password-file FILE, set XSCERT_PASSWORD, "
			     "or (discouraged, it shows in ps) --password");
		*err = XS_EXIT_USAGE;
	}
	return NULL;
}

void cli_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int log_verbosity;

static void log_stderr(void *ctx, enum xs_log_level lvl, const char *msg)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	(void)ctx;
	if ((int)lvl > log_verbosity)
		return;
	fprintf(stderr, "xscert: %s: %s\n", names[lvl], msg);
}

void cli_log_init(int verbosity)
{
	log_verbosity = verbosity;
	xs_log_set(log_stderr, NULL);
}
