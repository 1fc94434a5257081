# A sweep evaluates profiles in threads (--threads): the records it writes
# and the profiles it leaves are the same as one thread's, in parts of any
# size; with a jq definition it runs in one thread.
gen-tagged -n 20000 -p 5000 > "$T/ev"
tagger --db "$T/db" --nosync "$T/ev" > /dev/null; echo "stream: $?"
for c in t1 t2 t3; do cp -r "$T/db" "$T/$c"; done
tagger --db "$T/t1" --threads 1 sweep --at 2026-12-01 > "$T/s1"; echo "one thread: $?"
tagger --db "$T/t2" --threads 2 -v sweep --at 2026-12-01 > "$T/s2" 2> "$T/v2"; echo "two threads: $?"
sed -n 's/.*swept \([0-9]*\) profiles.*/profiles swept: \1/p' "$T/v2"
tagger --db "$T/t3" --threads 3 --batch 70 sweep --at 2026-12-01 > "$T/s3"; echo "three threads, parts of 70: $?"
echo "tag changes: $(wc -l < "$T/s1")"
cmp "$T/s1" "$T/s2" && echo "two threads: the same records"
cmp "$T/s1" "$T/s3" && echo "three threads: the same records"
for c in t1 t2 t3; do
	mdb_dump -s tagger.profiles "$T/$c" | sed '1,/^HEADER=END/d' > "$T/$c.dump"
done
cmp "$T/t1.dump" "$T/t2.dump" && echo "two threads: the same profiles"
cmp "$T/t1.dump" "$T/t3.dump" && echo "three threads: the same profiles"
tagger --db "$T/t2" --threads 2 sweep --at 2026-12-01 | wc -l | sed 's/^ */again, changes: /'
# a jq definition: one thread, the same records
mkdir "$T/tags"
cp "$UOPS_PIPELINES"/tags/*.json "$T/tags/"
cat > "$T/tags/90-jq.json" <<'X'
{"tags": [{"name": "many_events", "type": "bool", "when": {"jq": ".events > 3"}}]}
X
cp -r "$T/db" "$T/j1"
cp -r "$T/db" "$T/j2"
tagger --db "$T/j1" --tags "$T/tags" --threads 1 sweep --at 2026-12-01 > "$T/sj1"; echo "jq, one thread: $?"
tagger --db "$T/j2" --tags "$T/tags" --threads 2 -v sweep --at 2026-12-01 > "$T/sj2" 2> "$T/vj2"; echo "jq, two asked: $?"
grep -o 'in [0-9]* thread[s]*' "$T/vj2"
cmp "$T/sj1" "$T/sj2" && echo "jq: the same records ($(grep -c many_events "$T/sj1") of many_events)"
tagger --threads 0 sweep --at 2026-12-01; echo "--threads 0: $?"
