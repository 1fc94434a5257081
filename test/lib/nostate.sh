# A tool's queries on a --db that holds no store, shared by the no-state
# cases of idmerge, tagger, segmenter and dispatch.
#   nostate TOOL QUERY…  each QUERY (its words split), on $T/none that does
#                    not exist: the exit status, stderr and the bytes of
#                    stdout; says so when it made a store there. Then the
#                    first QUERY on an empty directory, which must stay
#                    empty.
nostate() {
	_tool=$1
	shift
	for _q in "$@"; do
		$_tool --db "$T/none" $_q 2>"$T/err" >"$T/out"
		echo "$_q: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
		[ -e "$T/none" ] && echo "$_q made a store"
	done
	mkdir -p "$T/empty"
	$_tool --db "$T/empty" $1 2>"$T/err" >"$T/out"
	echo "empty dir: $? $(sed "s|$T|T|" "$T/err") out=$(wc -c <"$T/out")"
	[ -z "$(ls -A "$T/empty")" ] || echo "a store was made in the empty directory"
}
