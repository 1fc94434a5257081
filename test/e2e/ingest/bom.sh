# A UTF-8 byte order mark at the start of an NDJSON input (Windows tools
# write one) is skipped by every tool that reads NDJSON, from a file, a
# pipe or a .zst; anywhere else it is part of a line, as before.
bom=$(printf '\357\273\277')
gen-events -n 300 -p 30 > "$T/ev"
{ printf '%s' "$bom"; cat "$T/ev"; } > "$T/ev.bom"
ingest --db "$T/a" "$T/ev" > "$T/plain"
ingest --db "$T/b" "$T/ev.bom" > "$T/got"; echo "ingest, a file: exit $?"
cmp "$T/plain" "$T/got" && echo "  the same events as without the mark"
ingest --db "$T/c" < "$T/ev.bom" | cmp - "$T/plain" && echo "ingest, a pipe: the same events"
zstd -q -c "$T/ev.bom" > "$T/ev.bom.zst"
ingest --db "$T/d" "$T/ev.bom.zst" | cmp - "$T/plain" && echo "ingest, a .zst: the same events"
# the next stages, each given its input with a mark in front
idmerge --db "$T/a" "$T/plain" > "$T/people"
{ printf '%s' "$bom"; cat "$T/plain"; } | idmerge --db "$T/b" | cmp - "$T/people" &&
	echo "idmerge: the same output"
tagger --db "$T/a" "$T/people" > "$T/tagged"
{ printf '%s' "$bom"; cat "$T/people"; } | tagger --db "$T/b" | cmp - "$T/tagged" &&
	echo "tagger: the same output"
segmenter --db "$T/a" "$T/tagged" > "$T/seg"
echo "lines: $(wc -l < "$T/plain") events, $(wc -l < "$T/people") after idmerge, $(wc -l < "$T/tagged") after tagger, $(wc -l < "$T/seg") after segmenter"
{ printf '%s' "$bom"; cat "$T/tagged"; } | segmenter --db "$T/b" | cmp - "$T/seg" &&
	echo "segmenter: the same output"
# only the start: a mark on a later line, or a second one, is a bad record
{ head -1 "$T/ev"; printf '%s' "$bom"; sed -n 2p "$T/ev"; } > "$T/mid"
ingest --db "$T/e" --rejects "$T/rej" "$T/mid" > /dev/null; echo "a mark on line 2: exit $?"
jq -c '{error, source}' "$T/rej" | sed "s|$T/||"
printf '%s%s{}\n' "$bom" "$bom" | ingest --db "$T/f" --rejects "$T/rej2" > /dev/null; echo "two marks: exit $?"
jq -c '{error, source}' "$T/rej2"
# a file that is a mark alone is empty
printf '%s' "$bom" | ingest --db "$T/g" -v 2>&1 >/dev/null | sed -n 's/^ingest: \([0-9]* in:.*\)/\1/p'
