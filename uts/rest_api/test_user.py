"""The user's hot path leaves nothing to the garbage collector: a request a real daist user
sends (FastHttpUser and HttpUser, real HTTP to a fake master) frees its objects by reference
counting; objects left in reference cycles would cost every later collection (Locust's
``catch_response`` context makes one per request unless the user breaks it)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import unittest

from uts.rest_api.fake_master import Answer, FakeMaster

REQUESTS = 100
# In a child process: importing Locust patches this process's sockets with gevent.
SCRIPT = """
import gc, json, sys
import daist.engine.locust_import
from locust.env import Environment
from daist.rest_api.user import UserSpec, build_user_class

url, user_class, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = UserSpec(host=url, task_names=["get master configuration"], values={}, user_name="admin",
                password="x", user_class=user_class, request_timeout=10.0)
env = Environment(user_classes=[], host=url)
env.create_local_runner()                    # Locust's stats listen to the request event
user = build_user_class(spec)(env)
user.on_start()
for _ in range(5):
    user.pick()
gc.collect()
gc.disable()
for _ in range(requests):
    user.pick()
print(json.dumps({"in_cycles": gc.collect(), "requests": env.stats.total.num_requests,
                  "failures": env.stats.total.num_failures}))
"""


class TestUserGarbage(unittest.TestCase):
    def setUp(self) -> None:
        self.master = FakeMaster()
        self.url = self.master.start()
        self.addCleanup(self.master.stop)

    def run_user(self, user_class: str) -> dict:
        done = subprocess.run([sys.executable, "-c", SCRIPT, self.url, user_class, str(REQUESTS)],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def test_requests_leave_no_reference_cycles(self):
        for user_class in ("FastHttpUser", "HttpUser"):
            with self.subTest(user_class):
                found = self.run_user(user_class)
                self.assertEqual((found["requests"], found["failures"]),
                                 (1 + 5 + REQUESTS, 0))          # the login, then the calls
                # 18 objects per request were left before; a few from elsewhere are no cycle
                # of the requests'
                self.assertLess(found["in_cycles"], REQUESTS // 10, found)


SILENT_SCRIPT = """
import json, sys
import daist.engine.locust_import
from locust.env import Environment
from daist.rest_api.user import UserSpec, build_user_class

url, user_class = sys.argv[1], sys.argv[2]
spec = UserSpec(host=url, task_names=["get master configuration"], values={}, user_name="admin",
                password="x", user_class=user_class, request_timeout=0.5)
env = Environment(user_classes=[], host=url)
env.create_local_runner()
user = build_user_class(spec)(env)
user.on_start()                               # logs in: the one request
print(json.dumps({"logged_in": user.logged_in, "failures": env.stats.total.num_failures}))
"""


class TestRequestTimeout(unittest.TestCase):
    """The spec's request timeout reaches every request of either transport: a master that
    accepts the connection and never answers fails the request instead of holding the user."""

    def setUp(self) -> None:
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(8)  # the kernel completes the handshakes; nothing ever answers
        self.addCleanup(self.silent.close)

    def test_a_silent_master_times_out(self):
        url = f"http://127.0.0.1:{self.silent.getsockname()[1]}"
        for user_class in ("FastHttpUser", "HttpUser"):
            with self.subTest(user_class):
                done = subprocess.run([sys.executable, "-c", SILENT_SCRIPT, url, user_class],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(done.returncode, 0, done.stderr[-2000:])
                found = json.loads(done.stdout.strip().splitlines()[-1])
                # without the timeout the login would wait forever (the run's deadline fails)
                self.assertEqual((found["logged_in"], found["failures"]), (False, 1), found)


REPORT_SCRIPT = """
import json, sys
import daist.engine.locust_import
from locust import FastHttpUser, HttpUser, constant
from locust.env import Environment
from daist.rest_api.answers import AnswerCheck
from daist.rest_api.catalogue import by_name
from daist.rest_api.user import UserSpec, build_user_class

url, user_class, names = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
events = []
def seen(request_type, name, response_length, exception=None, **_):
    events.append([request_type, name, response_length,
                   type(exception).__name__ if exception else None,
                   str(exception) if exception else None])
env = Environment(user_classes=[], host=url)
env.events.request.add_listener(seen)
spec = UserSpec(host=url, task_names=names, values={}, user_name="admin", password="x",
                user_class=user_class, request_timeout=10.0, check_every=1)
user = build_user_class(spec)(env)
user.on_start()
for name in names:
    user.fire(by_name(name))
daist = events[:]
events.clear()
# The reference: every answer reported by Locust's own response context, checked inside it.
base = FastHttpUser if user_class == "FastHttpUser" else HttpUser
reference = type("Reference", (base,), {"host": url, "wait_time": constant(0), "tasks": []})(env)
check = AnswerCheck(every=1)
for name in names:
    task = by_name(name)
    with reference.client.request(task.method, task.url(user.mix.static), name=name,
                                  catch_response=True) as response:
        if 200 <= response.status_code < 300:
            invalid = check(name, response.content or b"")
            if invalid:
                response.failure(invalid)
print(json.dumps({"daist": daist, "reference": events}))
"""


class TestReportedAsLocustWould(unittest.TestCase):
    """The user reports a 2xx itself (no response context on the hot path) and hands every
    other status to Locust's context: each answer must reach the request event exactly as
    Locust's own ``catch_response`` block reports it, for both transports, valid or not."""

    ANSWERS = {  # path -> what the fake master answers there
        "/api/v1/master/config": Answer(),  # HTML 200: not the JSON Determined sends
        "/api/v1/agents": Answer(200, "application/json", b'{"other": []}'),  # no key
        "/api/v1/workspaces": Answer(404, "application/json", b'{"code": 5}'),
        "/api/v1/users/setting": Answer(500, "application/json", b'{"code": 13}'),
        "/api/v1/models": Answer(401, "application/json", b'{"code": 16}'),
    }
    NAMES = ["get master configuration", "get master config file", "get agents",
             "get workspaces", "get user settings", "get models"]

    def test_same_events_as_locusts_response_context(self):
        for user_class in ("FastHttpUser", "HttpUser"):
            with self.subTest(user_class):
                master = FakeMaster(by_path=dict(self.ANSWERS))
                url = master.start()
                self.addCleanup(master.stop)
                done = subprocess.run([sys.executable, "-c", REPORT_SCRIPT, url, user_class,
                                       json.dumps(self.NAMES)],
                                      capture_output=True, text=True, timeout=120)
                self.assertEqual(done.returncode, 0, done.stderr[-2000:])
                found = json.loads(done.stdout.strip().splitlines()[-1])
                daist, reference = found["daist"], found["reference"]
                # daist logs in first, and again after the 401 (once)
                self.assertEqual([e[1] for e in daist].count("login"), 2, daist)
                self.assertEqual([e for e in daist if e[1] != "login"], reference)
                failed = [e[1] for e in reference if e[3]]
                self.assertEqual(failed, self.NAMES[1:], reference)
                self.assertIn("invalid response", reference[1][4])
                # the token rides on every call but the logins (a relogin sends no old one)
                sent = {path: auth for path, auth in master.authorizations[:len(daist)]}
                for path, auth in master.authorizations[:len(daist)]:
                    expected = None if path.endswith("/login") else "Bearer fake-token"
                    self.assertEqual(auth, expected, (path, sent))


if __name__ == "__main__":
    unittest.main()
