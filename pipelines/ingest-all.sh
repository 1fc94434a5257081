#!/bin/sh
# Ingest every shipped source's example data (and the bundled Online Retail
# set) into one canonical, deduplicated event stream.
#   pipelines/ingest-all.sh OUT.ndjson[.zst] REJECTS.ndjson
# Uses $UOPS_DB for state; definitions from the directory of this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1 rejects=$2
export UOPS_PIPELINES="$here"
: > "$rejects"
status=0
{
	for s in web miniprogram pos; do
		f=$(ls "$here/sources/examples/$s".*)
		ingest -q --source "$s" --rejects "$rejects.$s" "$f" || [ $? = 1 ]
		cat "$rejects.$s" >> "$rejects"
		rm -f "$rejects.$s"
	done
	ingest -q --source online_retail --rejects "$rejects.retail" "$here/../data/online_retail.csv.zst" || [ $? = 1 ]
	cat "$rejects.retail" >> "$rejects"
	rm -f "$rejects.retail"
} > "$out" || status=$?
exit $status
