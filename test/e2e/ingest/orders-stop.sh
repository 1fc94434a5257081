# SIGTERM while reading a pipe whose writer dies with it (Ctrl-C on
# `zstdcat … | ingest`): the end of the pipe that follows the signal is no
# end of the input, so the order still open and a row cut short by the
# writer's death are not emitted; they wait for the rerun, which forms
# them whole. The output of the two runs and the state equal a clean run's.
zstd -dc "$UOPS_TOP/data/online_retail.csv.zst" | head -41 > "$T/full.csv"
# the header, invoices 536365 (7 rows) and 536366 (2 rows), the first row
# of 536367 (12 rows), and the second row of it cut inside its last field
head -11 "$T/full.csv" > "$T/part.csv"
sed -n 12p "$T/full.csv" | cut -c1-45 | tr -d '\n' >> "$T/part.csv"
mkfifo "$T/fifo"
: > "$T/out1"
ingest --source online_retail --db "$T/db" < "$T/fifo" >> "$T/out1" &
pid=$!
exec 3> "$T/fifo"
cat "$T/part.csv" >&3
# the input idles: ingest hands over the two orders it has whole
i=0
while [ "$(grep -c '"type":"order_paid"' "$T/out1")" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
exec 3>&- # the writer goes with the signal
wait $pid
echo "exit after SIGTERM: $?"
echo "orders before the signal: $(jq -r 'select(.type == "order_paid") | "\(.props.order_id) \(.props.lines)"' "$T/out1" | tr '\n' ' ')"
echo "line events of 536367 before the signal: $(grep -c '"order_id":"536367"' "$T/out1")"
ingest --source online_retail --db "$T/db" "$T/full.csv" > "$T/out2"
echo "rerun: exit $?"
ingest --source online_retail --db "$T/clean" "$T/full.csv" > "$T/clean.out"
cat "$T/out1" "$T/out2" | sort > "$T/both"
sort "$T/clean.out" > "$T/want"
cmp "$T/both" "$T/want" && echo "the two runs wrote what a clean run writes, each record once"
dbdump "$T/clean" > "$T/clean.dump"
dbdump "$T/db" > "$T/db.dump"
cmp "$T/clean.dump" "$T/db.dump" && echo "the state equals a clean run's"
