# report journeys and campaigns on what the real pipe writes:
# ingest | idmerge | tagger | segmenter | scheduler on generated events
# (a $tick 100 days on lets the win-back waits fall due), a one-off
# campaign to 30 people (dispatch campaign) at the start, and dispatch
# --dry-run deciding every send (the shipped definitions without quiet
# hours: a dry run keeps no deferral). Each number is checked against jq
# counting the same records its own way: sends, outcomes and reasons per
# journey, step and arm; people entered and converted per journey and
# arm (the arm a person's records name last); the campaign's revenue:
# the orders of its recipients within 7 days after it (no win-back
# message to them falls between the campaign and those orders).
set -u
cd "$T" || exit 1
gen-events -n 6000 -p 400 -s 5 > raw
{ cat raw; echo '{"type":"$tick","ts":"2026-12-31T00:00:00.000Z"}'; } > in
ingest -q --db db in | idmerge -q --db db | tagger -q --db db | segmenter -q --db db | scheduler -q --db db > journeys.ndjson
echo "pipe: exit $?"
grep -o '"oneid":[0-9]*' journeys.ndjson | cut -d: -f2 | sort -un | head -30 > ids
dispatch campaign --campaign trial --channel email --template welcome --at 2026-09-21T14:00:00Z ids > campaign.ndjson
echo "campaign: exit $?"
cp -r "$UOPS_PIPELINES" pl
jq 'del(.quiet_hours)' "$UOPS_PIPELINES/dispatch.json" > pl/dispatch.json
cat journeys.ndjson campaign.ndjson | dispatch -q --db db --pipelines pl --dry-run --send-past > out.ndjson
echo "dispatch: exit $?"
report journeys out.ndjson > j.out; echo "report journeys: exit $?"
report campaigns out.ndjson > c.out; echo "report campaigns: exit $?"
echo "--- what the pipe did"
jq -r 'select(.type == "$delivery") | "\(.status) \(.reason)"' out.ndjson | sort | uniq -c | sed 's/^ *//'
echo "--- journeys"
jq -c 'select(.report == "journey") | del(.report)' j.out
echo "--- steps"
jq -c 'select(.report == "journey_step") | [.journey, .step, .arm, .sends, .sent, .suppressed, .failed, .orders, .revenue]' j.out
echo "--- why not sent"
jq -c 'select(.report == "journey_unsent") | [.step, .arm, .status, .reason, .sends]' j.out
echo "--- campaigns"
jq -c 'del(.report)' c.out
echo "--- jq agrees"
# sends and outcomes per journey, step and arm
jq -r 'select(.type == "$send" and (.journey | startswith("campaign:") | not)) | "\(.send_id) \(.journey) \(.step) \(.arm)"' out.ndjson | sort > sends
jq -r 'select(.type == "$delivery" and .status != "deferred") | "\(.send_id) \(.status)"' out.ndjson | sort > outcomes
join sends outcomes | awk '{ n[$2 " " $3 " " $4 " " $5]++ } END { for (k in n) print k, n[k] }' | sort > want
jq -r 'select(.report == "journey_step") | "\(.journey) \(.step) \(.arm // "null")", .sent, .suppressed, .failed' j.out |
	paste - - - - | awk -F'\t' '$2 > 0 { print $1, "sent", $2 } $3 > 0 { print $1, "suppressed", $3 } $4 > 0 { print $1, "failed", $4 }' | sort > got
cmp want got && echo "outcomes per step and arm: $(wc -l < got) lines"
# reasons per step
jq -r 'select(.type == "$delivery" and (.status == "failed" or .status == "suppressed")) | "\(.send_id)\t\(.reason)"' out.ndjson | sort > reasons
awk '{ print $1 "\t" $3 }' sends | sort > steps
join -t '	' steps reasons | awk -F'\t' '{ n[$2 " " $3]++ } END { for (k in n) print k, n[k] }' | sort > want
jq -r 'select(.report == "journey_unsent") | "\(.step) \(.reason) \(.sends)"' j.out | sort > got
cmp want got && echo "reasons per step: $(wc -l < got) lines"
# entered and converted per journey and the arm the person has last
jq -r 'select(.type == "$journey") | "\(.oneid) \(.journey) \(.op) \(.reason) \(.arm)"' out.ndjson |
	awk '$5 != "null" { arm[$1 " " $2] = $5 } $3 == "enter" { e[$1 " " $2]++ } $4 == "converted" { c[$1 " " $2]++ }
		END { for (k in e) { split(k, p, " "); a = (k in arm) ? arm[k] : "null"; E[p[2] " " a] += e[k]; C[p[2] " " a] += c[k] }
			for (k in E) print k, E[k], C[k] + 0 }' | sort > want
jq -r 'select(.report == "journey" and .entered > 0) | "\(.journey) \(.arm // "null") \(.entered) \(.converted)"' j.out | sort > got
cmp want got && echo "entered and converted per journey and arm: $(cat got | tr '\n' ';')"
# the campaign: its recipients' orders within 7 days after 14:00
jq -r 'select(.type == "$delivery" and .status == "sent" and (.send_id | startswith("campaign:"))) | .oneid' out.ndjson | sort -u > got_msg
jq -r 'select(.type == "order_paid" and .ts > "2026-09-21T14:00:00.000Z" and .ts <= "2026-09-28T14:00:00.000Z") | "\(.oneid) \(.props.amount)"' out.ndjson |
	sort | join - got_msg | awk '{ n++; s += $2 } END { printf "%d %.2f\n", n, s }' > want
jq -r 'select(.report == "campaign") | "\(.orders) \(.revenue)"' c.out | awk '{ printf "%d %.2f\n", $1, $2 }' > got
cmp want got && echo "campaign orders and revenue: $(cat got)"
