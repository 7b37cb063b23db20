"""Every read-only load-test catalogue row (original-daist-behaviour 5.3, with the 0.38.1
corrections) answers 200 with JSON that the real SDK's bindings class for that route parses."""
from __future__ import annotations

import datetime
import json
import unittest
from urllib.parse import quote_plus

import requests

from daist.rest_api.catalogue import CATALOGUE
from daist.standin.http.routes import ROUTES
from uts.standin.support import MasterTestCase, binding_for, parse_with_binding, seed_ids

RUNS_FILTER = json.dumps({"filterGroup": {"children": [{
    "columnName": "hp.global_batch_size", "kind": "field",
    "location": "LOCATION_TYPE_HYPERPARAMETERS", "operator": "<=", "type": "COLUMN_TYPE_NUMBER",
    "value": 60}], "conjunction": "and", "kind": "group"}, "showArchived": False})


def catalogue(ids: dict) -> list[tuple[str, str, object]]:
    """(method, path with query, json body or None) of every read-only catalogue row under
    /api/v1, rendered as the load test renders it (the rows are declared in
    ``daist.rest_api.catalogue``; the two downloads have no binding and a test of their own)."""
    values = {**ids, "checkpoint_uuid": ids["checkpoint_id"], "rbac": True,
              "today": datetime.date.today().isoformat()}
    return [(task.method, task.url(values), task.json_body(values))
            for task in CATALOGUE if "ro" in task.mixes and task.path.startswith("/api/v1/")]


class TestCatalogue(MasterTestCase):
    master_options = {"scale": 30, "rbac": True}

    def setUp(self) -> None:
        # Locust users authenticate with the auth cookie only, so the catalogue does too.
        self.session = requests.Session()
        self.addCleanup(self.session.close)
        self.session.post(f"{self.url}/api/v1/auth/login", json={"username": "admin", "password": ""})
        self.ids = seed_ids(self.session, self.url)

    def test_every_catalogue_row_parses_with_its_binding(self) -> None:
        rows = catalogue(self.ids)
        self.assertGreaterEqual(len(rows), 75)
        for method, path, body in rows:
            with self.subTest(method=method, path=path):
                binding = binding_for(method, path.split("?")[0])
                response = self.session.request(method, self.url + path, json=body, timeout=30)
                parsed = parse_with_binding(binding, response)
                if binding.stream:
                    self.assertTrue(parsed, f"{path} streamed no line")

    def test_download_routes_outside_api_v1(self) -> None:
        ids = self.ids
        response = self.session.get(f"{self.url}/experiments/{ids['experiment_id']}/file/download",
                                    params={"path": ids["experiment_file"]}, timeout=10)
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"seeded model definition", response.content)
        response = self.session.get(f"{self.url}/checkpoints/{ids['checkpoint_id']}", timeout=10)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content[:2], b"\x1f\x8b")  # gzip

    def test_searcher_events_is_gone_as_in_0_38_1(self) -> None:
        response = self.session.get(
            f"{self.url}/api/v1/experiments/{self.ids['experiment_id']}/searcher_events", timeout=10)
        self.assertEqual(response.status_code, 404)

    def test_autodiscovery_finds_every_resource(self) -> None:
        for key, value in self.ids.items():
            self.assertNotIn(value, (None, ""), key)
        self.assertEqual(self.ids["experiment_file"], "model_def.py")
        self.assertEqual(self.ids["model_version"], 1)

    def test_runs_filter_applies_to_hyperparameters(self) -> None:
        response = self.session.post(f"{self.url}/api/v1/runs?filter={quote_plus(RUNS_FILTER)}",
                                     timeout=10).json()
        sizes = [run["hyperparameters"]["global_batch_size"] for run in response["runs"]]
        self.assertTrue(sizes)
        self.assertTrue(all(size <= 60 for size in sizes), sizes)
        everything = self.session.post(f"{self.url}/api/v1/runs", json={}, timeout=10).json()
        self.assertGreater(everything["pagination"]["total"], response["pagination"]["total"])


class TestRouteTable(unittest.TestCase):
    def test_every_api_route_has_a_binding_with_the_same_method(self) -> None:
        for route in ROUTES:
            if not route.path.startswith("/api/v1"):
                continue
            with self.subTest(route=f"{route.method} {route.path}"):
                sample = route.path.replace(r":\d+", "")
                binding_for(route.method, sample.replace("{", "").replace("}", ""))

    def test_paths_are_unique(self) -> None:
        keys = [(r.method, r.path) for r in ROUTES]
        self.assertEqual(len(keys), len(set(keys)))


if __name__ == "__main__":
    unittest.main()
