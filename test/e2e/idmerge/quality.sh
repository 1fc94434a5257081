# idquality (the bench's scorer) against a case worked by hand. Person 1
# uses a tablet (device d) that person 3 uses too, without a login: the
# events carrying only d are ambiguous. One event of person 4 is put with
# person 1 by mistake: that one is not ambiguous.
cat > "$T/out" <<'X'
{"type":"page_view","ids":{"user":"u1"},"props":{"truth":1},"oneid":1}
{"type":"page_view","ids":{"user":"u1","device":"d"},"props":{"truth":1},"oneid":1}
{"type":"page_view","ids":{"device":"d"},"props":{"truth":3},"oneid":1}
{"type":"page_view","ids":{"device":"d"},"props":{"truth":1},"oneid":1}
{"type":"page_view","ids":{"cookie":"c2"},"props":{"truth":2},"oneid":2}
{"type":"page_view","ids":{"email":"e4"},"props":{"truth":4},"oneid":1}
X
# 5 events under oneid 1: 10 pairs, 3 of them true (person 1's three);
# without the two ambiguous events: 3 pairs, 1 true (false pairs: 7, and 2)
idquality "$T/out"; echo "exit $?"
# the mistake undone: every placeable pair is right
grep -v e4 "$T/out" | idquality; echo "exit $?"
# $merge: 2 joins 1 (with -m): 15 pairs, 3 true; placeable: 6, 1 true
{ cat "$T/out"; echo '{"type":"$merge","oneid":1,"merged":[2]}'; } | idquality -m; echo "exit $?"
echo '{"type":"x","props":{}}' | idquality; echo "no usable events: exit $?"
