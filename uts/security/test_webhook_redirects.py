"""Issue 24, hole 3: webhook delivery never follows a redirect. Delivery is loopback-only, but
a receiver answering 307 could send the signed event anywhere; a redirect is a failed
delivery (logged, not retried), and TestWebhook reports it as the 400 of a failed send."""
from __future__ import annotations

import asyncio
import queue
import time
import unittest

from daist.standin.state.webhooks import WebhookShipper
from uts.standin.test_webhooks import Receiver

DEADLINE_S = 30.0


class TestRedirects(unittest.TestCase):
    def setUp(self) -> None:
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)

    def paths(self) -> list[str]:
        """Where the receiver was posted to (every request has been answered by then)."""
        found = []
        while True:
            try:
                found.append(self.receiver.events.get_nowait()["path"])
            except queue.Empty:
                return found

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
        self.assertEqual(self.paths(), ["/redirect"])  # neither followed nor retried
        self.assertIn("HTTP 307: a redirect", "\n".join(logged.output))

    def test_test_webhook_reports_the_redirect_as_a_failure(self) -> None:
        with self.assertRaisesRegex(ValueError, "307: a redirect"):
            asyncio.run(WebhookShipper("cluster-id").send_now(self.receiver.url + "/redirect",
                                                              b"{}"))
        self.assertEqual(self.paths(), ["/redirect"])


if __name__ == "__main__":
    unittest.main()
