# CSV without a mapping: columns type, ts, ids.<type>, props.<name>, …;
# BOM, CRLF, quoted separators and newlines; a row of the wrong width is rejected
printf '\357\273\277type,ts,ids.phone,ids.email,props.note,props.sku\r\n' > "$T/in.csv"
printf 'signup,2026-10-28 08:00:00,13800138000,,"hello, world",A1\r\n' >> "$T/in.csv"
printf 'order_paid,2026-10-28T09:00:00Z,,X@Y.CN,"two\nlines ""quoted""",B2\r\n' >> "$T/in.csv"
printf 'order_paid,2026-10-28T09:00:00Z,,x@y.cn\r\n' >> "$T/in.csv"
printf 'order_paid,2026-10-28T09:00:00Z,,x@y.cn,bad "quote",C3\r\n' >> "$T/in.csv"
printf 'login,2026-10-28T10:00:00Z,+86 139 0000 0000,,,' >> "$T/in.csv"
ingest --db "$T/db" --rejects "$T/rej" "$T/in.csv"
echo "exit $?"
jq -c '{source: (.source | sub(".*/"; "")), error, line}' "$T/rej"
