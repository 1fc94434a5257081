# $merge folds the merged profile into the survivor: the result equals the
# profile built as if the events had always had one oneid.
zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | head -6000 > "$T/retail.csv"
ingest --db "$T/in" --source online_retail "$T/retail.csv" 2>/dev/null | idmerge --db "$T/in" > "$T/one"
last=$(tail -1 "$T/one" | sed 's/.*"ts":"\([^"]*\)".*/\1/')
# every other event of a person goes to a second oneid (N + 100000) …
awk '{ if (NR % 2) sub(/"oneid":[0-9]+}$/, "&"); else { match($0, /"oneid":[0-9]+}$/); n = substr($0, RSTART + 8, RLENGTH - 9); sub(/"oneid":[0-9]+}$/, "\"oneid\":" (n + 100000) "}") } print }' "$T/one" > "$T/two"
# … and $merge records at the end fold them back
sed -n 's/.*"oneid":\([0-9]*\)}$/\1/p' "$T/one" | sort -un > "$T/ids"
awk -v ts="$last" '{ printf "{\"type\":\"$merge\",\"event_id\":\"m%d\",\"ts\":\"%s\",\"oneid\":%d,\"merged\":[%d],\"by\":\"member\"}\n", $1, ts, $1, $1 + 100000 }' "$T/ids" >> "$T/two"
echo "$(wc -l < "$T/ids") people, $(grep -c '"oneid":1[0-9][0-9][0-9][0-9][0-9]}' "$T/two") events under a second oneid"
tagger --db "$T/a" --nosync "$T/one" > /dev/null; echo "one oneid: $?"
tagger --db "$T/b" --nosync "$T/two" > /dev/null; echo "two, merged: $?"
# tags are evaluated at the clock of the last change; bring both to one clock
tagger --db "$T/a" sweep --at 2011-01-01 > /dev/null
tagger --db "$T/b" sweep --at 2011-01-01 > /dev/null
tagger --db "$T/a" show $(cat "$T/ids") > "$T/a.show"
tagger --db "$T/b" show $(cat "$T/ids") > "$T/b.show"
cmp "$T/a.show" "$T/b.show" && echo "every merged profile equals the one-oneid profile"
tagger --db "$T/b" show $(awk '{ print $1 + 100000 }' "$T/ids" | head -3); echo "merged oneids have no profile left: $?"
tagger --db "$T/a" export --fields oneid,transactions,monetary,spend_365d,orders --format csv > "$T/csv"
head -4 "$T/csv"
