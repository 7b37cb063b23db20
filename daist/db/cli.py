"""``python -m daist.db {migrate,upload,history,changes}``: the only place in daist.db that reads
arguments, prints ``daist: error:`` lines and decides the exit status (0 done; 1 a database
error, unreadable files or no history; 2 usage or settings; 130 interrupted)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from daist.db.connection import DbTarget, connect
from daist.db.changes import MEASURES, changes_html, fetch_series, find_changes, render_changes
from daist.db.history import explain_empty, fetch_history, render_history
from daist.db.schema import latest_version, migrate
from daist.db.upload import upload_result
from daist.framework.errors import ConfigError, DaistError
from daist.framework.pipes import quiet_on_closed_pipe
from daist.framework.settings import load_settings
from daist.models.base import FormatError
from daist.models.result import Result
from daist.models.terminal import for_terminal

EPILOG = """\
The database comes from the [db] settings: PERF_RESULT_DB_HOST, _PORT, _NAME, _USER, _SCHEMA
(environment variables or the config file); the password only from PERF_RESULT_DB_PASS or
PGPASSWORD. Exit status: 0 done, 1 database error or unreadable files, 2 usage or settings.
"""


def build_parser(prog: str = "python -m daist.db") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="daist's perf-results database: create its tables, upload saved results "
                    "directories, show an endpoint's trend.")
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $DAIST_CONFIG, else the packaged one)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="create or update daist's tables (safe to repeat)")
    upload = commands.add_parser("upload", help="upload saved results directories; uploading "
                                 "one twice adds nothing")
    upload.add_argument("result_dirs", nargs="+", type=Path, metavar="RESULT_DIR",
                        help="a results directory (or its Result-*.json manifest)")
    history = commands.add_parser("history", help="p95 and RPS of one endpoint over runs")
    history.add_argument("test_name", metavar="TEST_NAME",
                         help="the endpoint's test name, e.g. 'get experiments'")
    history.add_argument("--last", type=_positive, default=20, metavar="N",
                         help="newest N runs (default 20)")
    history.add_argument("--system", metavar="LABEL",
                         help="only runs against this system (e.g. standin)")
    changes = commands.add_parser("changes", help="the runs where an endpoint's level shifted "
                                  "(change-point detection over its history)")
    changes.add_argument("--measure", "--figure", dest="measure", choices=sorted(MEASURES),
                         default="p95", help="the measure to examine (default p95; --figure is "
                         "its former name)")
    changes.add_argument("--test", action="append", metavar="TEST_NAME", dest="tests",
                         help="only this endpoint (repeatable; default: every endpoint)")
    changes.add_argument("--last", type=_positive, default=60, metavar="N",
                         help="newest N runs per endpoint (default 60)")
    changes.add_argument("--system", metavar="LABEL",
                         help="only runs against this system (e.g. standin)")
    changes.add_argument("--html", type=Path, metavar="FILE",
                         help="also draw each changed endpoint's history into FILE")
    return parser


@quiet_on_closed_pipe
def main(argv: list[str] | None = None, *, prog: str = "python -m daist.db") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage or help
        return exc.code if isinstance(exc.code, int) else 2
    try:
        target = DbTarget.from_settings(load_settings(config_path=args.config).db)
        return COMMANDS[args.command](target, args)
    except DaistError as exc:
        _error(str(exc))
        return exc.exit_status
    except KeyboardInterrupt:  # an upload in progress rolls back its open transaction
        _error("interrupted")
        return 130


def run_migrate(target: DbTarget, args: argparse.Namespace) -> int:
    with connect(target) as conn:
        applied = migrate(conn, target)
    done = ", ".join(f"{m.version} ({m.name})" for m in applied) or "nothing to do"
    print(f"{target.label}: daist schema version {latest_version()}; applied: {done}")
    return 0


def run_upload(target: DbTarget, args: argparse.Namespace) -> int:
    results = [open_manifest(path) for path in args.result_dirs]  # all usable before any upload
    status = 0
    for result in results:
        report = upload_result(target, result)
        for skipped in report.skipped:
            _error(f"skipped {skipped.path}: {skipped.reason}")
            status = 1
        print(for_terminal(f"{result.directory}: {report.summary} -> {target.label}"))
    return status


def run_history(target: DbTarget, args: argparse.Namespace) -> int:
    with connect(target) as conn:
        rows = fetch_history(conn, target, args.test_name, last=args.last, system=args.system)
        if not rows:
            _error(explain_empty(conn, target, args.test_name, system=args.system))
            return 1
    for line in render_history(args.test_name, rows):
        print(for_terminal(line))
    return 0


def run_changes(target: DbTarget, args: argparse.Namespace) -> int:
    with connect(target) as conn:
        series = fetch_series(conn, target, measure=args.measure, last=args.last,
                              names=args.tests, system=args.system)
    if not series:
        scope = f" for {', '.join(map(repr, args.tests))}" if args.tests else ""
        _error(f"no {args.measure} history{scope}{f' on system {args.system!r}' if args.system else ''}")
        return 1
    found = [(s, find_changes(s)) for s in series]
    for line in render_changes(found, measure=args.measure):
        print(for_terminal(line))
    if args.html is not None:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(changes_html(found, measure=args.measure), encoding="utf-8")
        except OSError as exc:
            _error(f"cannot write {args.html}: {exc.strerror or exc}")
            return 1
        print(for_terminal(f"Changes: {args.html}"))
    return 0


COMMANDS = {"migrate": run_migrate, "upload": run_upload, "history": run_history,
            "changes": run_changes}


def open_manifest(path: Path) -> Result:
    """The manifest of a results directory (or the manifest file itself)."""
    if path.is_dir():
        manifests = sorted(path.glob("Result-*.json"))
        if len(manifests) != 1:
            found = "no" if not manifests else f"{len(manifests)}"
            raise ConfigError(f"{path} is not a results directory: {found} Result-*.json "
                              "manifests in it (expected one)")
        path = manifests[0]
    elif not path.is_file():
        raise ConfigError(f"{path} does not exist")
    try:
        return Result.open(path)
    except (FormatError, ValueError) as exc:
        raise ResultsUnreadable(f"cannot read the manifest {path}: {exc}") from None


class ResultsUnreadable(DaistError):
    """The manifest of a results directory is malformed."""


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return value


def _error(message: str) -> None:
    print(for_terminal(f"daist: error: {message}"), file=sys.stderr, flush=True)
