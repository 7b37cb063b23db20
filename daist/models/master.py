"""What the master says about itself (GET /api/v1/master), saved by the target check."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daist.models.base import Artifact


@dataclass
class MasterInfo(Artifact):
    url: str = ""
    version: str = ""
    cluster_name: str = ""
    cluster_id: str = ""
    rbac_enabled: bool = False
    latency_ms: float = 0.0
    """Round trip of the GET that produced this record."""
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, url: str, body: dict[str, Any], *, latency_ms: float) -> MasterInfo:
        return cls(url=url, version=str(body.get("version", "")),
                   cluster_name=str(body.get("clusterName", "")),
                   cluster_id=str(body.get("clusterId", "")),
                   rbac_enabled=bool(body.get("rbacEnabled", False)), latency_ms=latency_ms,
                   raw=body)
