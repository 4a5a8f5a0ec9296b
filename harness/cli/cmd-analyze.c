/* SPDX-License-Identifier: MIT */
/* cmd-analyze.c — `xscert analyze`: rebuild XML-Service exchanges from captures and judge them. */
#include "cli.h"
#include "harness/capture/capture.h"
#include "report/report.h"

#include <getopt.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define CMD "analyze"
#define NOTES_SHOWN 20

static void help(void)
{
	printf("Usage: xscert analyze CAPTURE... [OPTION]...\n"
	       "Rebuild NOTIFY XML-Service exchanges from pcap/pcapng captures and judge them\n"
	       "with the same rules as live runs.\n\n"
	       "  -c, --credentials FILE  known passwords, lines user:realm:password (an empty\n"
	       "                          realm matches any; '#' starts a comment): lets\n"
	       "                          XS-DIG-01 verify digests (without: skip)\n"
	       "  -o, --report-dir DIR    write the report there (default: a summary on stdout)\n"
	       "  -f, --format LIST       formats for --report-dir: json,junit,html,md (default all)\n"
	       "  -w, --fetch-window S    seconds after an accepted push in which the phone's\n"
	       "                          HTTP GET counts as its fetch (default 10)\n"
	       "      --stats             print decoding counts on stderr\n"
	       "  -h, --help              this text\n\n"
	       "SIP is found by content, not by port: Ethernet, Linux cooked v1/v2, raw IP and\n"
	       "BSD loopback captures; 802.1Q; IPv4/IPv6 with fragments; UDP and TCP.\n"
	       "Input that cannot be used (truncated file, cut or overlapping packets) is\n"
	       "noted with its frame number and the rest is still judged.\n"
	       "With a second CPU, the capture is read and decoded on one thread and judged\n"
	       "on another (same result; `taskset -c 0 xscert analyze ...` keeps it to one).\n\n"
	       "Exit status: 0 every check passed, 1 a check failed, 2 usage error or a file\n"
	       "that cannot be read as a capture.\n");
}

/* Seconds (decimal) to microseconds; -1 when not a number in (0, 3600]. */
static int64_t parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 3600)
		return -1;
	return (int64_t)(v * 1e6);
}

static int load_credentials(const char *path, struct rules_credential **creds, size_t *n)
{
	unsigned char *buf;
	size_t len;
	int r = cli_read_file(path, &buf, &len);
	if (r < 0) {
		cli_err(CMD, "%s: cannot read credentials: %s", path, strerror(-r));
		return XS_EXIT_USAGE;
	}
	size_t bad;
	r = cap_creds_parse(buf, len, creds, n, &bad);
	explicit_bzero(buf, len);
	free(buf);
	if (r == -EBADMSG) {
		cli_err(CMD, "%s:%zu: malformed credentials line (want user:realm:password)",
			path, bad);
		return XS_EXIT_USAGE;
	}
	if (r < 0) {
		cli_err(CMD, "%s: %s", path, xs_strerror(r));
		return XS_EXIT_USAGE;
	}
	return 0;
}

static void print_stats(const struct cap_analyzer *a, const struct xs_result *res)
{
	const struct cap_stats *d = cap_analyzer_decode_stats(a);
	const struct cap_analyzer_stats *s = cap_analyzer_stats(a);
	fprintf(stderr,
		"frames %llu\nbytes %llu\nsip_messages %llu\nhttp_requests %llu\n"
		"ip_reassembled %llu\ntcp_retransmissions %llu\ndigest_logins %llu\n"
		"exchanges %llu\nfolded %llu\nunparsed %llu\nskipped %llu\nnotes %zu\n",
		(unsigned long long)d->frames, (unsigned long long)d->bytes,
		(unsigned long long)d->sip_msgs, (unsigned long long)d->http_reqs,
		(unsigned long long)d->ip_reassembled, (unsigned long long)d->tcp_retrans,
		(unsigned long long)s->digest_logins, (unsigned long long)s->exchanges,
		(unsigned long long)s->folded, (unsigned long long)s->unparsed,
		(unsigned long long)d->skipped, res->n_notes);
	for (size_t i = 0; i < CAP_STATS_METHODS && s->logins_by_method[i].method[0]; i++)
		fprintf(stderr, "digest_logins.%s %llu\n", s->logins_by_method[i].method,
			(unsigned long long)s->logins_by_method[i].n);
}

static void print_notes(const struct xs_result *res)
{
	for (size_t i = 0; i < res->n_notes && i < NOTES_SHOWN; i++) {
		const struct xs_note *n = &res->notes[i];
		fprintf(stderr, "xscert analyze: note: %s: frame %llu: %s\n",
			n->file ? n->file : "-", (unsigned long long)n->frame, n->what);
	}
	if (res->n_notes > NOTES_SHOWN)
		fprintf(stderr, "xscert analyze: note: %zu more notes (all are kept in the "
				"report: --report-dir DIR)\n",
			res->n_notes - NOTES_SHOWN);
}

