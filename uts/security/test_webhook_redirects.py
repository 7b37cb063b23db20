"""Issue 24, hole 3: webhook delivery never follows a redirect. Delivery is loopback-only, but
a receiver answering 307 could send the signed event anywhere; a redirect is a failed
delivery (logged, not retried), and TestWebhook reports it as the 400 of a failed send."""
from __future__ import annotations

import asyncio
import http.server
import threading
import time
import unittest
from typing import Any

from daist.standin.state.webhooks import WebhookShipper

DEADLINE_S = 30.0


class Redirector:
    """``/redirect`` answers 307 to ``/landing`` on the same server; every path is counted."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                paths.append(self.path)
                self.send_response(307 if self.path == "/redirect" else 200)
                self.send_header("Location", "/landing")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


class TestRedirects(unittest.TestCase):
    def setUp(self) -> None:
        self.receiver = Redirector()
        self.addCleanup(self.receiver.close)

    def test_a_queued_delivery_stops_at_the_redirect(self) -> None:
        async def deliver() -> WebhookShipper:
            shipper = WebhookShipper("cluster-id")
            shipper.enqueue(self.receiver.url + "/redirect", b"{}")
            deadline = time.monotonic() + DEADLINE_S
            while shipper.failed + shipper.delivered == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await shipper.close()
            return shipper

        with self.assertLogs("daist.standin.state.webhooks", "WARNING") as logged:
            shipper = asyncio.run(deliver())
        self.assertEqual((shipper.delivered, shipper.failed), (0, 1))
        self.assertEqual(self.receiver.paths, ["/redirect"])  # neither followed nor retried
        self.assertIn("HTTP 307: a redirect", "\n".join(logged.output))

    def test_test_webhook_reports_the_redirect_as_a_failure(self) -> None:
        with self.assertRaisesRegex(ValueError, "307: a redirect"):
            asyncio.run(WebhookShipper("cluster-id").send_now(self.receiver.url + "/redirect",
                                                              b"{}"))
        self.assertEqual(self.receiver.paths, ["/redirect"])


if __name__ == "__main__":
    unittest.main()
