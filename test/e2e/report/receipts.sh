# Providers' receipts counted by report journeys, through the real pipe:
# ingest | idmerge | tagger | segmenter | scheduler on generated events
# (a $tick lets the win-back waits fall due), dispatch --dry-run deciding
# the sends (the shipped definitions without quiet hours),
# then callbacks for the sent messages ingested by the shipped receipts
# source (pipelines/sources/receipts.json): plain {send_id, status, ts,
# channel, to} callbacks and Aliyun SMS status reports (out_id), a
# callback sent twice, one for a send nobody made and one malformed.
# idmerge gives each receipt the oneid of the address it names, the send's
# own; report journeys counts delivered, opened and clicked per journey,
# step and arm, each checked against jq counting the receipts itself.
set -u
cd "$T" || exit 1
gen-events -n 3000 -p 200 -s 7 > raw
{ cat raw; echo '{"type":"$tick","ts":"2026-12-31T00:00:00.000Z"}'; } > in
ingest -q --db db in | idmerge -q --db db | tagger -q --db db | segmenter -q --db db | scheduler -q --db db > journeys.ndjson
echo "pipe: exit $?"
cp -r "$UOPS_PIPELINES" pl
jq 'del(.quiet_hours)' "$UOPS_PIPELINES/dispatch.json" > pl/dispatch.json
dispatch -q --db db --pipelines pl --dry-run --send-past < journeys.ndjson > out.ndjson
echo "dispatch: exit $?"
# each person's phone and email as ingested
jq -c 'select(.oneid and .ids) | {o: .oneid, phone: .ids.phone, email: .ids.email}' journeys.ndjson |
	jq -s 'reduce .[] as $r ({}; .[$r.o | tostring] |= {phone: ($r.phone // .phone), email: ($r.email // .email)})' > addr.json
# the n-th sent message: n%4 0 delivered, opened and clicked (plain
# callbacks), 1 delivered (Aliyun), 2 undelivered (Aliyun), 3 no receipt
jq -r 'select(.type == "$delivery" and .status == "sent") | [.send_id, .oneid, .channel, .ts] | @tsv' out.ndjson |
	sort > sent
jq -R -r --slurpfile a addr.json '
	split("\t") as [$id, $o, $ch, $ts] | $a[0][$o] as $p |
	(if $ch == "sms" then $p.phone else $p.email end) as $to |
	($ts | sub("\\.000Z$"; "Z")) as $t |
	input_line_number as $n |
	if $n % 4 == 1 then
		({send_id: $id, status: "delivered", ts: $t, channel: $ch, to: $to},
		 {send_id: $id, status: "opened", ts: $t, channel: $ch, to: $to},
		 {send_id: $id, status: "clicked", ts: $t, channel: $ch, to: $to, url: "https://shop.example.com/back"})
	elif $n % 4 == 2 and $ch == "sms" then
		{phone_number: $to, send_time: $t, report_time: $t, success: true, err_code: "DELIVERED", out_id: $id}
	elif $n % 4 == 3 and $ch == "sms" then
		{phone_number: $to, send_time: $t, report_time: $t, success: false, err_code: "IS_CLOSE", out_id: $id}
	else empty end | tojson' sent > receipts.ndjson
head -1 receipts.ndjson >> receipts.ndjson
echo '{"send_id":"winback:nobody:1","status":"delivered","ts":"2026-12-01T00:00:00Z","channel":"sms","to":"13900000000"}' >> receipts.ndjson
echo '{"send_id":"x","status":"read","ts":"2026-12-01T00:00:00Z","channel":"sms","to":"13900000000"}' >> receipts.ndjson
ingest --source receipts --db db --rejects rej receipts.ndjson | idmerge -q --db db > r.ndjson
echo "receipts: exit $?, $(wc -l < receipts.ndjson) callbacks, $(wc -l < r.ndjson) events, $(wc -l < rej) rejected: $(jq -r .error rej)"
jq -r '.type' r.ndjson | sort | uniq -c | sed 's/^ *//'
# every receipt of a real send has the send's person
awk -F'\t' '{ print $1 "\t" $2 }' sent > who
jq -r '[.props.send_id, .oneid] | @tsv' r.ndjson | sort -u | join -t '	' - who |
	awk -F'\t' '$2 != $3 { bad++ } END { print "receipts with their send'"'"'s oneid: " NR - bad " of " NR }'
cat out.ndjson r.ndjson | report journeys > j.out
echo "report journeys: exit $?"
jq -c 'select(.report == "journey") | [.journey, .arm, .sends, .sent, .delivered, .opened, .clicked]' j.out
jq -c 'select(.report == "journey_step") | [.step, .arm, .sent, .delivered, .opened, .clicked]' j.out
echo "--- jq agrees"
jq -r 'select(.type == "$send") | "\(.send_id) \(.step) \(.arm)"' out.ndjson | sort > steps
for t in delivered opened clicked; do
	jq -r --arg t "message_$t" 'select(.type == $t) | .props.send_id' r.ndjson | sort -u | join - steps |
		awk '{ n[$2 " " $3]++ } END { for (k in n) print k, n[k] }' | sort > want
	jq -r --arg t "$t" 'select(.report == "journey_step" and .[$t] > 0) | "\(.step) \(.arm) \(.[$t])"' j.out | sort > got
	cmp want got && echo "$t per step and arm: $(tr '\n' ';' < got)"
done
