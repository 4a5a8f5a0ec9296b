/* SPDX-License-Identifier: MIT */
/* cmd-emulate.c — `xscert emulate`: be a phone on UDP and TCP until SIGINT/SIGTERM. */
#include "cli.h"
#include "harness/phone/phone.h"

#include "harness/xmlsvc/xmlsvc.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *const CMD = "emulate";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xscert emulate [OPTION]...\n"
		"Be a SIP phone: challenge NOTIFY Event: XML-Service, verify the digest, answer,\n"
		"and fetch the pushed URL like the chosen model and firmware.\n\n"
		"  --profile NAME         phone profile (default spa504g-7.6.2; xscert list profiles)\n"
		"  --listen ADDR:PORT     where to listen (default 127.0.0.1:5060; [::1]:0; port 0 = free)\n"
		"  --transport T          udp, tcp or both (default both)\n"
		"  --user U               the line's user (default 159)\n"
		"  --password-file F      the line's password, first line of F\n"
		"  --password P           the password (discouraged: shows in ps; or XSCERT_PASSWORD)\n"
		"  --realm R              digest realm (default xscert)\n"
		"  --nonce-ttl SECONDS    nonce lifetime before stale=true (default %u)\n"
		"  --fetch-timeout MS     HTTP fetch timeout (default 3000)\n"
		"  --quirk Q              be faulty on purpose (repeatable): no-auth, static-nonce,\n"
		"                         no-qop, accept-any-password, accept-replay, ignore-stale,\n"
		"                         wrong-realm-accepted, no-fetch, fetch-twice, drop:PERCENT,\n"
		"                         delay:MS, bad-via, hang-on:SUBSTRING, bad-challenge,\n"
		"                         bad-algorithm, reject-all, wrong-url, no-retx-cache\n"
		"                         (drop:PERCENT loses UDP datagrams; TCP is never lossy)\n"
		"  --events FILE          write what it does as JSON lines (- for stdout)\n"
		"  -h, --help             this text\n\n"
		"The first line on stderr says where it listens:\n"
		"  listening udp:127.0.0.1:PORT tcp:127.0.0.1:PORT profile NAME\n"
		"SIGINT or SIGTERM ends it (exit 0). Exit 2: bad option; 3: port in use.\n",
		PHONE_NONCE_TTL_S);
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void write_event(void *ctx, const char *line)
{
	FILE *f = ctx;
	fputs(line, f);
	fputc('\n', f);
	fflush(f);
}

/* "127.0.0.1:5060", "[::1]:0", "::1" (IPv6 without a port), "127.0.0.1" into addr and port. */
static int parse_listen(const char *s, char *addr, size_t size, uint16_t *port)
{
	const char *p = NULL;
	size_t alen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		s++;
		alen = (size_t)(close - s);
		p = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strrchr(s, ':');
		bool v6 = colon && strchr(s, ':') != colon;
		alen = colon && !v6 ? (size_t)(colon - s) : strlen(s);
		p = colon && !v6 ? colon + 1 : NULL;
	}
	if (!alen || alen >= size)
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	*port = 5060;
	if (p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (!*p || *end || v > 65535 || p[0] == '-')
			return -EINVAL;
		*port = (uint16_t)v;
	}
	return 0;
}

