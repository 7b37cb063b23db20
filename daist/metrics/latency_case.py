"""``MetricsTestCase``: the flow shared by the metric-latency tests. For each level of a sweep:
submit one experiment, wait for it with a deadline, collect every trial's latencies, save, and
time the read-back; on any ending (failure, timeout, interrupt, a master that stops answering)
kill the running experiment, keep what its trials reported, and save the summary."""
from __future__ import annotations

import contextlib
import time
from typing import Callable, ClassVar, Iterator

from daist.framework.master_client import MasterClient
from daist.framework.log import get_logger
from daist.framework.progress import Progress
from daist.framework.settings import Settings
from daist.framework.testcase import DaistTestCase
from daist.metrics.artifacts import SweepArtifacts
from daist.metrics.cluster import Cluster, ExperimentTimeout
from daist.metrics.collect import collect_series, failure_message
from daist.metrics.expconf import Level, experiment_config, model_dir
from daist.metrics import unmanaged
from daist.evidence.capture import WindowEvidence
from daist.metrics.generator_check import describe_check, describe_usage, generator_check
from daist.metrics.readback import time_reads
from daist.models.config import MetricsSettings
from daist.models.metric_latency import (GeneratorCheck, Hist, LatencySeries,
                                         MetricLatencyOpHist, MetricLatencySweep)

CLEANUP_CALL_S = 10.0
COUNT_EVERY_S = 1.0  # the master is asked for the reports done at most this often
log = get_logger("metrics")
CONCURRENCY_DEFAULT = MetricsSettings().concurrency


