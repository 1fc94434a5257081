# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there; tags
# lists the definitions without one and leaves nothing behind
for q in "show 1" "export" "ranks" "status" "partition export --partition 0"; do
	tagger --db "$T/none" $q 2>"$T/err" >"$T/out"
	echo "$q: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
	[ -e "$T/none" ] && echo "$q made a store"
done
mkdir "$T/empty"
tagger --db "$T/empty" show 1 2>"$T/err" >"$T/out"
echo "empty dir: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
[ -z "$(ls -A "$T/empty")" ] || echo "a store was made in the empty directory"
tagger --db "$T/none" tags >"$T/out"; echo "tags: $? $(head -1 "$T/out" | cut -c1-40)"
[ -e "$T/none" ] && echo "tags made a store"
echo done