static int parse_uint_opt(const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Hundreds of peer connections need descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct opts {
	const char *profile, *transport, *user, *password, *password_file, *realm, *events;
	char addr[64];
	uint16_t port;
	unsigned nonce_ttl, fetch_timeout;
	struct phone_quirks quirks;
};

enum { OPT_PROFILE = 256, OPT_LISTEN, OPT_TRANSPORT, OPT_USER, OPT_PASSWORD, OPT_PASSWORD_FILE,
       OPT_REALM, OPT_NONCE_TTL, OPT_QUIRK, OPT_EVENTS, OPT_FETCH_TIMEOUT };

/* Options into o; 0, 1 when --help was shown, or XS_EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "transport", required_argument, NULL, OPT_TRANSPORT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "password", required_argument, NULL, OPT_PASSWORD },
		{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
		{ "realm", required_argument, NULL, OPT_REALM },
		{ "nonce-ttl", required_argument, NULL, OPT_NONCE_TTL },
		{ "quirk", required_argument, NULL, OPT_QUIRK },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "fetch-timeout", required_argument, NULL, OPT_FETCH_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char shown[72];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_TRANSPORT: o->transport = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_PASSWORD: o->password = optarg; break;
		case OPT_PASSWORD_FILE: o->password_file = optarg; break;
		case OPT_REALM: o->realm = optarg; break;
		case OPT_EVENTS: o->events = optarg; break;
		case OPT_LISTEN:
			if (parse_listen(optarg, o->addr, sizeof o->addr, &o->port) < 0)
				return cli_usage_error(CMD, "--listen '%s': expected ADDR:PORT", optarg);
			break;
		case OPT_NONCE_TTL:
			if (parse_uint_opt(optarg, 86400, &o->nonce_ttl) < 0 || !o->nonce_ttl)
				return cli_usage_error(CMD, "--nonce-ttl '%s': expected 1..86400 seconds", optarg);
			break;
		case OPT_FETCH_TIMEOUT:
			if (parse_uint_opt(optarg, 600000, &o->fetch_timeout) < 0 || !o->fetch_timeout)
				return cli_usage_error(CMD, "--fetch-timeout '%s': expected 1..600000 ms", optarg);
			break;
		case OPT_QUIRK:
			if (phone_quirk_parse(optarg, &o->quirks) < 0)
				return cli_usage_error(CMD, "--quirk '%s': unknown quirk or bad argument", optarg);
			break;
		case ':':
			return cli_usage_error(CMD, "option '%s' needs a value",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		default:
			return cli_usage_error(CMD, "unknown option '%s'",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		}
	}
	if (optind < argc)
		return cli_stray_operand(CMD, optind);
	if (strcmp(o->transport, "udp") && strcmp(o->transport, "tcp") && strcmp(o->transport, "both"))
		return cli_usage_error(CMD, "--transport '%s': expected udp, tcp or both", o->transport);
	if (!*o->user || !*o->realm)
		return cli_usage_error(CMD, "--user and --realm must not be empty");
	return 0;
}

static void print_listening(const struct phone_server *s, const char *profile)
{
	struct xs_endpoint ep;
	char buf[64];
	fputs("listening", stderr);
	if (phone_server_local(s, XS_TP_UDP, &ep) == 0) {
		xs_endpoint_format(&ep, buf, sizeof buf);
		fprintf(stderr, " udp:%s", buf);
	}
	if (phone_server_local(s, XS_TP_TCP, &ep) == 0) {
		xs_endpoint_format(&ep, buf, sizeof buf);
		fprintf(stderr, " tcp:%s", buf);
	}
	fprintf(stderr, " profile %s\n", profile);
	fflush(stderr);
}

int cmd_emulate(int argc, char **argv)
{
	struct opts o = { .profile = "spa504g-7.6.2", .transport = "both", .user = "159",
			  .realm = "xscert", .addr = "127.0.0.1", .port = 5060 };
	int r = parse_args(argc, argv, &o);
	if (r)
		return r == 1 ? XS_EXIT_OK : r;
	const struct fw_profile *pf = fw_profile_find(o.profile);
	if (!pf)
		return cli_usage_error(CMD, "--profile '%s': unknown (xscert list profiles)", o.profile);
	int err;
	char *password = cli_secret(CMD, o.password_file, o.password, true, &err);
	if (!password)
		return err;

	FILE *events = NULL;
	if (o.events) {
		events = strcmp(o.events, "-") ? fopen(o.events, "w") : stdout;
		if (!events) {
			cli_err(CMD, "%s: cannot open events file: %s", o.events, strerror(errno));
			cli_secret_free(password);
			return XS_EXIT_USAGE;
		}
	}
	struct phone_server_config cfg = {
		.phone = { .profile = pf, .user = o.user, .password = password, .realm = o.realm,
			   .nonce_ttl_s = o.nonce_ttl, .quirks = o.quirks,
			   .on_event = events ? write_event : NULL, .event_ctx = events },
		.tp = { .addr = o.addr, .port = o.port,
			.udp = strcmp(o.transport, "tcp") != 0, .tcp = strcmp(o.transport, "udp") != 0 },
		.fetch_timeout_ms = o.fetch_timeout,
	};
	raise_fd_limit();
	xmlsvc_global_init();
	struct phone_server *srv = NULL;
	r = phone_server_new(&srv, &cfg);
	cli_secret_free(password); /* the handler keeps its own copy */
	int rc = XS_EXIT_OK;
	if (r < 0) {
		cli_err(CMD, "cannot listen on %s:%u (%s): %s", o.addr, o.port, o.transport, xs_strerror(r));
		rc = r == -EINVAL ? XS_EXIT_USAGE : XS_EXIT_ENV;
		goto out;
	}
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	print_listening(srv, pf->name);
	r = phone_server_run(srv, &stop_flag);
	if (r < 0) {
		cli_err(CMD, "%s", xs_strerror(r));
		rc = XS_EXIT_ENV;
	}
out:
	phone_server_free(srv);
	if (events && events != stdout)
		fclose(events);
	xmlsvc_global_cleanup();
	return rc;
}
