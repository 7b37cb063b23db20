"""``python -m daist`` (and ``daist run``): a thin CLI over the session and the unittest
program. This is the only place that reads the run's argv, prints "error:" lines and decides the
exit status. What lives above framework arrives from ``daist.app``: the stand-in launcher, and
the ``Events`` whose listeners check settings, upload, report and write Markdown summaries."""
from __future__ import annotations

import argparse
import contextlib
import logging
import shlex
import sys
import unittest
from pathlib import Path
from typing import Iterator

import daist
from daist.framework import signals
from daist.framework.errors import ConfigError, DaistError, Interrupted, ResultsError
from daist.framework.events import Events
from daist.framework.limits import raise_open_files_limit
from daist.framework.log import RedactingStream, get_logger
from daist.framework.options import add_setting_flags, setting_options
from daist.framework.plan_notice import plan_notice
from daist.framework.runner import DaistTestRunner, write_junit_xml
from daist.framework.selection import (EXIT_NO_TESTS, Selection, describe, expand_short_names,
                                       load_suite, normalize_test_names)
from daist.framework.session import Session
from daist.framework.settings import Settings, load_settings, settings_table
from daist.framework.target import StandinLauncher
from daist.models.terminal import for_terminal

EXIT_INTERRUPTED = 130
MAX_REPEAT = 1000
log = get_logger("main")

EPILOG = """\
Any other arguments go to unittest: test names (e.g. daist.rest_api.test_locust.TestRO, or
TestRO when only one test has that name), -v, -q, -f, -b, -k PATTERN. With no test names,
every daist cluster test is discovered (it says which, and roughly for how long, first).
The seed spellings uts.rest_api.test_locust.TestRO and uts.metrics.test_latency.Test. work too.
Example: %(prog)s -u 50 -r 10 -t 5m -H http://master:8080 TestRO
Exit status: 0 all passed, 1 a test failed, 2 bad settings or usage, 3 target unreachable or
refusing the login, 4 results directory unusable, 5 no test ran, 130 interrupted (Ctrl-C),
143 terminated.
"""


def build_parser(prog: str = "python -m daist") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"daist {daist.__version__}: Determined AI scalability tests. Runs the named "
                    "unittest cases against the configured\nmaster (or an embedded stand-in) and "
                    "writes a results directory.")
    add_setting_flags(parser)
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $DAIST_CONFIG, else the packaged config.conf)")
    parser.add_argument("--junit-xml", metavar="PATH", type=Path,
                        help="also write a JUnit XML report of the tests to PATH")
    parser.add_argument("--summary-md", metavar="PATH", type=Path,
                        help="also append a Markdown summary of the run (limits with ✓/✗, the "
                             "report's path) to PATH, e.g. $GITHUB_STEP_SUMMARY")
    parser.add_argument("--list", action="store_true",
                        help="list the selected tests (names, -k) with a line each, then exit; "
                             "[slots] marks tests that run trials on the cluster")
    parser.add_argument("--repeat", metavar="N", type=_repeat_count, default=1,
                        help="run the selected tests N times, one results directory per run "
                             "(several runs per side for report compare)")
    parser.add_argument("--settings", action="store_true",
                        help="print the effective settings and where each came from, then exit")
    parser.add_argument("--list-settings", action="store_true",
                        help="print every setting with its environment variable and default")
    parser.add_argument("--traceback", action="store_true",
                        help="show tracebacks of internal errors on the console")
    parser.add_argument("--version", action="version", version=f"daist {daist.__version__}")
    return parser


def _repeat_count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_REPEAT:
        raise argparse.ArgumentTypeError(f"expected a count from 1 to {MAX_REPEAT}")
    return int(text)


