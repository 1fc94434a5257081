# a rebuild commits as it goes; one that was killed leaves a mark, and every
# later run refuses the partial graph until a rebuild finishes
dump() { for d in ids people log refusals; do mdb_dump -p -s "idmerge.$d" "$1" | grep -v "^mapsize="; done; }
gen-events -n 3000 -p 400 | ingest --db "$T/in.db" > "$T/ev"
idmerge --db "$T/db" "$T/ev" > /dev/null
dump "$T/db" > "$T/before"
# what a rebuild killed half-way leaves behind
printf 'rebuilding\n1\n' | mdb_load -T -s idmerge.state "$T/db"
idmerge --db "$T/db" "$T/ev" > /dev/null 2> "$T/err"
echo "filter on a partial graph: exit $? $(sed "s|$T/||" "$T/err")"
idmerge --db "$T/db" -q rebuild
echo "rebuild: exit $?"
dump "$T/db" > "$T/after"
cmp "$T/before" "$T/after" && echo "the graph is whole again"
idmerge --db "$T/db" "$T/ev" > /dev/null
echo "filter: exit $?"
