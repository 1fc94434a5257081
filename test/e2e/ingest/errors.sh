# exit codes: usage 64, bad data with --strict 65, I/O 74, bad config 78;
# each with a message that says where and why
printf '%s\n' '{"type":"a","ts":"2026-10-01T00:00:00Z","ids":{"user":"u1"}}' 'oops' \
  '{"type":"b","ts":"2026-10-01T00:00:00Z","ids":{"user":"u1"}}' > "$T/in"
try() { # LABEL ARGS…
	label=$1
	shift
	ingest "$@" > "$T/out" 2> "$T/err"
	rc=$?
	echo "$label: exit $rc, $(wc -l < "$T/out") out"
	sed "s|$T/||g; s|$UOPS_TOP/||g; s/^/    /" "$T/err" | head -3
}
try "unknown option" --db "$T/db" --bogus
try "missing value" --db "$T/db" --batch
try "bad value" --db "$T/db" --batch x "$T/in"
try "bad -X" --db "$T/db" -X nokey "$T/in"
try "strict" --db "$T/db" --strict "$T/in"
try "bad kafka address" --db "$T/db" -o kafka://nohost "$T/in"
try "missing input" --db "$T/db" "$T/missing"
try "store cannot be created" --db /proc/nope "$T/in"
try "unknown source" --db "$T/db" --source nosuch "$T/in"
mkdir -p "$T/p/sources"
echo '{"format":"csv","zone":"Mars/Base"}' > "$T/p/sources/z.json"
try "bad zone" --db "$T/db" --pipelines "$T/p" --source z "$T/in"
echo '{"format":"ndjson","mapping":"m.jq"}' > "$T/p/sources/m.json"
echo '{type: .a' > "$T/p/sources/m.jq"
try "bad jq" --db "$T/db" --pipelines "$T/p" --source m "$T/in"
echo '{"format":"xml"}' > "$T/p/sources/x.json"
try "bad format" --db "$T/db" --pipelines "$T/p" --source x "$T/in"
echo '{"formt":"csv"}' > "$T/p/sources/k.json"
try "unknown key" --db "$T/db" --pipelines "$T/p" --source k "$T/in"
printf '{"format":"csv",\n "zone": 8}\n' > "$T/p/sources/t.json"
try "wrong type" --db "$T/db" --pipelines "$T/p" --source t "$T/in"
printf '{"format":"csv",\n "zone" "UTC"}\n' > "$T/p/sources/s.json"
try "syntax error" --db "$T/db" --pipelines "$T/p" --source s "$T/in"
echo '{"dedupe_window":"soon"}' > "$T/p/ingest.json"
try "bad ingest.json" --db "$T/db" --pipelines "$T/p" "$T/in"
ingest --db "$T/db4" "$T/in" > /dev/full 2> "$T/err"
echo "output to a full disk: exit $?"
sed 's/^/    /' "$T/err"
