# idmerge merges people: the merged oneid's open instances end with
# reason "merged" (their wake-ups go), its history is kept with the
# survivor so re-entry rules still hold, its profile is folded into the
# survivor's; the survivor's own instances go on.
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":1}
{"event_id":"e2","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":2}
{"event_id":"e3","ts":"2026-03-01T12:00:00.000Z","type":"product_view","props":{"sku":"X"},"oneid":2}
{"type":"$merge","event_id":"merge:e4","ts":"2026-03-01T13:00:00.000Z","oneid":1,"merged":[2],"by":"phone"}
{"event_id":"e5","ts":"2026-03-01T14:00:00.000Z","type":"sign_up","oneid":1}
{"type":"$tick","ts":"2026-03-05T00:00:00.000Z"}
X
scheduler --db "$T/db" "$T/ev" | grep -E '"\$journey".*"op":"(enter|exit)"|"\$send"' | grep -o '"ts":"[^"]*","oneid":[0-9]*,"journey":"[a-z_]*"\|"op":"[a-z]*"\|"reason":"[a-z_]*"\|"template":"[a-z_]*"' | paste -sd' ' | sed 's/ "ts"/\n"ts"/g'
echo
scheduler --db "$T/db" explain 2 | grep '"now"'
scheduler --db "$T/db" status welcome
echo
# the same $merge as idmerge writes it into Kafka: the copy for the
# merged oneid's stream ("leaving") ends their instances and drops their
# record there (their $fold goes only into a Kafka input's topic); the
# survivor's copy waits for that $fold, and at the end of a file that
# holds none it is applied without it (a warning on stderr): no person 2
# is left
sed 's/{"type":"\$merge","event_id":"merge:e4",\(.*\)}$/{"type":"$merge","event_id":"merge:e4:2",\1,"across":true,"leaving":2}\n{"type":"$merge","event_id":"merge:e4",\1,"across":true}/' "$T/ev" > "$T/ev.k"
scheduler --db "$T/db2" "$T/ev.k" | grep -E '"\$journey".*"op":"exit"' | grep -o '"oneid":[0-9]*,"journey":"[a-z_]*"\|"reason":"[a-z_]*"' | paste -sd' '
scheduler --db "$T/db2" explain 2 | grep -c '"now"' || true
