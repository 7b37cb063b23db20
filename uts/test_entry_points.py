"""The root scripts as users run them: venv bootstrap, run.py and uts.py forwarding, and the
wheel working outside the repository."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import textwrap
import time
import unittest
import venv as stdlib_venv
import zipfile
from pathlib import Path

import daist
from daist.framework import paths, venv

MAX_PACKAGED_BYTES = 2**20
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or "/usr/bin/python3"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DAIST_", "DET_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(extra)
    return env


class TestScripts(unittest.TestCase):
    def test_run_py_reexecutes_inside_the_venv(self):
        done = subprocess.run([SYSTEM_PYTHON, str(paths.ROOT / "run.py"), "--version"],
                              capture_output=True, text=True, env=clean_env(), cwd="/", timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), f"daist {daist.__version__}")

    def test_run_py_help_is_daists(self):
        done = subprocess.run([SYSTEM_PYTHON, str(paths.ROOT / "run.py"), "--help"],
                              capture_output=True, text=True, env=clean_env(), timeout=120)
        self.assertIn("--junit-xml", done.stdout)

    def test_uts_py_forwards_test_names(self):
        done = subprocess.run([SYSTEM_PYTHON, str(paths.ROOT / "uts.py"), "uts.models.test_timestamp"],
                              capture_output=True, text=True, env=clean_env(), cwd="/", timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stderr, r"Ran 4 tests")


class TestConsoleScript(unittest.TestCase):
    """``daist COMMAND ...`` (installed with the wheel and into __venv__) is ``python -m``."""

    def daist(self, *args: str) -> subprocess.CompletedProcess:
        script = Path(sys.prefix) / "bin" / "daist"
        self.assertTrue(script.is_file(), f"{script} is missing: re-run ./make_venv.py")
        return subprocess.run([str(script), *args], capture_output=True, text=True,
                              env=clean_env(), cwd="/", timeout=120)

    def test_commands_reach_their_programs(self):
        listed = self.daist("run", "--list", "daist.test_target")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout, r"^daist.test_target.TestTarget.test_master_answers +The smallest")
        for command in ("report", "db", "standin", "seed", "run"):
            usage = f"usage: daist {command}"
            with self.subTest(command=command):
                helped = self.daist(command, "--help")
                self.assertEqual(helped.returncode, 0, helped.stderr)
                self.assertTrue(helped.stdout.startswith(usage), helped.stdout[:200])

    def test_unknown_and_absent_commands_are_one_line(self):
        wrong = self.daist("reprot", "summary")
        self.assertEqual(wrong.returncode, 2)
        self.assertEqual(wrong.stderr, "daist: error: unknown command 'reprot' (did you mean "
                                       "report?); commands: run, report, db, standin, seed\n")
        helped = self.daist()
        self.assertEqual(helped.returncode, 2)
        self.assertIn("seed ", helped.stdout)

    def test_a_command_whose_module_is_absent(self):
        from daist import cli
        original = dict(cli.COMMANDS)
        self.addCleanup(cli.COMMANDS.update, original)
        cli.COMMANDS["seed"] = ("daist.no_such_room.__main__", "absent")
        with self.assertRaisesRegex(LookupError, r"^daist seed is not available in this "
                                                 r"installation \(no module daist.no_such_room.__main__\)$"):
            cli.command_main("seed")


class TestVenvBootstrap(unittest.TestCase):
    """ensure() on a tiny project of its own: created once, kept while its dependency
    declarations are unchanged, re-installed when they change."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.root = self.tmp / "project"
        (self.root / "tinypkg").mkdir(parents=True)
        (self.root / "tinypkg" / "__init__.py").write_text("VALUE = 1\n")
        self.write_pyproject("")

    def use_pip(self) -> None:
        """The fallback installer, for where uv cannot be had (the other tests use the uv of
        daist's own venv)."""
        saved = os.environ.get("DAIST_NO_UV")
        os.environ["DAIST_NO_UV"] = "1"
        self.addCleanup(lambda: os.environ.pop("DAIST_NO_UV", None) if saved is None
                        else os.environ.__setitem__("DAIST_NO_UV", saved))

    def write_pyproject(self, dependencies: str) -> None:
        (self.root / "pyproject.toml").write_text(textwrap.dedent(f"""\
            [build-system]
            requires = ["setuptools>=68"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "tinypkg"
            version = "1.0"
            dependencies = [{dependencies}]
            [project.optional-dependencies]
            build = []
            test = []
            """))

    def test_create_keep_and_reinstall(self):
        target = self.tmp / "venv"
        messages: list[str] = []
        python = venv.ensure(venv_dir=target, root=self.root, announce=messages.append)
        self.assertTrue(venv.is_current(target, self.root))
        check = subprocess.run([str(python), "-c", "import tinypkg; print(tinypkg.VALUE)"],
                               capture_output=True, text=True)
        self.assertEqual(check.stdout.strip(), "1")
        log = target / venv.INSTALL_LOG
        first = log.stat().st_mtime_ns
        venv.ensure(venv_dir=target, root=self.root, announce=messages.append)
        self.assertEqual(log.stat().st_mtime_ns, first)        # unchanged: nothing re-installed
        time.sleep(0.01)
        self.write_pyproject('"packaging"')
        self.assertFalse(venv.is_current(target, self.root))
        venv.ensure(venv_dir=target, root=self.root, announce=messages.append)
        self.assertGreater(log.stat().st_mtime_ns, first)
        self.assertTrue(venv.is_current(target, self.root))
        self.assertEqual(sum(m.startswith("daist: installing daist and its") for m in messages), 2)

    def test_uv_and_the_lock(self):
        self.write_pyproject('"packaging"')
        target, messages = self.tmp / "venv", []
        lock = venv.write_lock(venv_dir=target, root=self.root, announce=messages.append)
        self.assertEqual(venv.lock_state(self.root), "fresh")
        self.assertRegex(lock.read_text(), r"(?m)^packaging==[\d.]+ \\\n +--hash=sha256:")
        venv.ensure(venv_dir=target, root=self.root, announce=messages.append)
        self.assertIn("daist: installing the pinned dependencies of requirements.lock with uv",
                      messages)
        check = subprocess.run([str(target / "bin" / "python"), "-c", "import packaging, tinypkg"],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.write_pyproject('"packaging", "six"')  # a dependency added without a new lock
        self.assertRegex(venv.lock_state(self.root), r"^requirements.lock does not match "
                                                     r"pyproject.toml .*\(regenerate it with "
                                                     r"./make_venv.py --lock\)$")
        messages.clear()
        venv.ensure(venv_dir=target, root=self.root, announce=messages.append)
        self.assertTrue(any("resolving the dependencies instead" in m for m in messages), messages)
        check = subprocess.run([str(target / "bin" / "python"), "-c", "import six"],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)

    def test_failed_install_says_why(self):
        self.use_pip()
        self.write_pyproject('"this-package-does-not-exist-daist==0.0.1"')
        with self.assertRaisesRegex(venv.VenvError, "pip install failed"):
            venv.ensure(venv_dir=self.tmp / "venv", root=self.root, announce=lambda _: None)
        self.assertFalse(venv.is_current(self.tmp / "venv", self.root))


class TestWheel(unittest.TestCase):
    def plant_earlier_run(self) -> None:
        """A report of an earlier run in daist/results/, as a checkout has after a few runs."""
        planted = paths.default_results_root() / "zz-packaging-probe" / "2026-01-01T00-00-00Z"
        planted.mkdir(parents=True, exist_ok=True)
        self.addCleanup(shutil.rmtree, planted.parent, ignore_errors=True)
        (planted / "Report-probe.html").write_bytes(b"<html>" + b"x" * (2 * MAX_PACKAGED_BYTES))

    def assert_only_package_files(self, names_and_sizes: list[tuple[str, int]]) -> None:
        self.assertEqual([n for n, _ in names_and_sizes if "results/" in n], [])
        self.assertEqual([n for n, size in names_and_sizes if size > MAX_PACKAGED_BYTES], [])
        self.assertTrue(any(n.endswith("daist/report/templates/report.html")
                            for n, _ in names_and_sizes))  # what the package needs is there

    def test_wheel_runs_outside_the_repository(self):
        self.plant_earlier_run()
        done = subprocess.run([sys.executable, str(paths.ROOT / "build_pkg.py")],
                              capture_output=True, text=True, env=clean_env(), timeout=600)
        self.assertEqual(done.returncode, 0, done.stdout[-2000:] + done.stderr[-2000:])
        self.assertNotRegex(done.stdout + done.stderr, r"(?i)warning|deprecat")
        wheels = sorted(paths.DIST_DIR.glob(f"daist-{daist.__version__}-*.whl"))
        self.assertTrue(wheels, done.stdout)
        sdists = list(paths.DIST_DIR.glob(f"daist-{daist.__version__}.tar.gz"))
        self.assertTrue(sdists)
        with zipfile.ZipFile(wheels[-1]) as wheel:
            self.assert_only_package_files([(i.filename, i.file_size) for i in wheel.infolist()])
            entry_points = wheel.read(f"daist-{daist.__version__}.dist-info/entry_points.txt").decode()
        self.assertIn("daist = daist.cli:main", entry_points)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=paths.ROOT).stdout.strip()
        with zipfile.ZipFile(wheels[-1]) as wheel:  # the commit it was built from
            self.assertEqual(json.loads(wheel.read("daist/build_info.json"))["commit"], commit)
        with tarfile.open(sdists[0]) as sdist:
            self.assert_only_package_files([(m.name, m.size) for m in sdist.getmembers()])
            recorded = sdist.extractfile(f"daist-{daist.__version__}/daist/build_info.json")
            self.assertEqual(json.loads(recorded.read())["commit"], commit)
        # A fresh venv outside the repository with only the wheel installed; the dependencies
        # come from our venv's site-packages through a .pth (no network, no daist checkout).
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        stdlib_venv.EnvBuilder(with_pip=False, symlinks=True).create(tmp / "venv")
        python = tmp / "venv" / "bin" / "python"
        site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                        "--target", str(site), str(wheels[-1])], check=True)
        (site / "zz_daist_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        env = clean_env()
        where = subprocess.run([str(python), "-c", "import daist; print(daist.__file__)"],
                               capture_output=True, text=True, env=env, cwd=tmp)
        self.assertTrue(where.stdout.startswith(str(site)), where.stdout + where.stderr)
        helped = subprocess.run([str(python), "-m", "daist", "--help"], capture_output=True,
                                text=True, env=env, cwd=tmp)
        self.assertEqual(helped.returncode, 0, helped.stderr)
        self.assertIn("usage: python -m daist", helped.stdout)
        shown = subprocess.run([str(python), "-m", "daist", "--settings"], capture_output=True,
                               text=True, env=env, cwd=tmp)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(f"# config file: {site}/daist/config.d/config.conf", shown.stdout)
        self.assertIn("[locust]", shown.stdout)
        # a real run from the wheel: the embedded stand-in starts from the installed package,
        # and results land in ./daist-results (not in site-packages)
        ran = subprocess.run([str(python), "-m", "daist", "daist.test_target"], capture_output=True,
                             text=True, env=env, cwd=tmp, timeout=180)
        self.assertEqual(ran.returncode, 0, ran.stdout + ran.stderr)
        manifests = [m for m in (tmp / "daist-results" / "standin").glob("*/Result-standin-*.json")
                     if not m.parent.is_symlink()]   # not again through the `latest` link
        self.assertEqual(len(manifests), 1, ran.stdout)
        metadata = json.loads(manifests[0].read_text())["metadata"]
        self.assertEqual((metadata["git_commit"], metadata["daist_install"]), (commit, "wheel"))
        self.assertIn(f"Source: commit {commit[:10]} (", ran.stdout)
        self.assertIn(") of the installed wheel;", ran.stdout)


if __name__ == "__main__":
    unittest.main()
