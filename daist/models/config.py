"""Every setting daist knows, declared once: section, key, type, default, meaning, and the
environment variable that overrides it. ``daist.framework.settings`` loads them; the README's
configuration table and ``daist.models.environment`` are derived from these declarations.

Environment variable rule: ``[section] key`` -> ``DAIST_<SECTION>_<KEY>`` in upper case, except
the Determined-native ``DET_MASTER``/``DET_USER``/``DET_PASSWORD`` and the ``PERF_RESULT_DB_*``
keys, whose variable is the key itself.
"""
from __future__ import annotations

import configparser
import dataclasses
import io
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from daist.models.limits import limit_setting
from daist.models.base import DATA_FORMATS, Artifact, Format, FormatError
from daist.models.shape import SHAPES, ClosedShape
from daist.models import parsers as p
from daist.models.redaction import REDACTED, Secret


REFUSE, WARN, IGNORE = "refuse", "warn", "ignore"
"""What ``compare`` does with two runs whose value of a setting differs: refuse to compare
them (unless forced), warn, or ignore the difference."""


@dataclass(frozen=True)
class Knob:
    """How one setting is read: its parser (raises ValueError saying what was expected), help
    text, environment variable, whether it is a secret or environment-only, and how
    ``compare`` treats a difference in it."""

    help: str
    parse: Callable[[str], Any]
    env: str | None = None
    secret: bool = False
    env_only: bool = False
    compare: str = IGNORE
    recorded: bool = False
    """Each load test's plan record (``PlanRecord.columns()`` in ``LocustStatsList.run.plan``)
    holds the value it ran with under the same name; ``compare`` judges that (a test may
    override the setting)."""

    @property
    def empty_is_value(self) -> bool:
        """An empty value means something (a limit: none; its parser says so), so an
        environment variable set empty is read too; for every other setting an empty variable
        counts as unset."""
        return getattr(self.parse, "empty_is_value", False)

    def __post_init__(self) -> None:
        if self.compare not in (REFUSE, WARN, IGNORE):
            raise ValueError(f"compare must be {REFUSE}, {WARN} or {IGNORE}, not {self.compare!r}")


def knob(default: Any, help: str, parse: Callable[[str], Any], *, env: str | None = None,
         secret: bool = False, env_only: bool = False, compare: str = IGNORE,
         recorded: bool = False) -> Any:
    meta = Knob(help=help, parse=parse, env=env, secret=secret, env_only=env_only,
                compare=compare, recorded=recorded)
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"knob": meta})
    return dataclasses.field(default=default, metadata={"knob": meta})


@dataclass(frozen=True)
class DeterminedSettings:
    section: ClassVar[str] = "determined"
    DET_MASTER: str = knob("", "Master URL as the det CLI takes it: http://master:8080, or "
                           "master (http, port 8080). Empty: daist starts the "
                           "embedded stand-in master and labels the run 'system: standin'.",
                           p.master_url, env="DET_MASTER")
    DET_USER: str = knob("admin", "User that the tests log in as.", p.nonempty, env="DET_USER")
    DET_PASSWORD: Secret = knob(Secret(""), "That user's password (prefer the environment "
                                "variable; never saved or logged).", p.secret, env="DET_PASSWORD",
                                secret=True)
    RESOURCE_PROFILE: str = knob("autodiscover", "Where load tests get experiment/trial/model "
                                 "ids: 'autodiscover' asks the master; or the name of a "
                                 "[profile.NAME] section with fixed ids.", p.nonempty, compare=WARN)
    system: str = knob("", "Label of the system under test in results; default: 'standin' for "
                       "the stand-in, else the master's host name.", p.label_or_empty)


@dataclass(frozen=True)
class ExecSettings:
    section: ClassVar[str] = "exec"
    output: str = knob("", "Results root; runs go to <output>/<host>/<UTC stamp>/. Empty: "
                       "daist/results in a checkout, ./daist-results for an installed wheel.",
                       p.text)


