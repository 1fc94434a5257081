# The sample ratio check of a journey's arms expects the shares its split
# gives them (PIPELINES/journeys/NAME.json: weights 90 and 10), not equal
# shares: 90 people in offer and 10 in control is no mismatch, 50 and 50 is.
mkdir -p "$T/p/journeys"
cp -r "$UOPS_PIPELINES/tags" "$UOPS_PIPELINES/report.json" "$T/p/"
cat > "$T/p/journeys/wb.json" <<'J'
{"name": "wb", "trigger": {"event": "order_paid"},
 "steps": [{"id": "w", "wait": "1d"},
           {"id": "ab", "split": [{"arm": "offer", "weight": 90}, {"arm": "control", "weight": 10, "control": true}]}]}
J
log() { # offer people, control people
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = 1; i <= a + b; i++)
			printf "{\"type\":\"$journey\",\"ts\":\"2026-01-02T00:00:00Z\",\"oneid\":%d,\"journey\":\"wb\",\"op\":\"step\",\"step\":\"ab\",\"arm\":\"%s\"}\n", i, i <= a ? "offer" : "control"
	}'
}
log 90 10 > "$T/a.ndjson"
log 50 50 > "$T/b.ndjson"
echo "90 and 10:"
report --pipelines "$T/p" abtest wb "$T/a.ndjson" | grep summary | jq -c '{srm_chi2, srm}'
echo "50 and 50:"
report --pipelines "$T/p" abtest wb "$T/b.ndjson" | grep summary | jq -c '{srm_chi2: (.srm_chi2 * 1000 | round / 1000), srm}'
echo "a journey not defined here: equal shares"
sed 's/"wb"/"other"/' "$T/a.ndjson" | report --pipelines "$T/p" abtest other | grep summary | jq -c '{srm_chi2, srm}'
