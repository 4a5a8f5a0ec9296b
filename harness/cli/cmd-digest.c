/* SPDX-License-Identifier: MIT */
/* cmd-digest.c — `xscert digest`: compute, verify or answer an HTTP/SIP Digest (calculator). */
#include "cli.h"
#include "harness/common/xs.h"
#include "harness/digest/digest.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define CMD "digest"
#define MAX_CHALLENGE_ARGS DIGEST_MAX_CHALLENGES

enum opt {
	O_HELP = 'h',
	O_USER = 256, O_REALM, O_PASSWORD, O_PASSWORD_FILE, O_METHOD, O_URI, O_NONCE, O_QOP,
	O_NC, O_CNONCE, O_ALGORITHM, O_BODY_FILE, O_HEADER, O_CHALLENGE,
};

/* Everything the three subcommands take; unset strings are NULL. */
struct dopts {
	const char *user, *realm, *password, *password_file, *method, *uri, *nonce;
	const char *qop, *nc, *cnonce, *algorithm, *body_file, *header;
	const char *challenge[MAX_CHALLENGE_ARGS];
	size_t n_challenge;
};

#define OPT(name, id) { name, required_argument, NULL, id }
#define OPT_HELP { "help", no_argument, NULL, O_HELP }
#define OPT_SECRET OPT("password", O_PASSWORD), OPT("password-file", O_PASSWORD_FILE)
#define OPT_END { NULL, 0, NULL, 0 }

static const struct option response_opts[] = {
	OPT("user", O_USER), OPT("realm", O_REALM), OPT_SECRET, OPT("method", O_METHOD),
	OPT("uri", O_URI), OPT("nonce", O_NONCE), OPT("qop", O_QOP), OPT("nc", O_NC),
	OPT("cnonce", O_CNONCE), OPT("algorithm", O_ALGORITHM), OPT("body-file", O_BODY_FILE),
	OPT_HELP, OPT_END,
};
static const struct option verify_opts[] = {
	OPT("header", O_HEADER), OPT("method", O_METHOD), OPT_SECRET, OPT("body-file", O_BODY_FILE),
	OPT("user", O_USER), OPT("realm", O_REALM), OPT("uri", O_URI), OPT("nonce", O_NONCE),
	OPT_HELP, OPT_END,
};
static const struct option answer_opts[] = {
	OPT("challenge", O_CHALLENGE), OPT("user", O_USER), OPT_SECRET, OPT("method", O_METHOD),
	OPT("uri", O_URI), OPT("body-file", O_BODY_FILE), OPT("cnonce", O_CNONCE),
	OPT("nc", O_NC), OPT_HELP, OPT_END,
};

static const char secret_help[] =
	"  --password-file F  read the password from the first line of F (\"-\": stdin)\n"
	"  --password P       the password (discouraged: it shows in ps; or set XSCERT_PASSWORD)\n";

static void usage_top(FILE *f)
{
	fprintf(f, "Usage: xscert digest response|verify|answer [OPTION]...\n"
		   "HTTP/SIP Digest calculator (RFC 2617, RFC 7616, RFC 8760).\n\n"
		   "  response  compute a response (lower-case hex)\n"
		   "  verify    check an Authorization header value against a password\n"
		   "  answer    build an Authorization header value answering a challenge\n\n"
		   "'xscert digest SUBCOMMAND --help' describes each.\n");
}

static void usage_response(FILE *f)
{
	fprintf(f, "Usage: xscert digest response --user U --realm R --password-file F --method M\n"
		   "         --uri URI --nonce N [--qop auth|auth-int|none] [--nc 00000001]\n"
		   "         [--cnonce C] [--algorithm NAME] [--body-file F]\n"
		   "Print the digest response in lower-case hex.\n\n"
		   "  --qop Q            auth, auth-int or none; default auth when --cnonce is given,\n"
		   "                     none (RFC 2069 / RFC 3261 form) otherwise\n"
		   "  --nc NC            nonce count, 8 hex digits (default 00000001)\n"
		   "  --algorithm NAME   MD5 (default), MD5-sess, SHA-256, SHA-256-sess,\n"
		   "                     SHA-512-256, SHA-512-256-sess\n"
		   "  --body-file F      the exact body bytes, for qop=auth-int\n"
		   "%s\nExit status: 0 printed, 2 usage or input error.\n", secret_help);
}

