# dispatch reads a person's address in idmerge.people as idmerge sees it:
# the records idmerge's commits appended to idmerge.journal since its last
# fold first. Person 1 is known by a phone (folded at a clean end); a
# streaming idmerge then learns their email, and merges person 2 (another
# cookie) into them: while the stream runs (the journal holds the commit,
# idmerge.people not yet), an email send to 1, and one to 2 (followed to
# its survivor), are sent; a send to someone without an email is not.
cat > "$T/ch.json" <<'EOC'
{"providers": {"out": {"type": "file", "path": "sent.ndjson"}},
 "channels": {"email": {"provider": "out", "address": "email"},
              "sms": {"provider": "out", "address": "phone"}}}
EOC
echo "{}" > "$T/rules.json"
ev() { printf '{"event_id":"%s","ts":"2026-03-01T09:%s:00.000Z","type":"page_view","source":"web","ids":%s}\n' "$1" "$2" "$3"; }
{ ev e1 00 '{"phone":"+8613800000001","cookie":"ck-1"}'
  ev e2 01 '{"cookie":"ck-2"}'
  ev e3 02 '{"phone":"+8613800000003"}'; } > "$T/first"
{ ev e4 03 '{"phone":"+8613800000001","email":"p1@example.com"}'
  ev e5 04 '{"cookie":"ck-2","email":"p1@example.com"}'; } > "$T/second"
idmerge --db "$T/db" --nosync "$T/first" | sed 's/.*"oneid":\([0-9]*\).*/oneid \1/'
echo "journal records after a clean end: $(mdb_stat -s idmerge.journal "$T/db" | sed -n 's/ *Entries: //p')"
mkfifo "$T/in"
# no commit by count or time: the only one comes when the input idles
idmerge --db "$T/db" --nosync --batch 100000000 --commit-ms 0 "$T/in" > "$T/out" &
pid=$!
exec 3> "$T/in"
cat "$T/second" >&3
n=0
while [ "$(mdb_stat -s idmerge.journal "$T/db" | sed -n 's/ *Entries: //p')" = 0 ] && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "journal holds records mid-stream: $([ $n -lt 600 ] && echo yes || echo no)"
mdb_dump -p -s idmerge.people "$T/db" | grep -c 'p1@example.com' | sed 's/^/people records with the email, before the fold: /'
cd "$T"
run() {
	dispatch --db "$T/db" --nosync --channels "$T/ch.json" --config "$T/rules.json" --templates "$T/none" \
		--now 2026-03-01T10:10:00Z "$@" | grep '"\$delivery"' |
		sed 's/"event_id":"[^"]*",//; s/,"provider":"out","provider_id":""//'
}
send() { printf '{"type":"$send","send_id":"%s","ts":"2026-03-01T10:00:00Z","oneid":%s,"channel":"%s"}\n' "$@"; }
{ send j:1 1 email; send j:2 2 email; send j:3 3 email; send j:4 2 sms; } > "$T/sends"
run "$T/sends"
echo "--- sent mid-stream"
sed 's/,"ts":"[^"]*"//' "$T/sent.ndjson"
exec 3>&-
wait $pid; echo "idmerge: $?"
echo "journal records after a clean end: $(mdb_stat -s idmerge.journal "$T/db" | sed -n 's/ *Entries: //p')"
echo "--- the same sends again, under new send_ids, after the fold"
rm -f "$T/sent.ndjson"
sed 's/"j:/"k:/' "$T/sends" > "$T/sends2"
run "$T/sends2"
