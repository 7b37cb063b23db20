import configparser
import tempfile
import textwrap
import unittest
from pathlib import Path

from daist.framework import paths
from daist.framework.errors import ConfigError
from daist.framework.settings import load_settings, replace, settings_table
from daist.models import environment
from daist.models.config import REDACTED, SECTIONS, ConfigFile, knobs
from daist.models.redaction import Secret
from daist.models.base import Format


def write_config(text: str) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    handle.write(textwrap.dedent(text))
    handle.close()
    return Path(handle.name)


class TestPrecedence(unittest.TestCase):
    def test_default_then_file_then_environment(self):
        path = write_config("""
            [locust]
            users = 4
            run_time = 12.5
        """)
        defaults = load_settings(environ={}, config_path=path)
        self.assertEqual(defaults.locust.users, 4)             # file beats default
        self.assertEqual(defaults.locust.spawn_rate, 10.0)     # default kept
        overridden = load_settings(environ={"DAIST_LOCUST_USERS": "7"}, config_path=path)
        self.assertEqual(overridden.locust.users, 7)           # environment beats file
        self.assertEqual(overridden.locust.run_time, 12.5)
        self.assertEqual(overridden.sources["locust.users"], "environment variable DAIST_LOCUST_USERS")

    def test_a_command_line_option_beats_environment_file_and_default(self):
        path = write_config("[locust]\nusers = 4\nrun_time = 12.5\n")
        settings = load_settings(environ={"DAIST_LOCUST_USERS": "7"}, config_path=path,
                                 options={"locust.users": ("50", "-u/--users")})
        self.assertEqual(settings.locust.users, 50)
        self.assertEqual(settings.locust.run_time, 12.5)       # no option: the file's
        self.assertEqual(settings.sources["locust.users"], "option -u/--users")
        with self.assertRaisesRegex(ConfigError, r"^option -u/--users: bad value 'many'"):
            load_settings(environ={}, options={"locust.users": ("many", "-u/--users")})

    def test_a_relative_results_root_is_taken_from_the_working_directory(self):
        settings = load_settings(environ={"DAIST_EXEC_OUTPUT": "daist-results"})
        self.assertEqual(settings.results_root, Path.cwd() / "daist-results")

    def test_daist_config_selects_the_file(self):
        path = write_config("[log]\nfile_level = debug\n")
        self.assertEqual(load_settings(environ={"DAIST_CONFIG": str(path)}).log.file_level, "DEBUG")

    def test_determined_native_names(self):
        settings = load_settings(environ={"DET_MASTER": "http://m:8080/", "DET_USER": "bob",
                                          "DET_PASSWORD": "pw"})
        self.assertEqual(settings.determined.DET_MASTER, "http://m:8080")
        self.assertEqual(settings.determined.DET_USER, "bob")
        self.assertEqual(settings.determined.DET_PASSWORD, Secret("pw"))
        self.assertEqual(load_settings(environ={"PERF_RESULT_DB_PORT": "6543"}).db.PERF_RESULT_DB_PORT, 6543)

    def test_lists_and_booleans(self):
        settings = load_settings(environ={"DAIST_METRICS_CONCURRENCY": "4, 2,1",
                                          "DAIST_STANDIN_RBAC": "yes"})
        self.assertEqual(settings.metrics.concurrency, [4, 2, 1])
        self.assertTrue(settings.standin.rbac)

    def test_empty_environment_value_counts_as_unset(self):
        path = write_config("[locust]\nusers = 3\n")
        self.assertEqual(load_settings(environ={"DAIST_LOCUST_USERS": ""}, config_path=path).locust.users, 3)

    def test_replace_copies(self):
        settings = load_settings(environ={})
        changed = replace(settings, locust={"users": 2})
        self.assertEqual((settings.locust.users, changed.locust.users), (10, 2))


