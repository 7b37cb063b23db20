import datetime
import unittest

import requests

from daist.framework.master_client import MasterClient
from daist.rest_api.catalogue import CATALOGUE, CREATES, DELETES, by_name
from daist.rest_api.endpoints import ENDPOINT_CLASSES, EndpointTask
from daist.rest_api.resources import autodiscover, build_mix
from uts.harness import StandinTestCase

# test_names of the original daist TestRO: the join key of the historical perf-results rows.
ORIGINAL_NAMES = """get master configuration|get master config file|get agents|get workspaces|
get user settings|get resource pools|get users|get models|get telemetry|get tensorboards|
get shells|get notebooks|get commands|get job queues|get job queue stats|get user activity|
get webhooks|get model labels|get tasks|get task count|get experiments|get master logs|
get authenticated user|get me|get experiment labels|get templates|get resource allocations|
search flat runs w/ hparam|get user by ID|get user by username|get workspace bindings|
get v2 job queue|get project|get project metric ranges|search experiments|get project columns|
search flat runs|get workspace tensorboards|get workspace shells|get workspace notebooks|shells|
get workspace projects|get available workspace resource pools|get workspace model labels|
get workspace|get model|get model versions|get model version|get model metrics|get trial|
get trial workloads|get trial log fields|get trials time series|get trial checkpoints|
get trial metrics|get logs by trial|get profiler available series|get training metrics|
get validation metrics|get trial metrics 2|get experiment|get experiment metric names|
get experiment trials|get experiment file tree|get experiment model definition|
get experiment best searcher validation metric|get experiment validation history|
get experiment file|put experiment file|get task|get task log fields|get task logs|
get task accelerator data|get task config|get task context directory|get template|
get permissions summary|search groups|get roles by assignability|search roles|search by user ID|
get workspace roles|get group|search roles by group|get experiment checkpoints"""


class TestCatalogueData(unittest.TestCase):
    def test_names_are_unique_and_keep_the_historical_ones(self):
        names = [t.test_name for t in CATALOGUE]
        self.assertEqual(len(names), len(set(names)))
        original = {n.strip() for n in ORIGINAL_NAMES.replace("\n", "").split("|")}
        self.assertEqual(original - set(names), set())

    def test_every_task_is_well_formed(self):
        for task in CATALOGUE:
            self.assertIn(task.endpoint_class, ENDPOINT_CLASSES)
            self.assertIn(task.method, ("GET", "POST", "PUT", "PATCH", "DELETE"))
            self.assertTrue(task.path.startswith("/"), task.test_name)
            if task.method != "GET" and task.endpoint_class != "write":
                self.assertIn("only reads", task.note, task.test_name)
            if task.endpoint_class == "write" and task.mixes:
                self.assertEqual(task.mixes, ("rw",), task.test_name)

    def test_every_api_endpoint_knows_its_grpc_method(self):
        for task in CATALOGUE:
            with self.subTest(task.test_name):
                if task.path.startswith("/api/v1/"):
                    self.assertRegex(task.grpc_method or "", r"^[A-Z]\w+$")
                else:  # served by echo outside gRPC: no server series to read
                    self.assertIsNone(task.grpc_method)
        self.assertEqual(by_name("get experiments").grpc_method, "GetExperiments")
        self.assertEqual(by_name("get user settings").grpc_method, "GetUserSetting")
        self.assertEqual(by_name("search flat runs w/ hparam").grpc_method, "SearchRuns")

    def test_paths_fixed_for_0_38_1(self):
        paths = {(t.method, t.path) for t in CATALOGUE}
        self.assertIn(("GET", "/api/v1/permissions/summary"), paths)
        for path in ("/api/v1/groups/search", "/api/v1/roles/search",
                     "/api/v1/roles/search/by-assignability"):
            self.assertIn(("POST", path), paths)
        self.assertFalse(any("searcher_events" in p or "roles-search" in p
                             or "permissions-summary" in p for _, p in paths))
        self.assertIsNotNone(by_name("search flat runs w/ hparam").body["filter"])

    def test_rendering(self):
        values = {"trial_id": 7, "project_id": 3, "today": "2026-01-02", "experiment_file": "a b.py",
                  "experiment_id": 5}
        self.assertEqual(by_name("get experiments").url(values),
                         "/api/v1/experiments?showTrialData=true")
        self.assertEqual(by_name("get trials time series").url(values),
                         "/api/v1/trials/time-series?trialIds=7&startBatches=0"
                         "&metricType=METRIC_TYPE_UNSPECIFIED")
        self.assertEqual(by_name("search experiments").json_body(values), {"projectId": 3})
        self.assertEqual(by_name("get experiment file").url(values),
                         "/experiments/5/file/download?path=a+b.py")
        self.assertEqual(by_name("get model version").resources, ("model_name", "model_version"))
        self.assertEqual(by_name("get workspace roles").resources, ("rbac", "workspace_id"))
        filter_text = by_name("search flat runs w/ hparam").json_body(values)["filter"]
        self.assertIn('"columnName": "hp.global_batch_size"', filter_text)

    def test_bad_tasks_are_refused(self):
        with self.assertRaises(ValueError):
            EndpointTask("x", "GET", "/x", "fetch")
        with self.assertRaises(ValueError):
            EndpointTask("x", "GET", "/x", "get", weight=-1)


class TestCatalogueOnTheStandin(StandinTestCase):
    """The catalogue and the stand-in agree: every endpoint answers 2xx (RBAC on, so none is
    skipped), including the write calls in their create -> use -> delete order."""

    standin_options = {"scale": 10, "rbac": True, "passwords": {"admin": "pw"}}

    def test_every_endpoint_answers_2xx(self):
        with MasterClient(self.url) as api:
            api.login("admin", "pw")
            profile = autodiscover(api)
        self.assertEqual(profile.notes, [])
        values = {**profile.values(), "today": datetime.date.today().isoformat(), "seq": 1,
                  "own_prefix": "daist-uts"}
        session = requests.Session()
        token = session.post(self.url + "/api/v1/auth/login",
                             json={"username": "admin", "password": "pw"}).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        checked, failed = set(), []
        writes = [by_name(n) for n in ("create project", "patch project", "add project note",
                                       "put project notes", "create model", "patch model",
                                       "create model version", "delete model", "delete project")]
        for mix in ("ro", "checkpoints"):
            built = build_mix(mix, profile)
            self.assertEqual(built.skipped, {})
            for task in built.tasks:
                failed += self._call(session, task, values)
                checked.add(task.test_name)
        for task in writes:
            failed += self._call(session, task, values)
            if task.test_name in CREATES:
                resource, (outer, key) = CREATES[task.test_name]
                values[resource] = self.last.json()[outer][key]
            checked.add(task.test_name)
        self.assertEqual(failed, [])
        self.assertEqual((set(DELETES) | set(CREATES)) - checked, set())
        in_mixes = {t.test_name for t in CATALOGUE if t.mixes}
        self.assertEqual(in_mixes - checked, set())

    def _call(self, session, task, values):
        self.last = session.request(task.method, self.url + task.url(values),
                                    json=task.json_body(values), timeout=15)
        if 200 <= self.last.status_code < 300:
            return []
        return [f"{task.test_name}: HTTP {self.last.status_code} {self.last.text[:100]}"]


if __name__ == "__main__":
    unittest.main()
