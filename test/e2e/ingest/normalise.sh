# phones to E.164 (region +86 by default), emails trimmed and lower-cased,
# every timestamp form to UTC ISO with milliseconds, bad ids dropped
ingest --db "$T/db" -v normalise.in 2>"$T/err"
echo "exit $?"
sed -n 's/^ingest:   //p' "$T/err"
