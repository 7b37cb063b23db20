"""User groups, roles and role assignments as a 0.38.1 master keeps them: with RBAC off
(its basic authz) through the SDK bindings, with ``--rbac`` through the real ``det`` CLI."""
from __future__ import annotations

import json

from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase


def _assign(role_id: int, *, user_id: int = 0, group_id: int = 0,
            workspace_id: int | None = None) -> bindings.v1AssignRolesRequest:
    assignment = bindings.v1RoleAssignment(role=bindings.v1Role(roleId=role_id),
                                           scopeWorkspaceId=workspace_id)
    if user_id:
        return bindings.v1AssignRolesRequest(userRoleAssignments=[
            bindings.v1UserRoleAssignment(userId=user_id, roleAssignment=assignment)])
    return bindings.v1AssignRolesRequest(groupRoleAssignments=[
        bindings.v1GroupRoleAssignment(groupId=group_id, roleAssignment=assignment)])


class TestRbacOff(ClientTestCase):
    master_options = {"scale": 0}  # no seeded groups: what a fresh master has

    def test_groups_are_made_changed_listed_and_deleted_by_admins(self) -> None:
        group = bindings.post_CreateGroup(self.session, body=bindings.v1CreateGroupRequest(
            name="crew", addUsers=[2])).group
        self.assertEqual([u.username for u in group.users], ["determined"])
        found = bindings.post_GetGroups(self.session, body=bindings.v1GetGroupsRequest(
            limit=10, name="cre")).groups
        self.assertEqual([(g.group.name, g.numMembers) for g in found], [("crew", 1)])
        with self.assertRaisesRegex(errors.APIException, "limit is required"):
            bindings.post_GetGroups(self.session, body=bindings.v1GetGroupsRequest(limit=0))
        renamed = bindings.put_UpdateGroup(self.session, groupId=group.groupId,
                                           body=bindings.v1UpdateGroupRequest(
                                               groupId=group.groupId, name="crew2",
                                               removeUsers=[2], addUsers=[1])).group
        self.assertEqual((renamed.name, [u.id for u in renamed.users]), ("crew2", [1]))
        with self.assertRaises(errors.ForbiddenException):
            bindings.post_CreateGroup(self.sdk_as("determined")._session,
                                      body=bindings.v1CreateGroupRequest(name="nope"))
        bindings.delete_DeleteGroup(self.session, groupId=group.groupId)
        with self.assertRaisesRegex(errors.NotFoundException, "Error getting group"):
            bindings.get_GetGroup(self.session, groupId=group.groupId)

    def test_assignments_are_stored_listed_and_removed(self) -> None:
        admin_roles = bindings.get_GetPermissionsSummary(self.session)
        self.assertEqual([(a.roleId, a.scopeCluster) for a in admin_roles.assignments],
                         [(1, True)])  # the master's migrations make admin ClusterAdmin
        workspace = bindings.post_PostWorkspace(self.session, body=bindings.v1PostWorkspaceRequest(
            name="rbac-ws")).workspace
        group = bindings.post_CreateGroup(self.session, body=bindings.v1CreateGroupRequest(
            name="viewers", addUsers=[2])).group
        bindings.post_AssignRoles(self.session, body=_assign(4, group_id=group.groupId,
                                                             workspace_id=workspace.id))
        with self.assertRaisesRegex(errors.APIException, "row already exists"):
            bindings.post_AssignRoles(self.session, body=_assign(4, group_id=group.groupId,
                                                                 workspace_id=workspace.id))
        with self.assertRaisesRegex(errors.APIException, "global-only permission"):
            bindings.post_AssignRoles(self.session, body=_assign(1, user_id=2,
                                                                 workspace_id=workspace.id))
        summary = bindings.get_GetPermissionsSummary(self.sdk_as("determined")._session)
        self.assertEqual([(a.roleId, a.scopeWorkspaceIds) for a in summary.assignments],
                         [(4, [workspace.id])])
        members = bindings.get_GetGroupsAndUsersAssignedToWorkspace(
            self.session, workspaceId=workspace.id)
        # the creator is WorkspaceAdmin of a new workspace, as the master's default config has it
        self.assertEqual([u.username for u in members.usersAssignedDirectly], ["admin"])
        self.assertEqual([g.name for g in members.groups], ["viewers"])
        with self.assertRaises(errors.ForbiddenException):
            bindings.post_AssignRoles(self.sdk_as("determined")._session,
                                      body=_assign(5, user_id=2))
        bindings.post_RemoveAssignments(self.session, body=bindings.v1RemoveAssignmentsRequest(
            groupRoleAssignments=_assign(4, group_id=group.groupId,
                                         workspace_id=workspace.id).groupRoleAssignments))
        after = bindings.get_GetRolesAssignedToGroup(self.session, groupId=group.groupId)
        self.assertEqual(after.assignments or [], [])


class TestRbacOnThroughTheCli(ClientTestCase):
    master_options = {"scale": 10, "rbac": True}
    uses_cli = True

    def test_assign_list_and_unassign_a_role(self) -> None:
        self.cli.ok("user-group", "create", "ops", "--add-user", "determined")
        self.cli.ok("rbac", "assign-role", "Editor", "--group-name-to-assign", "ops")
        listed = json.loads(self.cli.ok("rbac", "list-users-roles", "determined", "--json"))
        self.assertEqual([(r["role"]["name"], [a["roleAssignment"]["scopeCluster"]
                                               for a in r["groupRoleAssignments"]])
                          for r in listed["roles"]], [("Editor", [True])])
        table = self.cli.ok("rbac", "list-users-roles", "determined")
        self.assertIn("ops", table)
        described = json.loads(self.cli.ok("rbac", "describe-role", "Editor", "--json"))
        self.assertEqual(len(described["groupRoleAssignments"]), 1)
        self.cli.ok("rbac", "unassign-role", "Editor", "--group-name-to-assign", "ops")
        self.assertEqual(json.loads(self.cli.ok("rbac", "list-users-roles", "determined",
                                                "--json"))["roles"], [])
