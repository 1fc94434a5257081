# The pipe through Kafka on one environment: ingest, idmerge, tagger and
# segmenter read and write topics, all four at once (-e: each reads every
# partition and ends at the end of its input), each committing its offsets
# with its state. A stage picked at random is killed with -9 at random
# moments and started again; then each runs once more, in order, to the end.
# Every DB (but the offsets, and the index of who came on which partition)
# then equals the stage-by-stage run's: no record
# lost, none applied twice; and the last topic holds, as a set, what the
# stage-by-stage run wrote.
. "$UOPS_TOP/test/lib/kafka.sh"
set -u
kafka_start raw events people tagged segmented
gen-events -n 8000 -p 1200 -s 9 > "$T/raw"
n=$(wc -l < "$T/raw")
echo "{\"type\":\"\$tick\",\"ts\":\"$(sed -n "${n}{s/.*\"ts\":\"\([0-9-]*\)T.*/\1/p;q}" "$T/raw")T23:59:59.999Z\"}" >> "$T/raw"
ingest -q --db "$T/s" "$T/raw" > "$T/s1"
idmerge -q --db "$T/s" "$T/s1" > "$T/s2"
tagger -q --db "$T/s" "$T/s2" > "$T/s3"
segmenter -q --db "$T/s" "$T/s3" > "$T/s4"
kafka_produce raw "$T/raw"

K="kafka://$BROKERS"
start() { # STAGE: in the background, its pid in $T/STAGE.pid
	case $1 in
	ingest) set -- ingest -i "$K/raw" -o "$K/events" ;;
	idmerge) set -- idmerge -i "$K/events" -o "$K/people" ;;
	tagger) set -- tagger -i "$K/people" -o "$K/tagged" ;;
	segmenter) set -- segmenter -i "$K/tagged" -o "$K/segmented" ;;
	esac
	"$@" -e -q --db "$T/k" --batch 40 >> "$T/log" 2>&1 &
	echo $! > "$T/$1.pid"
}
stages="ingest idmerge tagger segmenter"
for s in $stages; do start $s; done
# kills: a stage and a moment from a fixed seed, so a failure can be rerun
awk 'BEGIN { srand(25); for (i = 0; i < 12; i++) printf "%d %.2f\n", int(rand() * 4) + 1, rand() * 0.4 + 0.05 }' > "$T/kills"
kills=0
while read -r k wait; do
	sleep "$wait"
	s=$(echo $stages | cut -d' ' -f"$k")
	pid=$(cat "$T/$s.pid")
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	start "$s"
done < "$T/kills"
echo "stages killed and started again: $kills" >&2
[ $kills -gt 0 ] && echo "stages were killed mid-run and started again"
for s in $stages; do wait "$(cat "$T/$s.pid")"; done
for s in $stages; do
	start "$s"
	wait "$(cat "$T/$s.pid")"; echo "$s to the end: exit $?"
done
kafka_consume segmented | sort -u > "$T/got"
sort -u "$T/s4" > "$T/want"
cmp "$T/want" "$T/got" && echo "the last topic holds the stage-by-stage output: $(wc -l < "$T/want") distinct records"
dbdump -x .offsets -x .streams "$T/s" > "$T/s.dump"
dbdump -x .offsets -x .streams "$T/k" > "$T/k.dump"
cmp "$T/s.dump" "$T/k.dump" && echo "every DB equals the stage-by-stage run's"
