#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-run-interop.sh — xscert run against real digest peers acting as the
# phone: SIPp (UAS scenario with verifyauth) and kamailio's auth module
# (www_challenge / pv_www_authenticate) with MD5 and SHA-256. Peers listen on
# free loopback ports and are always stopped.
. "$(dirname "$0")/lib-run.sh"
D="$XSCERT_SRCDIR/tests/data"
SC="$D/sipp-uas/scenarios"
free_port() {
	python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
openssl rand -hex 10 > "$T/pw"
PW=$(cat "$T/pw")
ran=0

# wait until something answers OPTIONS on PORT (at most 5 s)
wait_up() {
	for _ in $(seq 50); do
		"$XSCERT" run -q --target "127.0.0.1:$1" --password-file "$T/pw" --timeout 0.1 \
			--report-dir "$T/probe" "$SC/01-auth-correct.yaml" >/dev/null 2>&1
		[ $? -ne 3 ] && return 0
		sleep 0.1
	done
	return 1
}

check_run() { # name port
	"$XSCERT" run --target "127.0.0.1:$2" --password-file "$T/pw" --report-dir "$T/$1" "$SC" \
		> "$T/$1.out" 2>&1
	local rc=$?
	# the peer is no Cisco phone: XS-FW-01 (identified) fails, and only it
	[ $rc -eq 1 ] && [ "$(failing_rules "$T/$1")" = XS-FW-01 ] ||
		{ cat "$T/$1.out"; fail "$1: exit $rc, failing '$(failing_rules "$T/$1")', expected only XS-FW-01"; }
	[ "$(jq '.summary.findings.pass' "$T/$1/result.json")" -gt 0 ] || fail "$1: nothing passed"
	if grep -rqa -- "$PW" "$T/$1" "$T/$1.out"; then fail "$1: the password leaked"; fi
	echo "$1: $(jq -c .summary.findings "$T/$1/result.json")"
	ran=$((ran + 1))
}

if command -v sipp >/dev/null; then
	port=$(free_port)
	sed "s/@USER@/159/; s/@PASSWORD@/$PW/" "$D/sipp-uas/uas-digest.xml" > "$T/uas.xml"
	sipp -sf "$T/uas.xml" -i 127.0.0.1 -p "$port" -bg -nostdin > "$T/sipp.out" 2>&1
	spid=$(sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' "$T/sipp.out")
	[ -n "$spid" ] || { cat "$T/sipp.out"; fail "SIPp did not start"; }
	PIDS+=("$spid")
	wait_up "$port" || fail "SIPp does not answer"
	check_run sipp "$port"
	kill "$spid"
else
	echo "sipp not installed: SIPp part skipped"
fi

if command -v kamailio >/dev/null; then
	mpath=$(dirname "$(find /usr/lib -name auth.so -path '*kamailio/modules*' | head -1)")
	for alg in MD5 SHA-256; do
		port=$(free_port)
		mkdir -p "$T/kam-$alg"
		sed "s/@PORT@/$port/; s/@ALGORITHM@/$alg/; s/@USER@/159/; s/@PASSWORD@/$PW/; s|@MPATH@|$mpath/|" \
			"$D/kamailio/auth.cfg.in" > "$T/kam-$alg/k.cfg"
		kamailio -f "$T/kam-$alg/k.cfg" -DD -E -Y "$T/kam-$alg" -P "$T/kam-$alg/pid" \
			-w "$T/kam-$alg" > "$T/kam-$alg.log" 2>&1 &
		kpid=$!
		PIDS+=("$kpid")
		wait_up "$port" || { cat "$T/kam-$alg.log"; fail "kamailio ($alg) does not answer"; }
		check_run "kamailio-$alg" "$port"
		# the authenticated retry itself (not the challenge) names the algorithm
		jq -r '.exchanges[].messages[] | select(.role == "retry") | .raw' "$T/kamailio-$alg/result.json" |
			grep -iE "^(Proxy-)?Authorization:.*algorithm=\"?$alg\"?(,|[[:space:]]|$)" >/dev/null ||
			fail "kamailio-$alg: the retry did not use $alg"
		kill "$kpid"
		wait "$kpid" 2>/dev/null
	done
else
	echo "kamailio not installed: kamailio part skipped"
fi
[ $ran -gt 0 ] || exit 77
