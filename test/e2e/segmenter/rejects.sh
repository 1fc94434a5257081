# Bad input: every line gets one outcome; rejects carry where and why, are
# counted, and the rest of the stream goes on (exit 1).
printf '%s\n' 'not json' '[1,2]' \
	'{"type":"order_paid","ts":"2026-01-01T00:00:00Z"}' \
	'{"type":"order_paid","ts":"nope","oneid":1}' \
	'{"type":"$tag","ts":"2026-01-01T00:00:00Z","tag":"vip","new":true}' \
	'{"type":"$merge","ts":"2026-01-01T00:00:00Z","oneid":2}' \
	'{"type":"$tick"}' \
	'{"type":"order_paid","ts":"2026-01-01T00:00:00Z","oneid":0}' \
	'{"type":"order_paid","ts":"2026-01-01T00:00:00Z","oneid":99999999999}' \
	'{"event_id":"t1","type":"$tag","ts":"2026-01-01T00:00:00Z","oneid":3,"tag":"lifecycle","old":null,"new":{"x":[1,2]}}' \
	'{"event_id":"ok","type":"order_paid","ts":"2026-01-01T00:00:00Z","oneid":5,"props":{"amount":"abc","order_id":"o1"}}' |
	segmenter --db "$T/db" -v --rejects "$T/rej" > "$T/out" 2> "$T/err"
echo "exit $?"
cat "$T/rej"
echo "passed on: $(wc -l < "$T/out")"
grep -o '[0-9]* in: .*' "$T/err"
segmenter --db "$T/db" explain 5 last_order_over_300 | sed 's/"at":"[^"]*",//'
printf '%s\n' '{"event_id":"x","type":"order_paid","ts":"2026-01-01T00:00:00Z"}' | segmenter --db "$T/db" --strict > /dev/null 2>&1
echo "--strict: $?"
