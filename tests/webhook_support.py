"""A stand-in for the 企业微信 / 钉钉 group robots: a real HTTP server on 127.0.0.1 that answers
as they do, checks 钉钉's timestamp + HMAC-SHA256 signature like the real service, and fails on
request (the first `failures` posts, then `fail_rate` of the rest, with HTTP 500)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
DINGTALK_PATH = "/robot/send"


class Robot:
    def __init__(self, failures: int = 0, fail_rate: float = 0.0, secret: str = SECRET,
                 raw_answer: bytes | None = None, status: int = 200):
        self.failures, self.fail_rate, self.secret = failures, fail_rate, secret
        self.raw_answer, self.status = raw_answer, status   # answer this instead, e.g. b"[]"
        self.requests, self.accepted, self.times = [], [], []
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                with robot.lock:
                    robot.requests.append((url.path, query, body))
                    failing = len(robot.requests) <= robot.failures or \
                        random.random() < robot.fail_rate
                if robot.raw_answer is not None:
                    return self._raw(robot.status, robot.raw_answer)
                if failing:
                    return self._answer(500, {"errcode": -1, "errmsg": "system busy"})
                if url.path == DINGTALK_PATH and not robot.signed(query):
                    return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                with robot.lock:
                    robot.accepted.append((url.path, query, body))
                    robot.times.append(time.monotonic())
                self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status, payload):
                self._raw(status, json.dumps(payload).encode())

            def _raw(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def signed(self, query: dict) -> bool:
        if "timestamp" not in query or "sign" not in query:
            return False
        expected = base64.b64encode(hmac.new(
            self.secret.encode(), f"{query['timestamp']}\n{self.secret}".encode(), hashlib.sha256
        ).digest()).decode()
        return hmac.compare_digest(expected, query["sign"])  # parse_qsl undid the URL-encoding

    def texts(self) -> list[str]:
        return [body["text"]["content"] for _, _, body in self.accepted]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
