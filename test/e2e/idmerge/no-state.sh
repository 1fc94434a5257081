# A query on a store directory that does not exist (or holds no store) is a
# usage error, 64, naming the directory, and makes no store there
. "$UOPS_TOP/test/lib/nostate.sh"
nostate idmerge "explain 1" "lookup phone:+8613800000001"
echo done
