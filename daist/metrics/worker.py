"""The metric tests' side of a daist Locust worker (``python -m daist.worker``): the simulated
trials' user class, built from ``daist_spec`` with this worker's own session on its target
(``DET_USER``/``DET_PASSWORD`` from its environment: no credential travels)."""
from __future__ import annotations

import os

from daist.engine.distributed import Built
from daist.engine.tally import ExactTally
from daist.framework.master_client import MasterClient
from daist.metrics.trial_user import TrialSpec, build_trial_user

KIND = "metrics"


def build(data: dict, target: str) -> Built:
    spec = TrialSpec(**{**data, "host": target})
    client = MasterClient(target)
    client.login(os.environ.get("DET_USER", "admin"), os.environ.get("DET_PASSWORD", ""))
    return Built(build_trial_user(spec, token=client.token or ""), ExactTally())
