"""Every load-test catalogue row (original-daist-behaviour 5.3, with the 0.38.1 corrections)
answers 200 with JSON that the real SDK's bindings class for that route parses."""
from __future__ import annotations

import datetime
import json
import unittest
from urllib.parse import quote_plus

import requests

from daist.standin.routes import ROUTES
from uts.standin.support import MasterTestCase, binding_for, parse_with_binding, seed_ids

RUNS_FILTER = json.dumps({"filterGroup": {"children": [{
    "columnName": "hp.global_batch_size", "kind": "field",
    "location": "LOCATION_TYPE_HYPERPARAMETERS", "operator": "<=", "type": "COLUMN_TYPE_NUMBER",
    "value": 60}], "conjunction": "and", "kind": "group"}, "showArchived": False})


def catalogue(ids: dict) -> list[tuple[str, str, object]]:
    """(method, path with query, json body or None) for every TestRO row."""
    today = datetime.date.today().isoformat()
    eid, tid, wid, pid = ids["experiment_id"], ids["trial_id"], ids["workspace_id"], ids["project_id"]
    model, version, task = ids["model_name"], ids["model_version"], ids["task_id"]
    rows = [("GET", p, None) for p in (
        "/api/v1/master", "/api/v1/master/config", "/api/v1/agents", "/api/v1/workspaces",
        "/api/v1/users/setting", "/api/v1/resource-pools", "/api/v1/users", "/api/v1/models",
        "/api/v1/master/telemetry", "/api/v1/tensorboards", "/api/v1/shells",
        "/api/v1/notebooks", "/api/v1/commands", "/api/v1/job-queues", "/api/v1/job-queues/stats",
        "/api/v1/user/projects/activity", "/api/v1/webhooks", "/api/v1/model/labels",
        "/api/v1/tasks", "/api/v1/tasks/count", "/api/v1/experiments?showTrialData=True",
        "/api/v1/master/logs?offset=-1&limit=0", "/api/v1/auth/user", "/api/v1/me",
        "/api/v1/experiment/labels", "/api/v1/templates",
        f"/api/v1/resources/allocation/aggregated?start_date=2000-01-01&end_date={today}"
        "&period=RESOURCE_ALLOCATION_AGGREGATION_PERIOD_DAILY",
        f"/api/v1/users/{ids['user_id']}", f"/api/v1/users/{ids['user_name']}/by-username",
        f"/api/v1/resource-pools/{ids['resource_pool']}/workspace-bindings",
        f"/api/v1/job-queues-v2?resourcePool={ids['resource_pool']}",
        f"/api/v1/projects/{pid}", f"/api/v1/projects/{pid}/experiments/metric-ranges",
        f"/api/v1/projects/{pid}/columns",
        f"/api/v1/tensorboards?sortBy=SORT_BY_UNSPECIFIED&orderBy=ORDER_BY_UNSPECIFIED&workspaceId={wid}",
        f"/api/v1/shells?sortBy=SORT_BY_UNSPECIFIED&orderBy=ORDER_BY_UNSPECIFIED&workspaceId={wid}",
        f"/api/v1/notebooks?limit=1000&workspaceId={wid}", f"/api/v1/shells?limit=1000&workspaceId={wid}",
        f"/api/v1/workspaces/{wid}/projects", f"/api/v1/workspaces/{wid}/available-resource-pools",
        f"/api/v1/model/labels?workspaceId={wid}", f"/api/v1/workspaces/{wid}",
        f"/api/v1/models/{model}", f"/api/v1/models/{model}/versions",
        f"/api/v1/models/{model}/versions/{version}", f"/api/v1/models/{model}/versions/{version}/metrics",
        f"/api/v1/trials/{tid}", f"/api/v1/trials/{tid}/workloads", f"/api/v1/trials/{tid}/logs/fields",
        f"/api/v1/trials/time-series?trialIds={tid}&startBatches=0&metricType=METRIC_TYPE_UNSPECIFIED",
        f"/api/v1/trials/{tid}/checkpoints", f"/api/v1/trials/{tid}/profiler/metrics",
        f"/api/v1/trials/{tid}/logs", f"/api/v1/trials/{tid}/profiler/available_series",
        f"/api/v1/trials/metrics/training_metrics?trialIds={tid}",
        f"/api/v1/trials/metrics/validation_metrics?trialIds={tid}",
        f"/api/v1/trials/metrics/trial_metrics?trialIds={tid}&group=training",
        f"/api/v1/experiments/{eid}", f"/api/v1/experiments/metrics-stream/metric-names?ids={eid}",
        f"/api/v1/experiments/{eid}/trials", f"/api/v1/experiments/{eid}/file_tree",
        f"/api/v1/experiments/{eid}/model_def",
        f"/api/v1/experiments/{eid}/searcher/best_searcher_validation_metric",
        f"/api/v1/experiments/{eid}/validation-history", f"/api/v1/experiments/{eid}/checkpoints",
        f"/api/v1/checkpoints/{ids['checkpoint_id']}", f"/api/v1/checkpoints/{ids['checkpoint_id']}/metrics",
        f"/api/v1/tasks/{task}", f"/api/v1/tasks/{task}/logs/fields", f"/api/v1/tasks/{task}/logs",
        f"/api/v1/tasks/{task}/acceleratorData", f"/api/v1/tasks/{task}/config",
        f"/api/v1/tasks/{task}/context_directory", f"/api/v1/tasks/{ids['trial_task_id']}",
        f"/api/v1/tasks/{ids['trial_task_id']}/logs", f"/api/v1/templates/{ids['template_name']}",
        "/api/v1/permissions/summary", f"/api/v1/roles/search/by-user/{ids['user_id']}",
        f"/api/v1/roles/workspace/{wid}", f"/api/v1/groups/{ids['group_id']}",
        f"/api/v1/roles/search/by-group/{ids['group_id']}")]
    rows += [
        ("POST", f"/api/v1/runs?filter={quote_plus(RUNS_FILTER)}", None),
        ("POST", "/api/v1/experiments-search", {"projectId": pid}),
        ("POST", "/api/v1/runs", {"projectId": pid}),
        ("POST", f"/api/v1/experiments/{eid}/file", {"experimentId": eid, "path": ids["experiment_file"]}),
        ("POST", "/api/v1/groups/search", None),
        ("POST", "/api/v1/roles/search/by-assignability", None),
        ("POST", "/api/v1/roles/search", None),
    ]
    return rows


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
