# The shipped tags on the example channels: every tag change is a $tag
# record right after the event that caused it, the events pass unchanged,
# and show prints the profile.
ex=$UOPS_PIPELINES/sources/examples
{
	ingest --db "$T/db" --source web "$ex/web.ndjson"
	ingest --db "$T/db" --source miniprogram "$ex/miniprogram.ndjson"
	ingest --db "$T/db" --source pos "$ex/pos.csv"
} 2>/dev/null | idmerge --db "$T/db" > "$T/people"
tagger --db "$T/db" "$T/people" > "$T/out"; echo "tagger: $?"
grep -v '"\$tag"' "$T/out" | cmp - "$T/people" && echo "every input record passes unchanged, in order"
grep '"\$tag"' "$T/out"
tagger --db "$T/db" show 1
tagger --db "$T/db" show 999; echo "show of an unknown oneid: $?"
tagger --db "$T/db" export --format csv --fields oneid,lifecycle,top_category,price_sensitivity,orders,trait.gender