static void usage_verify(FILE *f)
{
	fprintf(f, "Usage: xscert digest verify --header 'Digest username=...' --method M\n"
		   "         --password-file F [--body-file F] [--user U] [--realm R] [--uri URI]\n"
		   "         [--nonce N]\n"
		   "Check credentials: prints 'valid' (exit 0) or 'invalid: WHY' (exit 1).\n"
		   "A malformed header is exit 2 with the parse error.\n\n"
		   "  --header H         the Authorization value (an 'Authorization:' prefix is allowed)\n"
		   "  --user/--realm/--uri/--nonce  also require these values (--user is needed\n"
		   "                     for userhash=true)\n"
		   "  --body-file F      the exact body bytes, for qop=auth-int\n%s",
		secret_help);
}

static void usage_answer(FILE *f)
{
	fprintf(f, "Usage: xscert digest answer --challenge 'Digest realm=...' --user U\n"
		   "         --password-file F --method M --uri URI [--body-file F] [--cnonce C]\n"
		   "         [--nc N]\n"
		   "Print an Authorization header value answering the strongest usable challenge.\n\n"
		   "  --challenge C      a WWW-Authenticate value; repeat for several headers\n"
		   "  --cnonce C         client nonce (default: random)\n"
		   "  --nc N             nonce count in hex, as on the wire (default 00000001)\n"
		   "  --body-file F      the exact body bytes, for qop=auth-int\n%s"
		   "\nExit status: 0 printed, 2 usage or input error (malformed or unusable challenge).\n",
		secret_help);
}

/* RFC 3261 §25.1 token: the method. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-.!%*_+`'~", *s))
			return false;
	return true;
}

/*
 * What would make a header no peer reads, named by its flag: control
 * characters (a CR or LF would split the header) and empty values where the
 * RFCs need one. 0 or a negated exit code.
 */
static int check_fields(const char *sub, const struct dopts *o)
{
	const struct {
		const char *name, *v;
		bool nonempty;
	} f[] = {
		{ "user", o->user, false },  { "realm", o->realm, false }, { "uri", o->uri, true },
		{ "nonce", o->nonce, true }, { "cnonce", o->cnonce, true },
	};
	if (o->method && !is_token(o->method))
		return -cli_usage_error(CMD, "%s: --method '%s' is not a SIP method token (RFC 3261 "
					     "§25.1), e.g. NOTIFY", sub, o->method);
	for (size_t i = 0; i < XS_ARRAY_SIZE(f); i++) {
		if (!f[i].v)
			continue;
		if (f[i].nonempty && !*f[i].v)
			return -cli_usage_error(CMD, "%s: --%s must not be empty", sub, f[i].name);
		for (const char *c = f[i].v; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return -cli_usage_error(CMD, "%s: --%s holds a control character "
							     "(CR, LF, ...): no peer reads it",
							sub, f[i].name);
	}
	return 0;
}

/* Parse argv (argv[0] is the subcommand) into o. 0, 1 for --help shown, or an exit code < 0. */
static int parse_opts(int argc, char **argv, const struct option *opts, void (*usage)(FILE *),
		      struct dopts *o)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_HELP: usage(stdout); return 1;
		case O_USER: o->user = optarg; break;
		case O_REALM: o->realm = optarg; break;
		case O_PASSWORD: o->password = optarg; break;
		case O_PASSWORD_FILE: o->password_file = optarg; break;
		case O_METHOD: o->method = optarg; break;
		case O_URI: o->uri = optarg; break;
		case O_NONCE: o->nonce = optarg; break;
		case O_QOP: o->qop = optarg; break;
		case O_NC: o->nc = optarg; break;
		case O_CNONCE: o->cnonce = optarg; break;
		case O_ALGORITHM: o->algorithm = optarg; break;
		case O_BODY_FILE: o->body_file = optarg; break;
		case O_HEADER: o->header = optarg; break;
		case O_CHALLENGE:
			if (o->n_challenge >= MAX_CHALLENGE_ARGS)
				return -cli_usage_error(CMD, "at most %d --challenge options",
							MAX_CHALLENGE_ARGS);
			o->challenge[o->n_challenge++] = optarg;
			break;
		default: {
			/* optopt is 0 for an unknown long option: name it from argv. */
			char shown[72];
			return -cli_usage_error(CMD, "%s %s: unknown option or missing argument",
						argv[0], cli_opt_shown(argv[optind - 1], shown,
								       sizeof shown));
		}
		}
	}
	if (optind < argc)
		return -cli_stray_operand(CMD, optind);
	return check_fields(argv[0], o);
}

/* Every name in need must have been given. */
static int require(const char *sub, const char *const *vals, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!vals[i])
			return cli_usage_error(CMD, "%s: --%s is required", sub, names[i]);
	return 0;
}

struct body {
	unsigned char *p;
	size_t len;
};

static int load_body(const struct dopts *o, struct body *b)
{
	b->p = NULL;
	b->len = 0;
	if (!o->body_file)
		return 0;
	int r = cli_read_file(o->body_file, &b->p, &b->len);
	if (r < 0) {
		cli_err(CMD, "%s: cannot read body: %s", o->body_file, xs_strerror(r));
		return XS_EXIT_USAGE;
	}
	return 0;
}

