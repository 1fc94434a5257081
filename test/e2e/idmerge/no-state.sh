# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there
for q in "lookup phone:+8613800000001" "explain 1"; do
	idmerge --db "$T/none" $q 2>"$T/err" >"$T/out"
	echo "$q: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
	[ -e "$T/none" ] && echo "$q made a store"
done
mkdir "$T/empty"
idmerge --db "$T/empty" explain 1 2>"$T/err" >"$T/out"
echo "empty dir: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
[ -z "$(ls -A "$T/empty")" ] || echo "a store was made in the empty directory"
echo done
