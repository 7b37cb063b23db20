"""``python -m daist``: a thin CLI over the session and the unittest program. This is the only
place that reads argv, prints "error:" lines and decides the exit status."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import logging
import shlex
import signal
import sys
from pathlib import Path
from typing import Iterator

import daist
from daist.framework import paths
from daist.framework.errors import ConfigError, DaistError, Interrupted
from daist.framework.log import RedactingStream, get_logger
from daist.framework.runner import DaistTestProgram, write_junit_xml
from daist.framework.session import Session
from daist.framework.settings import Settings, load_settings, settings_table

EXIT_INTERRUPTED = 130
log = get_logger("main")

EPILOG = """\
Any other arguments go to unittest: test names (e.g. daist.rest_api.test_locust.TestRO),
-v, -q, -f, -b, -k PATTERN. With no test names, every daist cluster test is discovered.
The seed spellings uts.rest_api.test_locust.TestRO and uts.metrics.test_latency.Test. work too.
Exit status: 0 all passed, 1 a test failed, 2 bad settings or usage, 3 target unreachable or
refusing the login, 4 results directory unusable, 130 interrupted (Ctrl-C), 143 terminated.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m daist", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"daist {daist.__version__}: Determined AI scalability tests. Runs the named "
                    "unittest cases against the configured master (or an embedded stand-in) and "
                    "writes a results directory.")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $DAIST_CONFIG, else the packaged config.conf)")
    parser.add_argument("--junit-xml", metavar="PATH", type=Path,
                        help="also write a JUnit XML report of the tests to PATH")
    parser.add_argument("--settings", action="store_true",
                        help="print the effective settings and where each came from, then exit")
    parser.add_argument("--list-settings", action="store_true",
                        help="print every setting with its environment variable and default")
    parser.add_argument("--traceback", action="store_true",
                        help="show tracebacks of internal errors on the console")
    parser.add_argument("--version", action="version", version=f"daist {daist.__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unittest_args = build_parser().parse_known_args(argv)
    try:
        settings = load_settings(config_path=args.config)
        names = normalize_test_names(unittest_args)
    except ConfigError as exc:
        print(f"daist: error: {exc}", file=sys.stderr)
        return exc.exit_status
    if args.list_settings:
        for key, env, default, meaning in settings_table():
            print(f"{key:34} {env:32} {default!r:12} {meaning}")
        return 0
    if args.settings:
        print(f"# config file: {settings.config_path}")
        print(settings.to_config_file().to_text(None), end="")
        return 0
    return run(settings, names, junit_xml=args.junit_xml, command=shlex.join(argv),
               show_traceback=args.traceback)


def run(settings: Settings, unittest_args: list[str], *, junit_xml: Path | None, command: str,
        show_traceback: bool = False) -> int:
    session = Session(settings=settings, command=command)
    _install_hooks(session)
    console = RedactingStream(sys.stderr, session.secrets)
    status, error, interrupted = 0, None, False
    stray_prints = contextlib.redirect_stdout(RedactingStream(sys.stdout, session.secrets))
    with _signals_interrupt(session), stray_prints:
        try:
            try:
                session.start()
            finally:
                if session.result is not None:
                    print(f"Results: {session.results_dir}", flush=True)
            program = DaistTestProgram(argv=["python -m daist", *unittest_args], session=session,
                                       stream=console)
            status = 0 if program.result.wasSuccessful() else 1
        except Interrupted as exc:
            status, interrupted, error = 128 + exc.signum, True, f"interrupted ({exc})"
        except KeyboardInterrupt:
            status, interrupted, error = EXIT_INTERRUPTED, True, "interrupted (SIGINT)"
        except DaistError as exc:
            status, error = exc.exit_status, str(exc)
        except SystemExit as exc:  # unittest's own usage errors
            status = exc.code if isinstance(exc.code, int) else 2
            error = f"unittest exited with status {status}"
        except Exception as exc:
            status, error = 1, f"internal error: {type(exc).__name__}: {exc}"
            log.debug("internal error", exc_info=True)
            if show_traceback:
                logging.getLogger().exception("internal error")
        finally:
            status = _finish(session, status=status, error=error, interrupted=interrupted,
                             console=console)
            if junit_xml is not None:  # on every ending: CI needs a file that says what happened
                write_junit_xml(junit_xml, session)
    return status


def _finish(session: Session, *, status: int, error: str | None, interrupted: bool,
            console: RedactingStream) -> int:
    with _signals_interrupt(session):
        try:
            session.stop(interrupted=interrupted, error=error)
        except KeyboardInterrupt:  # a second Ctrl-C during cleanup: the manifest is saved first
            interrupted = True
    sys.stdout.flush()
    if error:
        console.write(f"daist: error: {error}\n")
        console.flush()
    if session.problems and status == 0:
        status = 1
    for note in session.closing_notes:
        print(note, flush=True)
    result = session.result
    if result is not None:
        counts = result.outcome
        print(f"daist: run {counts.status} ({counts.tests_run} tests run, {counts.failures} "
              f"failed, {counts.errors} errors, {counts.skipped} skipped; "
              f"{len(result.files)} files recorded)", flush=True)
        print(f"Results: {session.results_dir}", flush=True)
    return status


def _install_hooks(session: Session) -> None:
    """Optional end-of-test and end-of-run work, imported only when configured or present."""
    if session.settings.db.PERF_RESULT_DB_HOST and _module_exists("daist.db.upload"):
        from daist.db.upload import SessionUploader
        session.after_test.append(SessionUploader(session.settings))
    if _module_exists("daist.report.hook"):
        from daist.report.hook import write_run_report
        session.on_stop.append(write_run_report)


@contextlib.contextmanager
def _signals_interrupt(session: Session) -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM ``Interrupted`` (a KeyboardInterrupt) in the
    main thread, so cleanup runs alike; the session notes the signal, so a test that ends
    without a verdict is known to be interrupted rather than passed."""
    def handler(signum, frame):
        session.interrupted_by = signum
        raise Interrupted(signum) if signum == signal.SIGTERM else KeyboardInterrupt()
    try:
        previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)


def normalize_test_names(args: list[str]) -> list[str]:
    """Accept the original README's spellings: a trailing '.' is dropped, and ``uts.X`` names a
    cluster test ``daist.X`` when no such unit-test module exists. With no names at all, discover
    every test in the daist package."""
    names, options, expect_value = [], [], False
    for arg in args:
        if expect_value:
            options.append(arg)
            expect_value = False
        elif arg.startswith("-"):
            options.append(arg)
            expect_value = arg in ("-k",)
        else:
            names.append(_alias(arg.rstrip(".")))
    if not names:
        return ["discover", "-s", str(paths.PACKAGE_DIR), "-t", str(paths.PACKAGE_DIR.parent),
                "-p", "test*.py", *options]
    return [*options, *names]


def _alias(name: str) -> str:
    parts = name.split(".")
    if parts[0] != "uts":
        return name
    for end in range(len(parts), 1, -1):
        if _module_exists(".".join(parts[:end])):
            return name
        if _module_exists(".".join(["daist", *parts[1:end]])):
            return ".".join(["daist", *parts[1:]])
    return name


def _module_exists(name: str) -> bool:
    """Is there a module file for ``name``? Looks at files only: importing the candidate (or a
    parent that is a module, as ``find_spec`` does) could run it; test_locust imports Locust,
    which monkey-patches the whole process with gevent."""
    first, *rest = name.split(".")
    try:
        top = importlib.util.find_spec(first)
    except (ImportError, ValueError):
        return False
    if top is None or not rest:
        return top is not None
    for location in top.submodule_search_locations or []:
        path = Path(location, *rest)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False