@dataclass(frozen=True)
class LogSettings:
    section: ClassVar[str] = "log"
    file_level: str = knob("INFO", "Level of records written to test_run.log.", p.log_level)
    stdout_level: str = knob("INFO", "Lowest level shown on the console (errors go to stderr).",
                             p.log_level)


@dataclass(frozen=True)
class StandinSettings:
    section: ClassVar[str] = "standin"
    scale: int = knob(20, "Experiments seeded in the embedded stand-in (10 to 100000, or 0: an "
                      "empty cluster like a fresh master).", p.zero_or_int_range(10, 100_000))
    seed: int = knob(0, "Random seed of the stand-in's generated data.", p.int_range(0, 2**31),
                     compare=REFUSE)
    rbac: bool = knob(False, "Stand-in reports RBAC enabled (exercises the RBAC endpoints).",
                      p.boolean, compare=REFUSE)
    faults: str = knob("", "Fault options passed to the stand-in, e.g. '--latency 20@/api/v1/"
                       "agents --error-rate 0.01' (see python -m daist.standin --help).", p.text,
                       compare=WARN)


@dataclass(frozen=True)
class LocustSettings:
    section: ClassVar[str] = "locust"
    users: int = knob(10, "Concurrent simulated users (closed loop).", p.int_range(1, 100_000),
                      compare=REFUSE, recorded=True)
    spawn_rate: float = knob(10.0, "Users started per second.", p.float_range(0.01, 10_000))
    run_time: float = knob(300.0, "Load per test after spawning completes: 300, 300s, 5m or "
                           "1h30m (every time setting takes these spellings).",
                           p.duration(0.1, 7 * 86400), compare=WARN)
    warmup: float = knob(0.0, "Seconds after spawning completes that are excluded from the "
                         "exact (HDR) percentiles.", p.duration(0, 86400), compare=WARN)
    wait_time: str = knob("0", "Think time between a user's requests: seconds ('0', '0.5') or "
                          "a uniform range ('1..3').", p.wait_time, compare=REFUSE)
    stop_timeout: float = knob(10.0, "Seconds users get to finish their request at the end.",
                               p.duration(0, 3600), compare=WARN)
    request_timeout: float = knob(60.0, "Seconds before a request counts as failed (timeout).",
                                  p.duration(0.1, 3600), compare=WARN)
    workers: int = knob(0, "Load-generator worker processes of the load tests and the "
                        "unmanaged metric trials: 0 runs in-process; N starts a Locust master "
                        "with N local workers.", p.int_range(0, 256),
                        compare=REFUSE, recorded=True)
    remote_workers: int = knob(0, "Workers on other machines the master waits for (python -m "
                               "daist.worker --master HOST:PORT).", p.int_range(0, 1024),
                               compare=REFUSE)
    master_bind: str = knob("127.0.0.1:0", "HOST:PORT the Locust master listens on for workers "
                            "(port 0: any free port; use 0.0.0.0:5557 for remote workers).",
                            p.host_port)
    worker_wait: float = knob(60.0, "Seconds the master waits for its workers to connect.",
                              p.duration(1, 3600))
    user_class: str = knob("FastHttpUser", "FastHttpUser (fast, default) or HttpUser.",
                           p.choice("FastHttpUser", "HttpUser"), compare=REFUSE, recorded=True)
    shape: str = knob(ClosedShape.name, "closed (N users), open (constant arrival rate) or steps "
                      "(a user sweep).", p.choice(*SHAPES),
                      compare=REFUSE, recorded=True)
    rate: float = knob(0.0, "Target requests/s of the open shape.", p.float_range(0, 1_000_000),
                      compare=REFUSE, recorded=True)
    steps: list = knob([1, 2, 4, 8, 16], "User counts of the steps shape.", p.int_list(1, 100_000),
                 compare=REFUSE, recorded=True)
    step_time: float = knob(30.0, "Seconds per step of the steps shape.",
                            p.duration(0.5, 86400), compare=REFUSE)
    max_fail_ratio: float | None = knob(0.05, "A test fails when more than this share of "
                                        "requests fail (k6 predecessor: 5%), or of one "
                                        "endpoint's once it has 5 failures; empty: no limit.",
                                        limit_setting(1, ratio=True))
    p95_ms: float | None = knob(1000.0, "Default p95 limit per endpoint in ms (k6 predecessor: "
                                "1000); empty: no limit.", limit_setting(3_600_000))
    p99_ms: float | None = knob(None, "Default p99 limit per endpoint in ms; empty: no limit.",
                                limit_setting(3_600_000))
    slo: str = knob("", "Per-class or per-endpoint limits overriding the defaults, e.g. "
                    "'list:p95=2000; get experiments:p99=5000,fail=0.01' (ms; an empty value "
                    "lifts a limit, 0 is refused).", p.text)
    samples: bool = knob(False, "Also save every steady-state request (name, start, latency, "
                         "ok) as a LocustSamples CSV (in-process runs only).", p.boolean)


