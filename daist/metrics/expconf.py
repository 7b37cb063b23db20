"""The experiment of one sweep level: its config (from the packaged ``experiment.yaml``) and the
model definition uploaded with it (``model_def.py`` alone, not the package with its tests)."""
from __future__ import annotations

import contextlib
import importlib.resources
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from daist.models.config import MetricsSettings

PACKAGE = "daist.metrics"
TEMPLATE = "experiment.yaml"
TRIAL_CODE = "model_def.py"


@dataclass(frozen=True)
class Level:
    """One experiment: ``concurrency`` trials at once, each sending ``num_batches`` reports of
    ``metric_count`` metrics."""

    concurrency: int
    metric_count: int
    num_batches: int

    def describe(self) -> str:
        return (f"{self.concurrency} trial{'s' if self.concurrency != 1 else ''} x "
                f"{self.num_batches} reports x {self.metric_count} metrics")


def experiment_config(level: Level, *, settings: MetricsSettings, name: str) -> dict[str, Any]:
    """The template with this level filled in: a grid over ``concurrency`` categorical points
    gives that many trials, all allowed to run at once."""
    text = importlib.resources.files(PACKAGE).joinpath(TEMPLATE).read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    config["name"] = name
    hparams = config["hyperparameters"]
    hparams["num_batches"] = level.num_batches
    hparams["metric_count"] = level.metric_count
    hparams["visible_timeout"] = settings.visible_timeout
    hparams["trial"] = {"type": "categorical", "vals": list(range(level.concurrency))}
    config["searcher"]["max_concurrent_trials"] = level.concurrency
    if settings.image:
        config.setdefault("environment", {})["image"] = settings.image
    if settings.resource_pool:
        config["resources"]["resource_pool"] = settings.resource_pool
    return config


@contextlib.contextmanager
def model_dir() -> Iterator[Path]:
    """A temporary directory holding only the trial code."""
    with tempfile.TemporaryDirectory(prefix="daist-metrics-model-") as folder:
        source = importlib.resources.files(PACKAGE).joinpath(TRIAL_CODE)
        with importlib.resources.as_file(source) as path:
            shutil.copyfile(path, Path(folder) / TRIAL_CODE)
        yield Path(folder)
