# SIGTERM: finish the batch, commit, flush, exit 0; a rerun sees duplicates
mkfifo "$T/fifo"
: > "$T/out" # before the wait below reads it
ingest --db "$T/db" < "$T/fifo" >> "$T/out" &
pid=$!
exec 3> "$T/fifo"
gen-events -n 20 -p 5 >&3
# the input idles: ingest hands over its output; wait for all 20
i=0
while [ "$(wc -l < "$T/out")" -lt 20 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
wait $pid
echo "exit after SIGTERM: $?"
exec 3>&-
echo "passed before the signal: $(wc -l < "$T/out")"
gen-events -n 20 -p 5 | ingest --db "$T/db" -v 2>&1 >/dev/null | grep ' in: '
