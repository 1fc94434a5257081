# A query (or table) on a store directory that does not exist (or holds
# no store) is a usage error, 64, naming the directory, and makes no store
# there
. "$UOPS_TOP/test/lib/nostate.sh"
nostate segmenter "table" "count vip" "overlap vip active_7d" "export vip" "explain 1 vip" "list" "columns" \
	"status" "partition export --partition 0"
echo done
