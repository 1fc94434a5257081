# --help goes to stdout with exit 0 and its usage line matches the man page
scheduler --help > "$T/help"; echo "help: $?"
head -1 "$T/help"
man_syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH/p' "$UOPS_TOP/cmd/scheduler.1" | sed -n 's/^\.B scheduler *//p' | head -1)
help_syn=$(head -1 "$T/help" | sed 's/^usage: scheduler //')
[ "$man_syn" = "$help_syn" ] && echo "synopsis matches cmd/scheduler.1"
# every long option in --help is documented in the man page
for o in $(grep -o -- '--[a-z-]*' "$T/help" | sort -u); do
	m=$(printf '%s' "$o" | sed 's/-/\\-/g')
	grep -qF -- "$m" "$UOPS_TOP/cmd/scheduler.1" || echo "undocumented: $o"
done
scheduler -V | head -1
scheduler --bogus 2>&1; echo "bad option: $?"
scheduler --db "$T/none" status; echo "no state: $?"
