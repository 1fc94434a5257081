# The -v summary counts rejects by class: a reason without its position
# (" at byte …", jq's " at line …") and a detail that ends it; a detail in
# the middle, such as the values in jq's type errors, reads " (…)" and the
# rest stays, so different errors are not counted as one.
mkdir -p "$T/p/sources"
echo '{"format": "ndjson", "mapping": "t.jq"}' > "$T/p/sources/t.json"
cat > "$T/p/sources/t.jq" <<'X'
{type: "a", ts: "2026-01-01T00:00:00Z", ids: {user: .u}, props: {n: (.n + 1), m: (.m | tonumber)}}
X
printf '%s\n' '{"u":"a","n":1,"m":"2"}' '{"u":"b","n":"x","m":"2"}' '{"u":"c","n":"yy","m":"2"}' \
	'{"u":"d","n":{"k":"(v"},"m":"2"}' '{"u":"e","n":1,"m":"zz"}' '{"u":"f","n":1,"m":"q"}' \
	'{"u":"g","n":[1],"m":"2"}' '{"u":"","n":1,"m":"2"}' '{"u":"h","n":1,"m":"2"' > "$T/in"
ingest --db "$T/db" --pipelines "$T/p" --source t -v --rejects "$T/rej" "$T/in" > /dev/null 2> "$T/err"
echo "exit $?"
jq -r .error "$T/rej"
sed -n 's/^ingest:   //p' "$T/err"
