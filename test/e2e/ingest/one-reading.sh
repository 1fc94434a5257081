# One reading of every record: an object holding a key twice, after
# unescaping and at any depth, is refused with the key named (every tool
# does the same: lib/json); a name written with escapes is the name it
# reads as; a type is read as written, so escapes in it are refused; a CRLF
# line ends before its \r. What passes, jq reads as uops does.
ok='"ts":"2026-10-28T00:00:00Z","ids":{"user":"u1"}'
{
	# escaped copies of type, ts, ids and event_id (a fuzzer's find)
	printf '%s\n' '{"event_id":"e1","ts":"2025-10-01T10:00:00Z","type":"order_paid","ids":{"cookie":"c1"},"t\u0079pe":"$merge","\u0074s":"1970-01-01","i\u0064s":{"cookie":"0"},"event_i\u0064":["not","a","string"]}'
	printf '%s\n' '{"type":"a","type":"b",'"$ok"'}'
	printf '%s\n' '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"cookie":"c1","cookie":"c2"}}'
	printf '%s\n' '{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"cookie":"c1","c\u006fokie":"c2"}}'
	printf '%s\n' '{"type":"a",'"$ok"',"props":{"amount":1,"amount":1000}}'
	printf '%s\n' '{"type":"a",'"$ok"',"props":{"items":[{"sku":"a","sku":"b"}]}}'
	printf '%s\n' '{"type":"a",'"$ok"',"traits":{"city":"x","\u0063ity":"y"}}'
	printf '%s\n' '{"type":"$tick","ts":"2026-10-28T00:00:01.000Z","ts":"1970-01-01T00:00:00.000Z"}'
	# names with escapes are the names they read as
	printf '%s\n' '{"t\u0079pe":"login","\u0074s":"2026-10-28T00:00:02Z","i\u0064s":{"user":"u2"},"pr\u006fps":{"\u00e9t\u00e9":1}}'
	# a type is read as written
	printf '%s\n' '{"type":"\u0024merge",'"$ok"'}'
	printf '%s\n' '{"type":"$m\u0065rge","ts":"2026-10-28T00:00:00Z"}'
	printf '%s\n' '{"type":"order\u005fpaid",'"$ok"'}'
	# CRLF lines
	printf '%s\r\n' '{"type":"$tick","ts":"2026-10-28T00:00:03.000Z"}'
	printf '%s\r\n' '{"type":"crlf",'"$ok"'}'
	# 80,000 keys in one object: all different, then one of them again
	awk 'BEGIN { printf "{\"type\":\"many\",\"ts\":\"2026-10-28T00:00:04Z\",\"ids\":{\"user\":\"u3\"},\"props\":{"
		for (i = 0; i < 80000; i++) printf "%s\"%d\":0", i ? "," : "", i; print "}}" }'
	awk 'BEGIN { printf "{\"type\":\"many\",\"ts\":\"2026-10-28T00:00:05Z\",\"ids\":{\"user\":\"u3\"},\"props\":{"
		for (i = 0; i < 80000; i++) printf "%s\"%d\":0", i ? "," : "", i; print ",\"\\u0034\\u0032\":1}}" }'
} > "$T/in"
ingest --db "$T/db" -v --rejects "$T/rej" "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
echo "passed on:"
cut -c 1-160 "$T/out"
echo "rejects:"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
sed -n 's/^ingest:   //p' "$T/err"
echo "jq reads:"
jq -c '[.type, .ts, .ids, (.props | length)]' "$T/out"
echo "CR left at a line's end: $(grep -c "$(printf '\r')" "$T/out")"