/* The body (--body-file) and the password; on failure nothing is held and an exit code returned. */
static int load_inputs(const struct dopts *o, struct body *b, char **pw)
{
	int r = load_body(o, b);
	if (r)
		return r;
	*pw = cli_secret(CMD, o->password_file, o->password, true, &r);
	if (!*pw) {
		free(b->p);
		return r;
	}
	return 0;
}

/* Wipe the password and free both. */
static void release_inputs(struct body *b, char *pw)
{
	cli_secret_free(pw);
	free(b->p);
	b->p = NULL;
}

static struct xs_span body_span(const struct body *b)
{
	return b->p ? xs_span(b->p, b->len) : XS_SPAN_NULL;
}

/* Drop a "Name:" prefix copied along with a header value. */
static const char *strip_header_name(const char *v, const char *const *names)
{
	for (; *names; names++) {
		size_t n = strlen(*names);
		if (!strncasecmp(v, *names, n) && v[n] == ':')
			return v + n + 1;
	}
	return v;
}

static int cmd_response(int argc, char **argv)
{
	struct dopts o = { 0 };
	int r = parse_opts(argc, argv, response_opts, usage_response, &o);
	if (r)
		return r > 0 ? XS_EXIT_OK : -r;
	const char *vals[] = { o.user, o.realm, o.method, o.uri, o.nonce };
	const char *names[] = { "user", "realm", "method", "uri", "nonce" };
	if ((r = require(argv[0], vals, names, XS_ARRAY_SIZE(vals))))
		return r;

	struct digest_input in = { .algorithm = DIGEST_MD5, .username = o.user, .realm = o.realm,
				   .nonce = o.nonce, .cnonce = o.cnonce,
				   .nc = o.nc ? o.nc : "00000001", .method = o.method, .uri = o.uri };
	if (o.algorithm && digest_alg_from_name(xs_span_str(o.algorithm), &in.algorithm) < 0)
		return cli_usage_error(CMD, "unknown --algorithm '%s'", o.algorithm);
	if (!o.qop)
		in.qop = o.cnonce ? DIGEST_QOP_AUTH : DIGEST_QOP_NONE;
	else if (!strcmp(o.qop, "auth"))
		in.qop = DIGEST_QOP_AUTH;
	else if (!strcmp(o.qop, "auth-int"))
		in.qop = DIGEST_QOP_AUTH_INT;
	else if (!strcmp(o.qop, "none"))
		in.qop = DIGEST_QOP_NONE;
	else
		return cli_usage_error(CMD, "--qop must be auth, auth-int or none, not '%s'", o.qop);
	if (strlen(in.nc) != 8 || strspn(in.nc, "0123456789abcdefABCDEF") != 8)
		return cli_usage_error(CMD, "--nc must be 8 hex digits, not '%s'", in.nc);
	if ((in.qop != DIGEST_QOP_NONE || digest_alg_is_sess(in.algorithm)) && !o.cnonce)
		return cli_usage_error(CMD, "--cnonce is required with a qop or a -sess algorithm");

	struct body body;
	char *pw;
	if ((r = load_inputs(&o, &body, &pw)))
		return r;
	in.body = body_span(&body);
	in.password = pw;
	char out[DIGEST_MAX_HEX + 1];
	r = digest_response(&in, out);
	release_inputs(&body, pw);
	if (r < 0) {
		cli_err(CMD, "cannot compute the response: %s", xs_strerror(r));
		return XS_EXIT_USAGE;
	}
	printf("%s\n", out);
	return XS_EXIT_OK;
}

