# Shell helpers for tests against a real Kafka protocol endpoint: librdkafka's
# mock cluster hosted by build/tools/kmock on loopback, or the broker named by
# UOPS_BROKERS when set. Source it; it sets $BROKERS and stops the cluster
# on exit.

kafka_start() { # TOPIC… (created with $KAFKA_PARTITIONS partitions, default 1)
	if [ -n "${UOPS_BROKERS:-}" ]; then
		BROKERS=$UOPS_BROKERS
		return 0
	fi
	kmock -p "${KAFKA_PARTITIONS:-1}" -f "$T/kafka.addr" "$@" 2>"$T/kmock.err" &
	KMOCK_PID=$!
	trap 'kill $KMOCK_PID 2>/dev/null; wait $KMOCK_PID 2>/dev/null' EXIT
	i=0
	while [ ! -s "$T/kafka.addr" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 $KMOCK_PID 2>/dev/null; then
			echo "kmock did not start" >&2
			cat "$T/kmock.err" >&2
			return 1
		fi
		sleep 0.05
	done
	BROKERS=$(cat "$T/kafka.addr")
}

# Produce each line of FILE as one record into TOPIC.
kafka_produce() { # TOPIC FILE
	kcat -q -b "$BROKERS" -P -t "$1" -l "$2"
}

# Print every record of TOPIC, one per line, then exit.
kafka_consume() { # TOPIC
	kcat -q -b "$BROKERS" -C -t "$1" -e -f '%s\n'
}
