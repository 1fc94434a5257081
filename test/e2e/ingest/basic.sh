# canonical input: normalised, ids dropped, duplicates removed, rejects counted
ingest --db "$T/db" --rejects "$T/rej" basic.in
echo "exit $?"
cat "$T/rej"
