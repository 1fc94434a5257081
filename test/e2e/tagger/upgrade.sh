# A store written before clocks were kept per stream: one "clock" and
# "fired" in tagger.state, every deadline filed under stream 0
# (upgrade.d/store.dump: `mdb_dump -a` of that build's state after
# upgrade.d/first.ndjson). This build reads the one clock as where every
# stream starts, files those deadlines under no known stream (the first
# stream to enter their day fires them) and goes on exactly as that build
# did: the records it writes for upgrade.d/rest.ndjson (its last record a
# tick 40 days on) have the checksum of what the earlier build wrote for
# them (below), and equal what a store of this layout writes. The earlier
# keys are replaced by clocks per stream, and the store's format is raised.
# The tag definitions are those the store was written with (upgrade.d/tags).
set -e
mkdir "$T/up"
zstdcat upgrade.d/store.dump.zst | grep -v '^db_pagesize=' | mdb_load "$T/up"
tagger --tags upgrade.d/tags --db "$T/up" status
tagger --tags upgrade.d/tags --db "$T/up" upgrade.d/rest.ndjson.zst > "$T/up.out"
cksum < "$T/up.out"
tagger --tags upgrade.d/tags --db "$T/new" upgrade.d/first.ndjson.zst > /dev/null
tagger --tags upgrade.d/tags --db "$T/new" upgrade.d/rest.ndjson.zst > "$T/new.out"
cmp "$T/up.out" "$T/new.out" && echo "the same records as a store of this layout"
grep -c '"tag:due:' "$T/up.out" | awk '{ print ($1 > 0 ? "deadlines fired" : "no deadline fired") }'
mdb_dump -p -s tagger.state "$T/up" | grep '^ [a-z]'
tagger --tags upgrade.d/tags --db "$T/up" status
mdb_dump -p -s meta "$T/up" | sed -n '/^ format$/{n;s/^ /store format: /p}'
