"""Each fault mode is observable from a client; rules change at run time via /standin/faults."""
from __future__ import annotations

import threading
import time
import unittest

import requests

from daist.standin.faults.injector import FaultInjector
from daist.standin.faults.spec import FaultSpecError, parse_option
from uts.standin.support import MasterTestCase


class TestFaultModes(MasterTestCase):
    def setUp(self) -> None:
        self.admin = self.login()  # changing faults is a control call: an admin's token
        self.admin.delete(f"{self.url}/standin/faults", timeout=5)
        self.addCleanup(self.admin.delete, f"{self.url}/standin/faults", timeout=5)

    def add(self, **rule: object) -> dict:
        response = self.admin.post(f"{self.url}/standin/faults", json=rule, timeout=5)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def statuses(self, n: int, path: str = "/api/v1/master") -> list[int | str]:
        out: list[int | str] = []
        for _ in range(n):
            try:
                out.append(requests.get(self.url + path, timeout=10).status_code)
            except requests.exceptions.ConnectionError:
                out.append("drop")
        return out

    def test_every_nth_request_fails_exactly(self) -> None:
        self.add(path="^/api/v1/master$", error_rate=1.0, status=503, every=3)
        self.assertEqual(self.statuses(7), [200, 200, 503, 200, 200, 503, 200])
        self.assertEqual(self.statuses(1, "/info"), [200])  # not matched, not counted

    def test_first_n_requests_are_dropped_then_none(self) -> None:
        self.add(path="^/api/v1/master$", drop_rate=1.0, first=2)
        self.assertEqual(self.statuses(4), ["drop", "drop", 200, 200])

    def test_a_fixed_sequence_repeats(self) -> None:
        self.add(path="^/api/v1/master$", error_rate=1.0, status=502, sequence="x.x")
        self.assertEqual(self.statuses(6), [502, 200, 502, 502, 200, 502])

    def test_latency_delays_matching_requests_only(self) -> None:
        self.add(path="^/api/v1/master$", latency_ms=300)
        started = time.monotonic()
        self.assertEqual(requests.get(f"{self.url}/api/v1/master", timeout=10).status_code, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_error_rate_answers_status_with_error_json_for_count_requests(self) -> None:
        self.add(path="/api/v1/master", error_rate=1.0, status=503, count=2)
        statuses = [requests.get(f"{self.url}/api/v1/master", timeout=10) for _ in range(3)]
        self.assertEqual([r.status_code for r in statuses], [503, 503, 200])
        self.assertIn("injected fault", statuses[0].json()["message"])
        rules = requests.get(f"{self.url}/standin/faults").json()["rules"]
        self.assertEqual((rules[0]["count"], rules[0]["matched"]), (0, 2))
        again = self.admin.put(f"{self.url}/standin/faults", json=rules, timeout=5)  # round trip
        self.assertEqual(again.status_code, 200, again.text)

    def test_hang_never_answers_but_blocks_nothing_else(self) -> None:
        self.add(path="^/info$", hang=True)
        results: list[BaseException | int] = []

        def hang() -> None:
            try:
                results.append(requests.get(f"{self.url}/info", timeout=1.0).status_code)
            except requests.exceptions.ReadTimeout as exc:
                results.append(exc)

        thread = threading.Thread(target=hang)
        thread.start()
        time.sleep(0.2)
        self.assertEqual(requests.get(f"{self.url}/api/v1/master", timeout=5).status_code, 200)
        thread.join(10)
        self.assertIsInstance(results[0], requests.exceptions.ReadTimeout)

    def test_drop_closes_the_connection_without_a_response(self) -> None:
        self.add(path="/api/v1/master", drop_rate=1.0)
        with self.assertRaises(requests.exceptions.ConnectionError):
            requests.get(f"{self.url}/api/v1/master", timeout=5)
        self.assertEqual(requests.get(f"{self.url}/info", timeout=5).status_code, 200)

    def test_admin_routes_are_never_faulted(self) -> None:
        self.add(path="", error_rate=1.0)
        self.assertEqual(requests.get(f"{self.url}/standin/health", timeout=5).json()["ok"], True)
        self.assertEqual(requests.get(f"{self.url}/info", timeout=5).status_code, 500)

    def test_put_replaces_and_bad_rules_are_400(self) -> None:
        self.add(path="a", latency_ms=1)
        replaced = self.admin.put(f"{self.url}/standin/faults", json={"rules": [{"path": "b"}]},
                                  timeout=5).json()
        self.assertEqual([r["path"] for r in replaced["rules"]], ["b"])
        for bad_rule in ({"path": "(", "bogus": 1}, {"path": "x", "every": 0},
                         {"path": "x", "every": 2, "first": 1}, {"path": "x", "sequence": "xy"}):
            bad = self.admin.post(f"{self.url}/standin/faults", json=bad_rule, timeout=5)
            self.assertEqual(bad.status_code, 400, bad_rule)
        self.assertEqual(self.admin.delete(f"{self.url}/standin/faults", timeout=5).json(),
                         {"rules": []})


class TestFaultInjector(unittest.TestCase):
    def test_method_filter_and_accumulated_latency(self) -> None:
        injector = FaultInjector(({"path": "/x", "method": "POST", "latency_ms": 10},
                                  {"path": "/x", "latency_ms": 5, "jitter_ms": 0}))
        self.assertEqual(injector.plan("GET", "/x"), (0.005, None, 500))
        delay, action, _ = injector.plan("POST", "/x/y")
        self.assertAlmostEqual(delay, 0.015)
        self.assertIsNone(action)

    def test_error_rate_is_seeded(self) -> None:
        runs = []
        for _ in range(2):
            injector = FaultInjector(({"path": "", "error_rate": 0.5},), seed=3)
            runs.append([injector.plan("GET", "/")[1] for _ in range(40)])
        self.assertEqual(runs[0], runs[1])
        self.assertEqual(set(runs[0]), {None, "error"})

    def test_count_limits_a_rule(self) -> None:
        injector = FaultInjector(({"path": "", "drop_rate": 1.0, "count": 2},))
        self.assertEqual([injector.plan("GET", "/")[1] for _ in range(3)], ["drop", "drop", None])

    def test_selectors_pick_matches_and_the_rate_still_applies(self) -> None:
        injector = FaultInjector(({"path": "/x", "drop_rate": 1.0, "every": 2},
                                  {"path": "/x", "latency_ms": 10, "first": 1}))
        plans = [injector.plan("GET", "/x") for _ in range(4)]
        self.assertEqual([p[1] for p in plans], [None, "drop", None, "drop"])
        self.assertEqual([p[0] for p in plans], [0.01, 0.0, 0.0, 0.0])

    def test_cli_forms_of_the_selectors(self) -> None:
        self.assertEqual(parse_option("drop-rate", "every=4@^/a$")["every"], 4)
        rule = parse_option("error-rate", "first=2:503@/b")
        self.assertEqual((rule["first"], rule["error_rate"], rule["status"]), (2, 1.0, 503))
        self.assertEqual(parse_option("error-rate", "seq=x..")["sequence"], "x..")
        with self.assertRaises(FaultSpecError):
            parse_option("drop-rate", "often=2")

    def test_invalid_rule(self) -> None:
        with self.assertRaises(FaultSpecError):
            FaultInjector(({"path": "", "error_rate": 2},))


if __name__ == "__main__":
    unittest.main()


class TestCapacityFault(unittest.TestCase):
    """``capacity: C``: at most C matching requests inside at once, the rest wait in turn, and
    a latency of the same requests is spent holding the slot."""

    def test_at_most_c_at_once_served_first_come_first_served(self) -> None:
        import asyncio
        from types import SimpleNamespace

        from daist.standin.faults.injector import fault_middleware

        async def scenario() -> tuple[int, list[int], list[int]]:
            injector = FaultInjector(({"path": "^/api/v1/x$", "capacity": 2},))
            middleware = fault_middleware(injector, asyncio.Event())
            inside, most, entered, release = 0, 0, [], asyncio.Event()

            def handler_for(number: int):
                async def handler(request):
                    nonlocal inside, most
                    inside += 1
                    most = max(most, inside)
                    entered.append(number)
                    await release.wait()
                    inside -= 1
                    return number
                return handler

            request = SimpleNamespace(path="/api/v1/x", method="GET", transport=None)
            tasks = []
            for number in range(5):  # each starts, and queues, before the next
                tasks.append(asyncio.create_task(middleware(request, handler_for(number))))
                await asyncio.sleep(0)
            for _ in range(10):
                await asyncio.sleep(0)
            first_in = list(entered)
            release.set()
            done = await asyncio.gather(*tasks)
            other = SimpleNamespace(path="/api/v1/y", method="GET", transport=None)
            unlimited = await middleware(other, handler_for(9))  # no rule: no slot
            return most, first_in, [*done, unlimited]

        most, first_in, done = asyncio.run(scenario())
        self.assertEqual(most, 2)
        self.assertEqual(first_in, [0, 1])  # the others waited
        self.assertEqual(done, [0, 1, 2, 3, 4, 9])

    def test_the_latency_is_spent_inside_the_slot(self) -> None:
        import asyncio
        from types import SimpleNamespace

        from daist.standin.faults.injector import fault_middleware

        async def scenario() -> float:
            injector = FaultInjector(({"path": "^/api/v1/s$", "latency_ms": 100},
                                      {"path": "^/api/v1/s$", "capacity": 1}))
            middleware = fault_middleware(injector, asyncio.Event())
            request = SimpleNamespace(path="/api/v1/s", method="GET", transport=None)

            async def handler(request):
                return "ok"

            started = time.monotonic()
            await asyncio.gather(*(middleware(request, handler) for _ in range(3)))
            return time.monotonic() - started

        # one slot: three services of 100 ms one after the other (concurrent sleeps: 0.1 s)
        self.assertGreaterEqual(asyncio.run(scenario()), 0.3)

    def test_cli_form_and_bad_values(self) -> None:
        self.assertEqual(parse_option("capacity", "4@^/api/v1/")["capacity"], 4)
        self.assertEqual(parse_option("capacity", "3")["path"], "")
        for bad in ("0", "-1", "x", "1.5@/a"):
            with self.subTest(bad=bad), self.assertRaises(FaultSpecError):
                parse_option("capacity", bad)