class TestHabits(unittest.TestCase):
    """Spellings users bring from Locust (-t 5m) and the det CLI (DET_MASTER=host:8080)."""

    def test_durations_everywhere_a_time_is_set(self):
        spellings = {"30": 30.0, "30s": 30.0, "5m": 300.0, "1h30m": 5400.0, "1.5": 1.5,
                     "2m30s": 150.0, "1H": 3600.0}
        for raw, expected in spellings.items():
            with self.subTest(raw=raw):
                settings = load_settings(environ={"DAIST_LOCUST_RUN_TIME": raw,
                                                  "DAIST_METRICS_TIMEOUT": raw})
                self.assertEqual((settings.locust.run_time, settings.metrics.timeout),
                                 (expected, expected))
        settings = load_settings(environ={}, config_path=write_config("""\
            [locust]
            warmup = 10s
            stop_timeout = 1m
            request_timeout = 90s
            worker_wait = 2m
            step_time = 1m30s
            [metrics]
            visible_timeout = 2m
            [db]
            PERF_RESULT_DB_TIMEOUT = 1m
            """))
        self.assertEqual((settings.locust.warmup, settings.locust.stop_timeout,
                          settings.locust.request_timeout, settings.locust.worker_wait,
                          settings.locust.step_time, settings.metrics.visible_timeout,
                          settings.db.PERF_RESULT_DB_TIMEOUT), (10, 60, 90, 120, 90, 120, 60))

    def test_master_addresses_as_the_det_cli_takes_them(self):
        spellings = {"master": "http://master:8080", "master:8081": "http://master:8081",
                     "http://master": "http://master:80", "https://master/": "https://master:443",
                     "HTTP://10.0.0.1:8080/": "http://10.0.0.1:8080", "[::1]:9": "http://[::1]:9",
                     "master:8080/prefix/": "http://master:8080/prefix"}
        for raw, expected in spellings.items():
            with self.subTest(raw=raw):
                self.assertEqual(load_settings(environ={"DET_MASTER": raw}).determined.DET_MASTER,
                                 expected)

    def test_utf8_byte_order_mark_is_accepted(self):
        path = Path(tempfile.mkdtemp()) / "bom.conf"
        path.write_bytes(b"\xef\xbb\xbf[locust]\nusers = 3\n")
        self.assertEqual(load_settings(environ={}, config_path=path).locust.users, 3)