def main(argv: list[str] | None = None, *, events: Events | None = None,
         standin: StandinLauncher | None = None, prog: str = "python -m daist") -> int:
    """``events``: the listeners of every run (``daist.app``'s); ``standin``: starts the
    embedded stand-in when no master is configured."""
    events = events or Events()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unittest_args = build_parser(prog).parse_known_args(argv)
    raise_open_files_limit()  # as Locust's own CLI does: every simulated user holds a socket
    try:
        settings = load_settings(config_path=args.config, options=setting_options(args))
        if args.list_settings or args.settings:
            return _show_settings(settings, table=args.list_settings)
        events.check_settings.fire(settings=settings)
        if args.junit_xml is not None:
            check_writable_file(args.junit_xml, "--junit-xml")
        if args.summary_md is not None:
            if not events.summary_md:
                raise ConfigError("--summary-md: this program cannot write Markdown summaries")
            check_writable_file(args.summary_md, "--summary-md")
        names = normalize_test_names(unittest_args)
        if names[:1] != ["discover"]:
            names = expand_short_names(names, say=print)
        suite = load_suite(names)
        if args.list:
            for line in describe(suite):
                print(line)
            return 0
        if names[:1] == ["discover"]:
            print(plan_notice(suite, settings), flush=True)
    except DaistError as exc:
        print(for_terminal(f"daist: error: {exc}"), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:  # Ctrl-C while the tests load: nothing started yet
        return EXIT_INTERRUPTED
    try:
        return run_repeated(settings, names, suite, events=events, standin=standin,
                            repeat=args.repeat, junit_xml=args.junit_xml, summary_md=args.summary_md,
                            command=shlex.join(argv), show_traceback=args.traceback)
    except KeyboardInterrupt:  # a signal between two runs, or after a run's cleanup
        return EXIT_INTERRUPTED


def _show_settings(settings: Settings, *, table: bool) -> int:
    if table:
        for key, env, default, meaning in settings_table():
            print(f"{key:34} {env:32} {default!r:12} {meaning}")
    else:
        print(f"# config file: {settings.config_path}")
        print(settings.to_config_file().to_text(None), end="")
    return 0


def check_writable_file(path: Path, option: str) -> None:
    """A file we will write at the end of the run: refuse now, not after hours of load. Opens
    it for appending; what this made (the file, missing parent folders) is removed again."""
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a directory")
    made: list[Path] = []
    try:
        for folder in reversed([p for p in path.absolute().parents if not p.exists()]):
            folder.mkdir()
            made.append(folder)
        if not path.exists():
            made.append(path)
        with open(path, "a"):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there: {exc.strerror or exc}") from None
    finally:
        for item in reversed(made):
            with contextlib.suppress(OSError):
                item.unlink() if item == path else item.rmdir()


def run_repeated(settings: Settings, names: list[str], suite: unittest.TestSuite, *,
                 events: Events, standin: StandinLauncher | None, repeat: int,
                 junit_xml: Path | None, command: str,
                 summary_md: Path | None = None, show_traceback: bool = False) -> int:
    """Run the suite ``repeat`` times, each run its own session and results directory. The
    first non-zero status is the exit status; an interrupt ends the series."""
    statuses: list[int] = []
    for number in range(1, repeat + 1):
        if number > 1:
            suite = load_suite(names)  # unittest empties a suite as it runs it
        if repeat > 1:
            print(f"daist: run {number} of {repeat}", flush=True)
        session = Session(settings=settings, command=command, standin=standin, events=events)
        statuses.append(run(session, suite, junit_xml=junit_xml, show_traceback=show_traceback))
        if summary_md is not None:
            try:  # on every ending, as the JUnit XML: CI shows what happened
                events.summary_md.fire(session=session, path=summary_md)
            except OSError as exc:
                print(f"daist: error: cannot write --summary-md {summary_md}: "
                      f"{exc.strerror or exc}", file=sys.stderr, flush=True)
                statuses[-1] = statuses[-1] or 2
        if session.interrupted_by or statuses[-1] >= 128:
            break
    if repeat > 1:
        print(f"daist: {len(statuses)} of {repeat} runs made; exit statuses "
              f"{', '.join(map(str, statuses))}", flush=True)
    return next((s for s in statuses if s != 0), 0)


def run(session: Session, suite: unittest.TestSuite, *, junit_xml: Path | None,
        show_traceback: bool = False) -> int:
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
            runner = DaistTestRunner(session=session, stream=console, **_runner_options(suite))
            outcome = runner.run(suite)
            status = 0 if outcome.wasSuccessful() else 1
            if session.disk_error:
                status, error = ResultsError.exit_status, session.disk_error
            elif status == 0 and outcome.testsRun == 0:
                status, error = EXIT_NO_TESTS, "no test ran"
        except Interrupted as exc:
            status, interrupted, error = 128 + exc.signum, True, f"interrupted ({exc})"
        except KeyboardInterrupt:
            status, interrupted, error = EXIT_INTERRUPTED, True, "interrupted (SIGINT)"
        except DaistError as exc:
            status, error = exc.exit_status, str(exc)
        except Exception as exc:
            status, error = 1, f"internal error: {type(exc).__name__}: {exc}"
            log.debug("internal error", exc_info=True)
            if show_traceback:
                logging.getLogger().exception("internal error")
        finally:
            status = _finish(session, status=status, error=error, interrupted=interrupted,
                             console=console, junit_xml=junit_xml)
    return status


def _runner_options(suite: unittest.TestSuite) -> dict:
    """The -v/-q/-f/-b options unittest parsed, kept on the suite by ``load_suite``."""
    program: Selection | None = getattr(suite, "program", None)
    if program is None:
        return {}
    return {"verbosity": program.verbosity, "failfast": program.failfast,
            "buffer": program.buffer, "warnings": program.warnings,
            "tb_locals": program.tb_locals}


def _finish(session: Session, *, status: int, error: str | None, interrupted: bool,
            console: RedactingStream, junit_xml: Path | None) -> int:
    try:
        session.stop(interrupted=interrupted, error=error)
    except KeyboardInterrupt:  # a signal during the report or upload: the manifest says so
        pass
    except DaistError as exc:  # the last manifest could not be saved (a full disk)
        status, error = exc.exit_status, error or str(exc)
    session.shield_signals = True  # what follows only prints and writes: let it finish
    if session.interrupted_by and status < 128:
        status = 128 + session.interrupted_by
    if junit_xml is not None:  # on every ending: CI needs a file that says what happened
        try:
            write_junit_xml(junit_xml, session)
        except OSError as exc:
            console.write(f"daist: error: cannot write --junit-xml {junit_xml}: "
                          f"{exc.strerror or exc}\n")
            status = status or 2
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


@contextlib.contextmanager
def _signals_interrupt(session: Session) -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM ``Interrupted`` (a KeyboardInterrupt) in the
    main thread, so cleanup runs alike; the session notes the signal, so a test that ends
    without a verdict is known to be interrupted rather than passed. Once the session shields
    its last saves, a signal is only noted."""
    def on_signal(signum: int) -> None:
        session.interrupted_by = signum
        if not session.shield_signals:
            raise signals.as_exception(signum)
    with signals.handling(on_signal):
        yield