def _optional(parse: Callable[[str], Any], *, empty: Any) -> Callable[[str], Any]:
    """An empty value is ``empty``; anything else must parse."""
    return lambda raw: parse(raw) if raw.strip() else empty


@dataclass(frozen=True)
class MetricsSettings:
    section: ClassVar[str] = "metrics"
    concurrency: list = knob([32, 16, 8, 4, 2, 1], "Concurrently reporting trials, one "
                             "experiment per level.", p.int_list(1, 4096))
    num_batches: int = knob(128, "Training-metric reports per trial.", p.int_range(1, 1_000_000))
    metric_count: int = knob(256, "Metrics per report.", p.int_range(1, 16_777_216))
    metric_counts: list = knob([1, 256, 4096, 65536], "Metrics per report swept by the "
                               "payload-size test.", p.int_list(1, 16_777_216))
    timeout: float = knob(1800.0, "Seconds an experiment may take before it is killed and the "
                          "test fails.", p.duration(1, 7 * 86400))
    slo: str = knob("", "Optional latency limits of the concurrency sweep, rules "
                    "'OPERATION:STAT[@LEVEL]=MS' joined by ';', e.g. 'write:p95@32=250; "
                    "visible:p99=1000' (0 is refused). Off by default.", p.text)
    payload_concurrency: int = knob(1, "Concurrently reporting trials in the payload-size "
                                    "sweep.", p.int_range(1, 4096))
    payload_num_batches: int = knob(16, "Training-metric reports per trial in the payload-size "
                                    "sweep.", p.int_range(1, 1_000_000))
    max_metric_count: int = knob(262_144, "Largest metrics per report daist sends; larger sizes "
                                 "are skipped (about 1M made a master reject the message and "
                                 "hang).", p.int_range(1, 16_777_216))
    visible_timeout: float = knob(60.0, "Seconds a trial waits for one report to be "
                                  "acknowledged and readable before it fails.",
                                  p.duration(0.1, 86400), compare=WARN)
    reads: int = knob(5, "Times the test reads each trial's metrics back per level "
                      "(read-back timing); 0 skips it.", p.int_range(0, 1000), compare=WARN)
    image: str = knob("", "Container image of the trials on a cluster; empty: the cluster's "
                      "default image (the stand-in runs trials locally and ignores it).", p.text)
    resource_pool: str = knob("", "Resource pool of the trials; empty: the cluster's default.",
                              p.text)
    trials: str = knob("", "How the metric tests' trials run: 'managed' (one experiment of "
                       "concurrency trials, one slot each), 'unmanaged' (detached-mode trials "
                       "driven from this machine, no slots) or empty: managed on a stand-in, "
                       "skipped on a real master (never a slot-hungry experiment unasked).",
                       _optional(p.choice("managed", "unmanaged"), empty=""))
    unmanaged_concurrency: list = knob([1, 10, 100, 1000], "Concurrency levels in unmanaged mode "
                                       "when [metrics] concurrency keeps its default.",
                                       p.int_list(1, 10_000))
    think_time: float = knob(0.0, "Seconds an unmanaged trial waits between its reports (a "
                             "simulated trial's training step).", p.duration(0, 3600))
    max_generator_overhead_ms: float = knob(50.0, "An unmanaged level is invalid when the "
                                            "generator's event-loop lag p99 exceeds this, or a "
                                            "report's p50 over the server's own does where a "
                                            "generator process's loop was not watched.",
                                            p.float_range(0, 60_000))


