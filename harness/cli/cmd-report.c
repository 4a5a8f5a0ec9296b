/* SPDX-License-Identifier: MIT */
/* cmd-report.c — `xscert report`: render a saved result (json, junit, html, md, text) or merge results. */
#include "cli.h"
#include "harness/common/xs.h"
#include "report/report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CMD "report"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xscert report render [--format FORMAT] [-o OUT] RESULT.json\n"
		"       xscert report merge [-o OUT.json] RESULT.json...\n"
		"       xscert report validate RESULT.json...\n"
		"Render or merge results saved by 'xscert run' or 'xscert analyze'\n"
		"(schema " REPORT_SCHEMA ", docs/report-schema.md).\n\n"
		"  render    write one format of a result:\n"
		"              html   one self-contained page: verdict, devices, rules, a ladder\n"
		"                     diagram per exchange (open it in any browser)\n"
		"              junit  JUnit XML for CI servers (Jenkins, GitLab)\n"
		"              md     a Markdown summary for a pull-request comment\n"
		"              json   the result itself, checked and re-serialised\n"
		"              text   a summary table for the terminal\n"
		"            Without --format the format follows OUT's extension (.html, .xml,\n"
		"            .md, .json), and is text when there is no OUT.\n"
		"  merge     combine results (a fleet: many phones, many captures) into one\n"
		"            result with one summary; devices that are the same are joined\n"
		"  validate  check that files are " REPORT_SCHEMA " documents\n\n"
		"  -f, --format F   html, junit, md, json or text\n"
		"  -o, --output F   write to F (\"-\" or none: standard output)\n"
		"  -h, --help       this text\n\n"
		"Exit status: 0 done (whatever the result's verdict: rendering judges nothing;\n"
		"'xscert run' and 'xscert analyze' exit 1 on a failed check), 2 usage error or an\n"
		"unreadable, malformed or invalid input file (named with line:column or the\n"
		"JSON path that is wrong), 3 the output could not be written.\n");
}

/* Read, parse, scrub and validate one result; prints what is wrong and returns NULL. */
static json_t *load(const char *path)
{
	unsigned char *buf;
	size_t len;
	int r = cli_read_file(path, &buf, &len);
	if (r < 0) {
		cli_err(CMD, "%s: cannot read: %s", path, xs_strerror(r));
		return NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!j) {
		cli_err(CMD, "%s:%d:%d: not valid JSON: %s", path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	report_scrub_secrets(j);
	char err[256];
	r = report_validate(j, err, sizeof err);
	if (r < 0) {
		if (r == -EBADMSG)
			cli_err(CMD, "%s: not a valid %s result: %s", path, REPORT_SCHEMA, err);
		else
			cli_err(CMD, "%s: %s", path, xs_strerror(r));
		json_decref(j);
		return NULL;
	}
	return j;
}

static int write_out(const char *path, const struct xs_buf *b)
{
	bool std = !path || !strcmp(path, "-");
	FILE *f = std ? stdout : fopen(path, "wb");
	if (!f) {
		cli_err(CMD, "%s: cannot write: %s", path, strerror(errno));
		return XS_EXIT_ENV;
	}
	size_t n = b->len ? fwrite(b->p, 1, b->len, f) : 0;
	int bad = n != b->len || fflush(f) != 0;
	if (!std)
		bad |= fclose(f) != 0;
	if (bad) {
		cli_err(CMD, "%s: cannot write: %s", std ? "standard output" : path,
			strerror(errno));
		return XS_EXIT_ENV;
	}
	return XS_EXIT_OK;
}

/* The format named by F, or by OUT's extension; -1 for text; -2 unknown. */
static int pick_format(const char *name, const char *out)
{
	static const struct {
		const char *word;
		int f;
	} names[] = {
		{ "html", REPORT_HTML }, { "junit", REPORT_JUNIT }, { "xml", REPORT_JUNIT },
		{ "md", REPORT_MD },     { "markdown", REPORT_MD }, { "json", REPORT_JSON },
		{ "text", -1 },
	}, exts[] = {
		{ ".html", REPORT_HTML }, { ".htm", REPORT_HTML }, { ".xml", REPORT_JUNIT },
		{ ".md", REPORT_MD },     { ".json", REPORT_JSON },
	};
	if (name) {
		for (size_t i = 0; i < XS_ARRAY_SIZE(names); i++)
			if (!strcmp(name, names[i].word))
				return names[i].f;
		return -2;
	}
	size_t n = out ? strlen(out) : 0;
	for (size_t i = 0; i < XS_ARRAY_SIZE(exts); i++) {
		size_t e = strlen(exts[i].word);
		if (n > e && !strcmp(out + n - e, exts[i].word))
			return exts[i].f;
	}
	return -1;
}

static const struct option opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_report(int argc, char **argv)
{
	const char *format = NULL, *out = NULL;
	if (argc < 2) {
		usage(stderr);
		return XS_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return XS_EXIT_OK;
	}
	if (strcmp(sub, "render") && strcmp(sub, "merge") && strcmp(sub, "validate"))
		return cli_usage_error(CMD, "unknown subcommand '%s' (render, merge or validate)",
				       sub);
	argc--, argv++;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return XS_EXIT_OK;
		default: {
			char shown[72];
			return cli_usage_error(CMD, "unknown option or missing value: '%s'",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		}
		}
	}
	int nin = argc - optind;
	char **in = argv + optind;
	if (nin < 1)
		return cli_usage_error(CMD, "%s: no RESULT.json given", sub);

	if (!strcmp(sub, "validate")) {
		if (format || out)
			return cli_usage_error(CMD, "validate takes no --format or --output");
		int rc = XS_EXIT_OK;
		for (int i = 0; i < nin; i++) {
			json_t *j = load(in[i]);
			if (!j)
				rc = XS_EXIT_USAGE;
			else
				printf("%s: valid %s\n", in[i], REPORT_SCHEMA);
			json_decref(j);
		}
		return rc;
	}

	json_t *result = NULL;
	int fmt = REPORT_JSON;
	if (!strcmp(sub, "render")) {
		if (nin != 1)
			return cli_usage_error(CMD, "render takes one RESULT.json (merge them first)");
		fmt = pick_format(format, out);
		if (fmt == -2)
			return cli_usage_error(CMD, "unknown format '%s' (html, junit, md, json, text)",
					       format);
		if (!(result = load(in[0])))
			return XS_EXIT_USAGE;
	} else {
		if (format && strcmp(format, "json"))
			return cli_usage_error(CMD, "merge writes json only");
		json_t **parts = calloc((size_t)nin, sizeof *parts);
		int bad = !parts;
		for (int i = 0; parts && i < nin; i++)
			if (!(parts[i] = load(in[i])))
				bad = 1;
		if (!bad && !(result = report_merge(parts, (size_t)nin)))
			cli_err(CMD, "merge: %s", xs_strerror(-ENOMEM));
		for (int i = 0; parts && i < nin; i++)
			json_decref(parts[i]);
		free(parts);
		if (!result)
			return XS_EXIT_USAGE;
	}

	struct xs_buf b = { 0 };
	int r = fmt < 0 ? report_summary_text(result, &b)
			: report_render(result, (enum report_format)fmt, &b);
	json_decref(result);
	int rc;
	if (r < 0) {
		cli_err(CMD, "%s: %s", in[0], xs_strerror(r));
		rc = XS_EXIT_USAGE;
	} else {
		rc = write_out(out, &b);
	}
	xs_buf_reset(&b);
	return rc;
}
