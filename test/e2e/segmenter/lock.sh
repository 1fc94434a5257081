# One writing process per tool and store: while a segmenter streams into a
# store, a second segmenter writing it exits 75 and names the process that
# holds it; another tool writes the same store beside it; once the first
# ends, a writer opens the store again.
gen-tagged -n 200 -p 50 > "$T/ev"
mkfifo "$T/in"
segmenter --db "$T/db" --nosync "$T/in" > "$T/out" &
pid=$!
exec 3> "$T/in"
head -100 "$T/ev" >&3
n=0
while [ ! -s "$T/db/segmenter.lock" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
segmenter --db "$T/db" --nosync "$T/ev" > /dev/null 2> "$T/err"; echo "second segmenter: $?"
sed "s/pid $pid/pid PID/; s|$T|T|" "$T/err"
tagger --db "$T/db" --nosync < /dev/null > /dev/null; echo "tagger beside it: $?"
tail -n +101 "$T/ev" >&3
exec 3>&-
wait $pid; echo "first segmenter: $?"
segmenter --db "$T/db" --nosync -v "$T/ev" 2>&1 > /dev/null | grep -o '[0-9]* duplicate'; echo "a writer again: $?"
