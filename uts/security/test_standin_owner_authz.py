"""Owners in the stand-in, as in Determined 0.38.1 with RBAC off: a user changes only the
workspaces, projects and webhooks the basic authz lets them change (workspace/, project/ and
webhooks/ authz_basic_impl.go), with the master's status, code and message; owners and admins
still succeed."""
from __future__ import annotations

import itertools

import requests
from determined.common.api import errors
from determined.experimental import client

from daist.standin.common.regex import MAX_PATTERN_CHARS
from uts.security.accounts import ADMIN_PW, UsersTestCase
from uts.standin.support import quiet

ALICE_PW, BOB_PW = "Al1ce-pw", "B0b-pw-12"
STATE_TRIGGER = [{"triggerType": "TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE",
                  "condition": {"state": "COMPLETED"}}]
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


class TestOwnerRules(UsersTestCase):
    users = {"alice": ALICE_PW, "bob": BOB_PW}

    def setUp(self) -> None:
        self.admin = self.login("admin", ADMIN_PW)
        self.alice = self.login("alice", ALICE_PW)
        self.bob = self.login("bob", BOB_PW)

    def client_of(self, username: str, password: str) -> client.Determined:
        with quiet():
            return client.Determined(self.url, username, password)

    def call(self, session: requests.Session, method: str, path: str,
             json: object = None) -> requests.Response:
        return session.request(method, f"{self.url}/api/v1{path}", json=json, timeout=10)

    def ok(self, session: requests.Session, method: str, path: str, json: object = None) -> dict:
        response = self.call(session, method, path, json)
        self.assertEqual(response.status_code, 200, f"{method} {path}: {response.text}")
        return response.json()

    def assert_refused(self, response: requests.Response, message: str, *,
                       status: int = 403, code: int = 7) -> None:
        self.assertEqual((response.status_code, response.json()["code"]), (status, code),
                         response.text)
        self.assertEqual(response.json()["message"], message)

    def workspace_of(self, session: requests.Session) -> dict:
        return self.ok(session, "POST", "/workspaces", {"name": unique("ws")})["workspace"]

    def project_in(self, session: requests.Session, workspace_id: int) -> dict:
        return self.ok(session, "POST", f"/workspaces/{workspace_id}/projects",
                       {"name": unique("proj")})["project"]

    # -- workspaces ---------------------------------------------------------------------------
    def test_only_the_owner_or_an_admin_changes_a_workspace(self) -> None:
        workspace = self.workspace_of(self.alice)
        path = f"/workspaces/{workspace['id']}"
        self.assert_refused(self.call(self.bob, "PATCH", path, {"name": "bobs"}),
                            "only admins may set other user's workspaces names")
        self.assert_refused(
            self.call(self.bob, "PATCH", path, {"checkpointStorageConfig": {
                "type": "shared_fs", "host_path": "/tmp"}}),
            "only admins may set checkpoint storage config on other user's workspaces")
        for action in ("archive", "unarchive"):
            with self.subTest(action=action):
                self.assert_refused(self.call(self.bob, "POST", f"{path}/{action}"),
                                    f"only admins may {action} other user's workspaces")
        self.assert_refused(self.call(self.bob, "DELETE", path),
                            "only admins may delete other user's workspaces")
        # the same name is no change, and pins are everyone's
        self.ok(self.bob, "PATCH", path, {"name": workspace["name"]})
        self.ok(self.bob, "POST", f"{path}/pin")
        self.ok(self.bob, "POST", f"{path}/unpin")
        renamed = unique("alices")
        self.assertEqual(self.ok(self.alice, "PATCH", path, {"name": renamed})["workspace"]["name"],
                         renamed)
        self.ok(self.admin, "POST", f"{path}/archive")
        self.ok(self.alice, "POST", f"{path}/unarchive")
        self.client_of("alice", ALICE_PW).delete_workspace(renamed)
        self.assertEqual(self.call(self.alice, "GET", path).status_code, 404)

    def test_agent_user_groups_are_for_admins(self) -> None:
        group = {"agentUid": 0, "agentGid": 0, "agentUser": "root", "agentGroup": "root"}
        message = "only admin privileged users can set workspace agent user groups"
        self.assert_refused(self.call(self.alice, "POST", "/workspaces",
                                      {"name": unique("ws"), "agentUserGroup": group}), message)
        own = self.workspace_of(self.alice)
        self.assert_refused(self.call(self.alice, "PATCH", f"/workspaces/{own['id']}",
                                      {"agentUserGroup": group}), message)
        self.ok(self.admin, "PATCH", f"/workspaces/{own['id']}", {"agentUserGroup": group})

    # -- projects -----------------------------------------------------------------------------
    def test_a_stranger_cannot_change_a_project(self) -> None:
        workspace = self.client_of("alice", ALICE_PW).create_workspace(unique("ws"))
        name = workspace.create_project(unique("proj")).name
        project = self.client_of("bob", BOB_PW).get_workspace(workspace.name).get_project(name)
        changes = {"name": lambda: project.set_name("bobs"),
                   "description": lambda: project.set_description("b"),
                   "key": lambda: project.set_key("BOBS"),
                   "archive": project.archive, "unarchive": project.unarchive}
        for label, change in changes.items():
            with self.subTest(change=label), self.assertRaises(errors.ForbiddenException):
                change()
        bobs = self.client_of("bob", BOB_PW).get_workspace(workspace.name)
        with self.assertRaises(errors.ForbiddenException):
            bobs.delete_project(name)
        response = self.call(self.bob, "DELETE", f"/projects/{project.id}")
        self.assert_refused(response, "can't delete project: non admin users need to own the"
                                      " project or workspace")
        project.reload()
        self.assertEqual(project.name, name)

    def test_the_workspace_owner_changes_projects_in_it(self) -> None:
        workspace = self.workspace_of(self.alice)
        project = self.project_in(self.bob, workspace["id"])
        path = f"/projects/{project['id']}"
        self.ok(self.alice, "PATCH", path, {"name": unique("renamed"), "description": "d"})
        self.ok(self.alice, "POST", f"{path}/archive")
        self.ok(self.alice, "POST", f"{path}/unarchive")
        self.ok(self.alice, "DELETE", path)

    def test_the_project_owner_alone_may_archive_and_delete_but_not_rename(self) -> None:
        workspace = self.workspace_of(self.admin)
        project = self.project_in(self.bob, workspace["id"])
        path = f"/projects/{project['id']}"
        # the master reads the project without its owner when patching (UpdateProject)
        self.assert_refused(self.call(self.bob, "PATCH", path, {"description": "mine"}),
                            "can't set project name: non admin users need to own the project"
                            " or workspace")
        self.ok(self.bob, "POST", f"{path}/archive")
        self.ok(self.bob, "POST", f"{path}/unarchive")
        self.ok(self.admin, "PATCH", path, {"key": "ADMK"})
        self.ok(self.bob, "DELETE", path)

    def test_only_the_project_owner_or_an_admin_moves_a_project(self) -> None:
        source, target = self.workspace_of(self.alice), self.workspace_of(self.alice)
        project = self.project_in(self.bob, source["id"])
        path = f"/projects/{project['id']}/move"
        self.assert_refused(
            self.call(self.alice, "POST", path, {"destinationWorkspaceId": target["id"]}),
            "non admin users can't move projects that someone else owns")
        self.ok(self.bob, "POST", path, {"destinationWorkspaceId": target["id"]})
        self.ok(self.admin, "POST", path, {"destinationWorkspaceId": source["id"]})

    # -- webhooks -----------------------------------------------------------------------------
    def test_webhooks_belong_to_admins_and_workspace_owners(self) -> None:
        def hook(workspace_id: int | None) -> dict:
            body = {"url": "http://127.0.0.1:9/hook", "triggers": STATE_TRIGGER,
                    "name": unique("hook")}
            return body if workspace_id is None else {**body, "workspaceId": workspace_id}

        message = "non admin users can't edit global webhooks"
        workspace = self.workspace_of(self.alice)
        # the master returns this denial as a plain error: its gateway answers 500 / INTERNAL
        self.assert_refused(self.call(self.bob, "POST", "/webhooks", hook(None)), message,
                            status=500, code=13)
        self.assert_refused(self.call(self.bob, "POST", "/webhooks", hook(workspace["id"])),
                            message, status=500, code=13)
        alices = self.ok(self.alice, "POST", "/webhooks", hook(workspace["id"]))["webhook"]
        global_hook = self.ok(self.admin, "POST", "/webhooks", hook(None))["webhook"]
        for method, suffix in (("DELETE", ""), ("PATCH", ""), ("POST", "/test")):
            with self.subTest(method=method, suffix=suffix):
                for session, target in ((self.bob, alices), (self.alice, global_hook)):
                    response = self.call(session, method, f"/webhooks/{target['id']}{suffix}",
                                         {"url": "http://127.0.0.1:9/x"})
                    self.assert_refused(response, message, status=500, code=13)
        seen_by_bob = {w["id"] for w in self.ok(self.bob, "GET", "/webhooks")["webhooks"]}
        self.assertIn(global_hook["id"], seen_by_bob)
        self.assertNotIn(alices["id"], seen_by_bob)
        seen_by_admin = {w["id"] for w in self.ok(self.admin, "GET", "/webhooks")["webhooks"]}
        self.assertLessEqual({global_hook["id"], alices["id"]}, seen_by_admin)
        self.ok(self.alice, "DELETE", f"/webhooks/{alices['id']}")
        self.ok(self.admin, "DELETE", f"/webhooks/{global_hook['id']}")

    def test_a_task_log_regex_go_refuses_is_refused_and_backtracking_ones_are_taken(self) -> None:
        """RE2, as the master's Go regexp: no back-references, atomic groups or look-arounds;
        patterns exponential for a backtracking engine match in linear time, so they are taken."""
        def task_log(regex: str) -> dict:
            return {"url": "http://127.0.0.1:9/hook", "name": unique("log-hook"),
                    "triggers": [{"triggerType": "TRIGGER_TYPE_TASK_LOG",
                                  "condition": {"regex": regex}}]}

        for regex in (r"(\w+)\1", "(?>a+)+b", "(?!x)y", "e" * (MAX_PATTERN_CHARS + 1)):
            with self.subTest(regex=regex):
                response = self.call(self.admin, "POST", "/webhooks", task_log(regex))
                self.assertEqual((response.status_code, response.json()["code"]), (400, 3),
                                 response.text)
                self.assertIn("webhook task log regex", response.json()["message"])
        for regex in ("(a+)+$", "^(x|xx)*y", ".*.*.*=", "a?" * 40 + "a" * 40, r"ERROR .*failed"):
            with self.subTest(regex=regex):
                accepted = self.ok(self.admin, "POST", "/webhooks", task_log(regex))
                self.ok(self.admin, "DELETE", f"/webhooks/{accepted['webhook']['id']}")
