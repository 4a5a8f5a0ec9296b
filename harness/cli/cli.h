/* SPDX-License-Identifier: MIT */
/* cli.h — what the subcommands share: exit codes, secrets, diagnostics. */
#ifndef XS_CLI_H
#define XS_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* DESIGN.md §3: exit status for every subcommand. */
enum {
	XS_EXIT_OK = 0,      /* every check passed */
	XS_EXIT_FAIL = 1,    /* at least one check failed */
	XS_EXIT_USAGE = 2,   /* usage or input error */
	XS_EXIT_ENV = 3,     /* target or environment failed */
};

/* Subcommand entry points: argv[0] is the subcommand name. */
int cmd_digest(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_emulate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);

/* "xscert <cmd>: <message>" on stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: prints the message and "Try 'xscert CMD --help'.", returns XS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An option word as it may be shown in a message: "--name" without any
 * "=value" (which may be a secret), written to buf. Returns buf.
 */
const char *cli_opt_shown(const char *arg, char *buf, size_t len);
/* Usage error for a stray operand argv[i], named by position, never echoed (a secret?). */
int cli_stray_operand(const char *cmd, int i);

/*
 * The secret, from (in order) --password-file FILE (first line, newline
 * stripped; an empty first line or a NUL byte is an error), --password
 * (shows in ps), or the XSCERT_PASSWORD environment variable: what the
 * command line says wins over the environment. Returns a heap copy the caller wipes with cli_secret_free(), or NULL
 * with a message printed when none was given (required) or a file failed.
 * *err is set to XS_EXIT_USAGE on failure.
 */
char *cli_secret(const char *cmd, const char *password_file, const char *password,
		 bool required, int *err);
void cli_secret_free(char *s);

/* Read a whole file (or "-" for stdin) into a heap buffer; 0 or -errno. */
int cli_read_file(const char *path, unsigned char **buf, size_t *len);

/* Install a logger printing library messages to stderr at or above verbosity. */
void cli_log_init(int verbosity);

#endif
