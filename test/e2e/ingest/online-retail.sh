# the bundled real data set: the first 3000 rows of the UCI Online Retail CSV,
# one order per invoice (its rows consecutive), each row also an order_line
zstd -dc "$UOPS_TOP/data/online_retail.csv.zst" | head -3001 > "$T/head.csv"
ingest --source online_retail --db "$T/db" --rejects "$T/rej" -v "$T/head.csv" > "$T/out" 2> "$T/err"
echo "exit $?"
sed -n 's/^ingest: \([0-9]* in: .*\)/\1/p; s/^ingest:   //p' "$T/err"
echo "first and last events:"
head -1 "$T/out"
tail -1 "$T/out"
echo "a refund:"
grep -m1 order_refunded "$T/out"
echo "types: $(jq -r .type "$T/out" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
echo "a reject:"
head -1 "$T/rej" | sed "s|$T/||"
