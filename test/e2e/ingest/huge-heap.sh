# A tool started without glibc.malloc.hugetlb in GLIBC_TUNABLES sets it
# and executes itself again, so its heap is asked for in huge pages (the
# kernel marks the mapping "hg"), where the kernel gives them on request;
# a value set by the user is left alone. The process keeps its name.
skip() {
	echo "huge-heap: $1; nothing to check" >&2
	cat huge-heap.stdout.exact
	exit 0
}
case $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) in
*"[madvise]"*) ;;
*) skip "this kernel does not give huge pages on request" ;;
esac
# a sanitizer's allocator takes the place of glibc's
ldd "$(command -v ingest)" | grep -q 'libasan\|libtsan' && skip "built with a sanitizer's allocator"
ev='{"type":"a","ts":"2026-10-28T00:00:00Z","ids":{"user":"u1"},"event_id":"e1"}'
n=0
for set in unset "glibc.malloc.tcache_count=7" "glibc.malloc.hugetlb=0"; do
	n=$((n + 1))
	mkfifo "$T/in$n"
	if [ "$set" = unset ]; then
		env -u GLIBC_TUNABLES ingest --db "$T/db$n" "$T/in$n" > "$T/out$n" &
	else
		GLIBC_TUNABLES=$set ingest --db "$T/db$n" "$T/in$n" > "$T/out$n" &
	fi
	pid=$!
	exec 3> "$T/in$n" # returns once the tool (after its exec) opened the input
	name=$(cat /proc/$pid/comm)
	heap=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 } /^VmFlags:/ && name == "[heap]" { print (/ hg/ ? "huge pages asked for" : "no huge pages asked for"); exit }' /proc/$pid/smaps)
	echo "$ev" >&3
	exec 3>&-
	wait $pid
	echo "GLIBC_TUNABLES $set: $name, heap ${heap:-not found}; exit $?, $(jq -r .event_id "$T/out$n")"
done
