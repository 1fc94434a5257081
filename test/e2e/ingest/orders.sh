# Orders from line items (a source's "group"): consecutive rows of one
# order make one event with the total and the lines, each row also an
# order_line; a row without an order id passes as it is and leaves the
# open order open; a row rejected (no usable identifier) is rejected alone,
# its order goes on; an order
# over max_lines is rejected whole, each of its rows with its own place;
# every row gets its order's outcome; a rerun is all duplicates.
mkdir -p "$T/p/sources"
cat > "$T/p/sources/shop.json" <<'JSON'
{"format": "csv", "mapping": "shop.jq",
 "group": {"by": "order_id", "keep": ["currency"], "lines": "order_line", "max_lines": 3}}
JSON
cat > "$T/p/sources/shop.jq" <<'JQ'
(.qty | tonumber? // error("qty is not a number")) as $q
| (.price | tonumber? // error("price is not a number")) as $p
| {type: "order_paid", ts: .ts, ids: {member: .member},
   props: ({order_id: .order, sku: .sku, quantity: $q, amount: (($q * $p * 100 | round) / 100), currency: "EUR"}
           | with_entries(select(.value != "")))}
JQ
export UOPS_PIPELINES="$T/p"
cat > "$T/shop.csv" <<'CSV'
order,member,sku,qty,price,ts
A,m1,x,2,1.25,2026-01-01 10:00:00
A,m1,y,1,0.1,2026-01-01 10:00:00
,m2,gift,1,0,2026-01-01 10:00:30
A,m1,x,2,1.25,2026-01-01 10:01:00
B,,z,1,4,2026-01-01 11:00:00
B,m2,z,1,5,2026-01-01 11:00:00
C,m3,c1,1,1,2026-01-02 09:00:00
C,m3,c2,1,1,2026-01-02 09:00:00
C,m3,c3,1,1,2026-01-02 09:00:00
C,m3,c4,1,1,2026-01-02 09:00:00
C,m3,c5,1,1,2026-01-02 09:00:00
D,m4,d,3,0.333,2026-01-03 09:00:00
CSV
ingest --db "$T/db" --source shop --rejects "$T/rej" -v "$T/shop.csv" > "$T/out" 2> "$T/err"
echo "exit $?"
sed -n 's/^ingest: \([0-9]* in: .*\)/\1/p; s/^ingest: \([0-9]* orders .*\)/\1/p; s/^ingest:   //p' "$T/err"
echo "events:"
jq -c '{type, ts, member: .ids.member} + (.props | {order_id, amount, lines, line, currency, items: (.items // [] | map(.sku) | join(","))} | with_entries(select(.value != null and .value != "")))' "$T/out"
echo "rejects:"
jq -c '{error, source}' "$T/rej" | sed "s|$T/||"
echo "the same file again:"
ingest --db "$T/db" --source shop -v "$T/shop.csv" 2>&1 >/dev/null | sed -n 's/^ingest: \([0-9]* in: .*\)/\1/p; s/^ingest: \([0-9]* orders .*\)/\1/p'
# a bad group definition is refused
cat > "$T/p/sources/bad.json" <<'JSON'
{"format": "csv", "group": {"by": "amount"}}
JSON
ingest --db "$T/db" --source bad "$T/shop.csv" 2> "$T/e1"; echo "exit $?"
sed "s|$T/||" "$T/e1"
cat > "$T/p/sources/bad.json" <<'JSON'
{"format": "csv", "group": {"by": "order_id", "max_lines": 0, "lines": "$x"}}
JSON
ingest --db "$T/db" --source bad "$T/shop.csv" 2> "$T/e2"; echo "exit $?"
sed "s|$T/||" "$T/e2"
cat > "$T/p/sources/bad.json" <<'JSON'
{"format": "csv", "group": {"by": "order_id", "keep": ["currency", "currency"]}}
JSON
ingest --db "$T/db" --source bad "$T/shop.csv" 2> "$T/e3"; echo "exit $?"
sed "s|$T/||" "$T/e3"
