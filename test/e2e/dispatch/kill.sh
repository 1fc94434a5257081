# kill -9 of dispatch at 100 random moments while it sends 10,000 $send records
# to a webhook on loopback, restarting each time on the same input
# (--resume) until a run ends by itself. With idempotency keys the
# provider delivers every send exactly once (what a restart sends again
# carries the same key); without them no send is delivered twice, and
# every send that was in flight at a kill is answered "unknown" and
# counted, never resent.
. "$UOPS_TOP/test/lib/sinks.sh"
set -e
awk 'BEGIN { for (i = 1; i <= 10000; i++)
	printf "{\"type\":\"$send\",\"send_id\":\"k:%d\",\"ts\":\"2026-03-01T10:00:00Z\",\"oneid\":%d,\"channel\":\"webhook\"}\n", i, i }' > "$T/in"
run() { # NAME IDEMPOTENT
	hook_start "$T/$1"
	cat > "$T/$1.json" <<EOC
{"providers": {"hook": {"type": "webhook", "url": "http://$HOOK/send", "idempotency_key": $2, "backoff_ms": 10}},
 "channels": {"webhook": {"provider": "hook"}}}
EOC
	: > "$T/$1.out"
	kills=0
	seed=7
	while :; do
		dispatch --db "$T/$1.db" --nosync --resume --parallel 16 --channels "$T/$1.json" \
			--now 2026-03-01T10:00:00Z "$T/in" >> "$T/$1.out" 2>> "$T/$1.err" &
		pid=$!
		seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
		sleep "0.$(printf %03d $((seed % 150 + 10)))"
		if kill -9 $pid 2>/dev/null; then
			wait $pid 2>/dev/null || true
			kills=$((kills + 1))
			[ $kills -lt 100 ] && continue
			break
		fi
		wait $pid 2>/dev/null || { echo "$1: a run failed" >&2; cat "$T/$1.err" >&2; return 1; }
		break
	done
	dispatch --db "$T/$1.db" --nosync --resume --parallel 16 --channels "$T/$1.json" \
		--now 2026-03-01T10:00:00Z "$T/in" >> "$T/$1.out"
	echo "$1: killed $( [ $kills -ge 1 ] && echo "at least once" || echo never)"
	d=$(wc -l < "$T/$1/delivered.ndjson")
	grep -o '"send_id": "k:[0-9]*"' "$T/$1/delivered.ndjson" | tr -d ' ' | sort -u > "$T/$1.got"
	grep '"\$delivery"' "$T/$1.out" | grep -o '"send_id":"k:[0-9]*"' | sort -u > "$T/$1.answered"
	grep '"status":"sent"' "$T/$1.out" | grep -o '"send_id":"k:[0-9]*"' | sort -u > "$T/$1.sent"
	grep '"status":"unknown"' "$T/$1.out" | grep -o '"send_id":"k:[0-9]*"' | sort -u > "$T/$1.unknown"
	u=$(wc -l < "$T/$1.got")
	[ "$d" = "$u" ] && echo "$1: no send delivered twice"
	echo "$1: sends answered: $(wc -l < "$T/$1.answered")"
	echo "$1: answered sent but not delivered: $(comm -23 "$T/$1.sent" "$T/$1.got" | wc -l)"
	echo "$1: neither delivered nor answered unknown: $(sort -u "$T/$1.got" "$T/$1.unknown" | wc -l | awk '{ print 10000 - $1 }')"
	echo "$1: left pending: $(mdb_dump -p -s dispatch.pending "$T/$1.db" | sed '1,/^HEADER=END/d' | grep -vc '^DATA=END' || true)"
	echo "$1: delivered $u, unknown $(wc -l < "$T/$1.unknown"), repeats answered by the key $(cat "$T/$1/repeats"), $kills kills" >&2
	[ "$2" = true ] && echo "$1: delivered $u, unknown $(wc -l < "$T/$1.unknown")"
	return 0
}
run keyed true
run unkeyed false
