# limits keep a shared QA phone from merging staff; a refusal is recorded
# and explained; block splits an over-merged family tablet
idmerge --db "$T/db" -v rules.in 2> "$T/err" | jq -c '{event_id, oneid}'
grep -e 'people created' -e 'refused by' "$T/err" | sed 's/^idmerge: *//'
echo "== the refusal, explained"
idmerge --db "$T/db" explain 2 | jq -c '.refused[] | {identifier, rule, people}'
echo "== staff-2 stands alone"
idmerge --db "$T/db" lookup user:staff-2
echo "== block the family tablet: the component is rebuilt without it"
idmerge --db "$T/db" --reason "shared family tablet" block device:tablet-1
echo "exit $?"
idmerge --db "$T/db" lookup phone:+8613900000001 email:kid@example.com device:tablet-1
echo "== a blocked identifier is never linked again"
printf '%s\n' '{"event_id":"f9","ts":"2026-10-02T10:00:00.000Z","type":"app_open","ids":{"device":"tablet-1","phone":"+8613900000001"}}' |
	idmerge --db "$T/db" | jq -c '{event_id, oneid}'
idmerge --db "$T/db" lookup device:tablet-1 | jq -c '{oneid}'
echo "== the QA phone seen with two staff logins is shared: held apart, linking no one"
idmerge --db "$T/db" lookup phone:+8613700000000 user:staff-1
echo "== the size guard: a component stops growing and says so"
printf '%s\n' '{"types":[{"name":"user","limit":1},{"name":"cookie","limit":50}],"max_component":3}' > "$T/small.json"
for i in 1 2 3 4 5; do
	printf '{"event_id":"c%s","ts":"2026-10-03T10:00:0%s.000Z","type":"page_view","ids":{"user":"bot","cookie":"ck-%s"}}\n' $i $i $i
done | idmerge --db "$T/db2" --rules "$T/small.json" -v 2> "$T/err2" | jq -c '{event_id, oneid}'
grep -e 'refused by' "$T/err2" | sed 's/^idmerge: *//'
idmerge --db "$T/db2" --rules "$T/small.json" explain 1 | jq -c '{ids, refused: [.refused[] | {identifier, rule}]}'