class TestBadValues(unittest.TestCase):
    def assertConfigError(self, pattern, *, environ=None, config=None):
        path = write_config(config) if config is not None else None
        with self.assertRaisesRegex(ConfigError, pattern) as caught:
            load_settings(environ=environ or {}, config_path=path)
        self.assertNotIn("\n", str(caught.exception))
        return str(caught.exception)

    def test_a_limit_of_0_is_refused_and_empty_is_no_limit(self):
        no_zero = r"0 is not a limit \(leave the value empty for no limit\)$"
        for key in ("P95_MS", "P99_MS", "MAX_FAIL_RATIO"):
            with self.subTest(key=key):
                self.assertConfigError(rf"^environment variable DAIST_LOCUST_{key}: bad value "
                                       rf"'0': {no_zero}", environ={f"DAIST_LOCUST_{key}": "0"})
        self.assertConfigError(rf"\[locust\] p95_ms: bad value '0.0': {no_zero}",
                               config="[locust]\np95_ms = 0.0\n")
        path = write_config("[locust]\np95_ms =\nmax_fail_ratio =\n")
        locust = load_settings(environ={}, config_path=path).locust
        self.assertEqual((locust.p95_ms, locust.p99_ms, locust.max_fail_ratio), (None, None, None))
        self.assertEqual(load_settings(environ={}).locust.p95_ms, 1000.0)

    def test_an_empty_environment_variable_lifts_a_limit(self):
        """A limit's empty value means "none", so the environment can lift one the config
        file sets (any other empty variable counts as unset)."""
        path = write_config("[locust]\np95_ms = 500\nmax_fail_ratio = 0.1\n")
        locust = load_settings(environ={"DAIST_LOCUST_P95_MS": "", "DAIST_LOCUST_MAX_FAIL_RATIO": ""},
                               config_path=path).locust
        self.assertEqual((locust.p95_ms, locust.max_fail_ratio), (None, None))
        self.assertEqual(load_settings(environ={}, config_path=path).locust.p95_ms, 500.0)

    def test_master_urls_the_det_cli_refuses(self):
        for raw in ("ftp://x", "http://", "http://h?x=1", "h:99999", "h:port"):
            with self.subTest(raw=raw):
                self.assertConfigError(r"environment variable DET_MASTER: bad value",
                                       environ={"DET_MASTER": raw})
        self.assertConfigError(r"\[determined\] DET_MASTER: bad value", config="[determined]\nDET_MASTER = ftp://x\n")

    def test_bad_durations(self):
        for raw in ("5x", "m", "30m1h", "1h1h", "-5", "nan", "inf", "0.01"):
            with self.subTest(raw=raw):
                self.assertConfigError(rf"DAIST_LOCUST_RUN_TIME: bad value '{raw}': expected a "
                                       r"duration from 0.1 s to 604800 s, such as 30, 30s, 5m or 1h30m",
                                       environ={"DAIST_LOCUST_RUN_TIME": raw})
        self.assertConfigError(r"PERF_RESULT_DB_TIMEOUT: bad value '1.5': expected whole seconds",
                               environ={"PERF_RESULT_DB_TIMEOUT": "1.5"})

    def test_config_file_encoding_and_size(self):
        path = Path(tempfile.mkdtemp()) / "latin1.conf"
        path.write_bytes("[locust]\n# caf\u00e9\nusers = 3\n".encode("latin-1"))
        self.assertConfigError(r"latin1.conf is not UTF-8 text \(byte 0xe9 at offset 14\); "
                               r"save it as UTF-8", environ={"DAIST_CONFIG": str(path)})
        path.write_bytes(b"[locust]\nusers = 3\0\0\0\n")
        self.assertConfigError(r"is binary \(it holds NUL bytes\)", environ={"DAIST_CONFIG": str(path)})
        self.assertConfigError(r"config file /dev/zero is larger than 256 KiB",
                               environ={"DAIST_CONFIG": "/dev/zero"})

    def test_unknown_resource_profile(self):
        self.assertConfigError(r"environment variable DAIST_DETERMINED_RESOURCE_PROFILE: no "
                               r"\[profile.ci_snapshot\] section \(did you mean ci_snapshots\?\) "
                               r"\(known: autodiscover, ci_snapshots\)",
                               environ={"DAIST_DETERMINED_RESOURCE_PROFILE": "ci_snapshot"},
                               config="[profile.ci_snapshots]\nuser_id = 1\n")

    def test_non_integer_negative_and_huge_user_counts(self):
        for raw in ("ten", "-5", "0", "10000000", "1.5"):
            with self.subTest(raw=raw):
                self.assertConfigError(rf"DAIST_LOCUST_USERS: bad value '{raw}': expected an "
                                       r"integer from 1 to 100000", environ={"DAIST_LOCUST_USERS": raw})

    def test_unknown_log_level_names_file_and_key(self):
        message = self.assertConfigError(r"\[log\] stdout_level: bad value 'LOUD': expected a log level",
                                         config="[log]\nstdout_level = LOUD\n")
        self.assertIn(".conf", message)

    def test_missing_file(self):
        with self.assertRaisesRegex(ConfigError, r"config file /nonexistent/x.conf \(from "
                                                 r"environment variable DAIST_CONFIG\) does not exist"):
            load_settings(environ={"DAIST_CONFIG": "/nonexistent/x.conf"})

    def test_not_ini(self):
        self.assertConfigError("is not valid INI", config="users = 3\n")

    def test_unknown_key_section_and_variable_suggest_the_right_name(self):
        self.assertConfigError(r"\[locust\] unknown key 'user' \(did you mean 'users'\?\)",
                               config="[locust]\nuser = 3\n")
        self.assertConfigError(r"unknown section \[lcust\] \(did you mean \[locust\]\?\)",
                               config="[lcust]\nusers = 3\n")
        self.assertConfigError(r"unknown environment variable DAIST_LOCUST_RUNTIME \(did you "
                               r"mean DAIST_LOCUST_RUN_TIME\?\)", environ={"DAIST_LOCUST_RUNTIME": "5"})

    def test_the_retired_generator_processes_names_its_replacement(self):
        replacement = r"is retired: use \[locust\] workers \(DAIST_LOCUST_WORKERS\)"
        self.assertConfigError(r"\[metrics\] generator_processes " + replacement,
                               config="[metrics]\ngenerator_processes = 2\n")
        self.assertConfigError(r"environment variable DAIST_METRICS_GENERATOR_PROCESSES "
                               r"\(\[metrics\] generator_processes\) " + replacement,
                               environ={"DAIST_METRICS_GENERATOR_PROCESSES": "2"})

    def test_database_password_is_environment_only(self):
        self.assertConfigError(r"PERF_RESULT_DB_PASS may only be set through the environment",
                               config="[db]\nPERF_RESULT_DB_PASS = hunter2\n")

    def test_evidence_database_takes_a_dsn_without_a_password(self):
        self.assertConfigError(r"DET_DB_PASSWORD may only be set through the environment",
                               config="[evidence]\nDET_DB_PASSWORD = hunter2\n")
        message = self.assertConfigError(
            r"DAIST_EVIDENCE_DATABASE: .*may not carry a password \(set DET_DB_PASSWORD",
            environ={"DAIST_EVIDENCE_DATABASE": "postgresql://det:hunter2@db/determined"})
        self.assertNotIn("hunter2", message)
        self.assertConfigError(r"expected a PostgreSQL DSN",
                               environ={"DAIST_EVIDENCE_DATABASE": "host=db port=notaport x"})
        settings = load_settings(environ={"DAIST_EVIDENCE_DATABASE": "postgresql://det@db/d",
                                          "DET_DB_PASSWORD": "ev-pw-123"})
        self.assertEqual(settings.evidence.database, "postgresql://det@db/d")
        self.assertIn("ev-pw-123", settings.secrets())
        self.assertNotIn("DET_DB_PASSWORD", environment.child_environ({"DET_DB_PASSWORD": "x"}))

    def test_bad_secret_values_are_not_echoed(self):
        # a parser failure on a secret must not print it (none can fail today; guard the path)
        settings = load_settings(environ={"DET_PASSWORD": "s3cr3t-☃"})
        self.assertNotIn("s3cr3t", repr(settings))
        self.assertNotIn("s3cr3t", str(settings.determined.DET_PASSWORD))


