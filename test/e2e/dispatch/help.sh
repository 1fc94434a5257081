# --help goes to stdout with exit 0 and its usage line matches the man page
dispatch --help > "$T/help"; echo "help: $?"
head -1 "$T/help"
man_syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH/p' "$UOPS_TOP/cmd/dispatch.1" | sed -n 's/^\.B dispatch *//p' | head -1)
help_syn=$(head -1 "$T/help" | sed 's/^usage: dispatch //')
[ "$man_syn" = "$help_syn" ] && echo "synopsis matches cmd/dispatch.1"
# every long option in --help is documented in the man page
for o in $(grep -o -- '--[a-z-]*' "$T/help" | sort -u); do
	m=$(printf '%s' "$o" | sed 's/-/\\-/g')
	grep -qF -- "$m" "$UOPS_TOP/cmd/dispatch.1" || echo "undocumented: $o"
done
dispatch -V | head -1
dispatch -V | grep -c libcurl
dispatch --bogus 2>&1; echo "bad option: $?"
(cd "$T" && dispatch --max-age forever 2>&1); echo "bad max-age: $?"
(cd "$T" && dispatch suppress 2>&1); echo "suppress without a channel: $?"
# a do-not-contact list under a name no channel has would never be read:
# refused, and nothing is written
printf '+8613800000009\n' > "$T/dnc.txt"
dispatch --db "$T/sdb" suppress --channel SMS "$T/dnc.txt" > "$T/o" 2>&1; rc=$?
sed "s|'[^']*channels.json'|'channels.json'|" "$T/o"
echo "suppress on no channel: $rc, written: $(mdb_dump -s dispatch.suppress "$T/sdb" 2>/dev/null | grep -c '^ ')"
dispatch --db "$T/sdb" suppress --channel sms "$T/dnc.txt"; echo "suppress on sms: $?"
echo '{"providers":{"x":{"type":"fax"}},"channels":{}}' > "$T/ch.json"
dispatch --db "$T/db" --channels "$T/ch.json" < /dev/null > "$T/o" 2>&1; rc=$?; sed "s|$T/||" "$T/o"; echo "bad channels file: $rc"
echo '{"providers":{"x":{"type":"webhook","url":"http://127.0.0.1:9/"}},"channels":{"sms":{"provider":"y"}}}' > "$T/ch.json"
dispatch --db "$T/db" --channels "$T/ch.json" < /dev/null > "$T/o" 2>&1; rc=$?; sed "s|$T/||" "$T/o"; echo "unknown provider: $rc"
