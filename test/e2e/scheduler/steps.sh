# Each step kind on a small stream, at the times it decides: send (a
# channel list, params, the trigger's props as context), wait (a duration;
# the next local 10:00), wait_for (the event first; the timeout first; a
# restart), branch (on a trait and the trigger's props), split (a control
# arm whose sends are held), update, goto, exit; a goal ends a journey
# (converted, with the arm).
mkdir -p "$T/j"
cat > "$T/j/flow.json" <<'X'
{"name": "flow", "tz": "Asia/Shanghai", "trigger": {"event": "sign_up"}, "reentry": "always",
 "goal": {"count": {"event": "coupon_claim"}, "gte": 1},
 "steps": [
  {"id": "hello", "send": {"channel": ["wechat", "sms"], "template": "hi", "params": {"n": 1}, "priority": 3}},
  {"id": "pick", "branch": [{"when": {"trait": "gender", "eq": "f"}, "next": "morning"},
                            {"when": {"prop": "plan", "eq": "pro"}, "next": "ab"}], "else": "bye"},
  {"id": "bye", "exit": "not_for_us"},
  {"id": "morning", "wait": {"at": "10:00", "days": 1}},
  {"id": "ab", "split": [{"arm": "a", "weight": 1}, {"arm": "hold_out", "weight": 1, "control": true}]},
  {"id": "offer", "send": {"channel": "sms", "template": "offer", "kind": "transactional"}},
  {"id": "mark", "update": {"trait": "offered_at", "value": "$now"}},
  {"id": "cart", "wait_for": {"event": "order_paid", "timeout": "2h", "restart_on": "add_to_cart"},
   "on_event": "thanks", "on_timeout": "nudge"},
  {"id": "nudge", "send": {"channel": "app_push", "template": "nudge"}},
  {"id": "again", "goto": "pause"},
  {"id": "thanks", "send": {"channel": "sms", "template": "thanks"}, "next": "end"},
  {"id": "pause", "wait": "1d", "next": "cart"}
 ]}
X
cat > "$T/ev" <<'X'
{"event_id":"a1","ts":"2026-03-01T12:00:00.000Z","type":"sign_up","traits":{"gender":"f"},"oneid":1}
{"event_id":"b1","ts":"2026-03-01T12:00:00.000Z","type":"sign_up","props":{"plan":"pro"},"oneid":2}
{"event_id":"c1","ts":"2026-03-01T12:00:00.000Z","type":"sign_up","props":{"plan":"free"},"oneid":3}
{"event_id":"d1","ts":"2026-03-01T12:00:00.000Z","type":"sign_up","props":{"plan":"pro"},"oneid":4}
{"event_id":"b2","ts":"2026-03-01T13:00:00.000Z","type":"add_to_cart","oneid":2}
{"event_id":"b3","ts":"2026-03-01T14:30:00.000Z","type":"order_paid","props":{"order_id":"o1"},"oneid":2}
{"event_id":"a2","ts":"2026-03-02T03:00:00.000Z","type":"page_view","oneid":1}
{"event_id":"a3","ts":"2026-03-03T05:00:00.000Z","type":"order_paid","props":{"order_id":"o2"},"oneid":1}
{"event_id":"d2","ts":"2026-03-03T10:00:00.000Z","type":"coupon_claim","oneid":4}
{"type":"$tick","ts":"2026-03-04T00:00:00.000Z"}
X
scheduler --db "$T/db" --journeys "$T/j" "$T/ev" | grep -v '^{"event_id":"[a-d][0-9]"'; echo "exit $?"
scheduler --db "$T/db" --journeys "$T/j" status
