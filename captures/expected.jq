# expected.jq — the part of an `xscert analyze` result a reference capture is
# compared on (captures/regenerate writes it, tests/integration/test-analyze-reference.sh
# compares it). Inputs: the result JSON; $rc (exit status) and $st (the --stats counts).
{
  exit_status: ($rc | tonumber),
  verdict: .summary.verdict,
  exchanges: .summary.exchanges,
  findings: .summary.findings,
  devices: [.devices[] | {model, firmware, profile}],
  rules: (.summary.rules | with_entries(.value |= (to_entries | map(select(.value > 0))
           | map("\(.key)=\(.value)") | join(",")))),
  sip_messages: $st[0].sip_messages,
  http_requests: $st[0].http_requests,
  digest_logins: $st[0].digest_logins,
  notes: (.notes | length)
}
