# Profiles changed by a commit go to tagger.journal and are folded into
# tagger.profiles at a clean end. While a tagger streams (its journal holds
# the last commit), show and export read the profiles and the journal
# together: they print what they print once the stream has ended.
gen-tagged -n 3000 -p 400 > "$T/ev"
head -1500 "$T/ev" > "$T/first"
tail -n +1501 "$T/ev" > "$T/second"
tagger --db "$T/db" --nosync "$T/first" > /dev/null; echo "first half: $?"
mdb_stat -s tagger.journal "$T/db" | sed -n 's/ *Entries: /journal records after a clean end: /p'
mkfifo "$T/in"
# no commit by count or time: the only one comes when the input idles
tagger --db "$T/db" --nosync --batch 100000000 --commit-ms 0 "$T/in" > "$T/out" &
pid=$!
exec 3> "$T/in"
cat "$T/second" >&3
n=0
while [ "$(mdb_stat -s tagger.journal "$T/db" | sed -n 's/ *Entries: //p')" = 0 ] && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "journal holds records mid-stream: $([ $n -lt 600 ] && echo yes || echo no)"
tagger --db "$T/db" export --format csv > "$T/mid.csv"; echo "export mid-stream: $?"
tagger --db "$T/db" show 7 > "$T/mid.show"; echo "show mid-stream: $?"
exec 3>&-
wait $pid; echo "tagger: $?"
mdb_stat -s tagger.journal "$T/db" | sed -n 's/ *Entries: /journal records after a clean end: /p'
tagger --db "$T/db" export --format csv > "$T/end.csv"
tagger --db "$T/db" show 7 > "$T/end.show"
cmp "$T/mid.csv" "$T/end.csv" && echo "export: the same mid-stream and at the end ($(($(wc -l < "$T/end.csv") - 1)) profiles)"
cmp "$T/mid.show" "$T/end.show" && echo "show 7: the same mid-stream and at the end"
# the same two halves in one run give the same profiles
tagger --db "$T/db2" --nosync "$T/ev" > /dev/null
tagger --db "$T/db2" export --format csv | cmp - "$T/end.csv" && echo "export equals a single run over both halves"
