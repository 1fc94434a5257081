# A journey definition with an error is refused at start with the file,
# the path inside it and the reason (exit 78), and nothing is written:
# an unknown step, a loop without a wait, an unknown segment or tag, a bad
# time zone, and the like.
mkdir -p "$T/j"
cp "$UOPS_PIPELINES"/journeys/*.json "$T/j/"
echo '{"event_id":"e1","ts":"2026-01-01T10:00:00.000Z","type":"sign_up","oneid":1}' > "$T/ev"
try() {
	printf '%s\n' "$1" > "$T/j/zz-bad.json"
	scheduler --db "$T/db" --journeys "$T/j" "$T/ev" 2> "$T/err" >/dev/null; echo "exit $?"
	sed "s|$T/||g" "$T/err"
}
ok='"trigger": {"event": "sign_up"}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "wait": "1d", "next": "nowhere"}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "jump": "b"}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "send": {"channel": "sms", "template": "t"}}, {"id": "b", "goto": "a"}]}'
try '{"name": "x", "trigger": {"segment": "no_such_segment"}, "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", "trigger": {"tag": "no_such_tag", "to": 1}, "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", '"$ok"', "goal": {"tag": "no_such_tag"}, "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", '"$ok"', "tz": "Mars/Base", "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "wait": {"at": "24:00"}}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "split": [{"arm": "a", "weight": 90}]}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "send": {"template": "t"}}]}'
try '{"name": "welcome", '"$ok"', "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", "trigger": {"event": "sign_up", "op": "enter"}, "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", '"$ok"', "reentry": "twice", "steps": [{"id": "a", "exit": true}]}'
try '{"name": "x", '"$ok"', "steps": [{"id": "a", "branch": [{"when": {"prop": "amount", "gt": "x", "lt": 1}, "next": "end"}]}]}'
try '{"name": "x", '"$ok"' "steps": []}'
rm "$T/j/zz-bad.json"
echo "people written: $(mdb_dump -s scheduler.people "$T/db" 2>/dev/null | grep -c '^ ')"
scheduler --db "$T/db" --journeys "$T/j" "$T/ev" > /dev/null; echo "good definitions: $?"
