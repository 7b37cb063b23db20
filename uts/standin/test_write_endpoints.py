"""The write endpoints TestRW uses, driven through the real SDK bindings: each creates or
removes rows that /standin/counts shows, and everything created can be removed again."""
from __future__ import annotations

import unittest

from determined.common import api
from determined.common.api import bindings as b

from uts.standin.support import MasterTestCase


class TestWriteEndpoints(MasterTestCase):
    master_options = {"scale": 20}

    def setUp(self) -> None:
        token = self.login().headers["Authorization"].split()[1]
        self.session = api.Session(self.url, username="admin", token=token, cert=None)
        self.before = self.counts()

    def test_projects_and_notes(self) -> None:
        project = b.post_PostProject(self.session, workspaceId=2, body=b.v1PostProjectRequest(
            name="rw-project", workspaceId=2, description="made by a test")).project
        self.assertEqual(self.counts()["projects"], self.before["projects"] + 1)
        patched = b.patch_PatchProject(self.session, id=project.id,
                                       body=b.v1PatchProject(description="patched")).project
        self.assertEqual(patched.description, "patched")
        notes = b.post_AddProjectNote(self.session, projectId=project.id,
                                      body=b.v1Note(name="n1", contents="c1")).notes
        self.assertEqual([n.name for n in notes], ["n1"])
        notes = b.put_PutProjectNotes(self.session, projectId=project.id, body=b.v1PutProjectNotesRequest(
            projectId=project.id, notes=[b.v1Note(name="a", contents="x"),
                                         b.v1Note(name="b", contents="y")])).notes
        self.assertEqual(self.counts()["notes"], self.before["notes"] + 2)
        self.assertTrue(b.delete_DeleteProject(self.session, id=project.id).completed)
        self.assertEqual(self.counts(), self.before)

    def test_models_and_versions(self) -> None:
        checkpoint = b.get_GetTrial(self.session, trialId=1).trial.bestCheckpoint.uuid
        model = b.post_PostModel(self.session, body=b.v1PostModelRequest(
            name="rw-model", labels=["rw"], metadata={"a": 1})).model
        model = b.patch_PatchModel(self.session, modelName=model.name,
                                   body=b.v1PatchModel(description="patched")).model
        self.assertEqual(model.description, "patched")
        versions = [b.post_PostModelVersion(self.session, modelName=model.name,
                                            body=b.v1PostModelVersionRequest(
                                                checkpointUuid=checkpoint, modelName=model.name)
                                            ).modelVersion.version for _ in range(2)]
        self.assertEqual(versions, [1, 2])
        self.assertEqual(self.counts()["model_versions"], self.before["model_versions"] + 2)
        b.delete_DeleteModelVersion(self.session, modelName=model.name, modelVersionNum=2)
        b.delete_DeleteModel(self.session, modelName=model.name)
        self.assertEqual(self.counts(), self.before)

    def test_experiment_labels_and_patch(self) -> None:
        labels = b.put_PutExperimentLabel(self.session, experimentId=2, label="rw").labels
        self.assertIn("rw", labels)
        self.assertEqual(self.counts()["experiment_labels"], self.before["experiment_labels"] + 1)
        patched = b.patch_PatchExperiment(self.session, experiment_id=2, body=b.v1PatchExperiment(
            id=2, notes="some notes", description="described")).experiment
        self.assertEqual((patched.notes, patched.description), ("some notes", "described"))
        self.assertNotIn("rw", b.delete_DeleteExperimentLabel(self.session, experimentId=2,
                                                              label="rw").labels)
        self.assertEqual(self.counts(), self.before)

    def test_settings_webhooks_templates(self) -> None:
        b.post_PostUserSetting(self.session, body=b.v1PostUserSettingRequest(
            settings=[b.v1UserWebSetting(key="theme", value="dark")]))
        self.assertEqual(b.get_GetUserSetting(self.session).settings[0].value, "dark")
        hook = b.post_PostWebhook(self.session, body=b.v1Webhook(
            name="rw-hook", url="http://127.0.0.1:9/x", mode=b.v1WebhookMode.WORKSPACE,
            webhookType=b.v1WebhookType.DEFAULT, triggers=[b.v1Trigger(
                triggerType=b.v1TriggerType.EXPERIMENT_STATE_CHANGE,
                condition={"state": "COMPLETED"})])).webhook
        template = b.post_PostTemplate(self.session, template_name="rw-template", body=b.v1Template(
            name="rw-template", config={"resources": {"slots_per_trial": 2}}, workspaceId=1)).template
        self.assertEqual(template.config["resources"]["slots_per_trial"], 2)
        grown = self.counts()
        self.assertEqual(grown["webhooks"], self.before["webhooks"] + 1)
        self.assertEqual(grown["templates"], self.before["templates"] + 1)
        b.delete_DeleteWebhook(self.session, id=hook.id)
        b.delete_DeleteTemplate(self.session, templateName="rw-template")
        b.post_ResetUserSetting(self.session)
        self.assertEqual(self.counts(), self.before)

    def test_set_password_then_login_with_it(self) -> None:
        user = b.post_SetUserPassword(self.session, userId=2, body="S3cret-pass").user
        self.assertEqual(user.username, "determined")
        with self.assertRaises(AssertionError):
            self.login("determined", "")
        self.login("determined", "S3cret-pass")
        b.post_SetUserPassword(self.session, userId=2, body="")

    def test_errors_map_to_sdk_exceptions(self) -> None:
        with self.assertRaises(api.errors.NotFoundException):
            b.get_GetExperiment(self.session, experimentId=999999)
        with self.assertRaises(api.errors.APIException) as caught:
            b.post_PostModel(self.session, body=b.v1PostModelRequest(name="model-0001"))
        self.assertIn("already exists", str(caught.exception))
        with self.assertRaises(api.errors.APIException):
            b.delete_DeleteProject(self.session, id=1)  # immutable Uncategorized


if __name__ == "__main__":
    unittest.main()
