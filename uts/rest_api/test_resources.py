import unittest

import requests

from daist.framework.master_client import MasterClient
from daist.framework.errors import ConfigError, TargetError
from daist.models.locust import ResourceProfile
from daist.framework.master_client import MAX_PAGES, pages
from daist.rest_api.resources import autodiscover, build_mix, fixed_profile
from uts.harness import StandinTestCase


class FakeClient:
    """Answers GETs from a dict of path -> body (or a callable of the params)."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []
        self.logged_out = False

    def get(self, path, **params):
        self.calls.append((path, params))
        answer = self.answers.get(path)
        if answer is None:
            raise TargetError(f"GET {path} answered HTTP 404: not found")
        return answer(params) if callable(answer) else answer

    def post(self, path, body=None):
        return self.get(path)

    def logout(self):
        self.logged_out = True


class TestAutodiscoverOnTheStandin(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": "pw"}}

    def counts(self):
        return requests.get(self.url + "/standin/counts", timeout=10).json()

    def test_finds_everything_and_logs_out(self):
        before = self.counts()["tokens"]
        api = MasterClient(self.url)
        api.login("admin", "pw")
        profile = autodiscover(api)
        api.close()
        self.assertEqual(self.counts()["tokens"], before)           # logged out at the end
        self.assertEqual(profile.notes, [])
        for name, value in profile.values().items():
            if name not in ("group_id", "rbac"):
                self.assertIsNotNone(value, name)
        with MasterClient(self.url) as api:
            api.login("admin", "pw")
            experiment = api.get(f"/api/v1/experiments/{profile.experiment_id}")["experiment"]
            self.assertEqual(experiment["state"], "STATE_COMPLETED")
            trial = api.get(f"/api/v1/trials/{profile.trial_id}")["trial"]
            self.assertEqual(int(trial["experimentId"]), profile.experiment_id)
            version = api.get(f"/api/v1/models/{profile.model_name}/versions/"
                              f"{profile.model_version}")["modelVersion"]
            self.assertEqual(int(version["version"]), profile.model_version)  # a number, not an id
            api.get(f"/api/v1/checkpoints/{profile.checkpoint_uuid}")
            api.get(f"/api/v1/tasks/{profile.task_id}")


class TestAutodiscoverTolerance(unittest.TestCase):
    def test_missing_keys_and_failing_lookups_become_notes(self):
        client = FakeClient({"/api/v1/me": {"user": {"id": 4, "username": "bob"}},
                             "/api/v1/master": {},
                             "/api/v1/experiments": {"experiments": []},
                             "/api/v1/workspaces": {"workspaces": [{"id": 2}]},
                             "/api/v1/workspaces/2/projects": {"projects": [{"id": 9}]},
                             "/api/v1/models": {"models": [{"name": "m", "numVersions": 0}]},
                             "/api/v1/resource-pools": {},
                             "/api/v1/tasks": {"allocationIdToSummary": {}},
                             "/api/v1/templates": {"templates": [{"name": "t"}]}})
        profile = autodiscover(client)
        self.assertTrue(client.logged_out)
        self.assertEqual((profile.user_id, profile.user_name), (4, "bob"))
        self.assertEqual((profile.workspace_id, profile.project_id), (2, 9))
        self.assertEqual(profile.template_name, "t")
        self.assertIsNone(profile.experiment_id)
        self.assertIsNone(profile.model_name)
        self.assertEqual(len(profile.notes), 4)  # experiment, model, resource pool, task
        mix = build_mix("ro", profile)
        self.assertEqual(mix.skipped["get trial"], ["trial_id"])
        self.assertEqual(mix.skipped["get model version"], ["model_name", "model_version"])
        self.assertNotIn("get workspace", mix.skipped)

    def test_pages_follow_pagination_and_stay_bounded(self):
        def page(params):
            offset = params["offset"]
            return {"items": [offset], "pagination": {"endIndex": offset + 1, "total": 10**6}}
        client = FakeClient({"/x": page})
        items = list(pages(client, "/x", "items"))
        self.assertEqual(items, list(range(MAX_PAGES)))
        short = FakeClient({"/y": {"items": [1, 2], "pagination": {"endIndex": 2, "total": 2}}})
        self.assertEqual(list(pages(short, "/y", "items")), [1, 2])
        self.assertEqual(len(short.calls), 1)


class TestFixedProfiles(unittest.TestCase):
    def test_original_keys_and_types(self):
        profile = fixed_profile("ci_snapshot", {"user_id": "20", "model_version_number": "1",
                                                "experiment_id": "100", "rbac_enabled": "false",
                                                "resource_pool": "compute-pool",
                                                "checkpoint_id": ""})
        self.assertEqual(profile, ResourceProfile(source="ci_snapshot", user_id=20, model_version=1,
                                                  experiment_id=100, resource_pool="compute-pool"))

    def test_errors_name_the_key(self):
        with self.assertRaisesRegex(ConfigError, r"\[profile.ci\] expriment_id: unknown key"):
            fixed_profile("ci", {"expriment_id": "1"})
        with self.assertRaisesRegex(ConfigError, r"\[profile.ci\] trial_id: expected an integer"):
            fixed_profile("ci", {"trial_id": "abc"})


if __name__ == "__main__":
    unittest.main()
