"""``StandinMaster`` in a thread: concurrency with keep-alive, isolation, clean stop."""
from __future__ import annotations

import asyncio
import unittest

import aiohttp
import requests

from daist.standin.server import StandinMaster

CONCURRENT = 200


async def _burst(url: str, token: str) -> tuple[list[int], int]:
    """200 requests at once over keep-alive connections, then 200 more reusing them."""
    connector = aiohttp.TCPConnector(limit=CONCURRENT, force_close=False)
    headers = {"Authorization": f"Bearer {token}"}
    opened = 0

    async def on_create(*_: object) -> None:
        nonlocal opened
        opened += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    statuses: list[int] = []
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     trace_configs=[trace]) as session:
        async def one(path: str) -> None:
            async with session.get(url + path, timeout=aiohttp.ClientTimeout(total=60)) as r:
                await r.read()
                statuses.append(r.status)

        for _ in range(2):
            await asyncio.gather(*(one("/api/v1/experiments" if i % 2 else "/api/v1/master")
                                   for i in range(CONCURRENT)))
    return statuses, opened


class TestStandinMaster(unittest.TestCase):
    def test_concurrent_keep_alive_requests_are_all_answered(self) -> None:
        with StandinMaster(port=0, scale=10) as url:
            token = requests.post(f"{url}/api/v1/auth/login",
                                  json={"username": "admin", "password": ""}).json()["token"]
            statuses, opened = asyncio.run(_burst(url, token))
        self.assertEqual(len(statuses), 2 * CONCURRENT)
        self.assertEqual(set(statuses), {200})
        self.assertLessEqual(opened, CONCURRENT)  # the second round reused connections

    def test_two_masters_share_nothing(self) -> None:
        with StandinMaster(port=0, scale=10) as first, StandinMaster(port=0, scale=20, seed=1) as second:
            self.assertNotEqual(first, second)
            login = {"username": "admin", "password": ""}
            token = requests.post(f"{first}/api/v1/auth/login", json=login).json()["token"]
            other = requests.get(f"{second}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            self.assertEqual(other.status_code, 401)
            counts = [requests.get(f"{u}/standin/counts").json()["experiments"] for u in (first, second)]
            self.assertEqual(counts, [10, 20])

    def test_stop_is_idempotent_and_frees_the_port(self) -> None:
        master = StandinMaster(port=0)
        url = master.start()
        master.stop()
        master.stop()
        with self.assertRaises(requests.exceptions.ConnectionError):
            requests.get(f"{url}/info", timeout=2)

    def test_reset_restores_the_seed_state(self) -> None:
        with StandinMaster(port=0, scale=10) as url:
            before = requests.get(f"{url}/standin/counts").json()
            token = requests.post(f"{url}/api/v1/auth/login",
                                  json={"username": "admin", "password": ""}).json()["token"]
            requests.post(f"{url}/api/v1/models", json={"name": "extra"},
                          headers={"Authorization": f"Bearer {token}"})
            self.assertEqual(requests.get(f"{url}/standin/counts").json()["models"], before["models"] + 1)
            self.assertTrue(requests.post(f"{url}/standin/reset", timeout=30, headers={
                "Authorization": f"Bearer {token}"}).json()["ok"])
            self.assertEqual(requests.get(f"{url}/standin/counts").json(), before)


if __name__ == "__main__":
    unittest.main()
