from daist.framework.master_client import MasterClient
from daist.rest_api.cleanup import remove_own_objects
from uts.harness import StandinTestCase
from uts.rest_api.loadruns import counts

PREFIX = "daist-rw-abc123"


class TestSweep(StandinTestCase):
    standin_options = {"scale": 10, "passwords": {"admin": "pw"}}

    def test_removes_only_objects_with_the_run_prefix(self):
        before = counts(self.url)
        with MasterClient(self.url) as api:
            api.login("admin", "pw")
            for index in range(3):
                project = api.post("/api/v1/workspaces/2/projects",  # Uncategorized is immutable
                                   {"name": f"{PREFIX}-1234-p{index}", "workspaceId": 2})["project"]
                api.post(f"/api/v1/projects/{project['id']}/notes", {"name": "n", "contents": "c"})
                api.post("/api/v1/models", {"name": f"{PREFIX}-1234-m{index}", "workspaceId": 1})
            api.post("/api/v1/models", {"name": "someone-else", "workspaceId": 1})
        removed = remove_own_objects(self.url, user="admin", password="pw", prefix=PREFIX,
                                     workspace_id=2)
        self.assertEqual(removed, 6)
        after = counts(self.url)
        self.assertEqual((after["projects"], after["notes"]), (before["projects"], before["notes"]))
        self.assertEqual(after["models"], before["models"] + 1)          # not ours: kept
        self.assertEqual(after["tokens"], before["tokens"])             # logged out
