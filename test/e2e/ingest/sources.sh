# every shipped source turns its example file into canonical events
for s in web miniprogram pos receipts; do
	f=$(ls "$UOPS_PIPELINES/sources/examples/$s".*)
	echo "== $s"
	ingest --source "$s" --db "$T/db" --rejects "$T/rej.$s" "$f"
	echo "exit $?"
	jq -c '{source: (.source | sub(".*/"; "")), error}' "$T/rej.$s"
done