class MetricsTestCase(DaistTestCase):
    axis: ClassVar[str] = "concurrency"
    needs_slots: ClassVar[bool] = True  # its trials need free slots on a real cluster

    @classmethod
    def planned_seconds(cls, settings: Settings) -> float | None:
        if settings.determined.DET_MASTER and not settings.metrics.trials:
            return 0.0  # skipped on a real master unless asked (setUp)
        return None

    # -- the sweep ---------------------------------------------------------------------------
    @property
    def unmanaged(self) -> bool:
        return self.session.settings.metrics.trials == "unmanaged"

    def levels_of(self, default: list[int]) -> list[int]:
        """The concurrency levels: in unmanaged mode [metrics] unmanaged_concurrency while
        [metrics] concurrency keeps its default."""
        settings = self.session.settings.metrics
        if self.unmanaged and settings.concurrency == CONCURRENCY_DEFAULT:
            return list(settings.unmanaged_concurrency)
        return list(default)

    def setUp(self) -> None:
        super().setUp()
        target = self.session.target
        if not self.session.settings.metrics.trials and target is not None \
                and not target.is_standin:
            self.skipTest("on a real master the metric tests run only when [metrics] trials is "
                          "set (DAIST_METRICS_TRIALS=unmanaged needs no slots; managed needs one "
                          "free slot per trial)")
        self._generator: dict[int, GeneratorCheck] = {}

    def run_sweep(self, levels: list[Level], *,
                  parameters: dict[str, int]) -> MetricLatencyOpHist:
        """Measure every level; returns the histograms saved (operation x level)."""
        with self.measuring(parameters=parameters) as measure:
            for level in levels:
                measure(level)
        return self.op_hist

    @contextlib.contextmanager
    def measuring(self, *, parameters: dict[str, int],
                  ) -> Iterator[Callable[[Level], LatencySeries]]:
        """``measure(level)`` -> that level's series, for as many levels as the caller decides
        (a sweep, a capacity search); everything measured is saved on any ending, and the
        histograms saved last are ``self.op_hist``."""
        session = self.session
        assert session is not None and session.target is not None
        determined = session.settings.determined
        target = session.target
        sweep = MetricLatencySweep(axis=self.axis)
        context = {"target": target.url, "system": target.system,
                   "determined": target.server_version or "?", **parameters}
        artifacts = SweepArtifacts(self, sweep, parameters=parameters, context=context)
        cluster = Cluster(url=target.url, user=determined.DET_USER,
                          password=determined.DET_PASSWORD.reveal())
        reader = MasterClient(target.url)
        try:
            cluster.login()
            if session.settings.metrics.reads:
                reader.login(determined.DET_USER, determined.DET_PASSWORD.reveal())
            yield lambda level: self._run_level(cluster, level, sweep=sweep, artifacts=artifacts,
                                                reader=reader)
        finally:  # also on Ctrl-C and SIGTERM (KeyboardInterrupt): keep what was measured
            try:
                self.op_hist = artifacts.save_data()
                artifacts.save_summary(self.op_hist)
            finally:
                if not cluster.unresponsive:
                    reader.close()
                cluster.logout()

    def _run_level(self, cluster: Cluster, level: Level, *, sweep: MetricLatencySweep,
                   artifacts: SweepArtifacts, reader: MasterClient) -> LatencySeries:
        settings = self.session.settings.metrics
        name = f"{self.axis} {getattr(level, self.axis)}"
        if self.unmanaged:
            experiment_id, state, late = self._drive_unmanaged(cluster, level, name=name,
                                                               sweep=sweep, artifacts=artifacts)
        else:
            experiment_id, state, late = self._submit_and_wait(cluster, level, name=name,
                                                               sweep=sweep, artifacts=artifacts)
        if late is not None:
            note = self._stop(cluster, experiment_id)
            self._keep_partial(cluster, experiment_id, level, sweep=sweep, artifacts=artifacts)
            self.fail(failure_message(cluster, experiment_id=experiment_id,
                                      headline=f"{name}: {late}; {note}"))
        trials = cluster.trials(experiment_id)
        if state != "COMPLETED" or any(t.state != "COMPLETED" for t in trials):
            self._keep_partial(cluster, experiment_id, level, sweep=sweep, artifacts=artifacts)
            self.fail(failure_message(cluster, experiment_id=experiment_id, trials=trials,
                                      headline=f"{name}: experiment {experiment_id} ended {state}"))
        series = collect_series(cluster, experiment_id=experiment_id, level=level,
                                axis=self.axis, complete=True, trials=trials)
        series.generator = self._generator.get(series.level)
        self._check_series(series, level, name=name, experiment_id=experiment_id)
        sweep.add(series)
        artifacts.save_data()
        if settings.reads:
            series.add_reads(time_reads(url=cluster.url, token=reader.token or "",
                                        trial_ids=series.trial_ids, repeats=settings.reads,
                                        timeout=settings.timeout))
            artifacts.save_data()
        if self.session.settings.report.level_plots:  # opt-in: the report draws them anyway
            artifacts.save_level_plots(series)
        write, visible = (Hist(series.samples(op)).stats() for op in ("write", "visible"))
        log.info("%s: %d reports, write p50 %.2f p95 %.2f ms, visible p50 %.2f p95 %.2f ms",
                 name, len(series.observations), write["p50"], write["p95"], visible["p50"],
                 visible["p95"])
        return series

    def _submit_and_wait(self, cluster: Cluster, level: Level, *, name: str,
                         sweep: MetricLatencySweep, artifacts: SweepArtifacts,
                         ) -> tuple[int, str, ExperimentTimeout | None]:
        """Managed mode: one experiment of ``level.concurrency`` trials run by the cluster."""
        settings = self.session.settings.metrics
        config = experiment_config(level, settings=settings, name=f"daist {self.tag} {name}")
        with model_dir() as folder:
            experiment_id = cluster.submit(config, folder)
        log.info("%s: experiment %d, %s", name, experiment_id, level.describe())
        progress = _level_progress(name, level, timeout_s=settings.timeout)
        # read no more often than the progress shows it: each read is a request to the master
        count = _reports_counter(cluster, experiment_id, every=progress.interval)
        late: ExperimentTimeout | None = None
        try:
            state = cluster.wait(experiment_id, timeout=settings.timeout, on_poll=lambda s:
                                 progress.update({"experiment": experiment_id, "state": s},
                                                 done=count()))
        except ExperimentTimeout as exc:
            late, state = exc, f"{exc.state}, timed out"
        except BaseException as exc:  # an interrupt, or a master that stopped answering
            progress.done({"experiment": experiment_id, "state": "not followed any more"},
                          ending=_ending(exc))
            self._stop(cluster, experiment_id)
            self._keep_partial(cluster, experiment_id, level, sweep=sweep, artifacts=artifacts)
            raise
        progress.done({"experiment": experiment_id, "state": state}, done=count(final=True))
        return experiment_id, state, late

    def _drive_unmanaged(self, cluster: Cluster, level: Level, *, name: str,
                         sweep: MetricLatencySweep, artifacts: SweepArtifacts,
                         ) -> tuple[int, str, ExperimentTimeout | None]:
        """Unmanaged mode: the trials are Locust users on the engine's runners (in-process, or
        on ``[locust] workers`` local and ``remote_workers`` remote worker processes)."""
        from daist.engine.distributed import WorkerError
        from daist.metrics.trial_user import TRIAL, TrialSpec
        from daist.metrics.trials_run import GeneratorError, TrialsRun

        session = self.session
        settings = session.settings.metrics
        token = cluster.token
        experiment_id = unmanaged.create_experiment(cluster.url, token, level,
                                                    name=f"daist {self.tag} {name}")
        log.info("%s: unmanaged experiment %d, %s", name, experiment_id, level.describe())
        spec = TrialSpec(host=cluster.url, experiment_id=experiment_id,
                         num_batches=level.num_batches, metric_count=level.metric_count,
                         visible_timeout=settings.visible_timeout, think_s=settings.think_time)
        progress = _level_progress(name, level, timeout_s=settings.timeout)
        progress.update({"experiment": experiment_id})
        drive = TrialsRun(spec=spec, token=token, trials=level.concurrency,
                          locust=session.settings.locust,
                          user=session.settings.determined.DET_USER,
                          password=session.settings.determined.DET_PASSWORD.reveal(),
                          timeout=settings.timeout, log_dir=session.results_dir,
                          on_progress=lambda sent: progress.update(
                              {"experiment": experiment_id}, done=sent))
        late: ExperimentTimeout | None = None
        driven = None
        evidence = WindowEvidence(session.settings.evidence, url=cluster.url,
                                  user=session.settings.determined.DET_USER,
                                  password=session.settings.determined.DET_PASSWORD.reveal())
        try:
            if session.settings.evidence.metrics:
                evidence.before()
            driven = drive.run()
            if session.settings.evidence.metrics:
                evidence.after()
        except GeneratorError as exc:
            late = ExperimentTimeout(experiment_id, settings.timeout, str(exc))
        except WorkerError as exc:  # a verdict on the level, named: its trials end in ERROR
            progress.done({"experiment": experiment_id, "state": "a worker was lost"},
                          ending="stopped")
            self._end_trials(cluster, token, experiment_id, name=name)
            self._keep_partial(cluster, experiment_id, level, sweep=sweep, artifacts=artifacts)
            self.fail(f"{name}: {exc}")
        except BaseException as exc:  # an interrupt: end the trials, keep what they reported
            progress.done({"experiment": experiment_id, "state": "not driven any more"},
                          ending=_ending(exc))
            self._end_trials(cluster, token, experiment_id, name=name)
            self._keep_partial(cluster, experiment_id, level, sweep=sweep, artifacts=artifacts)
            raise
        finally:
            evidence.close()
        self._end_trials(cluster, token, experiment_id, name=name)
        state = cluster.state(experiment_id)
        progress.done({"experiment": experiment_id, "state": state})
        if driven is None:
            return experiment_id, state, late
        check = generator_check(driven, overhead_limit_ms=settings.max_generator_overhead_ms,
                                handling=evidence.window_handling())
        self._generator[getattr(level, self.axis)] = check
        artifacts.save_generator(self._generator)
        log.info("%s: generator %s", name, describe_check(check))
        for usage in check.usage:
            log.info("%s: generator %s", name, describe_usage(usage))
        errors = driven.tally.failures(TRIAL)
        if errors:  # the experiment ended ERROR: say why in its failure's headline
            state = f"{state} ({len(errors)} trial failures; first: {errors[0]})"
        if not check.valid:
            log.warning("%s: INVALID level: %s; these figures are the generator's limit, not "
                        "the master's (add [locust] workers or use fewer trials)", name,
                        check.reason)
        return experiment_id, state, late

    @staticmethod
    def _end_trials(cluster: Cluster, token: str, experiment_id: int, *, name: str) -> None:
        """Trials a stopped or failed generator left RUNNING end in ERROR; never raises."""
        try:
            trial_ids = [t.id for t in cluster.trials(experiment_id)]
            problems = unmanaged.end_running_trials(cluster.url, token, trial_ids)
        except Exception as exc:
            problems = [str(exc)]
        for problem in problems[:3]:
            log.warning("%s: could not end a trial: %s", name, problem)

    def _check_series(self, series: LatencySeries, level: Level, *, name: str,
                      experiment_id: int) -> None:
        if len(series.trial_ids) != level.concurrency:
            self.fail(f"{name}: experiment {experiment_id} ran {len(series.trial_ids)} trials, "
                      f"not {level.concurrency}")
        missing = series.missing_reports()
        if missing:
            trial_id, count = next(iter(missing.items()))
            self.fail(f"{name}: experiment {experiment_id}: trial {trial_id} reported "
                      f"{level.num_batches - count} of {level.num_batches} latencies "
                      f"({len(missing)} trials incomplete)")
        if series.peak_concurrency < level.concurrency:
            log.warning("%s: at most %d trials reported at the same time (not enough free "
                        "slots, or trials too short to overlap)", name, series.peak_concurrency)

    def _stop(self, cluster: Cluster, experiment_id: int) -> str:
        try:
            state = cluster.kill(experiment_id)
        except Exception as exc:
            log.error("could not kill experiment %d: %s", experiment_id, exc)
            return f"could not kill it: {exc}"
        log.info("killed experiment %d (now %s)", experiment_id, state)
        return f"killed it (now {state})"

    def _keep_partial(self, cluster: Cluster, experiment_id: int, level: Level, *,
                      sweep: MetricLatencySweep, artifacts: SweepArtifacts) -> None:
        """Save whatever the trials of a cut-short level reported; never raises."""
        try:
            series = collect_series(cluster, experiment_id=experiment_id, level=level,
                                    axis=self.axis, complete=False, timeout=CLEANUP_CALL_S)
        except Exception as exc:
            log.warning("could not read the partial latencies of experiment %d: %s",
                        experiment_id, exc)
            return
        series.generator = self._generator.get(series.level)
        if series.observations:
            sweep.add(series)
            artifacts.save_data()
            log.info("kept %d latencies of the unfinished experiment %d",
                     len(series.observations), experiment_id)


