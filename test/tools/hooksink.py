#!/usr/bin/env python3
"""hooksink - a webhook provider on loopback for dispatch's tests.

hooksink.py DIR [SECRET]

Listens on 127.0.0.1 (a free port, written to DIR/addr), takes POSTs of
JSON messages and answers as a provider with idempotency keys would: the
first request of an Idempotency-Key is delivered (a line in
DIR/delivered.ndjson) and answered {"id": "m-<key>"}; a repeat gets the same
id and is counted (DIR/repeats), never delivered twice. Without a key every
request is delivered and answered {"id": "m-<n>"}, n counting from 1. With SECRET, a request whose X-Uops-Signature is not
sha256=HMAC-SHA256(SECRET, body) is refused with 401.

A message's params.sink asks for misbehaviour, per send_id:
  "500x2"  answer 500 to its first 2 requests (also 429x1, 503x3 …)
  "400"    answer 400 always (a permanent refusal)
  "slow1"  the first request sleeps 3 s before answering
  "garbage" answer 200 with a body that is not JSON
"""
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]
SECRET = sys.argv[2].encode() if len(sys.argv) > 2 else None
lock = threading.Lock()
ids = {}
tries = {}
state = {"n": 0, "repeats": 0, "requests": 0}
out = open(os.path.join(DIR, "delivered.ndjson"), "a", buffering=1)


def save_counts():
    with open(os.path.join(DIR, "repeats.tmp"), "w") as f:
        f.write("%d\n" % state["repeats"])
    os.replace(os.path.join(DIR, "repeats.tmp"), os.path.join(DIR, "repeats"))


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, code, body):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if SECRET is not None:
            want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            if self.headers.get("X-Uops-Signature") != want:
                return self.reply(401, '{"error":"bad signature"}')
        try:
            msg = json.loads(body)
        except ValueError:
            return self.reply(400, '{"error":"not json"}')
        sid = msg.get("send_id", "")
        sink = (msg.get("params") or {}).get("sink", "") if isinstance(msg.get("params"), dict) else ""
        with lock:
            state["requests"] += 1
            t = tries.get(sid, 0) + 1
            tries[sid] = t
        if sink == "400":
            return self.reply(400, '{"error":"invalid recipient"}')
        if "x" in sink and sink.split("x")[0].isdigit():
            code, times = sink.split("x")
            if t <= int(times):
                return self.reply(int(code), '{"error":"try later"}')
        if sink == "slow1" and t == 1:
            time.sleep(3)
        key = self.headers.get("Idempotency-Key")
        with lock:
            if key and key in ids:
                state["repeats"] += 1
                save_counts()
                mid = ids[key]
            else:
                state["n"] += 1
                mid = "m-%s" % key if key else "m-%d" % state["n"]
                if key:
                    ids[key] = mid
                out.write(json.dumps(msg, sort_keys=True, ensure_ascii=False) + "\n")
        if sink == "garbage":
            return self.reply(200, "<html>ok</html>")
        return self.reply(200, json.dumps({"id": mid}))


ThreadingHTTPServer.request_queue_size = 256  # many connections at once
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
save_counts()
with open(os.path.join(DIR, "addr.tmp"), "w") as f:
    f.write("127.0.0.1:%d\n" % srv.server_address[1])
os.replace(os.path.join(DIR, "addr.tmp"), os.path.join(DIR, "addr"))
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
srv.serve_forever()
