# .zst in (sniffed, whatever the name) and out, through pipes too
gen-events -n 500 -p 50 > "$T/ev"
ingest --db "$T/a" --no-dedupe "$T/ev" > "$T/plain"
zstd -q -c "$T/ev" > "$T/ev.zst"
ingest --db "$T/b" --no-dedupe -o "$T/out.zst" "$T/ev.zst"
zstd -dc "$T/out.zst" | cmp - "$T/plain" && echo "zst in, zst out: same events"
cp "$T/ev.zst" "$T/renamed.ndjson"
ingest --db "$T/c" --no-dedupe < "$T/renamed.ndjson" | cmp - "$T/plain" && echo "zst on stdin: same events"
