# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there
. "$UOPS_TOP/test/lib/nostate.sh"
nostate dispatch "status" "partition export --partition 0"
echo done
