# A CSV file whose header cannot be read is one rejected input: its header
# line goes to --rejects with the reason, it is counted, the run goes on to
# the next file and exits 1; with --strict it stops there (65). A NUL byte
# in a cell rejects that row as bad CSV.
printf 'type,ts,ids.cookie\nview,2026-10-28T00:00:00Z,c1\n' > "$T/good.csv"
n=0
for h in 'a"b,c' '"type,ts' '' 'type,,ids.cookie' 'type,ts,ids.cookie,ts'; do
	n=$((n + 1))
	printf '%s\nview,2026-10-28T00:00:00Z,c%d\n' "$h" $n > "$T/bad$n.csv"
	echo "header '$h':"
	ingest --db "$T/db$n" -v --rejects "$T/rej" "$T/bad$n.csv" "$T/good.csv" > "$T/out" 2> "$T/err"
	echo "exit $?, passed on: $(jq -r '.ids.cookie' "$T/out")"
	grep -e ' in: ' -e rejected "$T/err" | sed 's/^ingest: *//'
	jq -c '{source: (.source | sub(".*/"; "")), error, line}' "$T/rej"
done
echo "--strict:"
ingest --db "$T/dbs" --strict --rejects "$T/rej" "$T/bad1.csv" "$T/good.csv" 2> "$T/err"
echo "exit $?"
sed 's/^ingest: *//' "$T/err"
jq -c '{source: (.source | sub(".*/"; "")), error}' "$T/rej"
echo "a NUL in a cell:"
printf 'type,ts,ids.cookie\nview,2026-10-28T00:00:00Z,c\000x\nview,2026-10-28T00:00:00Z,c2\n' > "$T/nul.csv"
ingest --db "$T/dbn" --rejects "$T/rej" "$T/nul.csv" > "$T/out"
echo "exit $?, passed on: $(jq -r '.ids.cookie' "$T/out")"
jq -c '{source: (.source | sub(".*/"; "")), error, line}' "$T/rej"
