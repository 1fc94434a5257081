# report on a few hand-made records: cohorts by week with a merge, a tag
# split and a record without a oneid; a funnel with a where and a window; an
# A/B test whose arms come from $journey records (the shape DESIGN.md
# sketches: op enter, journey, arm); CSV; bad input and bad usage
set -u
cd "$T" || exit 1
cat > in.ndjson <<'EOF'
{"type":"view","ts":"2026-01-05T10:00:00Z","oneid":1,"props":{"category":"face"}}
{"type":"$tag","ts":"2026-01-05T10:00:00Z","oneid":1,"tag":"lifecycle","old":null,"new":"new"}
{"type":"order_paid","ts":"2026-01-06T10:00:00Z","oneid":1,"props":{"order_id":"A1","amount":120}}
{"type":"$tag","ts":"2026-01-06T10:30:00Z","oneid":2,"tag":"lifecycle","old":null,"new":"new"}
{"type":"view","ts":"2026-01-06T11:00:00Z","oneid":2,"props":{"category":"body"}}
{"type":"view","ts":"2026-01-13T09:00:00Z","oneid":3}
{"type":"$merge","ts":"2026-01-13T09:00:00Z","oneid":2,"merged":[3],"by":"phone"}
{"type":"order_paid","ts":"2026-01-14T09:00:00Z","oneid":2,"props":{"order_id":"B1","amount":80}}
{"type":"$tick","ts":"2026-01-15T00:00:00Z"}
{"type":"view","ts":"2026-01-20T09:00:00Z","oneid":1,"props":{"category":"face"}}
{"type":"order_paid","ts":"2026-01-21T09:00:00Z","oneid":1,"props":{"order_id":"A2","amount":40}}
{"type":"view","ts":"2026-01-22T09:00:00Z","oneid":4}
not json
{"type":"$journey","ts":"2026-01-05T00:00:00Z","oneid":1,"op":"enter","journey":"welcome","step":"start","arm":"control"}
{"type":"$journey","ts":"2026-01-06T00:00:00Z","oneid":2,"op":"enter","journey":"welcome","step":"start","arm":"coupon"}
{"type":"$journey","ts":"2026-01-22T00:00:00Z","oneid":4,"op":"enter","journey":"welcome","step":"start","arm":"coupon"}
{"type":"$journey","ts":"2026-01-22T00:00:00Z","oneid":4,"op":"enter","journey":"other","arm":"x"}
EOF
echo "--- retention by week, split by the lifecycle tag"
report retention --by week --periods 3 --split tag:lifecycle --rejects "$T/rej" in.ndjson; echo "exit $?"
cat "$T/rej"
echo "--- the same as CSV, returns of orders only"
report retention --by week --periods 3 --return order_paid --format csv in.ndjson 2> /dev/null; echo "exit $?"
echo "--- funnel: a face view, then an order over 100 within 2 days"
grep -v '^not' in.ndjson | report funnel 'view:{"prop":"category","eq":"face"}' 'order_paid:{"prop":"amount","gt":100}' --window 2d; echo "exit $?"
echo "--- abtest of the journey welcome"
grep -v '^not' in.ndjson | report abtest welcome --format csv; echo "exit $?"
echo "--- rfm"
grep -v '^not' in.ndjson | report rfm --at 2026-02-01 | head -4; echo "exit $?"
echo "--- bad usage"
report 2>&1; echo "exit $?"
report nosuch 2> "$T/err"; echo "exit $?"; head -1 "$T/err"
report funnel 'view:{"trait":"gender","eq":"f"}' < /dev/null 2>&1; echo "exit $?"
report funnel 'view:{"prop":' < /dev/null 2>&1; echo "exit $?"
report retention --by year < /dev/null 2>&1; echo "exit $?"
report retention --config /nonexistent.json < /dev/null 2>&1; echo "exit $?"
echo "--- -o DST: the rows go to a file or a .zst, not to stdout"
grep -v '^not' in.ndjson > ok.ndjson
report rfm --at 2026-02-01 -o "$T/rfm.ndjson" ok.ndjson; echo "exit $?"
report rfm --at 2026-02-01 ok.ndjson | cmp - "$T/rfm.ndjson" && echo "the file holds stdout's rows"
report rfm --at 2026-02-01 --format csv -o "$T/rfm.csv.zst" ok.ndjson; echo "exit $?"
zstd -dc "$T/rfm.csv.zst" | head -2
report rfm --at 2026-02-01 -o "$T/no/such/dir" ok.ndjson 2> "$T/err"; echo "no such dir: $?"; sed "s|$T/||" "$T/err"
report rfm --at 2026-02-01 -o kafka://127.0.0.1:9/rows ok.ndjson 2>&1; echo "exit $?"
