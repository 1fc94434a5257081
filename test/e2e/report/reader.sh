# The fast reader (retention and funnel read events whose steps need no
# props without building a parse tree) against the full parse
# (UOPS_REPORT_PARSE_ALL=1), on events mixed with every kind of bad line:
# the same rows, the same rejects with the same reasons, the same exit.
set -u
cd "$T" || exit 1
printf '%s\n' \
	'{"event_id":"a","ts":"2026-01-05T10:00:00.000Z","type":"view","props":{"amount":5},"oneid":1}' \
	'{"ts":"2026-01-05T11:00:00.000Z","type":"cart","oneid":1}' \
	'{"ts":"2026-01-06T10:00:00.000Z","type":"order_paid","props":{"amount":150},"oneid":1}' \
	'{"ts":"2026-01-06T10:00:00.000Z","type":"order_paid","props":{"amount":50},"oneid":2}' \
	'{"ts":"2026-01-06T09:00:00.000Z","type":"view","oneid":2}' \
	' { "ts" : "2026-01-07T09:00:00Z" , "type" : "view" , "oneid" : 3 } ' \
	'{"ts":"2026-01-07T09:00:00+08:00","type":"cart","oneid":3}' \
	'{"ts":"2026-01-13T10:00:00.000Z","type":"v\u0069ew","oneid":4}' \
	'{"ts":"2026-01-13T10:00:00.000Z","type":"view\"x","oneid":4}' \
	'{"ts":"2026-01-13T10:00:00.000Z","type":"上海","oneid":4}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":5,"ids":{"a":1,"a":2}}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","type":"cart","oneid":5}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":5,"props":{"x":"\ud800"}}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":0}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":"5"}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":5.0}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view","oneid":4294967296}' \
	'{"ts":"2026-02-30T10:00:00.000Z","type":"view","oneid":5}' \
	'{"ts":"2026-01-14T24:00:00.000Z","type":"view","oneid":5}' \
	'{"ts":1768384800,"type":"view","oneid":5}' \
	'{"ts":"2026-01-14T10:00:00.000Z","oneid":5}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":7,"oneid":5}' \
	'{"ts":"2026-01-14T10:00:00.000Z","type":"view"}' \
	'{"type":"$tick","ts":"2026-01-15T00:00:00Z"}' \
	'{"type":"$merge","ts":"2026-01-15T00:00:00Z","oneid":1,"merged":[3]}' \
	'{"ts":"2026-01-15T10:00:00.000Z","type":"view","oneid":6' \
	'[1,2]' \
	'' \
	'{"ts":"2026-01-20T10:00:00.000Z","type":"view","oneid":6,"props":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}' \
	'{"ts":"2026-01-20T10:00:00.000Z","type":"order_paid","oneid":6,"props":{"amount":300}}' > in.ndjson
printf '{"ts":"2026-01-21T10:00:00.000Z","type":"view","oneid":7,"props":{"bad":"\377"}}\n' >> in.ndjson
printf '{"ts":"2026-01-21T10:00:00.000Z","type":"view","oneid":7,"x":"a\001b"}\n' >> in.ndjson
printf '{"ts":"2026-01-21T11:00:00.000Z","type":"cart","oneid":7}\0\n' >> in.ndjson
run() { # NAME ARGS…: fast and full, compared
	name=$1
	shift
	report "$@" --rejects fast.rej < in.ndjson > fast.out 2> fast.err
	a=$?
	UOPS_REPORT_PARSE_ALL=1 report "$@" --rejects full.rej < in.ndjson > full.out 2> full.err
	b=$?
	echo "--- $name: exit $a (full parse: $b)"
	cmp -s fast.out full.out && echo "rows: the same ($(wc -l < fast.out))" || diff fast.out full.out
	cmp -s fast.rej full.rej && echo "rejects: the same ($(wc -l < fast.rej))" || diff fast.rej full.rej
	grep -v 'peak RSS' fast.err > fast.e
	grep -v 'peak RSS' full.err > full.e
	cmp -s fast.e full.e && echo "stderr: the same" || diff fast.e full.e
}
run "retention by week" retention --by week -v
cat fast.out fast.e
jq -r .error fast.rej | sort | uniq -c | sed 's/^ *//'
run "funnel, a step with a where" funnel view cart 'order_paid:{"prop":"amount","gt":100}' -v
cat fast.out
run "retention, cohort with a where" retention --cohort 'view:{"prop":"amount","gt":1}' --return cart
run "retention, split by a tag" retention --split tag:lifecycle
