# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there; tags
# lists the definitions without one and leaves nothing behind
. "$UOPS_TOP/test/lib/nostate.sh"
nostate tagger "show 1" "export" "ranks" "status" "partition export --partition 0"
rm -rf "$T/none"
tagger --db "$T/none" tags >"$T/out"; echo "tags: $? $(head -1 "$T/out" | cut -c1-40)"
[ -e "$T/none" ] && echo "tags made a store"
echo done
