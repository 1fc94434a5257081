# The operations on a whole pipeline's state (ingest | idmerge | tagger |
# segmenter in one LMDB): export as oneids or as identifiers (masked unless
# asked), a static list uploaded by identifier, explain, list, lookalike.
set -e
gen-events -n 20000 -p 1500 -s 3 | ingest --db "$T/db" 2>/dev/null | idmerge --db "$T/db" |
	tagger --db "$T/db" | segmenter --db "$T/db" > "$T/out"
s="segmenter --db $T/db"
$s count active_no_order_30d last_order_over_300 face_ad_no_purchase winback
echo "export as oneids, ascending:"
$s export last_order_over_300 > "$T/ids"
sort -n -c "$T/ids" && wc -l < "$T/ids"
echo "as phones, masked, and unmasked (tab-separated oneid and phone):"
$s export last_order_over_300 --id phone 2>/dev/null | sed -n 1,3p
$s export last_order_over_300 --id phone --unmask 2>"$T/err" | sed -n 1,3p
sed 's/[0-9][0-9]* people/N people/' "$T/err"
echo "upload a list of identifiers into the static segment 'uploaded':"
$s export last_order_over_300 --id phone --unmask 2>/dev/null | sed -n 1,20p | awk -F'\t' '{ print "phone:" $2 }' > "$T/list"
echo "email:user1@example.com" >> "$T/list"
echo "phone:+8613999999999" >> "$T/list"
echo "not an identifier" >> "$T/list"
set +e
$s upload uploaded "$T/list" > "$T/up"; echo "upload exit $?"
set -e
grep -c '"op":"enter"' "$T/up"
$s count uploaded
$s upload uploaded /dev/null | grep -c '"op":"exit"'
echo "explain one member:"
one=$(head -1 "$T/ids")
$s explain "$one" last_order_over_300 | sed 's/"oneid":[0-9]*/"oneid":N/; s/"value":[0-9.]*}/"value":V}/; s/"at":"[^"]*"/"at":T/'
set +e
$s explain 99999999 last_order_over_300; echo "unknown person: $?"
$s explain "$one" nope; echo "unknown segment: $?"
set -e
echo "lookalike of the face-ad clickers who never bought:"
$s lookalike --seed face_ad_no_purchase --size 100 --as face_like > "$T/lal"
sed 's/"holdout_auc":[0-9.]*/"holdout_auc":A/; s/"features":[0-9]*/"features":F/' "$T/lal"
grep -o '"holdout_auc":[0-9.]*' "$T/lal" | awk -F: '{ print ($2 > 0.7 ? "holdout AUC above 0.7" : "holdout AUC " $2) }'
$s count face_like
$s overlap face_ad_no_purchase face_like | tail -1
echo "a list seed (no rule of its own to leave out) on every column:"
$s export last_order_over_300 > "$T/big"
$s upload uploaded "$T/big" 2>/dev/null | grep -c '"op":"enter"'
$s lookalike --seed uploaded --size 50 --as big_like | grep -o '"holdout_auc":[0-9.]*' | awk -F: '{ print ($2 > 0.9 ? "holdout AUC above 0.9" : "holdout AUC " $2) }'
set +e
$s lookalike --seed winback --size 10 --as x; echo "a seed too small: $?"
$s lookalike --seed face_ad_no_purchase --size 10 --as vip; echo "a name in use: $?"
set -e
$s list | grep -c '"kind":"audience"'
