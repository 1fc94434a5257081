# One reading of every record: a key given twice (after unescaping, at any
# depth) is refused as every tool refuses it; a $merge or $tick is checked
# against system.schema.json before tagger acts on it; a type or event_id
# is read as written (escapes refused); a CRLF line ends before its \r.
# Each reject is counted and the stream goes on.
ev() { # ID ONEID TS: an order of person ONEID
	printf '{"event_id":"%s","ts":"%s","type":"order_paid","ids":{"member":"m%s"},"props":{"amount":10,"category":"face"},"oneid":%s}\n' "$1" "$3" "$2" "$2"
}
m='"event_id":"merge:e9","ts":"2026-10-02T00:00:00.000Z"'
{
	ev e1 2 2026-10-01T10:00:00.000Z
	ev e2 3 2026-10-01T11:00:00.000Z
	# another producer's $merge with a second type: idmerge would read an
	# event, tagger a merge of 2 into 3; now neither does
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":[2],"by":"cookie","type":"login","ids":{"cookie":"c9"}}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":[2],"merged":[]}'
	# $merge against the schema: each field it requires, of its type
	printf '%s\n' '{"type":"$merge","ts":"2026-10-02T00:00:00.000Z","oneid":3,"merged":[2],"by":"member"}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":[2]}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":["2"],"by":"member"}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":[],"by":"member"}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":3,"merged":[2,0],"by":"member"}'
	printf '%s\n' '{"type":"$merge",'"$m"',"oneid":"3","merged":[2],"by":"member"}'
	printf '%s\n' '{"type":"$merge","event_id":"merge:e9","ts":"2026-13-02","oneid":3,"merged":[2],"by":"member"}'
	printf '%s\n' '{"type":"$merge","event_id":7,"ts":"2026-10-02T00:00:00.000Z","oneid":3,"merged":[2],"by":"member"}'
	printf '%s\n' '{"type":"$tick","ts":"next week"}'
	# read as written
	printf '%s\n' '{"type":"\u0024merge",'"$m"',"oneid":3,"merged":[2],"by":"member"}'
	printf '%s\n' '{"event_id":"e\u0033","ts":"2026-10-01T12:00:00.000Z","type":"order_paid","ids":{"member":"m3"},"oneid":3}'
	printf '%s\n' '{"event_id":"e4","ts":"2026-10-01T12:00:00.000Z","type":"order_paid","ids":{"member":"m3"},"props":{"amount":10,"\u0061mount":100000},"oneid":3}'
	printf '%s\n' '{"event_id":"e5","ts":"2026-10-01T12:00:00.000Z","type":"order_paid","ids":{"member":"m3"},"oneid":3,"traits":{"city":"a","city":"b"}}'
	# CRLF lines
	printf '%s\r\n' '{"type":"$tick","ts":"2026-10-01T13:00:00.000Z"}'
	ev e6 3 2026-10-01T14:00:00.000Z | sed 's/$/\r/'
} > "$T/in"
tagger --db "$T/db" -v --rejects "$T/rej" "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
echo "passed on:"
grep -v '"\$tag"' "$T/out"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
grep -o '[0-9]* in: .*' "$T/err"
sed -n 's/^tagger:   //p' "$T/err"
echo "CR left at a line's end: $(grep -c "$(printf '\r')" "$T/out")"
# nobody was merged: 2 keeps its profile, 3 its own two orders
tagger --db "$T/db" export --fields oneid,monetary --format csv
# the same $merge, well formed, with names written with escapes, merges
printf '%s\n' '{"type":"$merge","event_id":"merge:e9","\u0074s":"2026-10-02T00:00:00.000Z","oneid":3,"m\u0065rged":[2],"by":"member"}' |
	tagger --db "$T/db" > /dev/null
echo "merged: $?"
tagger --db "$T/db" export --fields oneid,monetary --format csv
