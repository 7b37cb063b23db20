"""The read/write test's safety net: after the load (also after a failure or an interrupt)
remove every project and model whose name carries this run's prefix. The users delete their
own objects when they stop; this catches what a killed user or a failed delete left."""
from __future__ import annotations

from daist.framework.master_client import MasterClient, pages


def remove_own_objects(url: str, *, user: str, password: str, prefix: str,
                       workspace_id: int | None) -> int:
    """Delete projects (in ``workspace_id``) and models named ``<prefix>...``; returns how many."""
    removed = 0
    with MasterClient(url) as api:
        api.login(user, password)
        if workspace_id is not None:
            projects = [p for p in pages(api, f"/api/v1/workspaces/{workspace_id}/projects",
                                         "projects") if str(p.get("name", "")).startswith(prefix)]
            for project in projects:
                api.request("DELETE", f"/api/v1/projects/{project['id']}", ok=(200, 404))
                removed += 1
        models = [m for m in pages(api, "/api/v1/models", "models")
                  if str(m.get("name", "")).startswith(prefix)]
        for model in models:
            api.request("DELETE", f"/api/v1/models/{model['name']}", ok=(200, 404))
            removed += 1
    return removed
