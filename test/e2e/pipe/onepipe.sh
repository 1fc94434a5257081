# The README's pipe, every tool on one environment, with pipes of one page
# between the stages (pipesz), day $ticks in the middle and at the end (each
# fires days of deadlines in tagger and segmenter, far more than a page of
# output), a cache budget small enough that the journals fold
# mid-stream, and queries running in a loop beside it. It must finish, and
# its output and every DB (dbdump) must equal the stage-by-stage run's,
# where files sit between the stages.
gen-events -n 24000 -p 4000 -s 11 > "$T/raw"
n=$(wc -l < "$T/raw")
day() { sed -n "$1{s/.*\"ts\":\"\([0-9-]*\)T.*/\1/p;q}" "$T/raw"; }
{
	head -n $((n / 2)) "$T/raw"
	echo "{\"type\":\"\$tick\",\"ts\":\"$(day $((n / 2)))T23:59:59.999Z\"}"
	tail -n +$((n / 2 + 1)) "$T/raw"
	echo "{\"type\":\"\$tick\",\"ts\":\"$(date -u -d "$(day "$n") + 45 days" +%F)T00:00:00.000Z\"}"
} > "$T/in"
export UOPS_CACHE_MB=1

# stage by stage
ingest -q --db "$T/s" "$T/in" > "$T/s1"
idmerge -q --db "$T/s" "$T/s1" > "$T/s2"
tagger -q --db "$T/s" "$T/s2" > "$T/s3"
segmenter -q --db "$T/s" "$T/s3" > "$T/s4"

# one pipe, and queries beside it until it ends
(
	i=0
	while [ ! -e "$T/done" ]; do
		i=$((i + 1))
		for q in "segmenter count last_order_over_300" "tagger show $((i % 300 + 1))" \
			"idmerge lookup oneid:$((i % 300 + 1))" "tagger export" "segmenter export active_no_order_30d"; do
			$q --db "$T/p" > /dev/null 2>&1
			rc=$?
			[ $rc -ge 128 ] && echo "query '$q' ended by signal $((rc - 128))" >&2 && echo crash >> "$T/qfail"
			echo "$rc" >> "$T/qrc"
		done
	done
) &
qpid=$!
# (a deadlock would hang forever: the pipe gets 10 minutes, then is killed)
timeout -s KILL 600 sh -c 'ingest -q --db "$T/p" "$T/in" | pipesz idmerge -q --db "$T/p" |
	pipesz tagger -q --db "$T/p" | pipesz segmenter -q --db "$T/p" > "$T/p4"'
echo "pipe: exit $?"
touch "$T/done"
wait $qpid
[ -e "$T/qfail" ] && echo "a query crashed" || echo "no query crashed"
[ "$(grep -c '^0$' "$T/qrc")" -gt 0 ] && echo "queries answered beside the pipe"
cmp "$T/s4" "$T/p4" && echo "output equals the stage-by-stage run's: $(wc -l < "$T/p4") lines"
grep -c '"type":"\$tick"' "$T/p4" | sed 's/^/ticks through: /'
grep -c '"event_id":"tag:due:' "$T/p4" | awk '{ print ($1 > 0 ? "tagger fired deadlines" : "no deadline fired") }'
grep -c '"event_id":"seg:due:' "$T/p4" | awk '{ print ($1 > 0 ? "deadlines fired" : "no deadline") }'
dbdump -x .offsets -x probe.ticks "$T/s" > "$T/s.dump"
dbdump -x .offsets -x probe.ticks "$T/p" > "$T/p.dump"
cmp "$T/s.dump" "$T/p.dump" && echo "every DB equals the stage-by-stage run's"
