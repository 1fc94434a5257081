# Shell helpers for dispatch's tests: providers on loopback, started by the
# test itself and stopped when it exits. Source it.
#   hook_start DIR [SECRET]  test/tools/hooksink.py: a webhook provider
#                            (sets HOOK=127.0.0.1:PORT)
#   prov_start DIR CONF      test/tools/provsink.py: Aliyun SMS, WeChat and
#                            WeCom (sets PROV=127.0.0.1:PORT)
#   smtp_start DIR           python3-aiosmtpd writing a maildir under DIR
#                            (sets SMTP=127.0.0.1:PORT)
# Debian's python3 (which has python3-aiosmtpd), ahead of another on PATH
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SINK_PIDS=
trap 'for p in $SINK_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done' EXIT

sink_wait() { # FILE PID: wait until FILE exists
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "sink did not start" >&2
			return 1
		fi
		sleep 0.05
	done
}

hook_start() {
	mkdir -p "$1"
	$PY "$UOPS_TOP/test/tools/hooksink.py" "$@" 2>"$1/err" &
	SINK_PIDS="$SINK_PIDS $!"
	sink_wait "$1/addr" $! || return 1
	HOOK=$(cat "$1/addr")
}

prov_start() {
	mkdir -p "$1"
	$PY "$UOPS_TOP/test/tools/provsink.py" "$@" 2>"$1/err" &
	SINK_PIDS="$SINK_PIDS $!"
	sink_wait "$1/addr" $! || { cat "$1/err" >&2; return 1; }
	PROV=$(cat "$1/addr")
}

smtp_start() {
	mkdir -p "$1"
	port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	$PY -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$1/mail" 2>"$1/err" &
	SINK_PIDS="$SINK_PIDS $!"
	pid=$!
	i=0
	until $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 $pid 2>/dev/null; then
			echo "smtp sink did not start" >&2
			cat "$1/err" >&2
			return 1
		fi
		sleep 0.05
	done
	SMTP=127.0.0.1:$port
}