static int cmd_verify(int argc, char **argv)
{
	static const char *const prefixes[] = { "Authorization", "Proxy-Authorization", NULL };
	struct dopts o = { 0 };
	int r = parse_opts(argc, argv, verify_opts, usage_verify, &o);
	if (r)
		return r > 0 ? XS_EXIT_OK : -r;
	const char *vals[] = { o.header, o.method };
	const char *names[] = { "header", "method" };
	if ((r = require(argv[0], vals, names, XS_ARRAY_SIZE(vals))))
		return r;

	const char *h = strip_header_name(o.header, prefixes);
	struct digest_credentials cr;
	struct digest_error e;
	if (digest_credentials_parse((const uint8_t *)h, strlen(h), &cr, &e) < 0) {
		char msg[128];
		digest_error_format(&e, msg, sizeof msg);
		cli_err(CMD, "--header: %s", msg);
		return XS_EXIT_USAGE;
	}
	if (cr.userhash && !o.user)
		return cli_usage_error(CMD, "the header has userhash=true: give --user");

	struct body body;
	char *pw;
	if ((r = load_inputs(&o, &body, &pw)))
		return r;
	/* Only what was given is checked; the header's own qop is taken as offered. */
	struct digest_expect ex = { .username = o.user, .realm = o.realm, .uri = o.uri,
				    .nonce = o.nonce, .password = pw,
				    .qop_mask = cr.qop ? DIGEST_QOP_MASK(cr.qop) : 0 };
	enum digest_check res;
	r = digest_verify(&cr, o.method, body_span(&body), &ex, &res);
	release_inputs(&body, pw);
	if (r < 0) {
		cli_err(CMD, "cannot verify: %s", xs_strerror(r));
		return XS_EXIT_USAGE;
	}
	if (res != DIGEST_VALID) {
		printf("invalid: %s\n", digest_check_name(res));
		return XS_EXIT_FAIL;
	}
	printf("valid\n");
	return XS_EXIT_OK;
}

static int parse_challenges(const struct dopts *o, struct digest_challenge *ch, size_t *n)
{
	static const char *const prefixes[] = { "WWW-Authenticate", "Proxy-Authenticate", NULL };
	for (size_t i = 0; i < o->n_challenge; i++) {
		const char *h = strip_header_name(o->challenge[i], prefixes);
		struct digest_error e;
		if (digest_challenge_parse((const uint8_t *)h, strlen(h), ch, DIGEST_MAX_CHALLENGES,
					   n, &e) < 0 && e.code != DIGEST_PERR_ALGORITHM) {
			char msg[128];
			digest_error_format(&e, msg, sizeof msg);
			cli_err(CMD, "--challenge #%zu: %s", i + 1, msg);
			return XS_EXIT_USAGE;
		}
	}
	return 0;
}

static int cmd_answer(int argc, char **argv)
{
	struct dopts o = { 0 };
	int r = parse_opts(argc, argv, answer_opts, usage_answer, &o);
	if (r)
		return r > 0 ? XS_EXIT_OK : -r;
	const char *vals[] = { o.n_challenge ? "" : NULL, o.user, o.method, o.uri };
	const char *names[] = { "challenge", "user", "method", "uri" };
	if ((r = require(argv[0], vals, names, XS_ARRAY_SIZE(vals))))
		return r;
	unsigned long nc = 1;
	if (o.nc) {
		/* hex, as on the wire and as 'digest response --nc' takes it (RFC 7616 §3.4) */
		char *end;
		size_t len = strlen(o.nc);
		nc = strtoul(o.nc, &end, 16);
		if (!len || len > 8 || *end || !isxdigit((unsigned char)o.nc[0]) || !nc)
			return cli_usage_error(CMD, "--nc '%s': expected 1 to 8 hex digits, not "
						    "zero (00000001 is the first request)", o.nc);
	}

	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t n = 0;
	if ((r = parse_challenges(&o, ch, &n)))
		return r;
	int pick = digest_challenge_pick(ch, n);
	if (pick < 0) {
		cli_err(CMD, "no usable Digest challenge in %zu given (an algorithm we do not "
			     "know is passed over)", n);
		return XS_EXIT_USAGE;
	}
	char cnonce[33];
	if (!o.cnonce) {
		uint8_t rnd[16];
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
			cli_err(CMD, "getrandom failed");
			return XS_EXIT_ENV;
		}
		xs_hex(cnonce, rnd, sizeof rnd);
	}

	struct body body;
	char *pw;
	if ((r = load_inputs(&o, &body, &pw)))
		return r;
	struct digest_credentials cr;
	r = digest_answer(&ch[pick], o.user, pw, o.method, o.uri, body_span(&body),
			  o.cnonce ? o.cnonce : cnonce, (uint32_t)nc, &cr);
	release_inputs(&body, pw);
	struct xs_buf out = { 0 };
	if (r == 0)
		r = digest_credentials_format(&cr, &out);
	if (r < 0) {
		xs_buf_reset(&out);
		cli_err(CMD, "cannot answer the challenge: %s", xs_strerror(r));
		return XS_EXIT_USAGE;
	}
	printf("%s\n", xs_buf_cstr(&out));
	xs_buf_reset(&out);
	return XS_EXIT_OK;
}

int cmd_digest(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = { { "response", cmd_response }, { "verify", cmd_verify }, { "answer", cmd_answer } };

	if (argc < 2) {
		usage_top(stderr);
		return XS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_top(stdout);
		return XS_EXIT_OK;
	}
	for (size_t i = 0; i < XS_ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	return cli_usage_error(CMD, "unknown subcommand '%s' (response, verify, answer)", argv[1]);
}
