# Property: random journeys over random histories. Streaming a log in one
# pass gives the same records, byte for byte, as feeding it day by day,
# each day's batch a run of its own ended by a $tick at the day's end
# (the $tick lines aside), and the same state. Each seed makes other
# journeys (triggers, waits of hours to days and until local times,
# wait_for with timeouts, branches, splits with control arms, updates,
# goals, re-entry rules) and another history.
gen_journeys() { # SEED DIR
	awk -v seed="$1" -v dir="$2" 'BEGIN {
		srand(seed)
		split("product_view add_to_cart order_paid ad_click order_refunded", ev, " ")
		for (j = 1; j <= 4; j++) {
			f = dir "/j" j ".json"
			trig = ev[1 + int(rand() * 4)]
			where = rand() < 0.3 ? ", \"where\": {\"prop\": \"price\", \"gt\": " int(rand() * 400) "}" : ""
			re = rand() < 0.3 ? "never" : rand() < 0.5 ? "always" : int(1 + rand() * 3) "d"
			printf "{\"name\": \"j%d\", \"tz\": \"%s\", \"trigger\": {\"event\": \"%s\"%s}, \"reentry\": \"%s\"", j,
				rand() < 0.5 ? "Asia/Shanghai" : "Europe/London", trig, where, re > f
			if (rand() < 0.5)
				printf ", \"goal\": {\"count\": {\"event\": \"order_paid\", \"within\": \"%dd\"}, \"gte\": 2}", 1 + int(rand() * 5) > f
			if (rand() < 0.4)
				printf ", \"exit_when\": [{\"when\": {\"count\": {\"event\": \"order_refunded\"}, \"gte\": 1}, \"reason\": \"refunded\"}]" > f
			printf ", \"steps\": [" > f
			n = 3 + int(rand() * 6)
			for (s = 1; s <= n; s++) {
				if (s > 1) printf ",\n" > f
				k = int(rand() * 7)
				nx = s < n && rand() < 0.2 ? ", \"next\": \"s" (s + 1 + int(rand() * (n - s))) "\"" : ""
				if (k == 0)
					printf "{\"id\": \"s%d\", \"send\": {\"channel\": \"sms\", \"template\": \"t%d\"}%s}", s, s, nx > f
				else if (k == 1)
					printf "{\"id\": \"s%d\", \"wait\": \"%dm\"%s}", s, 30 + int(rand() * 4000), nx > f
				else if (k == 2)
					printf "{\"id\": \"s%d\", \"wait\": {\"at\": \"%02d:%02d\", \"days\": %d}%s}", s, int(rand() * 24), int(rand() * 60), int(rand() * 2), nx > f
				else if (k == 3)
					printf "{\"id\": \"s%d\", \"wait_for\": {\"event\": \"%s\", \"timeout\": \"%dm\"%s}, \"on_event\": \"%s\"}", s, ev[1 + int(rand() * 4)], 60 + int(rand() * 3000), rand() < 0.3 ? ", \"restart_on\": \"product_view\"" : "", s < n ? "s" n : "end" > f
				else if (k == 4)
					printf "{\"id\": \"s%d\", \"branch\": [{\"when\": {\"count\": {\"event\": \"%s\", \"within\": \"3d\"}, \"gte\": %d}, \"next\": \"%s\"}]%s}", s, ev[1 + int(rand() * 4)], 1 + int(rand() * 3), s < n ? "s" n : "end", nx > f
				else if (k == 5)
					printf "{\"id\": \"s%d\", \"split\": [{\"arm\": \"a\", \"weight\": %d}, {\"arm\": \"c\", \"weight\": %d, \"control\": true}]%s}", s, 1 + int(rand() * 9), 1 + int(rand() * 9), nx > f
				else
					printf "{\"id\": \"s%d\", \"update\": {\"trait\": \"u%d\", \"value\": \"$now\"}%s}", s, s, nx > f
			}
			if (rand() < 0.3)
				printf ",\n{\"id\": \"back\", \"wait\": \"%dh\", \"next\": \"s1\"}", 1 + int(rand() * 30) > f
			printf "]}\n" > f
			close(f)
		}
	}'
}
dump() { for d in people timers counts state; do mdb_dump -p -s "scheduler.$d" "$1" | grep -v '^mapsize='; done; }
bad=0
for seed in 1 2 3 4 5 6; do
	rm -rf "$T/j" "$T/a" "$T/b" "$T/days"
	mkdir -p "$T/j" "$T/days"
	gen_journeys $seed "$T/j"
	gen-tagged -n 3000 -p 150 -s $seed -g 400 > "$T/h"
	end=$(tail -1 "$T/h" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
	final="{\"type\":\"\$tick\",\"ts\":\"${end}T23:59:59.999Z\"}"
	{ cat "$T/h"; echo "$final"; } | scheduler --db "$T/a" --journeys "$T/j" --nosync > "$T/one" || bad=1
	awk -v dir="$T/days" '{ d = substr($0, index($0, "\"ts\":\"") + 6, 10); print > (dir "/" d) }' "$T/h"
	for f in "$T"/days/*; do
		d=$(basename "$f")
		{ cat "$f"; echo "{\"type\":\"\$tick\",\"ts\":\"${d}T23:59:59.999Z\"}"; } |
			scheduler --db "$T/b" --journeys "$T/j" --nosync >> "$T/batched" || bad=1
	done
	echo "$final" | scheduler --db "$T/b" --journeys "$T/j" --nosync >> "$T/batched" || bad=1
	grep -v '"\$tick"' "$T/one" > "$T/one.x"
	grep -v '"\$tick"' "$T/batched" > "$T/batched.x"
	rm -f "$T/batched"
	if ! cmp -s "$T/one.x" "$T/batched.x"; then
		echo "seed $seed: the records differ"; diff "$T/one.x" "$T/batched.x" | head -5; bad=1
	fi
	dump "$T/a" > "$T/a.dump"
	dump "$T/b" > "$T/b.dump"
	cmp -s "$T/a.dump" "$T/b.dump" || { echo "seed $seed: the state differs"; bad=1; }
	grep -c '"\$send"' "$T/one.x" > "$T/n.$seed"
	grep -c '"\$journey"' "$T/one.x" >> "$T/n.$seed"
done
[ $bad = 0 ] && echo "one pass equals daily batches for 6 seeds"
# the test is not empty: every seed sent something and fired wake-ups
cat "$T"/n.* | awk '$1 == 0 { z++ } END { print (z ? "some seed did nothing" : "every seed sent messages") }'
