# An evaluation keeps a tag whose inputs did not change (no event or merge
# on an aggregate it reads, no day left that aggregate's window, no trait
# or tag it reads changed) without evaluating it. That must give what
# evaluating every tag gives (--eval-all): the same records and profiles,
# on events, merges, late events, $tick sweeps, recompute and sweep, with
# tags that read windows, traits, other tags and ranks.
mkdir "$T/tags" "$T/tags2"
cp "$UOPS_PIPELINES"/tags/*.json "$T/tags/"
cat > "$T/tags/90-test.json" <<'X'
{"tags": [
 {"name": "t_views_7d", "type": "number", "value": {"count": {"event": "product_view", "within": "7d"}}},
 {"name": "t_face_30d", "type": "bool", "when": {"count": {"event": "order_paid", "where": {"prop": "category", "eq": "face"}, "within": "30d"}, "gte": 1}},
 {"name": "t_female_viewer", "type": "bool", "when": {"and": [{"trait": "gender", "eq": "f"}, {"tag": "t_views_7d", "gte": 2}]}},
 {"name": "t_city", "type": "string", "value": {"trait": "city"}},
 {"name": "t_spend_rank", "type": "number", "rank": {"of": {"sum": {"event": "order_paid", "prop": "amount", "within": "90d"}}, "n": 4}}
]}
X
cp "$T"/tags/*.json "$T/tags2/"
cat > "$T/tags2/95-more.json" <<'X'
{"tags": [{"name": "t_carts_30d", "type": "number", "value": {"count": {"event": "add_to_cart", "within": "30d"}}}]}
X
# 30,000 events of 2,000 people over about 200 days, a $tick and a $merge
# now and then
gen-tagged -n 30000 -p 2000 -g 600 | awk '
	{ match($0, /"ts":"[^"]*"/); ts = substr($0, RSTART, RLENGTH) }
	NR % 2500 == 0 { print "{\"type\":\"$tick\"," ts "}" }
	NR % 3000 == 0 { k = NR % 1999 + 1; print "{\"type\":\"$merge\",\"event_id\":\"m" NR "\"," ts ",\"oneid\":" k ",\"merged\":[" k + 1 "],\"by\":\"cookie\"}" }
	{ print }' > "$T/ev"
head -n 16000 "$T/ev" > "$T/h1"
tail -n +16001 "$T/ev" > "$T/h2"
run() { # MODE: the same steps, with or without --eval-all
	o=; [ "$1" = all ] && o=--eval-all
	tagger --db "$T/db.$1" --tags "$T/tags" $o "$T/h1" > "$T/$1.1" &&
	tagger --db "$T/db.$1" --tags "$T/tags" $o recompute > "$T/$1.2" &&
	tagger --db "$T/db.$1" --tags "$T/tags" $o "$T/h2" > "$T/$1.3" &&
	tagger --db "$T/db.$1" --tags "$T/tags" $o sweep --at 2027-05-30 > "$T/$1.4"
	echo "$1: $?"
	mdb_dump -s tagger.profiles "$T/db.$1" | sed '1,/^HEADER=END/d' > "$T/$1.dump"
}
run inc
run all
for i in 1 2 3 4; do
	cmp "$T/inc.$i" "$T/all.$i" && echo "step $i: the same $(grep -c '"\$tag"' "$T/inc.$i") tag changes"
done
cmp "$T/inc.dump" "$T/all.dump" && echo "the same profiles"
# changed definitions: every tag is evaluated until a recompute
cp -r "$T/db.inc" "$T/db.c1"
cp -r "$T/db.inc" "$T/db.c2"
tagger --db "$T/db.c1" --tags "$T/tags2" -v sweep --at 2027-06-15 2> "$T/err" > "$T/c1"; echo "new definitions: $?"
echo "said: $(grep -c 'definitions changed' "$T/err")"
tagger --db "$T/db.c2" --tags "$T/tags2" --eval-all sweep --at 2027-06-15 > "$T/c2"
cmp "$T/c1" "$T/c2" && echo "the same $(wc -l < "$T/c1") records as --eval-all"
tagger --db "$T/db.c1" --tags "$T/tags2" recompute > /dev/null; echo "recompute: $?"
tagger --db "$T/db.c1" --tags "$T/tags2" -v sweep --at 2027-06-16 2> "$T/err" > /dev/null
echo "after it, said: $(grep -c 'definitions changed' "$T/err")"
