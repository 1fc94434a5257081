# same input and rules → byte-identical output and state; a rerun changes
# no state; rebuild from the log gives back the same graph
gen-events -n 20000 -p 3000 -d 2 | ingest --db "$T/in.db" > "$T/ev"
dump() { for d in ids people log refusals blocked state; do mdb_dump -p -s "idmerge.$d" "$1" | grep -v "^mapsize="; done; }
idmerge --db "$T/a" "$T/ev" > "$T/a.out"
idmerge --db "$T/b" "$T/ev" > "$T/b.out"
cmp "$T/a.out" "$T/b.out" && echo "two runs: identical output ($(wc -l < "$T/a.out") lines, $(grep -c '"\$merge"' "$T/a.out") merges)"
dump "$T/a" > "$T/a.dump"
dump "$T/b" > "$T/b.dump"
cmp "$T/a.dump" "$T/b.dump" && echo "two runs: identical state"
idmerge --db "$T/a" "$T/ev" > /dev/null
dump "$T/a" > "$T/a2.dump"
cmp "$T/a.dump" "$T/a2.dump" && echo "a rerun of the same events changes no state"
idmerge --db "$T/a" -q rebuild
dump "$T/a" > "$T/a3.dump"
cmp "$T/a.dump" "$T/a3.dump" && echo "rebuild from the log: the same graph"
