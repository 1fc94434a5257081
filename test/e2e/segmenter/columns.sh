# The columns a full evaluation reads are stored a chunk of 4,096 people at
# a time, as narrow integers when they fit (whole numbers, text numbers or
# hundredths, 1, 2 or 4 bytes a cell) and as 8-byte cells otherwise; every
# form reads back to the same values: whole numbers too big for hundredths
# beside fractions, and the values next to each form's missing marker.
mkdir -p "$T/segs"
cat > "$T/segs/s.json" <<'X'
{"segments": [
  {"name": "small", "when": {"trait": "small", "gte": 100}},
  {"name": "mid", "when": {"trait": "mid", "gte": 40000}},
  {"name": "big", "when": {"trait": "big", "gte": 5000000}},
  {"name": "odd", "when": {"trait": "odd", "lt": 0}},
  {"name": "word", "when": {"trait": "word", "eq": "x"}},
  {"name": "none", "when": {"trait": "absent", "exists": true}},
  {"name": "seen", "when": {"days_since": {"event": "visit"}, "gte": 2}},
  {"name": "mixed", "when": {"trait": "mixed", "gte": 1000000}},
  {"name": "edge", "when": {"trait": "edge", "gte": 255}}
]}
X
{
	i=1
	while [ $i -le 5000 ]; do
		printf '{"event_id":"v%d","ts":"2026-03-01T10:00:00.000Z","type":"visit","traits":{"small":%d,"mid":%d,"big":%d,"odd":%s,"word":"%s","mixed":%s,"edge":%d},"oneid":%d}\n' \
			$i $((i % 255)) $((i * 13)) $((i * 1000003)) "$([ $((i % 7)) = 0 ] && echo "-$i" || echo "$i.5")" \
			"$([ $((i % 3)) = 0 ] && echo x || echo y)" "$([ $i -le 2 ] && echo 30000000 || echo "$i.5")" \
			"$([ $((i % 2)) = 1 ] && echo 7 || { [ $i -lt 4096 ] && echo 255 || echo 65535; })" $i
		i=$((i + 1))
	done
	echo '{"type":"$tick","ts":"2026-03-05T00:00:00.000Z"}'
} > "$T/ev"
segmenter --db "$T/db" --segments "$T/segs" -o /dev/null "$T/ev"; echo "exit $?"
segmenter --db "$T/db" --segments "$T/segs" recompute --rebuild; echo "recompute --rebuild: exit $?"
segmenter --db "$T/db" --segments "$T/segs" count small mid big odd word none seen mixed edge
# every cell of the table equals what the events said
segmenter --db "$T/db" --segments "$T/segs" table > "$T/table"; echo "table: exit $?"
head -1 "$T/table"
awk -F, 'NR > 1 { i = $1
	want = sprintf("%d,%d,%.0f,%s,%s,", i % 255, i * 13, i * 1000003, (i % 7 == 0 ? -i : i ".5"), (i % 3 == 0 ? "x" : "y"))
	want2 = sprintf(",%s,%d", (i <= 2 ? "30000000" : i ".5"), (i % 2 ? 7 : i < 4096 ? 255 : 65535))
	got = $0; sub(/^[0-9]+,/, "", got)
	if (index(got, want) != 1 || index(got, want2) == 0) { bad++; if (bad < 3) print "row " i ": " $0 " want " want " … " want2 } n++ }
	END { print n " rows, " bad + 0 " differ" }' "$T/table"
# the stored widths, as chunk sizes: 1-byte counts and texts (4,097), 2-byte
# numbers and days (8,193), 4-byte numbers and hundredths (16,385), and
# 8-byte cells for numbers past them (32,768)
mdb_dump -s segmenter.cols "$T/db" | awk '/^ / { n++; if (n % 2 == 0) print (length($0) - 1) / 2 }' | sort -n | uniq -c