@dataclass(frozen=True)
class DbSettings:
    section: ClassVar[str] = "db"
    PERF_RESULT_DB_HOST: str = knob("", "PostgreSQL host of the perf-results database; "
                                    "empty: no upload.", p.text, env="PERF_RESULT_DB_HOST")
    PERF_RESULT_DB_PORT: int = knob(5432, "Its port.", p.int_range(1, 65535),
                                    env="PERF_RESULT_DB_PORT")
    PERF_RESULT_DB_NAME: str = knob("postgres", "Its database.", p.nonempty,
                                    env="PERF_RESULT_DB_NAME")
    PERF_RESULT_DB_USER: str = knob("postgres", "Its user.", p.nonempty,
                                    env="PERF_RESULT_DB_USER")
    PERF_RESULT_DB_PASS: Secret = knob(Secret(""), "Its password (environment only; "
                                       "PGPASSWORD is the fallback).", p.secret,
                                       env="PERF_RESULT_DB_PASS", secret=True, env_only=True)
    PERF_RESULT_DB_SCHEMA: str = knob("", "Schema of the results tables; empty: the "
                                      "database's search path (public), where the historical "
                                      "k6 tables live. Created by migrate when missing.",
                                      p.label_or_empty, env="PERF_RESULT_DB_SCHEMA")
    PERF_RESULT_DB_TIMEOUT: int = knob(30, "Seconds to connect, and at most per statement.",
                                       p.whole_seconds(1, 3600), env="PERF_RESULT_DB_TIMEOUT")


@dataclass(frozen=True)
class VolumeSettings:
    section: ClassVar[str] = "volume"
    levels: list = knob([], "Seeded experiments at each step of the data-volume sweep "
                        "(TestVolume), e.g. '100, 1000, 10000'; empty: TestVolume skips (it "
                        "seeds data on the master, so it runs only when asked).",
                        _optional(p.int_list(1, 1_000_000), empty=[]))
    label: str = knob("volume", "Seed label of the data TestVolume creates (python -m "
                      "daist.seed --remove --label LABEL removes it).", p.nonempty)
    keep: bool = knob(False, "Keep the seeded data after TestVolume (removed by default).",
                      p.boolean)
    seed_concurrency: int = knob(8, "Experiments seeded at the same time.", p.int_range(1, 256))


@dataclass(frozen=True)
class CapacitySettings:
    section: ClassVar[str] = "capacity"
    mix: str = knob("ro", "Workload whose capacity TestCapacity finds: ro (the read-only mix), rw "
                    "or checkpoints.", p.choice("ro", "rw", "checkpoints"))
    start_users: int = knob(1, "Users of the search's first step.", p.int_range(1, 100_000))
    growth: float = knob(2.0, "Factor between the users of two steps while every limit holds.",
                         p.float_range(1.1, 100))
    resolution: float = knob(0.1, "Bisect until the gap between the last count that kept every "
                             "limit and the first that broke one is at most this share.",
                             p.float_range(0.01, 0.5))
    step_time: float = knob(30.0, "Seconds each step is measured after its users have spawned "
                            "(plus [locust] warmup); a step with too few samples to judge a "
                            "limit is measured once more as long.", p.duration(1, 86_400))
    max_users: int = knob(1000, "Most users the search tries; reaching them gives 'at least'.",
                          p.int_range(1, 100_000))
    start_trials: int = knob(1, "Concurrently reporting trials of the metric capacity search's "
                             "first step (daist.metrics.test_latency.TestCapacity).",
                             p.int_range(1, 10_000))
    max_trials: int = knob(1000, "Most trials the metric capacity search tries; reaching them "
                           "gives 'at least'.", p.int_range(1, 10_000))


