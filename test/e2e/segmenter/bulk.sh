# A history loaded with --bulk (profiles only, no per-event evaluation)
# and then recomputed ends with the audiences, columns and deadlines a
# record-by-record run has at the same clock; the next stream goes on from
# there. A filter run after a bulk load computes the audiences first.
set -e
gen-tagged -n 30000 -p 2000 -s 11 -g 30 > "$T/ev"
head -n 25000 "$T/ev" > "$T/a"
tail -n +25001 "$T/ev" > "$T/b"
s="segmenter --segments agree.d --nosync"
$s --db "$T/stream" "$T/a" > "$T/stream.out"
$s --db "$T/bulk" --bulk "$T/a" > "$T/bulk.out"
echo "bulk load writes the events on, and no \$segment: $(grep -c '"\$segment"' "$T/bulk.out" || true)"
$s --db "$T/bulk" recompute | grep -c '"op":"enter"' | sed 's/^[1-9][0-9]*$/entries for the audiences/'
counts() { $s --db "$1" list | sed 's/"description".*//'; }
[ "$(counts "$T/stream")" = "$(counts "$T/bulk")" ] && echo "the same audiences as the record-by-record run"
due() { mdb_dump -p -s segmenter.due "$1" | grep -v '^mapsize='; }
[ "$(due "$T/stream")" = "$(due "$T/bulk")" ] && echo "the same deadlines"
$s --db "$T/stream" "$T/b" > /dev/null
$s --db "$T/bulk" "$T/b" > /dev/null
[ "$(counts "$T/stream")" = "$(counts "$T/bulk")" ] && echo "and the same after the rest of the stream"
$s --db "$T/stream" recompute --at 2026-12-01 > /dev/null
$s --db "$T/bulk" recompute --at 2026-12-01 > /dev/null
[ "$(counts "$T/stream")" = "$(counts "$T/bulk")" ] && echo "and at a later clock"
echo "a filter run after a bulk load computes the audiences first:"
$s --db "$T/bulk2" --bulk "$T/a" > /dev/null
$s --db "$T/bulk2" "$T/b" | grep -c '"seg:recompute:' | sed 's/^[1-9][0-9]*$/entries first/'
$s --db "$T/bulk2" recompute --at 2026-12-01 > /dev/null
[ "$(counts "$T/stream")" = "$(counts "$T/bulk2")" ] && echo "the same audiences"
