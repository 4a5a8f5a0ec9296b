/* SPDX-License-Identifier: MIT */
/* main.c — the xscert program: dispatches to its subcommands. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
#ifdef HAVE_CMD_RUN
	{ "run", cmd_run, "run scenarios against a phone (default: the built-in emulator)" },
#endif
#ifdef HAVE_CMD_EMULATE
	{ "emulate", cmd_emulate, "be a phone: answer NOTIFYs like a chosen model/firmware" },
#endif
#ifdef HAVE_CMD_ANALYZE
	{ "analyze", cmd_analyze, "rebuild exchanges from pcap/pcapng captures and judge them" },
#endif
#ifdef HAVE_CMD_DIGEST
	{ "digest", cmd_digest, "compute, verify or answer a digest (calculator)" },
#endif
#ifdef HAVE_CMD_REPORT
	{ "report", cmd_report, "render or merge results (json, junit, html, md)" },
#endif
#ifdef HAVE_CMD_FUZZ
	{ "fuzz", cmd_fuzz, "fuzz a phone over the network, past the 401" },
#endif
#ifdef HAVE_CMD_LIST
	{ "list", cmd_list, "list profiles, rules or scenarios" },
#endif
	{ "help", NULL, "this text" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: xscert COMMAND [OPTION]...\n"
		   "Certify how SIP phones handle NOTIFY Event: XML-Service.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'xscert COMMAND --help' describes a command.\n"
		   "Exit status: 0 all checks passed, 1 a check failed, 2 usage or input error,\n"
		   "3 target or environment failure.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return XS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("xscert %s\n", XSCERT_VERSION);
		return XS_EXIT_OK;
	}
	/* getopt's own messages would echo "--password=..." whole: each command names
	 * a bad option itself, through cli_opt_shown */
	opterr = 0;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (commands[i].fn && !strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "xscert: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return XS_EXIT_USAGE;
}
