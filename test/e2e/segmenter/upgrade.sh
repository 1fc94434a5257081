# A store written before clocks were kept per stream: one "clock" and
# "fired" in segmenter.state, deadlines keyed by day alone, people without
# a stream (upgrade.d/store.dump: `mdb_dump -a` of that build's state after
# upgrade.d/first.ndjson). This build reads the one clock as where every
# stream starts, fires the deadlines of no known stream on the clock of the
# stream that reaches their day, and goes on exactly as that build did: the
# records it writes for upgrade.d/rest.ndjson have the checksum of what the
# earlier build wrote for them (below), and equal what a store of this
# layout writes. The earlier keys are replaced by clocks per stream.
set -e
mkdir "$T/up"
zstdcat upgrade.d/store.dump.zst | grep -v '^db_pagesize=' | mdb_load "$T/up"
segmenter --db "$T/up" upgrade.d/rest.ndjson.zst > "$T/up.out"
cksum < "$T/up.out"
segmenter --db "$T/new" upgrade.d/first.ndjson.zst > /dev/null
segmenter --db "$T/new" upgrade.d/rest.ndjson.zst > "$T/new.out"
cmp "$T/up.out" "$T/new.out" && echo "the same records as a store of this layout"
grep -c '"seg:due:' "$T/up.out" | awk '{ print ($1 > 0 ? "deadlines fired" : "no deadline fired") }'
mdb_dump -p -s segmenter.state "$T/up" | grep '^ [a-z]' | grep -v '^ dirty\|^ people'
mdb_dump -s segmenter.due "$T/up" | awk '/^HEADER=END/ { h = 1; next } h && /^ / && !(i++ % 2) { n[(length($0) - 1) / 2]++ } END { for (l in n) print "segmenter.due: keys of " l " bytes" }' | sort
mdb_dump -p -s meta "$T/up" | sed -n '/^ format$/{n;s/^ /store format: /p}'