/* Write the report (dir) or the summary (stdout); returns an exit status or -1 when fine. */
static int output(const struct xs_result *res, const char *dir, unsigned mask)
{
	/* the summary on stdout reads no message: none is put in */
	json_t *j = dir ? report_from_result(res, NULL) : report_from_result_lean(res, NULL);
	if (!j) {
		cli_err(CMD, "out of memory building the report");
		return XS_EXIT_ENV;
	}
	int rc = -1;
	if (dir) {
		char err[512] = "";
		int r = report_write_dir(j, dir, mask, err, sizeof err);
		if (r < 0) {
			cli_err(CMD, "%s: cannot write the report: %s", err[0] ? err : dir,
				xs_strerror(r));
			rc = XS_EXIT_ENV;
		}
	} else {
		struct xs_buf out = { 0 };
		if (report_summary_text(j, &out) < 0) {
			cli_err(CMD, "cannot render the summary");
			rc = XS_EXIT_ENV;
		} else {
			fwrite(out.p, 1, out.len, stdout);
		}
		xs_buf_reset(&out);
	}
	json_decref(j);
	return rc;
}

int cmd_analyze(int argc, char **argv)
{
	enum { OPT_STATS = 256 };
	static const struct option opts[] = {
		{ "credentials", required_argument, NULL, 'c' },
		{ "report-dir", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "fetch-window", required_argument, NULL, 'w' },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cred_path = NULL, *dir = NULL, *formats = NULL;
	int64_t window = CAP_FETCH_WINDOW_DEFAULT_US;
	bool stats = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:f:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cred_path = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'f':
			formats = optarg;
			break;
		case 'w':
			window = parse_seconds(optarg);
			if (window < 0)
				return cli_usage_error(CMD, "--fetch-window: '%s' is not a number of "
							    "seconds in (0, 3600]", optarg);
			break;
		case OPT_STATS:
			stats = true;
			break;
		case 'h':
			help();
			return XS_EXIT_OK;
		default: {
			char shown[72];
			return cli_usage_error(CMD, "unknown option or missing value: '%s'",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		}
		}
	}
	if (optind >= argc)
		return cli_usage_error(CMD, "no capture file given");
	unsigned mask = (1u << REPORT_FORMAT_COUNT) - 1;
	if (formats && report_formats_parse(formats, &mask) < 0)
		return cli_usage_error(CMD, "--format: '%s' is not a list of json,junit,html,md",
				       formats);
	if (formats && !dir)
		return cli_usage_error(CMD, "--format needs --report-dir");

	struct rules_credential *creds = NULL;
	size_t n_creds = 0;
	if (cred_path) {
		int r = load_credentials(cred_path, &creds, &n_creds);
		if (r)
			return r;
	}
	struct xs_result *res = NULL;
	struct cap_analyzer *a = NULL;
	/* the analyzer frees as much as it allocates, all the time: keep the freed
	 * memory instead of giving it back and faulting it in again */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* decoding on this thread, the rest on a second one, when a second CPU is ours */
	cpu_set_t cpus;
	bool two = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 1;
	struct cap_analyzer_opts o = { .fetch_window_us = window, .creds = creds,
				       .n_creds = n_creds, .decode_thread = two };
	int rc = XS_EXIT_OK;
	if (xs_result_new(&res, XS_SOURCE_CAPTURE) < 0 || cap_analyzer_new(&a, res, &o) < 0) {
		cli_err(CMD, "out of memory");
		rc = XS_EXIT_ENV;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		char err[512] = "";
		int r = cap_analyze_file(a, argv[i], err, sizeof err);
		if (r < 0) {
			cli_err(CMD, "%s: %s", argv[i], err[0] ? err : xs_strerror(r));
			rc = r == -ENOMEM ? XS_EXIT_ENV : XS_EXIT_USAGE;
			goto out;
		}
	}
	if (cap_analyzer_finish(a) < 0) {
		cli_err(CMD, "out of memory");
		rc = XS_EXIT_ENV;
		goto out;
	}
	if (stats)
		print_stats(a, res);
	print_notes(res);
	int orc = output(res, dir, mask);
	if (orc >= 0) {
		rc = orc;
		goto out;
	}
	size_t counts[XS_VERDICT_COUNT];
	xs_result_count(res, counts);
	rc = counts[XS_FAIL] || counts[XS_ERROR] ? XS_EXIT_FAIL : XS_EXIT_OK;
out:
	cap_analyzer_free(a);
	xs_result_free(res);
	cap_creds_free(creds, n_creds);
	return rc;
}
