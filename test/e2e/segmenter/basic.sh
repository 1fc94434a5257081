# The seed audiences on a small stream: each record is followed by the
# $segment records it caused, at its time; $tag records from tagger drive
# the tag segments; a segment of segments follows the ones it reads.
cat > "$T/ev" <<'X'
{"event_id":"e1","ts":"2026-03-01T10:00:00.000Z","type":"app_open","ids":{"user":"a"},"traits":{"gender":"f"},"oneid":1}
{"event_id":"e2","ts":"2026-03-01T11:00:00.000Z","type":"ad_click","ids":{"user":"b"},"props":{"category":"face"},"oneid":2}
{"event_id":"e3","ts":"2026-03-01T11:30:00.000Z","type":"ad_click","ids":{"user":"c"},"props":{"category":"hair"},"oneid":3}
{"event_id":"e4","ts":"2026-03-02T09:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o1","amount":120},"oneid":1}
{"event_id":"e5","ts":"2026-03-03T09:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o2","amount":350.5},"oneid":1}
{"event_id":"e6","ts":"2026-03-03T10:00:00.000Z","type":"order_paid","ids":{"user":"b"},"props":{"order_id":"o3","amount":80,"is_new":true},"oneid":2}
{"type":"$tag","event_id":"tag:e6:vip","ts":"2026-03-03T10:00:00.000Z","oneid":2,"tag":"vip","old":null,"new":true}
{"type":"$tag","event_id":"tag:e6:lifecycle","ts":"2026-03-03T10:00:00.000Z","oneid":2,"tag":"lifecycle","old":null,"new":"dormant"}
{"type":"$tag","event_id":"tag:x:other","ts":"2026-03-03T10:00:00.000Z","oneid":2,"tag":"no_segment_reads_this","old":null,"new":1}
{"event_id":"e7","ts":"2026-03-03T12:00:00.000Z","type":"order_paid","ids":{"user":"a"},"props":{"order_id":"o4","amount":99},"oneid":1}
{"type":"$something","ts":"2026-03-03T12:00:00.000Z"}
X
segmenter --db "$T/db" "$T/ev" | grep '"\$segment"'; echo "exit $?"
segmenter --db "$T/db" count active_no_order_30d last_order_over_300 face_ad_no_purchase repeat_female_no_new vip winback vip_at_risk uploaded
segmenter --db "$T/db" overlap vip winback vip_at_risk
segmenter --db "$T/db" export vip_at_risk
echo "a full evaluation agrees:"
segmenter --db "$T/db" recompute --rebuild; echo "exit $?"
segmenter --db "$T/db" list | cut -c1-80
echo "unknown segment:"
segmenter --db "$T/db" count nope; echo "exit $?"
echo "recompute of named segments only:"
segmenter --db "$T/db" recompute winback vip_at_risk; echo "exit $?"
segmenter --db "$T/db" recompute uploaded; echo "a list has no condition: $?"
