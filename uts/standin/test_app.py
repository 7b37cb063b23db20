"""The aiohttp app in-process (aiohttp test client): error shapes, auth, bad input."""
from __future__ import annotations

import asyncio
import unittest

from aiohttp.test_utils import TestClient, TestServer

from daist.standin.http.app import build_app
from daist.standin.backend import Backend
from daist.standin.options import StandinOptions


class AppTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        # unittest runs these loops in debug mode, which prints every callback slower than
        # 0.1 s: noise on a shared machine, not a finding
        asyncio.get_running_loop().slow_callback_duration = 2.0
        self.backend = Backend.create(StandinOptions(scale=10))
        self.client = TestClient(TestServer(build_app(self.backend)))
        await self.client.start_server()
        self.backend.url = str(self.client.make_url("")).rstrip("/")
        login = await self.client.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        self.headers = {"Authorization": f"Bearer {(await login.json())['token']}"}

    async def asyncTearDown(self) -> None:
        await self.client.close()
        await self.backend.close()

    async def get(self, path: str, **kwargs: object):
        return await self.client.get(path, headers=self.headers, **kwargs)


class TestErrors(AppTestCase):
    async def test_unknown_id_is_404_with_determined_error_json(self) -> None:
        response = await self.get("/api/v1/experiments/424242")
        self.assertEqual(response.status, 404)
        body = await response.json()
        self.assertEqual((body["code"], body["details"]), (5, []))
        self.assertIn("424242", body["message"])

    async def test_bad_body_is_400(self) -> None:
        for data in (b"{not json", b"[1, 2]", b"\xff\xfe"):
            with self.subTest(data=data):
                response = await self.client.post("/api/v1/models", data=data,
                                                  headers={**self.headers, "Content-Type": "application/json"})
                self.assertEqual(response.status, 400)
                self.assertEqual((await response.json())["code"], 3)

    async def test_bad_query_and_path_values_are_400_or_404(self) -> None:
        self.assertEqual((await self.get("/api/v1/experiments?limit=abc")).status, 400)
        self.assertEqual((await self.get("/api/v1/trials/time-series")).status, 400)
        self.assertEqual((await self.get("/api/v1/experiments/abc")).status, 404)
        self.assertEqual((await self.get("/api/v1/no/such/route")).status, 404)

    async def test_no_token_is_401(self) -> None:
        self.client.session.cookie_jar.clear()  # the login above set the auth cookie
        response = await self.client.get("/api/v1/me")
        self.assertEqual(response.status, 401)
        self.assertEqual((await response.json())["code"], 16)

    async def test_bad_experiment_configs_are_400(self) -> None:
        bodies = [{"config": "a: [unclosed"}, {"config": "- just a list"},
                  {"config": "entrypoint: x\nhyperparameters: {h: {type: nope}}\nsearcher: {name: grid}"},
                  {"config": "entrypoint: x", "modelDefinition": [{"path": "../escape", "type": 48,
                                                                   "content": ""}]},
                  {"config": "entrypoint: x", "projectId": 9999}]
        for body in bodies:
            with self.subTest(body=body):
                response = await self.client.post("/api/v1/experiments", json=body, headers=self.headers)
                self.assertIn(response.status, (400, 404), await response.text())
        self.assertEqual(self.backend.store.counts()["experiments"], 10)

    async def test_flood_of_malformed_requests_leaves_it_serving(self) -> None:
        junk = [("POST", "/api/v1/auth/login", b"\x00" * 50), ("POST", "/api/v1/experiments", b"{"),
                ("GET", "/api/v1/trials/metrics/trial_metrics?trialIds=x", b""),
                ("PATCH", "/api/v1/projects/1", b"null"), ("POST", "/api/v1/runs", b'{"filter": "{"}'),
                ("GET", "/api/v1/experiments?states=STATE_NOPE&limit=-7", b""),
                ("DELETE", "/api/v1/models/%00", b""), ("PUT", "/api/v1/experiments/1/labels/", b"")]
        calls = [self.client.request(method, path, data=data, headers=self.headers)
                 for _ in range(25) for method, path, data in junk]
        responses = await asyncio.gather(*calls)
        self.assertTrue(all(r.status < 500 for r in responses),
                        sorted({(r.method, r.url.path, r.status) for r in responses if r.status >= 500}))
        self.assertEqual((await self.get("/api/v1/me")).status, 200)


class TestShapes(AppTestCase):
    async def test_int64_fields_are_strings_and_defaults_are_emitted(self) -> None:
        experiment = (await (await self.get("/api/v1/experiments/1")).json())["experiment"]
        self.assertIsInstance(experiment["checkpointSize"], str)
        self.assertIn("forkedFrom", experiment)
        self.assertIsNone(experiment["forkedFrom"])

    async def test_pagination_honours_offset_limit_and_negative_offset(self) -> None:
        page = await (await self.get("/api/v1/experiments?offset=2&limit=3")).json()
        self.assertEqual([e["id"] for e in page["experiments"]], [3, 4, 5])
        self.assertEqual(page["pagination"]["endIndex"], 5)
        self.assertEqual(page["pagination"]["total"], 10)
        tail = await (await self.get("/api/v1/experiments?offset=-2&limit=0")).json()
        self.assertEqual([e["id"] for e in tail["experiments"]], [9, 10])
        only = await (await self.get("/api/v1/experiments?limit=-2")).json()
        self.assertEqual((only["experiments"], only["pagination"]["total"]), ([], 10))

    async def test_filters_the_sdk_sends(self) -> None:
        done = await (await self.get("/api/v1/experiments?states=STATE_ERROR&limit=-1")).json()
        self.assertTrue(done["experiments"])
        self.assertTrue(all(e["state"] == "STATE_ERROR" for e in done["experiments"]))
        ordered = await (await self.get("/api/v1/experiments?orderBy=ORDER_BY_DESC&sortBy=SORT_BY_ID")).json()
        self.assertEqual(ordered["experiments"][0]["id"], 10)
        trials = await (await self.get("/api/v1/experiments/2/trials?orderBy=ORDER_BY_ASC"
                                       "&sortBy=SORT_BY_ID&offset=1")).json()
        self.assertEqual(trials["pagination"]["startIndex"], 1)
        checkpoints = await (await self.get("/api/v1/experiments/1/checkpoints?states=STATE_COMPLETED")).json()
        self.assertTrue(checkpoints["checkpoints"])


class TestTimeSeries(AppTestCase):
    async def test_batch_window_and_metric_names_narrow_the_answer(self) -> None:
        response = await self.get("/api/v1/trials/time-series?trialIds=1&group=training"
                                  "&startBatches=200&endBatches=300&metricNames=loss")
        self.assertEqual(response.status, 200)
        [trial] = (await response.json())["trials"]
        [series] = trial["metrics"]
        batches = [point["batches"] for point in series["data"]]
        self.assertEqual(batches, [200, 300])  # seeded training reports at 100..400
        self.assertEqual({name for point in series["data"] for name in point["values"]}, {"loss"})


class TestQuerySpellings(AppTestCase):
    async def test_allocation_dates_in_proto_and_json_names(self) -> None:
        for query in ("start_date=2000-01-01&end_date=2100-01-01",
                      "startDate=2000-01-01&endDate=2100-01-01"):
            with self.subTest(query=query):
                response = await self.get(f"/api/v1/resources/allocation/aggregated?{query}"
                                          "&period=RESOURCE_ALLOCATION_AGGREGATION_PERIOD_MONTHLY")
                self.assertEqual(response.status, 200)
                self.assertTrue((await response.json())["resourceEntries"])


if __name__ == "__main__":
    unittest.main()
