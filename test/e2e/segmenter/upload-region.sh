# upload: a phone written without a +code is read in the country of
# --region, a calling code (86, 44), by default ingest.json's
# default_region as idmerge lookup reads one, so a CRM list of national
# numbers finds the people ingest normalised. The default was the letters
# "CN", which no phone took ("invalid region code").
E=$UOPS_TOP/pipelines/sources/examples
ingest -q --db "$T/db" --source web "$E/web.ndjson" | idmerge -q --db "$T/db" |
	tagger -q --db "$T/db" | segmenter -q --db "$T/db" > /dev/null
printf 'phone:138 0013 8000\n' > "$T/cn"
segmenter --db "$T/db" upload uploaded "$T/cn" | jq -c '{oneid, segment, op}'
echo "exit $?"
printf 'phone:07700 900123\n' > "$T/uk"
segmenter --db "$T/db" upload uploaded --region 44 "$T/uk" 2>&1 | sed "s|$T/||"
segmenter --db "$T/db" upload uploaded --region CN "$T/cn" 2>&1 | sed "s|$T/||"
