# Journey rules: a cap on the people inside at once; entries only between
# start and end; re-entry after a time; a new version of a journey while
# people are inside it (they go on by step id; those at a removed step
# exit with reason definition_changed; records name the version that
# decided them); explain of the people after it: each decision as the
# stream had it, whatever version decided it, steps removed included.
mkdir -p "$T/j"
cat > "$T/j/capped.json" <<'X'
{"name": "capped", "trigger": {"event": "sign_up"}, "cap": 2,
 "start": "2026-03-01T00:00:00Z", "end": "2026-03-10T00:00:00Z", "reentry": "2d",
 "steps": [{"id": "w", "wait": "1d"}, {"id": "hi", "send": {"channel": "sms", "template": "hi"}}]}
X
cat > "$T/ev" <<'X'
{"event_id":"a0","ts":"2026-02-28T10:00:00.000Z","type":"sign_up","oneid":9}
{"event_id":"a1","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":1}
{"event_id":"a2","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":2}
{"event_id":"a3","ts":"2026-03-01T10:00:00.000Z","type":"sign_up","oneid":3}
{"event_id":"a4","ts":"2026-03-02T11:00:00.000Z","type":"sign_up","oneid":3}
{"event_id":"a5","ts":"2026-03-03T11:00:00.000Z","type":"sign_up","oneid":1}
{"event_id":"a6","ts":"2026-03-04T12:00:00.000Z","type":"sign_up","oneid":1}
{"event_id":"a7","ts":"2026-03-10T12:00:00.000Z","type":"sign_up","oneid":4}
X
scheduler --db "$T/db" --journeys "$T/j" "$T/ev" | grep '"\$journey".*"op":"\(enter\|exit\)"' | grep -o '"ts":"[^"]*","oneid":[0-9]*\|"op":"[a-z]*"' | paste -d' ' - -
scheduler --db "$T/db" --journeys "$T/j" status
echo "a new version while people wait: the one at a step that stays goes on, the one at a removed step exits"
cat > "$T/j/capped.json" <<'X'
{"name": "capped", "trigger": {"event": "sign_up"}, "reentry": "always",
 "steps": [{"id": "w", "wait": "1d"}, {"id": "w2", "wait": "3d"}, {"id": "hello", "send": {"channel": "sms", "template": "hi"}}]}
X
cat > "$T/ev2" <<'X'
{"event_id":"b1","ts":"2026-03-11T10:00:00.000Z","type":"sign_up","oneid":5}
{"event_id":"b2","ts":"2026-03-12T12:00:00.000Z","type":"sign_up","oneid":6}
{"type":"$tick","ts":"2026-03-13T00:00:00.000Z"}
X
scheduler --db "$T/db" --journeys "$T/j" "$T/ev2" > "$T/out2"
v2=$(grep -o '"version":"[0-9a-f]*"' "$T/out2" | sort -u)
scheduler --db "$T/db" --journeys "$T/j" status capped
cat > "$T/j/capped.json" <<'X'
{"name": "capped", "trigger": {"event": "sign_up"}, "reentry": "always",
 "steps": [{"id": "w", "wait": "1d"}, {"id": "hello", "send": {"channel": "sms", "template": "hi_v3"}}]}
X
echo '{"type":"$tick","ts":"2026-03-16T00:00:00.000Z"}' | scheduler --db "$T/db" --journeys "$T/j" > "$T/out3"
grep -E '"\$journey".*"op":"exit"|"\$send"' "$T/out3" | grep -o '"oneid":[0-9]*\|"op":"[a-z]*"\|"reason":"[a-z_]*"\|"template":"[a-z_0-9]*"' | paste -sd' '
v3=$(grep -o '"version":"[0-9a-f]*"' "$T/out3" | sort -u)
[ -n "$v3" ] && [ "$v2" != "$v3" ] && echo "the records name the new version"
echo "versions kept: $(mdb_dump -p -s scheduler.defs "$T/db" | grep -c '^ capped:')"
echo "explain after the new versions (a step removed, a step added, a template changed): each decision as the stream had it"
for id in 1 3 5 6; do scheduler --db "$T/db" --journeys "$T/j" explain "$id"; done