class TestRedactedCopy(unittest.TestCase):
    def test_every_secret_reads_redacted(self):
        settings = load_settings(environ={"DET_PASSWORD": "pa55-w0rd", "PERF_RESULT_DB_PASS": "db-pw"})
        path = Path(tempfile.mkdtemp()) / ConfigFile.filename()
        settings.to_config_file().save(path)
        text = path.read_text()
        self.assertNotIn("pa55-w0rd", text)
        self.assertNotIn("db-pw", text)
        copy = ConfigFile.open(path)
        self.assertEqual(copy.sections["determined"]["DET_PASSWORD"], REDACTED)
        self.assertEqual(copy.sections["db"]["PERF_RESULT_DB_PASS"], REDACTED)
        self.assertEqual(copy.sections["locust"]["users"], "10")
        self.assertEqual(ConfigFile.open(path).to_text(Format.CONF).count("[locust]"), 1)

    def test_digest_ignores_secrets_but_not_settings(self):
        base = load_settings(environ={})
        self.assertEqual(base.digest, load_settings(environ={"DET_PASSWORD": "x"}).digest)
        self.assertNotEqual(base.digest, load_settings(environ={"DAIST_LOCUST_USERS": "2"}).digest)

    def test_profiles_are_kept(self):
        settings = load_settings(environ={}, config_path=write_config("[profile.ci]\nexperiment_id = 100\n"))
        self.assertEqual(settings.profiles["ci"]["experiment_id"], "100")


class TestShippedDefaults(unittest.TestCase):
    def test_packaged_config_file_states_every_declared_default(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        parser.read(paths.DEFAULT_CONFIG, encoding="utf-8")
        self.assertEqual(set(parser.sections()), {cls.section for cls in SECTIONS})
        for cls in SECTIONS:
            declared = {f.name: (f, meta) for f, meta in knobs(cls) if not meta.env_only}
            self.assertEqual(set(parser[cls.section]), set(declared), cls.section)
            defaults = cls()
            for name, (field, meta) in declared.items():
                with self.subTest(key=f"[{cls.section}] {name}"):
                    self.assertEqual(meta.parse(parser[cls.section][name]),
                                     getattr(defaults, name))


class TestEnumeration(unittest.TestCase):
    def test_every_documented_variable_is_enumerated(self):
        names = {v.name for v in environment.variables()}
        for name in ("DAIST_CONFIG", "DET_MASTER", "DET_USER", "DET_PASSWORD", "GIT_BRANCH",
                     "GIT_COMMIT", "PERF_RESULT_DB_HOST", "PERF_RESULT_DB_PORT",
                     "PERF_RESULT_DB_NAME", "PERF_RESULT_DB_USER", "PERF_RESULT_DB_PASS",
                     "PGPASSWORD", "DAIST_LOCUST_RUN_TIME", "DAIST_EXEC_OUTPUT",
                     "DAIST_METRICS_CONCURRENCY", "DAIST_LOG_FILE_LEVEL"):
            self.assertIn(name, names)
        self.assertEqual(len(settings_table()), len([v for v in environment.variables() if v.setting]))

    def test_snapshot_leaves_secrets_out(self):
        snap = environment.snapshot({"DET_MASTER": "http://m:1", "DET_PASSWORD": "x",
                                     "PGPASSWORD": "y", "PERF_RESULT_DB_PASS": "z", "HOME": "/root"})
        self.assertEqual(snap, {"DET_MASTER": "http://m:1"})


if __name__ == "__main__":
    unittest.main()


class TestStandinFaultOptions(unittest.TestCase):
    def test_options_pair_with_their_values(self):
        from daist.framework.target import fault_options
        self.assertEqual(fault_options("--latency 20@/api/v1/agents --error-rate=0.1 --hang '/a b'"),
                         [("--latency", "20@/api/v1/agents"), ("--error-rate", "0.1"),
                          ("--hang", "/a b")])
        self.assertEqual(fault_options(""), [])
        for bad, message in (("--latency", "needs a value"), ("20@/x", "expected an option"),
                             ("--hang '/x", "cannot split")):
            with self.subTest(bad=bad), self.assertRaisesRegex(ConfigError, message):
                fault_options(bad)
