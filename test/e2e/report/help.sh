# --help goes to stdout with exit 0 and its usage line matches the man page
report --help > "$T/help"; echo "help: $?"
head -1 "$T/help"
man_syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH/p' "$UOPS_TOP/cmd/report.1" | sed -n 's/^\.B report *//p' | head -1)
help_syn=$(head -1 "$T/help" | sed 's/^usage: report //')
[ "$man_syn" = "$help_syn" ] && echo "synopsis matches cmd/report.1"
# every long option in --help is documented in the man page
for o in $(grep -o -- '--[a-z-]*' "$T/help" | sort -u); do
	m=$(printf '%s' "$o" | sed 's/-/\\-/g')
	grep -qF -- "$m" "$UOPS_TOP/cmd/report.1" || echo "undocumented: $o"
done
report -V | head -1
