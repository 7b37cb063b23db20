"""Webhooks: created through the SDK's bindings with Determined's checks, matched as the master
matches them, and really delivered (signed) to a local receiver when an experiment created
with the real SDK changes state or its trial logs a matching line."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.server
import io
import json
import queue
import tempfile
import threading
import time
import unittest
import warnings
from pathlib import Path
from typing import Any

from determined.common.api import bindings as b
from determined.common.api import errors

from daist.standin.seed.seeder import SeedSpec, seed_store
from daist.standin.state.store import StandinStore
from uts.standin.det_cli import ClientTestCase

DEADLINE_S = 60.0
TRAIN_PY = "print('warming up', flush=True)\nprint('found magic-42', flush=True)\n" \
           "print('again magic-43', flush=True)\n"
ALERT_PY = ("from determined import core\n"
            "with core.init(tensorboard_mode=core.TensorboardMode.MANUAL) as ctx:\n"
            "    ctx.alert(title='loss exploded', description='at step 7', level='warn')\n")


class Receiver:
    """A loopback HTTP server that queues every POST; ``/fail`` answers 500, ``/redirect`` a
    307 to ``/landing``."""

    def __init__(self) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        events = self.events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                events.put({"path": self.path, "headers": dict(self.headers), "raw": raw,
                            "body": json.loads(raw)})
                self.send_response({"/fail": 500, "/redirect": 307}.get(self.path, 200))
                self.send_header("Location", "/landing")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, predicate, timeout: float = DEADLINE_S) -> dict[str, Any]:
        """The first queued request that satisfies ``predicate`` (others are kept aside)."""
        deadline = time.monotonic() + timeout
        seen = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching webhook within {timeout}s; got {seen}")
                try:
                    event = self.events.get(timeout=left)
                except queue.Empty:
                    continue
                if predicate(event):
                    return event
                seen.append(event)
        finally:
            for event in seen:
                self.events.put(event)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def hook(url: str, *triggers: b.v1Trigger, name: str = "", workspace_id: int | None = None,
         webhook_type: b.v1WebhookType = b.v1WebhookType.DEFAULT,
         mode: b.v1WebhookMode = b.v1WebhookMode.WORKSPACE) -> b.v1Webhook:
    return b.v1Webhook(name=name, url=url, mode=mode, webhookType=webhook_type,
                       triggers=list(triggers), workspaceId=workspace_id)


def on_state(state: str) -> b.v1Trigger:
    return b.v1Trigger(triggerType=b.v1TriggerType.EXPERIMENT_STATE_CHANGE,
                       condition={"state": state})


def on_log(regex: str) -> b.v1Trigger:
    return b.v1Trigger(triggerType=b.v1TriggerType.TASK_LOG, condition={"regex": regex})


class TestWebhookApi(ClientTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.receiver = Receiver()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.receiver.close()
        super().tearDownClass()

    def test_checks_of_post_webhook(self) -> None:
        cases = {
            "no trigger": hook(self.receiver.url + "/x"),
            "bad url": hook("not a url", on_state("COMPLETED")),
            "log without regex": hook(self.receiver.url, b.v1Trigger(
                triggerType=b.v1TriggerType.TASK_LOG, condition={"pattern": "x"})),
            "bad regex": hook(self.receiver.url, on_log("([")),
            "custom outside specific mode": hook(self.receiver.url, b.v1Trigger(
                triggerType=b.v1TriggerType.CUSTOM, condition={})),
        }
        for case, body in cases.items():
            with self.subTest(case), self.assertRaises(errors.APIException) as caught:
                b.post_PostWebhook(self.session, body=body)
            self.assertEqual(caught.exception.status_code, 400)

    def test_empty_name_and_workspace_scope_are_kept(self) -> None:
        created = b.post_PostWebhook(self.session, body=hook(
            self.receiver.url + "/scoped", on_log("x+"), workspace_id=2)).webhook
        self.addCleanup(b.delete_DeleteWebhook, self.session, id=created.id)
        listed = {w.id: w for w in b.get_GetWebhooks(self.session).webhooks}
        self.assertEqual((listed[created.id].name, listed[created.id].workspaceId), ("", 2))
        b.patch_PatchWebhook(self.session, id=created.id,
                             body=b.v1PatchWebhook(url=self.receiver.url + "/moved"))
        moved = {w.id: w for w in b.get_GetWebhooks(self.session).webhooks}[created.id]
        self.assertEqual(moved.url, self.receiver.url + "/moved")

    def test_test_webhook_sends_now_and_reports_receiver_errors(self) -> None:
        good = b.post_PostWebhook(self.session, body=hook(
            self.receiver.url + "/test-ok", on_state("COMPLETED"))).webhook
        bad = b.post_PostWebhook(self.session, body=hook(
            self.receiver.url + "/fail", on_state("COMPLETED"))).webhook
        for created in (good, bad):
            self.addCleanup(b.delete_DeleteWebhook, self.session, id=created.id)
        b.post_TestWebhook(self.session, id=good.id)
        event = self.receiver.next(lambda e: e["path"] == "/test-ok")
        self.assertEqual(event["body"]["event_data"], {"data": "test"})
        with self.assertRaises(errors.APIException):
            b.post_TestWebhook(self.session, id=bad.id)


class TestWebhookMatching(unittest.TestCase):
    """Which webhooks an event triggers, decided in the store (no delivery involved)."""

    def setUp(self) -> None:
        self.store = StandinStore()
        self.addCleanup(self.store.close)
        seed_store(self.store, SeedSpec(scale=10))
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.store.webhook_sink = lambda url, payload: self.sent.append((url, json.loads(payload)))

    def add(self, url: str, *triggers: b.v1Trigger, **kwargs: Any) -> None:
        self.store.add_webhook(hook(url, *triggers, **kwargs).to_json(True))

    def test_state_change_respects_state_workspace_mode_and_exclude(self) -> None:
        exp = self.store.get_experiment(3)
        self.add("http://127.0.0.1:1/global", on_state("CANCELED"))
        self.add("http://127.0.0.1:1/own-ws", on_state("CANCELED"), workspace_id=exp.workspace_id)
        self.add("http://127.0.0.1:1/other-ws", on_state("CANCELED"),
                 workspace_id=exp.workspace_id % 3 + 1)
        self.add("http://127.0.0.1:1/other-state", on_state("ERROR"))
        self.add("http://127.0.0.1:1/specific", on_state("CANCELED"), name="chosen",
                 mode=b.v1WebhookMode.SPECIFIC)
        self.store.set_experiment_state(3, "STATE_CANCELED")
        self.assertEqual(sorted(url.rsplit("/", 1)[1] for url, _ in self.sent),
                         ["global", "own-ws"])
        payload = self.sent[0][1]
        self.assertEqual(payload["event_type"], "EXPERIMENT_STATE_CHANGE")
        self.assertEqual(payload["condition"], {"state": "CANCELED"})
        self.assertEqual(payload["event_data"]["experiment"]["id"], 3)
        self.assertEqual(sorted(payload["event_data"]["experiment"]),
                         ["duration", "id", "name", "project", "resource_pool",
                          "slots_per_trial", "state", "workspace"])

    def set_integrations(self, experiment_id: int, webhooks: dict[str, Any]) -> None:
        config = dict(self.store.get_experiment(experiment_id).config,
                      integrations={"webhooks": webhooks})
        config_id = self.store.add_config(config, "")
        self.store.db.execute("UPDATE experiments SET config_id = ? WHERE id = ?",
                              (config_id, experiment_id))

    def test_specific_webhooks_fire_for_experiments_naming_them_unless_excluded(self) -> None:
        self.add("http://127.0.0.1:1/specific", on_state("ERROR"), name="chosen",
                 mode=b.v1WebhookMode.SPECIFIC)
        self.set_integrations(9, {"webhook_name": ["chosen"]})
        self.store.set_experiment_state(9, "STATE_ERROR")
        self.assertEqual([url for url, _ in self.sent], ["http://127.0.0.1:1/specific"])
        self.set_integrations(9, {"webhook_name": ["chosen"], "exclude": True})
        self.store.set_experiment_state(9, "STATE_ERROR")
        self.assertEqual(len(self.sent), 1)

    def test_task_log_fires_once_per_task_and_trigger(self) -> None:
        self.add("http://127.0.0.1:1/logs", on_log(r"magic-\d+"))
        task_id = self.store.get_trial(1).task_id
        self.store.add_logs(task_id=task_id, allocation_id=f"{task_id}.1",
                            lines=[(1.0, "stdout", "nothing"), (2.0, "stdout", "magic-1")])
        self.store.add_logs(task_id=task_id, allocation_id=f"{task_id}.1",
                            lines=[(3.0, "stdout", "magic-2")])
        self.assertEqual(len(self.sent), 1)
        self.assertEqual(self.sent[0][1]["event_data"]["task_log"],
                         {"task_id": task_id, "node_name": "standin-agent",
                          "triggering_log": "magic-1"})
        self.assertEqual(self.sent[0][1]["condition"], {"regex": r"magic-\d+"})


class TestWebhookDelivery(ClientTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.receiver = Receiver()
        cls.model_dir = tempfile.TemporaryDirectory(prefix="standin-hook-model-")
        Path(cls.model_dir.name, "train.py").write_text(TRAIN_PY)
        Path(cls.model_dir.name, "alert.py").write_text(ALERT_PY)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.receiver.close()
        cls.model_dir.cleanup()
        super().tearDownClass()

    def add_hooks(self, *bodies: b.v1Webhook) -> None:
        """Webhooks for one test only (deleted after it, so later runs do not fire them)."""
        for body in bodies:
            created = b.post_PostWebhook(self.session, body=body).webhook
            self.addCleanup(b.delete_DeleteWebhook, self.session, id=created.id)

    def wait_for_log(self, logged: Any, *fragments: str) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while not all(any(f in line for line in logged.output) for f in fragments):
            self.assertLess(time.monotonic(), deadline, logged.output)
            time.sleep(0.05)

    def test_a_run_delivers_signed_state_change_and_task_log_events(self) -> None:
        session = self.session
        self.add_hooks(hook(self.receiver.url + "/state", on_state("COMPLETED"), workspace_id=1),
                       hook(self.receiver.url + "/logs", on_log(r"magic-\d+")),
                       hook(self.receiver.url + "/fail", on_state("COMPLETED")))
        config = {"name": "hooked", "entrypoint": "python3 train.py",
                  "searcher": {"name": "single", "metric": "x", "max_length": 1}}
        with self.assertLogs("daist.standin.state.webhooks", "WARNING") as logged:
            experiment = self.create(config)
            state = self.receiver.next(lambda e: e["path"] == "/state")
            logged_line = self.receiver.next(lambda e: e["path"] == "/logs")
            first = self.receiver.next(lambda e: e["path"] == "/fail")
            again = self.receiver.next(lambda e: e["path"] == "/fail")
            self.wait_for_log(logged, "/fail failed: HTTP 500")
        self.assertEqual(state["body"]["event_type"], "EXPERIMENT_STATE_CHANGE")
        self.assertEqual(state["body"]["condition"], {"state": "COMPLETED"})
        self.assertEqual(state["body"]["event_data"]["experiment"]["id"], experiment.id)
        self.assertEqual(state["body"]["event_data"]["experiment"]["name"], "hooked")
        key = b.get_GetMaster(session).clusterId.encode()
        stamp = state["headers"]["X-Determined-AI-Signature-Timestamp"]
        expected = hmac.new(key, stamp.encode() + b"," + state["raw"], hashlib.sha256).hexdigest()
        self.assertEqual(state["headers"]["X-Determined-AI-Signature"], expected)
        self.assertEqual(logged_line["body"]["event_type"], "TASK_LOG")
        self.assertEqual(logged_line["body"]["event_data"]["task_log"]["triggering_log"],
                         "found magic-42")
        # a 500 is retried (the same event arrives again), then the failure is logged
        self.assertEqual(first["body"]["event_id"], again["body"]["event_id"])

    def create(self, config: dict[str, Any]) -> Any:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pathspec, inside the SDK
            return self.det.create_experiment(config=config, model_dir=self.model_dir.name)

    def test_core_api_alert_reaches_the_specific_webhook_the_experiment_names(self) -> None:
        custom = b.v1Trigger(triggerType=b.v1TriggerType.CUSTOM, condition={})
        self.add_hooks(hook(self.receiver.url + "/alerts", custom, name="alerts",
                            mode=b.v1WebhookMode.SPECIFIC),
                       hook(self.receiver.url + "/unnamed", custom, name="unnamed",
                            mode=b.v1WebhookMode.SPECIFIC),
                       hook(self.receiver.url + "/slack", custom, name="alerts-slack",
                            mode=b.v1WebhookMode.SPECIFIC, webhook_type=b.v1WebhookType.SLACK))
        experiment = self.create({
            "name": "alerting", "entrypoint": "python3 alert.py",
            "searcher": {"name": "single", "metric": "x", "max_length": 1},
            "integrations": {"webhooks": {"webhook_name": ["alerts", "alerts-slack"]}}})
        slack = self.receiver.next(lambda e: e["path"] == "/slack")["body"]
        # the master's Slack message: the event's level, title and description, then the
        # experiment with its status, duration, workspace, project and trial
        self.assertEqual([f["text"] for f in slack["blocks"][0]["fields"]],
                         ["*Level*: WARNING", "*Title*: loss exploded", "*Description*: at step 7"])
        named = slack["attachments"][0]["blocks"][0]
        self.assertEqual(named["text"]["text"], f"alerting (#{experiment.id})")
        self.assertEqual([f["text"].split(":")[0] for f in named["fields"]],
                         ["*Status*", "*Duration*", "*Workspace*", "*Project*", "*Trial ID*"])
        event = self.receiver.next(lambda e: e["path"] in ("/alerts", "/unnamed"))
        self.assertEqual(event["path"], "/alerts")
        self.assertEqual(event["body"]["event_type"], "CUSTOM")
        self.assertEqual(event["body"]["event_data"]["custom_data"],
                         {"title": "loss exploded", "description": "at step 7", "level": "WARNING"})
        self.assertEqual(event["body"]["event_data"]["experiment"]["id"], experiment.id)
        self.assertGreater(event["body"]["event_data"]["experiment"]["trial_id"], 0)

    def test_failed_deliveries_are_logged_and_never_block_requests(self) -> None:
        session = self.session
        self.add_hooks(hook("http://127.0.0.1:9/refused", on_state("ERROR"), workspace_id=1),
                       hook("http://10.255.255.1/outside", on_state("ERROR")))
        config = {"name": "hooked-failing", "entrypoint": "python3 -c 'raise SystemExit(3)'",
                  "searcher": {"name": "single", "metric": "x", "max_length": 1}}
        with self.assertLogs("daist.standin.state.webhooks", "WARNING") as logged:
            experiment = self.create(config)
            # the master keeps answering while the deliveries fail in the background
            b.get_GetExperiment(session, experimentId=experiment.id)
            self.wait_for_log(logged, "/refused failed", "loopback only")
        self.assertEqual(b.get_GetExperiment(session, experimentId=experiment.id)
                         .experiment.state, b.experimentv1State.ERROR)


if __name__ == "__main__":
    unittest.main()
