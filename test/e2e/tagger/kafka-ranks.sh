# Rank tags (RFM quintiles, the VIP decile) when stores hold some
# partitions each. Their cut points (tagger.facts) are the population's:
# one instance that reads every partition ranks everybody. Ranking each
# store's own people gives other cuts, so other tags; `tagger ranks` in
# every store and `tagger recompute --ranks` over their files give every
# store one instance's cuts, tags and $tag records. The facts move with a
# partition: a store that had none (a new instance) scores the moved
# people's next events by them, as one instance does.
. "$UOPS_TOP/test/lib/kafka.sh"
set -e
KAFKA_PARTITIONS=4 kafka_start people tagged
gen-tagged -n 12000 -p 1500 -s 11 -g 300 > "$T/ev"
split -l 6000 "$T/ev" "$T/phase."
SCALE_TOOL=tagger SCALE_IN=people SCALE_OUT=tagged
. "$UOPS_TOP/test/lib/scale.sh"
one() { # the reference: one store that reads every partition
	tagger -q --db "$T/one" --nosync -e --partitions 0-3 --group reference -i "$K/people" -o "$T/one.out"
}
same() { # what: the stores' exports together against one instance's
	for db in "$@"; do tagger --db "$T/$db" export; done | sort > "$T/union"
	tagger --db "$T/one" export | sort > "$T/one.sorted"
	n=$(comm -3 "$T/union" "$T/one.sorted" | cut -f1,2 | grep -o '"oneid":[0-9]*' | sort -u | wc -l)
	echo "$what: people whose profile differs from one instance's: $n of $(wc -l < "$T/one.sorted")"
}
rank_tags() { # STORE: the rank tags of its people
	tagger --db "$T/$1" export --fields oneid,rfm_r,rfm_f,rfm_m,spend_decile,vip
}
phase "$T/phase.aa"
run A 0,1
run B 2,3
one
at=$(tail -1 "$T/phase.aa" | sed 's/.*"ts":"\([0-9-]*\)T.*/\1/')T23:59:59.999Z

# each store ranks its own people: other cuts than one instance's
cp -r "$T/A" "$T/A0"
cp -r "$T/B" "$T/B0"
tagger -q --db "$T/one" recompute --at "$at" > "$T/one.rec"
tagger -q --db "$T/A0" recompute --at "$at" > /dev/null
tagger -q --db "$T/B0" recompute --at "$at" > /dev/null
{ rank_tags A0; rank_tags B0; } | sort > "$T/own"
rank_tags one | sort > "$T/all"
echo "each store ranking its own people: people with other rank tags: $(comm -3 "$T/own" "$T/all" | cut -f1,2 | grep -o '"oneid":[0-9]*' | sort -u | wc -l)"

# every store's values, then each store's recompute over them all
tagger --db "$T/A" ranks --at "$at" > "$T/A.ranks"
tagger --db "$T/B" ranks --at "$at" > "$T/B.ranks"
head -c 120 "$T/A.ranks" | sed 's/"defs":"[0-9a-f]*"/"defs":"…"/'; echo
tagger -q --db "$T/A" recompute --at "$at" --ranks "$T/A.ranks,$T/B.ranks" > "$T/A.rec"
tagger -q --db "$T/B" recompute --at "$at" --ranks "$T/A.ranks,$T/B.ranks" > "$T/B.rec"
sort "$T/A.rec" "$T/B.rec" | cmp -s - "$(sort "$T/one.rec" > "$T/one.rec.s"; echo "$T/one.rec.s")" &&
	echo "the recomputes' \$tag records together equal one instance's: $(wc -l < "$T/one.rec")"
for db in A B one; do
	dbdump "$T/$db" | awk '/^DB / { db = $2; next } db == "tagger.facts" { print }' > "$T/$db.facts"
done
cmp -s "$T/A.facts" "$T/one.facts" && cmp -s "$T/B.facts" "$T/one.facts" &&
	echo "and so do both stores' cut points: $(wc -l < "$T/one.facts") rank tags"
what="after the recomputes" same A B

# a new instance takes partition 3: the facts come with it
move 3 B C
phase "$T/phase.ab"
run A 0,1
run B 2
run C 3
one
what="after partition 3 moved to a new store" same A B C
# and back to a store with the same facts: nothing to say
move 3 C A
what="after partition 3 moved on to A" same A B C

# stores that ranked other populations: the import says so, and goes on
tagger --db "$T/A0" partition export --partition 1 > "$T/p1.state"
tagger --db "$T/B0" partition import "$T/p1.state" 2>&1 | sed 's/ (the stores.*//' | sort -u | head -2
echo "B0 owns: $(tagger --db "$T/B0" status | grep -o '"partition":[0-9]*' | tr '\n' ' ')"
# files of other clocks or definitions are refused
tagger --db "$T/A" recompute --at 2030-01-01 --ranks "$T/A.ranks,$T/B.ranks" > /dev/null 2> "$T/err" ||
	echo "another clock: exit $?: $(sed -e "s|$T/||g" -e 's/(want.*//' "$T/err")"
