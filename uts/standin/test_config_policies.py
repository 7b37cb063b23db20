"""Task config policies through the real ``det config-policies`` CLI and the SDK bindings."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase

POLICIES = """constraints:
  priority_limit: 10
  resources:
    max_slots: 4
invariant_config:
  description: kept
"""


class TestConfigPolicies(ClientTestCase):
    uses_cli = True

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory(prefix="standin-policies-")
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def document(self, text: str, name: str = "policies.yaml") -> str:
        path = self.folder / name
        path.write_text(text)
        return str(path)

    def test_set_describe_delete_in_a_workspace_and_globally(self) -> None:
        workspace = f"policies-{self.id().rsplit('.', 1)[-1][5:20]}"
        self.cli.ok("workspace", "create", workspace)
        path = self.document(POLICIES)
        for scope in (["--workspace-name", workspace], []):
            with self.subTest(scope=scope):
                shown = self.cli.ok("config-policies", "set", "experiment", path, *scope)
                self.assertEqual(yaml.safe_load(shown.split("\n", 1)[1]), yaml.safe_load(POLICIES))
                described = self.cli.ok("config-policies", "describe", "experiment", *scope,
                                        "--json")
                self.assertEqual(json.loads(described), yaml.safe_load(POLICIES))
                deleted = self.cli.ok("config-policies", "delete", "experiment", *scope)
                self.assertIn("Successfully deleted", deleted)
                after = self.cli.ok("config-policies", "describe", "experiment", *scope, "--json")
                self.assertEqual(json.loads(after), {})
        # a JSON document is read as well
        as_json = self.document(json.dumps(yaml.safe_load(POLICIES)), "policies.json")
        self.cli.ok("config-policies", "set", "experiment", as_json)
        self.assertEqual(bindings.get_GetGlobalConfigPolicies(
            self.session, workloadType="EXPERIMENT").configPolicies, yaml.safe_load(POLICIES))
        bindings.delete_DeleteGlobalConfigPolicies(self.session, workloadType="EXPERIMENT")

    def test_the_masters_refusals(self) -> None:
        def put(workload: str, text: str) -> str:
            with self.assertRaises(errors.APIException) as refused:
                bindings.put_PutGlobalConfigPolicies(
                    self.session, workloadType=workload, body=bindings.v1PutGlobalConfigPoliciesRequest(
                        workloadType=workload, configPolicies=text))
            return str(json.loads(refused.exception.message)["message"])

        self.assertIn("invalid workload type: OTHER", (put("OTHER", POLICIES)))
        self.assertIn("no specified config policies", (put("EXPERIMENT", "")))
        self.assertIn('unknown field "extra"', (put("EXPERIMENT", "extra: 1\n")))
        self.assertIn('unknown field "gpus"',
                      (put("EXPERIMENT", "constraints:\n  resources:\n    gpus: 1\n")))
        self.assertIn("invariant config policies for tasks is not yet supported",
                      (put("NTSC", "invariant_config:\n  description: x\n")))
        self.assertIn("trying to set the max slots", (put("EXPERIMENT", (
            "constraints:\n  resources:\n    max_slots: 4\n"
            "invariant_config:\n  resources:\n    max_slots: 8\n"))))
        with self.assertRaises(errors.ForbiddenException):
            bindings.put_PutGlobalConfigPolicies(
                self.sdk_as("determined")._session, workloadType="NTSC",
                body=bindings.v1PutGlobalConfigPoliciesRequest(
                    workloadType="NTSC", configPolicies="constraints:\n  priority_limit: 3\n"))
