# What providers do wrong, against a real receiver on loopback: a 429 then
# success (retried, sent), 503 until the retries run out (failed,
# temporary), a first answer slower than the timeout (resent with the same
# Idempotency-Key: the receiver keeps one copy), a 200 whose body is not
# JSON (sent, no provider id), the same timeout at a provider without
# idempotency keys (unknown, never resent), and a provider that refuses
# connections: its sends are kept (after `breaker` failures in a row the
# circuit opens and the rest are kept without trying) and exit 75; a rerun
# once it is up sends them before reading any input.
. "$UOPS_TOP/test/lib/sinks.sh"
hook_start "$T/hook" || exit 1
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/ch.json" <<EOC
{"providers": {
   "hook": {"type": "webhook", "url": "http://$HOOK/send", "retries": 2, "backoff_ms": 10, "timeout_ms": 500},
   "nokey": {"type": "webhook", "url": "http://$HOOK/send", "idempotency_key": false, "retries": 2, "backoff_ms": 10,
             "timeout_ms": 500},
   "down": {"type": "webhook", "url": "http://127.0.0.1:$port/send", "retries": 1, "backoff_ms": 10, "breaker": 2,
            "cooldown_ms": 600000}},
 "channels": {"webhook": {"provider": "hook"}, "legacy": {"provider": "nokey"}, "down": {"provider": "down"}}}
EOC
s() { # ID CHANNEL SINK
	printf '{"type":"$send","send_id":"%s","ts":"2026-03-01T10:00:00Z","oneid":1,"channel":"%s","kind":"transactional","params":{"sink":"%s"}}\n' "$1" "$2" "$3"
}
{
	s f:1 webhook 429x1
	s f:2 webhook 503x5
	s f:3 webhook slow1
	s f:4 webhook garbage
	s f:5 legacy slow1
	s f:6 down ""
	s f:7 down ""
	s f:8 down ""
} > "$T/in"
dispatch --db "$T/db" --nosync --channels "$T/ch.json" --now 2026-03-01T10:00:00Z --parallel 1 "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
grep '"\$delivery"' "$T/out" | sed 's/"provider_id":"m-f:[0-9]"/"provider_id":"M"/'
sed "s/127.0.0.1:[0-9]*/ADDR/; s/ 127.0.0.1 port [0-9]*//" "$T/err"
mdb_dump -p -s dispatch.pending "$T/db" | sed '1,/^HEADER=END/d' | grep -v '^DATA=END' | awk 'NR % 2 == 1' | sed 's/^ */kept to resend: /'
# the slow first requests of f:3 and f:5 finish on the receiver's side later
i=0
while [ "$(grep -c '"f:[35]"' "$T/hook/delivered.ndjson")" != 2 ] || [ "$(cat "$T/hook/repeats")" != 1 ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || break
	sleep 0.05
done
echo "--- the receiver delivered, by send_id (a repeat of a key is answered, not delivered):"
$PY -c 'import json,sys,collections
c = collections.Counter(json.loads(l)["send_id"] for l in open(sys.argv[1]))
for k in sorted(c): print(k, c[k])' "$T/hook/delivered.ndjson"
echo "repeats: $(cat "$T/hook/repeats")"
echo "--- the provider up: a rerun sends what was kept"
sed "s|127.0.0.1:$port|$HOOK|" "$T/ch.json" > "$T/ch2.json"
dispatch --db "$T/db" --nosync --channels "$T/ch2.json" --now 2026-03-01T10:00:00Z "$T/in" > "$T/out2"
echo "exit $?"
grep '"\$delivery"' "$T/out2" | sed 's/"provider_id":"m-f:[0-9]"/"provider_id":"M"/'
