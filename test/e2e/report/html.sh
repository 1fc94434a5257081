# --html: one self-contained page per report, rendered by headless
# Chromium (scripts/setup installs it; a missing browser fails the case):
# the page loads with no console message (its Content-Security-Policy
# forbids any script, font, image or fetch, so a reference to anything
# outside the page would show up as a console error), and the DOM the
# browser built holds the charts by their ids and the tables. A page with
# a console error is rendered too, to show the check can fail. Several
# browsers run at once: their start-up is mostly waiting.
set -u
cd "$T" || exit 1
command -v chromium > /dev/null || { echo "chromium is missing (sh scripts/setup installs it)"; exit 1; }
cat > in.ndjson <<'X'
{"type":"view","ts":"2026-01-05T10:00:00Z","oneid":1,"props":{"category":"face"}}
{"type":"$tag","ts":"2026-01-05T10:00:00Z","oneid":1,"tag":"lifecycle","old":null,"new":"new"}
{"type":"order_paid","ts":"2026-01-06T10:00:00Z","oneid":1,"props":{"order_id":"A1","amount":120}}
{"type":"view","ts":"2026-01-06T11:00:00Z","oneid":2,"props":{"category":"body"}}
{"type":"order_paid","ts":"2026-01-14T09:00:00Z","oneid":2,"props":{"order_id":"B1","amount":80}}
{"type":"view","ts":"2026-01-20T09:00:00Z","oneid":1,"props":{"category":"face"}}
{"type":"order_paid","ts":"2026-01-21T09:00:00Z","oneid":1,"props":{"order_id":"A2","amount":40}}
{"type":"view","ts":"2026-01-22T09:00:00Z","oneid":4,"props":{"category":"<b>&\"x\"</b>"}}
{"type":"view","ts":"2026-01-22T10:00:00Z","oneid":5,"props":{"category":"face"}}
{"type":"$journey","ts":"2026-01-05T00:00:00Z","oneid":1,"op":"enter","journey":"welcome","step":"start","arm":"control"}
{"type":"$journey","ts":"2026-01-06T00:00:00Z","oneid":2,"op":"enter","journey":"welcome","step":"start","arm":"coupon"}
{"type":"$journey","ts":"2026-01-22T00:00:00Z","oneid":4,"op":"enter","journey":"welcome","step":"start","arm":"coupon"}
{"type":"$journey","ts":"2026-01-22T00:00:00Z","oneid":5,"op":"enter","journey":"welcome","step":"start","arm":"control"}
{"type":"$send","ts":"2026-01-05T12:00:00Z","oneid":1,"send_id":"w1","journey":"welcome","step":"hello","arm":"control","channel":"sms"}
{"type":"$delivery","ts":"2026-01-05T12:00:00Z","oneid":1,"send_id":"w1","status":"sent","channel":"sms"}
{"type":"message_opened","ts":"2026-01-05T13:00:00Z","props":{"send_id":"w1"}}
{"type":"$send","ts":"2026-01-13T00:00:00Z","oneid":2,"send_id":"campaign:<b>&\"x\"</b>:2","journey":"campaign:<b>&\"x\"</b>","channel":"email"}
{"type":"$delivery","ts":"2026-01-13T00:00:00Z","oneid":2,"send_id":"campaign:<b>&\"x\"</b>:2","status":"sent","channel":"email"}
{"type":"$journey","ts":"2026-01-06T10:00:00Z","oneid":1,"op":"exit","journey":"welcome","reason":"converted","arm":"control"}
X
report retention --by week --periods 3 --split tag:lifecycle --html ret.html in.ndjson > ret.out; echo "retention exit $?"
report funnel view order_paid --split prop:category --html fun.html < in.ndjson > fun.out; echo "funnel exit $?"
report abtest welcome --html ab.html in.ndjson > ab.out; echo "abtest exit $?"
report rfm --at 2026-02-01 --html rfm.html --format csv in.ndjson > rfm.out; echo "rfm exit $?"
report lifecycle --by week --html lc.html in.ndjson > lc.out; echo "lifecycle exit $?"
report attribution --html at.html in.ndjson > at.out; echo "attribution exit $?"
report journeys --html jo.html in.ndjson > jo.out; echo "journeys exit $?"
report campaigns --html ca.html in.ndjson > ca.out; echo "campaigns exit $?"
echo "--- stdout is the same with and without --html"
report rfm --at 2026-02-01 --format csv in.ndjson | cmp - rfm.out && echo same
echo "--- the same input, the same page"
report abtest welcome --html ab2.html in.ndjson > /dev/null && cmp ab.html ab2.html && echo same
echo "--- nothing outside the page: no src, href, url( or @import"
grep -c -E 'src=|href=|url\(|@import' ret.html fun.html ab.html rfm.html lc.html at.html jo.html ca.html
echo "--- a page that cannot be written"
report rfm --html "$T/no/such/dir/x.html" in.ndjson > /dev/null 2> err; echo "exit $?"; sed "s|$T|T|" err
printf '<!DOCTYPE html><html><body><p>x</p><script>console.error("boom")</script></body></html>\n' > bad.html
for p in ret fun ab rfm lc at jo ca bad; do
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
		--disable-dev-shm-usage --user-data-dir="$T/prof-$p" --enable-logging=stderr --v=0 \
		--dump-dom "file://$T/$p.html" > "$p.dom" 2> "$p.log" &
	echo $! > "$p.pid"
done
for p in ret fun ab rfm lc at jo ca bad; do
	wait "$(cat "$p.pid")"
	rc=$?
	echo "--- $p.html: chromium exit $rc"
	printf 'console messages: %s\n' "$(grep -c ':CONSOLE' "$p.log")"
	grep ':CONSOLE' "$p.log" | sed -e 's/^\[[^]]*\] //' -e "s|$T|T|" | head -3
	printf 'charts:'
	grep -o '<svg[^>]* id="[^"]*"' "$p.dom" | sed 's/.* id="\([^"]*\)"/ \1/' | tr -d '\n'
	printf '\ntables: %s\n' "$(grep -o '<table>' "$p.dom" | wc -l)"
	printf 'escaped: %s\n' "$(grep -c '&lt;b&gt;&amp;' "$p.dom")"
done
