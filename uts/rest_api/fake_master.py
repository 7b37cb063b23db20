"""A tiny HTTP server on 127.0.0.1 (a free port) for the fail-closed and security cases: it
answers ``/api/v1/master`` and login the way Determined 0.38.1 does, and every other call with
``other`` (HTML 200, JSON without the expected key...). It records every request it gets, with
its body, so a test can say what reached it."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MASTER_INFO = {"version": "0.38.1", "masterId": "fake", "clusterId": "fake", "clusterName": "fake",
               "telemetryEnabled": False, "rbacEnabled": False, "strictJobQueueControl": False,
               "hasCustomLogo": False, "product": "PRODUCT_UNSPECIFIED"}
USER = {"id": 1, "username": "admin", "admin": True, "active": True, "displayName": "",
        "agentUserGroup": None, "modifiedAt": "2026-01-01T00:00:00Z", "remote": False}
HTML = b"<!doctype html><html><body>Determined</body></html>"


@dataclass
class Answer:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = HTML
    reason: str | None = None
    """The status line's reason phrase; None: the standard one."""


@dataclass
class FakeMaster:
    other: Answer = field(default_factory=Answer)
    by_path: dict[str, Answer] = field(default_factory=dict)
    """Answers for some paths (without the query) instead of ``other``."""
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)
    """(method, path, body) of every request, in order."""
    authorizations: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, its Authorization header or None) of every request, in order."""

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, body))
                path = self.path.split("?", 1)[0]
                fake.authorizations.append((path, self.headers.get("Authorization")))
                if path in fake.by_path:
                    self.reply(fake.by_path[path])
                elif path == "/api/v1/master":
                    self.reply(Answer(200, "application/json", json.dumps(MASTER_INFO).encode()))
                elif path == "/api/v1/auth/login":
                    self.reply(Answer(200, "application/json",
                                      json.dumps({"token": "fake-token", "user": USER}).encode()))
                elif path == "/api/v1/auth/logout":
                    self.reply(Answer(200, "application/json", b"{}"))
                else:
                    self.reply(fake.other)

            def reply(self, answer: Answer) -> None:
                self.send_response(answer.status, answer.reason)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def received(self, needle: bytes) -> bool:
        return any(needle in body or needle in path.encode() for _, path, body in self.requests)
