# Every class of bad input gets a clear reject with where and why, is
# counted, and the stream goes on: in = passed + duplicate + rejected.
ok='"ts":"2026-10-28T00:00:00Z","ids":{"user":"u1"}'
deep=$(awk 'BEGIN { for (i = 0; i < 100; i++) printf "["; for (i = 0; i < 100; i++) printf "]" }')
big=$(awk 'BEGIN { s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; for (i = 0; i < 11000; i++) printf "%s", s }')
{
	printf '{"type":"good",%s}\n' "$ok"
	printf 'not json\n'
	printf '{"type":"a",}\n'
	printf '{"type":"a"\n'
	printf '[1,2,3]\n'
	printf '"just a string"\n'
	printf '42\n'
	printf '\n'
	printf '   \n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"\377\376"}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"\300\200"}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"\355\240\200"}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"\\udc00"}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"\\ud83d x"}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"a\000b"}}\n'
	printf '{"type":"a",%s}\000\n' "$ok"
	printf '\000\000\000\n'
	printf '{"type":"a",%s,"props":{"x":%s}}\n' "$ok" "$deep"
	printf '{"type":"a",%s,"props":{"x":"%s"}}\n' "$ok" "$big"
	printf '{"ts":"2026-10-28T00:00:00Z","ids":{"user":"u1"}}\n'
	printf '{"type":"a","ids":{"user":"u1"}}\n'
	printf '{"type":"a","ts":"yesterday","ids":{"user":"u1"}}\n'
	printf '{"type":"a","ts":"2026-02-30T00:00:00Z","ids":{"user":"u1"}}\n'
	printf '{"type":"a","ts":true,"ids":{"user":"u1"}}\n'
	printf '{"type":"a","ts":0,"ids":{"user":"u1"}}\n'
	printf '{"type":7,%s}\n' "$ok"
	printf '{"type":"has space",%s}\n' "$ok"
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z"}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":["u1"]}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{}}\n'
	printf '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"null","cookie":"undefined","device":"0"}}\n'
	printf '{"type":"a",%s,"props":[1]}\n' "$ok"
	printf '{"type":"a",%s,"traits":"f"}\n' "$ok"
	printf '{"type":"a",%s,"event_id":"has space"}\n' "$ok"
	printf '{"type":"a","type":"b",%s}\n' "$ok"
	printf '{"type":"good",%s}\n' "$ok"
	printf '{"type":"$tick","ts":"2026-10-28T00:00:01.000Z"}\n'
	printf '{"type":"last_line_without_newline",%s}' "$ok"
} > "$T/bad.ndjson"

ingest --db "$T/db" -v --rejects "$T/rej" "$T/bad.ndjson" > "$T/out" 2> "$T/err"
echo "exit $?"
echo "passed on:"
cat "$T/out"
echo "rejects (source, error):"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
echo "truncated rejects: $(jq -r 'select(.truncated) | "\(.bytes) bytes, kept \(.line | length)"' "$T/rej")"
# the accounting identity
awk '/ in: / { print ($2 == $4 + $6 + $8 + $11) ? "in = passed + duplicate + rejected + skipped" : "ACCOUNTING BROKEN: " $0 }' "$T/err"
