# `make install` puts the tools, their man pages and the shipped definitions
# (pipelines/, schemas/) under PREFIX. Installed into a DESTDIR and run
# from an empty directory with no UOPS_* set, the tools find the
# definitions beside their binaries (PREFIX/share/uops), and the README's
# pipe runs; a missing definition says where it was looked for.
make -s -C "$UOPS_TOP" install DESTDIR="$T/root" > "$T/make.out" 2>&1 || { cat "$T/make.out"; exit 1; }
P="$T/root/usr/local"
(cd "$P" && find bin share/man -type f | sort)
ls "$P/share/uops/pipelines"
ls "$P/share/uops/schemas" | grep -c 'schema.json$' | sed 's/$/ schemas/' 
mkdir "$T/empty"
cd "$T/empty" || exit 1
unset UOPS_PIPELINES UOPS_DB
PATH="$P/bin:/usr/bin:/bin"
{ zstdcat "$UOPS_TOP/data/online_retail.csv.zst" | head -5001 | ingest -q --source online_retail
  echo '{"type":"$tick","ts":"2011-12-10T00:00:00Z"}'; } |
	idmerge -q | tagger -q | segmenter -q > out.ndjson
echo "pipe: exit $?"
jq -r .type out.ndjson | sort | uniq -c | sed 's/^ *//'
ls
segmenter count last_order_over_300
# what it says when a definition is missing, and where it looked
ingest --source nosuch < /dev/null 2>&1 | sed "s|$T|\$T|g"
tagger --pipelines "$T/nowhere" < /dev/null 2>&1 | sed "s|$T|\$T|g"
