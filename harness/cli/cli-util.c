/* SPDX-License-Identifier: MIT */
/* cli-util.c — diagnostics, secrets and file reading shared by the subcommands. */
#include "cli.h"
#include "harness/common/xs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

const char *cli_opt_shown(const char *arg, char *buf, size_t len)
{
	size_t n = 0;
	if (!arg || arg[0] != '-')
		arg = "(an operand)";
	while (arg[n] && arg[n] != '=' && n + 1 < len && n < 64)
		n++;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	return buf;
}

int cli_stray_operand(const char *cmd, int i)
{
	return cli_usage_error(cmd, "unexpected operand (argument #%d, not shown: it may be a "
				    "secret); quote a value that holds spaces", i);
}

int cli_read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return -EISDIR;
	}
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
		while (n < len && buf[n] != '\n' && buf[n] != '\r' && buf[n] != '\0')
			n++;
		const char *why = n < len && buf[n] == '\0' ? "holds a NUL byte"
				  : n == 0                   ? "has an empty first line"
							     : NULL;
		char *s = why ? NULL : xs_span_dup(xs_span(buf, n));
		explicit_bzero(buf, len);
		free(buf);
		if (why) {
			cli_err(cmd, "%s: password file %s", password_file, why);
			*err = XS_EXIT_USAGE;
		}
		return s;
	}
	if (password)
		return strdup(password);
	const char *env = getenv("XSCERT_PASSWORD");
	if (env)
		return strdup(env);
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
