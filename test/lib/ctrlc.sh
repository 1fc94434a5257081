# Ctrl-C on a whole pipe, shared by pipe/ctrl-c and pipe/ctrl-c-six: a
# script of stages started as a terminal's job, SIGINT to all of it at
# once, and what a case checks after.
#   ctrlc_start SCRIPT [ARG…]  sh SCRIPT ARG… in a session of its own with
#                    SIGINT as a terminal delivers it (a job started with &
#                    ignores it), in the background; its stderr goes to
#                    $T/err, its process group is $pg
#   ctrlc_after FILE N  wait (up to 60 s) until FILE has N lines: partway
#   ctrlc_stop FILE…  SIGINT to the process group, wait for it, then (up
#                    to 10 s) until every FILE (a stage's "exit" line,
#                    written after the stage ends) holds a line; print them
#                    and $T/err
#   ctrlc_state A B  whether the stores A and B hold the same state (their
#                    Kafka offsets aside): says so either way
ctrlc_start() {
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("sh", ["sh"] + sys.argv[1:])' "$@" 2> "$T/err" &
	pg=$!
}

ctrlc_after() {
	_i=0
	while [ $_i -lt 1200 ] && [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}

ctrlc_stop() {
	python3 -c 'import os, signal, sys; os.killpg(int(sys.argv[1]), signal.SIGINT)' $pg
	wait $pg
	_i=0
	while [ $_i -lt 200 ] && [ "$(cat "$@" 2>/dev/null | wc -l)" -lt $# ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	cat "$@"
	cat "$T/err"
}

ctrlc_state() {
	dbdump -x .offsets "$1" > "$T/state1.dump"
	dbdump -x .offsets "$2" > "$T/state2.dump"
	cmp -s "$T/state1.dump" "$T/state2.dump" && echo "after the rerun the state equals a clean run's" ||
		echo "after the rerun the state differs from a clean run's"
}