@dataclass(frozen=True)
class ReportSettings:
    section: ClassVar[str] = "report"
    level_plots: bool = knob(False, "Also save a latency histogram PNG per operation and level "
                             "of the metric tests; the HTML report draws them from the data "
                             "either way.", p.boolean)


@dataclass(frozen=True)
class EvidenceSettings:
    section: ClassVar[str] = "evidence"
    metrics: bool = knob(True, "Read the master's Prometheus metrics (/debug/prom/metrics) just "
                         "before and after each load test's window and save its own time per "
                         "endpoint (ServerTiming) when it serves them.", p.boolean)
    outside_limit_ms: float = knob(25.0, "Warn when an endpoint's median time outside the master "
                                   "(client minus server, less the server bucket's width) "
                                   "exceeds this many ms.", p.float_range(0, 3_600_000))
    profile_s: int = knob(0, "Seconds of CPU profile (/debug/pprof/profile) to fetch in the "
                          "middle of each load test's window; 0: off.",
                          p.zero_or_int_range(1, 600))
    database: str = knob("", "DSN of the master's PostgreSQL (without a password) to read "
                         "pg_stat_statements before and after each window; empty: off.",
                         p.postgres_dsn)
    DET_DB_PASSWORD: Secret = knob(Secret(""), "Password for [evidence] database (environment "
                                   "only; never saved or logged).", p.secret,
                                   env="DET_DB_PASSWORD", secret=True, env_only=True)


SECTIONS: tuple[type, ...] = (DeterminedSettings, ExecSettings, LogSettings, StandinSettings,
                              LocustSettings, MetricsSettings, DbSettings, VolumeSettings,
                              CapacitySettings, ReportSettings, EvidenceSettings)
PROFILE_PREFIX = "profile."
"""``[profile.NAME]`` sections hold fixed resource profiles (free-form keys)."""


def knobs(section_cls: type) -> list[tuple[dataclasses.Field, Knob]]:
    return [(f, f.metadata["knob"]) for f in dataclasses.fields(section_cls)]


def env_name(section_cls: type, field: dataclasses.Field) -> str:
    meta: Knob = field.metadata["knob"]
    return meta.env or f"DAIST_{section_cls.section}_{field.name}".upper()


def render_value(value: Any) -> str:
    """The INI spelling of a parsed value (inverse of the parsers)."""
    if isinstance(value, Secret):
        return REDACTED if value else ""
    if value is None:  # an optional value left empty (a limit: no limit)
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class ConfigFile(Artifact):
    """An INI configuration as sections of strings: the session saves the effective settings
    (secrets already replaced by ``<redacted>``) as ``ConfigFile-<stamp>.conf``."""

    formats: ClassVar[frozenset[Format]] = frozenset({Format.CONF} | DATA_FORMATS)
    default_format: ClassVar[Format] = Format.CONF
    sections: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    comments: dict[str, str] = dataclasses.field(default_factory=dict,
                                                 metadata={"serialize": False})
    """Optional '# ...' line written above a key, keyed 'section.key' (e.g. its source)."""

    def to_text(self, fmt: Format) -> str:
        out = io.StringIO()
        out.write("# Effective daist settings of this run (defaults < config file < environment).\n"
                  f"# Secret values read {REDACTED}.\n")
        for section, values in self.sections.items():
            out.write(f"\n[{section}]\n")
            for key, value in values.items():
                comment = self.comments.get(f"{section}.{key}")
                if comment:
                    out.write(f"# {comment}\n")
                out.write(f"{key} = {value}\n")
        return out.getvalue()

    @classmethod
    def from_text(cls, text: str, fmt: Format) -> ConfigFile:
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str  # keys are case-sensitive (DET_MASTER)
        try:
            parser.read_string(text)
        except configparser.Error as exc:  # its messages span lines: the first says what
            raise FormatError(f"not an INI file: {str(exc).splitlines()[0]}") from None
        return cls(sections={name: dict(parser[name]) for name in parser.sections()})
