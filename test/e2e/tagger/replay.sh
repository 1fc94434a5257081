# A replayed event (the same event_id again) changes no profile and is
# counted as a duplicate, not passed on; --dedupe-days 0 applies it again.
gen-tagged -n 3000 -p 300 -s 4 -g 5 > "$T/ev"
dump() { for d in profiles facts state; do mdb_dump -p -s "tagger.$d" "$1" | grep -v '^mapsize='; done; }
tagger --db "$T/db" --nosync "$T/ev" > /dev/null; echo "first: $?"
dump "$T/db" > "$T/a"
tagger --db "$T/db" --nosync -v "$T/ev" > "$T/two" 2> "$T/err"; echo "again: $?"
grep -o '[0-9]* passed, [0-9]* duplicate' "$T/err"
echo "records written: $(wc -l < "$T/two")"
dump "$T/db" > "$T/b"
cmp -s "$T/a" "$T/b" && echo "profiles unchanged"
tagger --db "$T/db" --nosync --dedupe-days 0 "$T/ev" | grep -c '"\$tag"' | sed 's/^[1-9][0-9]*$/some $tag records/'
