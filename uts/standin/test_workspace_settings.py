"""A workspace's settings as the master keeps them (checkpoint storage, agent user group),
resource-pool bindings to workspaces, and a pool's task container defaults, through the real
SDK and ``det`` CLI."""
from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.det_cli import ClientTestCase
from uts.standin.support import UNSET_SAVE_COUNTS


class SettingsCase(ClientTestCase):
    uses_cli = True

    def name(self) -> str:
        return f"ws-{uuid.uuid4().hex[:12]}"

    def create(self, **fields: object) -> bindings.v1Workspace:
        return bindings.post_PostWorkspace(self.session, body=bindings.v1PostWorkspaceRequest(
            name=self.name(), **fields)).workspace  # type: ignore[arg-type]


class TestWorkspaceSettings(SettingsCase):
    def test_create_keeps_checkpoint_storage_from_a_cli_file(self) -> None:
        name = self.name()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "storage.json")
            path.write_text('{"type": "shared_fs", "host_path": "/tmp/cp", "unknown": 1}')
            self.cli.ok("workspace", "create", name, "--checkpoint-storage-config-file", str(path))
        described = json.loads(self.cli.ok("workspace", "describe", name, "--json"))
        self.assertEqual(described["checkpointStorageConfig"], {
            "type": "shared_fs", "host_path": "/tmp/cp", "storage_path": None,
            "propagation": None, **UNSET_SAVE_COUNTS})

    def test_create_refuses_incomplete_storage_and_names_as_the_master(self) -> None:
        for fields, message in (({"checkpointStorageConfig": {"type": "s3"}}, "bucket"),
                                ({"name": " "}, "at least non-whitespace letter"),
                                ({"name": "x" * 81}, "must be at most 53 character long")):
            with self.subTest(fields=fields), self.assertRaises(errors.APIException) as refused:
                body = {"name": self.name(), **fields}
                bindings.post_PostWorkspace(self.session,
                                            body=bindings.v1PostWorkspaceRequest(**body))
            self.assertIn(message, str(refused.exception))
        taken = self.create().name
        with self.assertRaises(errors.APIException) as twice:
            bindings.post_PostWorkspace(self.session, body=bindings.v1PostWorkspaceRequest(
                name=taken.upper()))
        self.assertIn("avoid names equal to other workspaces", str(twice.exception))

    def test_agent_user_group_survives_a_rename_and_is_replaced_whole(self) -> None:
        workspace = self.create(agentUserGroup=bindings.v1AgentUserGroup(
            agentGid=1234, agentGroup="grp"))
        self.assertEqual((workspace.agentUserGroup.agentGid, workspace.agentUserGroup.agentGroup,
                          workspace.agentUserGroup.agentUid), (1234, "grp", None))
        renamed = bindings.patch_PatchWorkspace(self.session, id=workspace.id,
                                                body=bindings.v1PatchWorkspace(
                                                    name=workspace.name + " renamed")).workspace
        self.assertEqual(renamed.agentUserGroup.agentGid, 1234)
        replaced = bindings.patch_PatchWorkspace(
            self.session, id=workspace.id, body=bindings.v1PatchWorkspace(
                agentUserGroup=bindings.v1AgentUserGroup(agentUid=42))).workspace
        self.assertEqual((replaced.agentUserGroup.agentUid, replaced.agentUserGroup.agentGid),
                         (42, None))
        shown = bindings.get_GetWorkspace(self.session, id=workspace.id).workspace
        self.assertEqual(shown.agentUserGroup.to_json(), replaced.agentUserGroup.to_json())


class TestPoolBindings(SettingsCase):
    def bound(self) -> list[int]:
        return bindings.get_ListWorkspacesBoundToRP(
            self.session, resourcePoolName="compute-pool").workspaceIds or []

    def test_the_default_pool_cannot_be_bound(self) -> None:
        names = [self.create().name]
        with self.assertRaisesRegex(errors.APIException,
                                    "default resource pool default cannot be bound to any"
                                    " workspace"):
            client.ResourcePool(self.session, "default").add_bindings(names)

    def test_bind_list_overwrite_unbind_and_their_errors(self) -> None:
        first, second = self.create(), self.create()
        pool = client.ResourcePool(self.session, "compute-pool")
        pool.add_bindings([first.name])
        self.assertEqual(self.bound(), [first.id])
        # bound to first only: the other workspace no longer sees it, the unbound list lacks it
        self.assertEqual(bindings.get_ListRPsBoundToWorkspace(
            self.session, workspaceId=second.id).resourcePools, ["default"])
        self.assertEqual(bindings.get_ListRPsBoundToWorkspace(
            self.session, workspaceId=first.id).resourcePools, ["compute-pool", "default"])
        unbound = bindings.get_GetResourcePools(self.session, unbound=True).resourcePools
        self.assertEqual([p.name for p in unbound], ["default"])
        with self.assertRaisesRegex(errors.APIException, "duplicate key value"):
            pool.add_bindings([first.name])
        with self.assertRaisesRegex(errors.APIException,
                                    r"the following workspaces do not exist: \[nope\]"):
            pool.add_bindings(["nope"])
        pool.replace_bindings([second.name])
        self.assertEqual(self.bound(), [second.id])
        with self.assertRaisesRegex(errors.APIException, "binding doesn't exist"):
            pool.remove_bindings([first.name])
        pool.remove_bindings([second.name])
        self.assertEqual(self.bound(), [])

    def test_only_admins_bind_and_a_default_pool_must_be_available(self) -> None:
        workspace = self.create()
        bindings.post_PostUser(self.session, body=bindings.v1PostUserRequest(
            user=bindings.v1User(username="binder", admin=False, active=True), password=""))
        with self.assertRaisesRegex(errors.APIException, "only admin privileged users can bind"):
            client.ResourcePool(self.sdk_as("binder")._session, "compute-pool").add_bindings(
                [workspace.name])
        other = self.create()
        client.ResourcePool(self.session, "compute-pool").add_bindings([other.name])
        with self.assertRaisesRegex(errors.APIException, "not available to the workspace"):
            bindings.patch_PatchWorkspace(self.session, id=workspace.id,
                                          body=bindings.v1PatchWorkspace(
                                              defaultComputeResourcePool="compute-pool"))
        client.ResourcePool(self.session, "compute-pool").remove_bindings([other.name])


class TestPoolTaskContainerDefaults(SettingsCase):
    def test_a_pools_environment_variables_come_before_the_configs(self) -> None:
        config = json.loads(self.cli.ok("master", "config", "--json"))
        pools = {p["pool_name"]: p["task_container_defaults"] for p in config["resource_pools"]}
        pool_env = pools["compute-pool"]["environment_variables"]
        self.assertTrue(pool_env)
        created = bindings.post_CreateExperiment(self.session, body=bindings.v1CreateExperimentRequest(
            activate=False, config=json.dumps({
                "entrypoint": "true", "searcher": {"name": "single", "metric": "x"},
                "resources": {"resource_pool": "compute-pool"},
                "environment": {"environment_variables": ["MINE=1"]}}),
            modelDefinition=[]))
        self.assertEqual(created.config["environment"]["environment_variables"]["cpu"],
                         [*pool_env, "MINE=1"])
        client.Experiment(created.experiment.id, self.session).kill()
