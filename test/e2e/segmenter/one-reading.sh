# One reading of every record: a key given twice (after unescaping, at any
# depth) is refused as every tool refuses it; a $merge, $tag or $tick is
# checked against system.schema.json before segmenter acts on it (a system
# record it does not act on passes as it is); a type or event_id is read
# as written (escapes refused); a CRLF line ends before its \r.
ev() { # ID ONEID: an order of person ONEID
	printf '{"event_id":"%s","ts":"2026-10-01T10:00:00.000Z","type":"order_paid","ids":{"member":"m%s"},"props":{"amount":10},"oneid":%s}\n' "$1" "$2" "$2"
}
t='"event_id":"tag:x:vip","ts":"2026-10-01T11:00:00.000Z","oneid":3'
{
	ev e1 2
	ev e2 3
	printf '%s\n' '{"type":"$merge","event_id":"merge:x","ts":"2026-10-01T11:00:00.000Z","oneid":3,"merged":[2],"by":"cookie","type":"login","ids":{"cookie":"c9"}}'
	printf '%s\n' '{"type":"$merge","event_id":"merge:x","ts":"2026-10-01T11:00:00.000Z","oneid":3,"merged":[2]}'
	# $tag against the schema
	printf '%s\n' '{"type":"$tag",'"$t"',"tag":"vip","new":true,"new":false,"old":null}'
	printf '%s\n' '{"type":"$tag",'"$t"',"tag":"vip","old":null}'
	printf '%s\n' '{"type":"$tag",'"$t"',"tag":"vip","new":true}'
	printf '%s\n' '{"type":"$tag",'"$t"',"tag":["vip"],"old":null,"new":true}'
	printf '%s\n' '{"type":"$tag","event_id":"tag:x:vip","ts":"2026-10-01T11:00:00.000Z","tag":"vip","old":null,"new":true}'
	printf '%s\n' '{"type":"$tag","ts":"2026-10-01T11:00:00.000Z","oneid":3,"tag":"vip","old":null,"new":true}'
	printf '%s\n' '{"type":"$tick","ts":""}'
	# a system record segmenter does not act on passes as it is
	printf '%s\n' '{"type":"$segment","oneid":"not checked"}'
	# read as written
	printf '%s\n' '{"type":"$t\u0061g",'"$t"',"tag":"vip","old":null,"new":true}'
	printf '%s\n' '{"event_id":"e\u0033","ts":"2026-10-01T10:00:00.000Z","type":"order_paid","ids":{"member":"m3"},"oneid":3}'
	# names written with escapes are the names they read as
	printf '%s\n' '{"type":"$tag",'"$t"',"t\u0061g":"vip","old":null,"n\u0065w":true}'
	# CRLF lines
	printf '%s\r\n' '{"type":"$tick","ts":"2026-10-01T12:00:00.000Z"}'
	ev e3 4 | sed 's/$/\r/'
} > "$T/in"
segmenter --db "$T/db" -v --rejects "$T/rej" "$T/in" > "$T/out" 2> "$T/err"
echo "exit $?"
echo "passed on:"
cat "$T/out"
jq -r '"\(.source | sub(".*/"; "")) \(.error)"' "$T/rej"
grep -o '[0-9]* in: .*' "$T/err"
echo "CR left at a line's end: $(grep -c "$(printf '\r')" "$T/out")"
segmenter --db "$T/db" count vip
