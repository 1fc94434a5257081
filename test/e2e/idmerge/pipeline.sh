# ingest | idmerge on the shipped example sources: one person across web,
# mini-program and store; a $merge follows the event that linked two people
for s in web miniprogram pos; do
	ingest --db "$T/db" --source "$s" "$UOPS_PIPELINES"/sources/examples/"$s".* 2>/dev/null
done | idmerge --db "$T/db" -v 2> "$T/err" > "$T/out"
echo "exit $?"
jq -c 'if .type == "$merge" then . else {event_id, oneid, ids} end' "$T/out"
grep -v -e ' s,' -e ': store: ' "$T/err" | sed 's/^/stderr: /'
echo "== lookup"
idmerge --db "$T/db" lookup "phone:138 0013 8000" "openid:oQ9d_1LmZ0aa8sUu22" "email:nobody@example.com"
echo "exit $?"
echo "== explain a merged oneid"
idmerge --db "$T/db" explain 4 | jq -c '{oneid, asked, note, ids, log: [.log[] | {seq, event_id, merged}]}'
echo "== explain --dot"
idmerge --db "$T/db" --dot explain 1
