# SIGTERM to a stage that cannot go on: blocked on an output nobody reads,
# or waiting for the environment's write lock that another process holds.
# Either way it gives up after its grace (under a second) with 75 and says
# why; its last batch is not committed, so a rerun does it again. A stage
# that waits for the lock goes on once the lock is let go.
gen-events -n 6000 -p 900 -s 2 | ingest -q --db "$T/in" | idmerge -q --db "$T/in" > "$T/ev"
waitfor() { # PID WCHAN: until the process sleeps there (up to 30 s)
	i=0
	while [ $i -lt 600 ] && ! grep -q "$2" "/proc/$1/wchan" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q "$2" "/proc/$1/wchan" 2>/dev/null && echo "blocked in $2" || echo "not blocked in $2"
}
gone() { # PID: has it ended within 5 s?
	i=0
	while [ $i -lt 100 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && { echo "still running"; kill -9 "$1"; } || echo "ended"
}

# an output nobody reads
mkfifo "$T/fifo"
sleep 600 < "$T/fifo" &
reader=$!
tagger --db "$T/a" "$T/ev" > "$T/fifo" 2> "$T/a.err" &
pid=$!
waitfor $pid pipe_write
kill -TERM $pid
gone $pid
wait $pid; echo "tagger: exit $?"
kill $reader
sed 's/^tagger: //' "$T/a.err"

# the write lock, held by another process
segmenter -q --db "$T/b" "$T/ev" > /dev/null
flock "$T/b/txn.lock" sleep 600 &
holder=$!
sleep 0.2
tagger --db "$T/b" "$T/ev" > /dev/null 2> "$T/b.err" &
pid=$!
waitfor $pid locks_lock_inode_wait
kill -TERM $pid
gone $pid
wait $pid; echo "tagger: exit $?"
sed -e 's/^tagger: //' -e "s|$T|\$T|" "$T/b.err"
# … and let go: the waiter goes on
tagger -q --db "$T/b" "$T/ev" > "$T/b.out" &
pid=$!
waitfor $pid locks_lock_inode_wait
pkill -P $holder sleep
wait $holder
wait $pid; echo "tagger after the lock was let go: exit $?"
tagger -q --db "$T/c" "$T/ev" > "$T/c.out"
cmp "$T/b.out" "$T/c.out" && echo "its output equals a run's that never waited"
