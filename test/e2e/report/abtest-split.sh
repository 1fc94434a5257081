# abtest of a journey whose split comes after a wait (the shipped winback:
# enter, wait 14 days, then the split): every $journey enter has arm null
# and the arm first shows on the records after the split. A person's arm
# is the first one their records of the journey carry, assigned at that
# record's time; people who never reached the split are not in the test.
j() { printf '{"type":"$journey","event_id":"j%s","ts":"%s","oneid":%s,"journey":"wb","op":"%s","step":"%s","arm":%s}\n' "$1" "$2" "$3" "$4" "$5" "$6"; }
o() { printf '{"type":"order_paid","event_id":"o%s","ts":"%s","oneid":%s,"props":{"amount":%s}}\n' "$1" "$2" "$3" "$4"; }
{
	for p in 1 2 3 4 5; do
		o "$p" "2026-01-01T00:00:00Z" $p 10
		j "e$p" "2026-01-01T00:00:00Z" $p enter - null
	done
	# 1 … 4 reach the split on day 15; 5 orders on day 3 and never does
	o 5b "2026-01-03T00:00:00Z" 5 20
	j s1 "2026-01-15T00:00:00Z" 1 step ab '"offer"'
	j s2 "2026-01-15T00:00:00Z" 2 step ab '"offer"'
	j s3 "2026-01-15T00:00:00Z" 3 step ab '"control"'
	j s4 "2026-01-15T00:00:00Z" 4 step ab '"control"'
	j t1 "2026-01-16T00:00:00Z" 1 step offer_14 '"offer"'
	# 1 and 3 order after the split
	o 1b "2026-01-20T00:00:00Z" 1 30
	o 3b "2026-01-21T00:00:00Z" 3 40
} > "$T/log.ndjson"
report abtest wb --format csv "$T/log.ndjson"
echo "exit $?"
# a journey without a split: everyone is in the one arm null (this log,
# where no value but null was ever seen, crashed report)
{
	o 1 "2026-01-01T00:00:00Z" 1 10
	j e1 "2026-01-01T00:00:00Z" 1 enter - null
	o 1b "2026-01-02T00:00:00Z" 1 10
} > "$T/one.ndjson"
report abtest wb "$T/one.ndjson"
echo "exit $?"
