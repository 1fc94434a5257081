# One reading of every record: a key given twice (after unescaping, at any
# depth) is refused as ingest refuses it, a field name written with escapes
# is the name it reads as, a type or event_id is read as written (escapes
# refused), and a CRLF line ends before its \r. What passes, jq reads as
# idmerge did.
ts='"ts":"2026-10-01T10:00:00.000Z"'
{
	# another producer's $merge with a second type: jq reads "login"
	printf '%s\n' '{"type":"$merge","event_id":"merge:x",'"$ts"',"oneid":1,"merged":[2],"by":"cookie","type":"login","ids":{"cookie":"c9"}}'
	printf '%s\n' '{"event_id":"e1",'"$ts"',"type":"login","ids":{"cookie":"c1","c\u006fokie":"c2"}}'
	printf '%s\n' '{"event_id":"e1",'"$ts"',"type":"login","ids":{"cookie":"c1"},"props":{"a":{"b":1,"b":2}}}'
	printf '%s\n' '{"event_id":"e1",'"$ts"',"type":"login","ids":{"cookie":"c1"},"oneid":5,"\u006fneid":6}'
	# names with escapes: "\u006fneid" is the oneid idmerge replaces
	printf '%s\n' '{"event_id":"e2",'"$ts"',"t\u0079pe":"login","i\u0064s":{"cookie":"c2"},"\u006fneid":77}'
	# read as written
	printf '%s\n' '{"event_id":"e3",'"$ts"',"type":"\u0024merge","ids":{"cookie":"c3"}}'
	printf '%s\n' '{"event_id":"e\u0034",'"$ts"',"type":"login","ids":{"cookie":"c4"}}'
	printf '%s\n' '{"event_id":"e5",'"$ts"',"type":"login","ids":{"c\u006fokie":"c5"}}'
	# CRLF lines
	printf '%s\r\n' '{"type":"$tick","ts":"2026-10-01T10:00:01.000Z"}'
	printf '%s\r\n' '{"event_id":"e6",'"$ts"',"type":"login","ids":{"cookie":"c6"}}'
} > "$T/in"
idmerge --db "$T/db" -v --rejects "$T/rej" "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
cat "$T/out"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
grep ' in: ' "$T/err"
echo "jq reads:"
jq -c '[.type, .event_id, .ids, .oneid]' "$T/out"
echo "CR left at a line's end: $(grep -c "$(printf '\r')" "$T/out")"
