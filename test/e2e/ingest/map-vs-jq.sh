# Every shipped source mapped natively (pipelines/sources/NAME.map.json)
# and by the jq program it was written from (jq-reference/NAME.jq), on its
# example, the bundled data and hostile input: the same events and the
# same rejects with the same reasons, byte for byte, on one thread and on
# several (--threads keeps the input order).
ref="$UOPS_TOP/test/e2e/ingest/jq-reference"
mkdir "$T/jq"
cp -R "$UOPS_PIPELINES/." "$T/jq/"
for s in online_retail pos web miniprogram receipts; do
	sed "s|\"map\": \"$s.map.json\"|\"mapping\": \"$ref/$s.jq\"|" "$UOPS_PIPELINES/sources/$s.json" > "$T/jq/sources/$s.json"
done
zstd -dc "$UOPS_TOP/data/online_retail.csv.zst" > "$T/retail.csv"
head -20001 "$T/retail.csv" > "$T/retail-20k.csv"

# run NAME SOURCE FILE OPTIONS…: events in $T/NAME.out, rejects in $T/NAME.rej
run() {
	name=$1 src=$2 file=$3
	shift 3
	ingest --source "$src" --no-dedupe --db "$T/db" --rejects "$T/$name.rej" "$@" "$file" \
		> "$T/$name.out" 2> "$T/$name.err"
	echo $? > "$T/$name.rc"
}

# same SOURCE FILE [THREADS]: native and jq agree
same() {
	src=$1 file=$2 th=${3:-2}
	run n1 "$src" "$file"
	run j1 "$src" "$file" --pipelines "$T/jq"
	run nt "$src" "$file" --threads "$th"
	run jt "$src" "$file" --threads "$th" --pipelines "$T/jq"
	verdict=same
	for v in j1 nt jt; do
		cmp -s "$T/n1.out" "$T/$v.out" && cmp -s "$T/n1.rej" "$T/$v.rej" &&
			cmp -s "$T/n1.rc" "$T/$v.rc" || verdict="DIFFERENT ($v)"
	done
	echo "$src $(basename "$file"): $(wc -l < "$T/n1.out") events, $(wc -l < "$T/n1.rej") rejects, exit $(cat "$T/n1.rc"): $verdict"
	case $verdict in
	same) ;;
	*) diff "$T/n1.out" "$T/$v.out" | head -5; diff "$T/n1.rej" "$T/$v.rej" | head -5 ;;
	esac
}

ex="$UOPS_PIPELINES/sources/examples"
same web "$ex/web.ndjson"
same miniprogram "$ex/miniprogram.ndjson" 3
same pos "$ex/pos.csv"
same web "$ref/hostile-web.ndjson" 3
same miniprogram "$ref/hostile-miniprogram.ndjson"
same pos "$ref/hostile-pos.csv" 3
same pos "$ref/hostile-pos-nocols.csv"
same receipts "$ex/receipts.ndjson"
same receipts "$ref/hostile-receipts.ndjson" 3
same online_retail "$ref/hostile-online_retail.csv"
same online_retail "$T/retail-20k.csv"

# the whole bundled data set, on one thread each way
run n1 online_retail "$T/retail.csv"
run j1 online_retail "$T/retail.csv" --pipelines "$T/jq"
cmp -s "$T/n1.out" "$T/j1.out" && cmp -s "$T/n1.rej" "$T/j1.rej" && v=same || v=DIFFERENT
echo "online_retail all of data/: $(wc -l < "$T/n1.out") events, $(wc -l < "$T/n1.rej") rejects: $v"
