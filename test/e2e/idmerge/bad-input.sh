# bad input gets a clear reject, never a crash; system records pass through
{
	echo 'not json'
	echo '[1]'
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x"}'
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{}}'
	echo '{"event_id":"a","ts":"2026-10-01","type":"x","ids":{"user":"u"}}'
	echo '{"ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":"u"}}'
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"qq":"12345"}}'
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":7}}'
	printf '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":"%s"}}\n' "$(printf '%0300d' 0)"
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":"a\u0001b"}}'
	printf '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":"\377"}}\n'
	echo '{"event_id":"a","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"phone":"+8613800000000"}}'
	echo '{"type":"$tick","ts":"2026-10-01T10:00:00.000Z"}'
	echo '{"event_id":"ok","ts":"2026-10-01T10:00:00.000Z","type":"x","ids":{"user":"u1"},"oneid":99}'
} > "$T/in"
idmerge --db "$T/db" -v --rejects "$T/rej" "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
cat "$T/out"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
grep ' in: ' "$T/err"
