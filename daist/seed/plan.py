"""What a seed creates: counts, proportions and the names that tie every object to its label.

Everything a label creates carries it twice, so removal can never touch anything else: names
start with ``daist-seed-<label>-`` and experiments and models carry the label ``daist-seed:<label>``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
EXPERIMENTS_PER_PROJECT = 100
EXPERIMENTS_PER_WORKSPACE = 1000
EXPERIMENTS_PER_MODEL = 50


def check_label(label: str) -> str:
    if not LABEL.match(label):
        raise ValueError(f"--label {label!r}: use 1-40 letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit")
    return label


@dataclass(frozen=True)
class SeedPlan:
    label: str
    experiments: int
    trials_per_experiment: int = 2
    reports_per_trial: int = 10
    checkpoints_per_trial: int = 1
    workspaces: int = 0
    """0: one per 1,000 experiments (at least one)."""
    projects: int = 0
    """0: one per 100 experiments (at least one), spread over the workspaces."""
    models: int = 0
    """0: one per 50 experiments (at least one when there are checkpoints)."""
    versions_per_model: int = 2

    def __post_init__(self) -> None:
        check_label(self.label)
        for name in ("experiments", "trials_per_experiment", "reports_per_trial",
                     "checkpoints_per_trial", "workspaces", "projects", "models",
                     "versions_per_model"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0")
        if self.trials_per_experiment < 1:
            raise ValueError("--trials-per-experiment must be >= 1")

    # -- proportions -------------------------------------------------------------------------
    @property
    def workspace_count(self) -> int:
        return self.workspaces or max(1, math.ceil(self.experiments / EXPERIMENTS_PER_WORKSPACE))

    @property
    def project_count(self) -> int:
        return max(self.projects or math.ceil(self.experiments / EXPERIMENTS_PER_PROJECT),
                   self.workspace_count)

    @property
    def model_count(self) -> int:
        if self.checkpoints_per_trial == 0 or self.experiments == 0:
            return 0
        return self.models or max(1, math.ceil(self.experiments / EXPERIMENTS_PER_MODEL))

    # -- names -------------------------------------------------------------------------------
    @property
    def prefix(self) -> str:
        return f"daist-seed-{self.label}-"

    @property
    def tag(self) -> str:
        """The experiment and model label every seeded one carries."""
        return f"daist-seed:{self.label}"

    def workspace_name(self, index: int) -> str:
        return f"{self.prefix}ws-{index:03d}"

    def project_name(self, index: int) -> str:
        return f"{self.prefix}project-{index:04d}"

    def project_workspace(self, index: int) -> int:
        """Projects go round-robin over the workspaces."""
        return index % self.workspace_count

    def model_name(self, index: int) -> str:
        return f"{self.prefix}model-{index:04d}"

    def experiment_name(self, index: int) -> str:
        return f"{self.prefix}exp-{index:06d}"
