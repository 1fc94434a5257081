# Each trigger kind: an event with a where; a segment enter and a segment
# exit ($segment records); a tag change from/to ($tag records); a date in
# a trait (7 days before, at 10:00 local) and in a tag; an event
# correlated by a prop (two carts, two instances side by side, each event
# reaching its own). Records of other journeys and other values pass by.
mkdir -p "$T/j"
cat > "$T/j/big_order.json" <<'X'
{"name": "big_order", "trigger": {"event": "order_paid", "where": {"prop": "amount", "gt": 300}}, "reentry": "always",
 "steps": [{"id": "thanks", "send": {"channel": "sms", "template": "vip_thanks"}}]}
X
cat > "$T/j/seg_in.json" <<'X'
{"name": "seg_in", "trigger": {"segment": "winback", "op": "enter"},
 "exit_when": [{"when": {"not": {"segment": "winback"}}, "reason": "left_segment"}],
 "steps": [{"id": "wait", "wait": "3d"}, {"id": "offer", "send": {"channel": "sms", "template": "wb"}}]}
X
cat > "$T/j/seg_out.json" <<'X'
{"name": "seg_out", "trigger": {"segment": "vip", "op": "exit"},
 "steps": [{"id": "sorry", "send": {"channel": "email", "template": "vip_lost"}}]}
X
cat > "$T/j/tag_move.json" <<'X'
{"name": "tag_move", "trigger": {"tag": "lifecycle", "from": "growing", "to": "dormant"},
 "steps": [{"id": "nudge", "send": {"channel": "app_push", "template": "miss_you"}}]}
X
cat > "$T/j/expiry.json" <<'X'
{"name": "expiry", "tz": "Asia/Shanghai", "trigger": {"date": {"trait": "membership_expires", "days": -7, "at": "10:00"}},
 "steps": [{"id": "remind", "send": {"channel": "sms", "template": "expiring"}}]}
X
cat > "$T/j/next_buy.json" <<'X'
{"name": "next_buy", "trigger": {"date": {"tag": "next_purchase_date", "days": -3}},
 "steps": [{"id": "remind", "send": {"channel": "sms", "template": "restock"}}]}
X
cat > "$T/j/cart.json" <<'X'
{"name": "cart", "trigger": {"event": "add_to_cart"}, "correlate": "cart_id", "reentry": "always",
 "steps": [{"id": "hold", "wait_for": {"event": "order_paid", "timeout": "2h", "restart_on": "add_to_cart"},
            "on_event": "paid", "on_timeout": "remind"},
           {"id": "remind", "send": {"channel": "sms", "template": "cart_left"}, "next": "end"},
           {"id": "paid", "exit": "converted"}]}
X
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-03-01T10:00:00.000Z","type":"order_paid","props":{"order_id":"o1","amount":120},"oneid":1}
{"event_id":"e2","ts":"2026-03-01T10:01:00.000Z","type":"order_paid","props":{"order_id":"o2","amount":350},"oneid":1}
{"type":"$segment","event_id":"seg:e2:winback","ts":"2026-03-01T10:01:00.000Z","oneid":2,"segment":"winback","op":"enter"}
{"type":"$segment","event_id":"seg:e2:vip","ts":"2026-03-01T10:01:00.000Z","oneid":2,"segment":"vip","op":"enter"}
{"type":"$segment","event_id":"seg:e3:winback","ts":"2026-03-01T11:00:00.000Z","oneid":3,"segment":"winback","op":"enter"}
{"type":"$segment","event_id":"seg:e4:vip","ts":"2026-03-01T12:00:00.000Z","oneid":2,"segment":"vip","op":"exit"}
{"type":"$segment","event_id":"seg:e5:winback","ts":"2026-03-01T12:30:00.000Z","oneid":3,"segment":"winback","op":"exit"}
{"type":"$tag","event_id":"tag:e6:lifecycle","ts":"2026-03-01T13:00:00.000Z","oneid":4,"tag":"lifecycle","old":"new","new":"dormant"}
{"type":"$tag","event_id":"tag:e7:lifecycle","ts":"2026-03-01T13:00:00.000Z","oneid":5,"tag":"lifecycle","old":"growing","new":"dormant"}
{"type":"$tag","event_id":"tag:e8:next_purchase_date","ts":"2026-03-01T13:00:00.000Z","oneid":5,"tag":"next_purchase_date","old":null,"new":"2026-03-06"}
{"event_id":"e9","ts":"2026-03-01T14:00:00.000Z","type":"login","traits":{"membership_expires":"2026-03-10"},"oneid":6}
{"event_id":"c1","ts":"2026-03-01T15:00:00.000Z","type":"add_to_cart","props":{"cart_id":"A"},"oneid":7}
{"event_id":"c2","ts":"2026-03-01T15:30:00.000Z","type":"add_to_cart","props":{"cart_id":"B"},"oneid":7}
{"event_id":"c3","ts":"2026-03-01T16:30:00.000Z","type":"add_to_cart","props":{"cart_id":"A"},"oneid":7}
{"event_id":"c4","ts":"2026-03-01T17:00:00.000Z","type":"order_paid","props":{"cart_id":"B","order_id":"o3","amount":10},"oneid":7}
{"type":"$tick","ts":"2026-03-05T00:00:00.000Z"}
X
scheduler --db "$T/db" --journeys "$T/j" "$T/ev" | grep -E '"\$send"|"\$journey".*"op":"(enter|exit)"' |
	sed 's/"version":"[0-9a-f]*",//; s/"send_id":"[0-9a-f]*",//; s/"event_id":"send:[0-9a-f]*",//'; echo "exit $?"
scheduler --db "$T/db" --journeys "$T/j" explain 7
