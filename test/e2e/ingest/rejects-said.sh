# Records rejected without --rejects: the run ends with exit 1 and says so
# on stderr (where the first came from, why, how many in all, and how to
# keep them), not silently; -q says nothing; with --rejects it names the
# file. idmerge, tagger and report the same (one filter loop, one outcome).
E=$UOPS_TOP/pipelines/sources/examples
{
	head -3 "$E/web.ndjson"
	echo '{"bad json'
	echo '[1,2]'
	tail -n +4 "$E/web.ndjson"
} > "$T/bad.ndjson"
cd "$T"
ingest --db db --source web bad.ndjson > ev.ndjson 2> err
echo "ingest: exit $?, $(wc -l < ev.ndjson) events"
cat err
ingest -q --db db2 --source web bad.ndjson > /dev/null 2> err
echo "ingest -q: exit $?, $(wc -c < err) bytes on stderr"
ingest --db db3 --source web --rejects rej.ndjson bad.ndjson > /dev/null 2> err
echo "ingest --rejects: exit $?, $(wc -l < rej.ndjson) rejects"
cat err
{ head -2 ev.ndjson; echo 'oops'; tail -n +3 ev.ndjson; } > ev2.ndjson
idmerge --db db ev2.ndjson > id.ndjson 2> err
echo "idmerge: exit $?"
cat err
{ head -2 id.ndjson; echo '{"type":"x","oneid":"abc","ts":"2026-01-01T00:00:00Z"}'; tail -n +3 id.ndjson; } > id2.ndjson
tagger --db db id2.ndjson > /dev/null 2> err
echo "tagger: exit $?"
cat err
report retention id2.ndjson > /dev/null 2> err
echo "report: exit $?"
cat err