def _ending(exc: BaseException) -> str:
    """The progress line's last word for a level that ended by ``exc``."""
    return "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped"


def _level_progress(name: str, level: Level, *, timeout_s: float) -> Progress:
    """Reports done of the level's trials x reports each; what is left comes from their rate."""
    return Progress(f"metrics {name}", total=level.concurrency * level.num_batches,
                    unit="reports", timeout_s=timeout_s)


def _reports_counter(cluster: Cluster, experiment_id: int, *, every: float = COUNT_EVERY_S,
                     clock: Callable[[], float] = time.monotonic) -> Callable[..., int | None]:
    """``count()``: the reports the master holds for the experiment, read at most once per
    ``every`` seconds (else the last count; ``final=True`` reads now). A failed read leaves
    the count as it was (progress only: the wait itself reports an unanswering master)."""
    last: dict[str, float | int | None] = {"at": None, "done": None}

    def count(*, final: bool = False) -> int | None:
        now = clock()
        at = last["at"]
        if final or at is None or now - at >= every:
            last["at"] = now
            try:
                last["done"] = cluster.reports_done(experiment_id)
            except Exception as exc:
                log.debug("could not count the reports of experiment %d: %s", experiment_id, exc)
        done = last["done"]
        return None if done is None else int(done)
    return count
