# tagger between Kafka topics (one partition, so the order is the file's):
# the same records as the NDJSON path, keyed by oneid, the records of the
# deadlines a $tick 40 days on fires included; a second run resumes
# from the offsets stored with the profiles and reads nothing again
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
kafka_start people tagged
gen-events -n 3000 -p 500 | ingest --db "$T/in.db" | idmerge --db "$T/in.db" > "$T/ev"
last=$(tail -n 1 "$T/ev" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')
echo "{\"type\":\"\$tick\",\"ts\":\"$(date -u -d "$last + 40 days" +%F)T00:00:00.000Z\"}" >> "$T/ev"
tagger --db "$T/file.db" --threads 2 "$T/ev" > "$T/file.out"
kafka_produce people "$T/ev"
tagger --db "$T/k.db" --threads 2 -e -i "kafka://$BROKERS/people" -o "kafka://$BROKERS/tagged"
kafka_consume tagged > "$T/k.out"
cmp "$T/file.out" "$T/k.out" && echo "kafka output equals the NDJSON path: $(wc -l < "$T/k.out") records, $(grep -c '"\$tag"' "$T/k.out") \$tag, $(grep -c '"tag:due:' "$T/k.out") of them fired by deadlines"
kcat -q -b "$BROKERS" -C -t tagged -e -f '%k %s\n' | awk '/"\$tick"/ { next } { split($2, a, "\"oneid\":"); sub(/[,}].*/, "", a[2]); if ($1 != a[2]) bad++ } END { print "records keyed by their oneid: " (bad ? "NO" : "yes") }'
tagger --db "$T/k.db" -e -v -i "kafka://$BROKERS/people" -o "kafka://$BROKERS/tagged" 2> "$T/err"
grep -o '^tagger: [0-9]* in' "$T/err"
