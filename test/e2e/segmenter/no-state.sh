# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there
for q in "count vip" "overlap vip active_7d" "export vip" "explain 1 vip" "list" "columns" "table" \
	"status" "partition export --partition 0"; do
	segmenter --db "$T/none" $q 2>"$T/err" >"$T/out"
	echo "$q: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
	[ -e "$T/none" ] && echo "$q made a store"
done
mkdir "$T/empty"
segmenter --db "$T/empty" table 2>"$T/err" >"$T/out"
echo "empty dir: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
[ -z "$(ls -A "$T/empty")" ] || echo "a store was made in the empty directory"
echo done
