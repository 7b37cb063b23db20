"""``python -m daist.report``: the summary of one run and the comparison of two. The only
place in ``daist.report`` that reads argv, prints ``daist: error:`` lines and decides the exit
status."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import NoReturn

from daist.framework.errors import DaistError
from daist.framework.pipes import quiet_on_closed_pipe
from daist.report.hook import LATEST
from daist.models.terminal import for_terminal
from daist.report.loader import RunData

EXIT_OK, EXIT_REGRESSION, EXIT_USAGE, EXIT_WRITE = 0, 1, 2, 4
EPILOG = """\
Exit status: 0 done (compare: no regression), 1 compare found a regression or data of the
baseline that a run lacks or cannot be read (named), 2 bad usage, an unreadable results
directory or runs that are not comparable (compare --allow-different compares them anyway), 4 the report
could not be written. The summary skips unreadable artifacts and names them.
"""


class UsageError(DaistError):
    exit_status = EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        raise UsageError(message)


def percentage(text: str) -> float:
    """``10%`` or ``10`` -> 0.10."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage (e.g. 10%)") from None
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0% and 1000%")
    return value / 100.0


def build_parser(prog: str = "python -m daist.report") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Summaries and HTML reports of daist runs, and comparisons of "
                                 "two runs (a CI gate for regressions between releases).")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    summary = commands.add_parser("summary", help="print a run's summary (read-only)",
                                  description="Print the one-screen summary of a results "
                                  "directory. Nothing is written (the run's own report is "
                                  "Report-<host>-<stamp>.html in it) unless --html is given.")
    summary.add_argument("results_dir", metavar="RESULT_DIR", type=Path, nargs="?",
                         default=Path(LATEST), help="a run directory (default: latest, the "
                         "newest run under the results root)")
    summary.add_argument("--html", metavar="FILE", type=Path,
                         help="also write the HTML report to FILE (the results directory is "
                              "never changed)")
    summary.add_argument("--no-html", action="store_true", help=argparse.SUPPRESS)  # the default now
    summary.add_argument("--summary-md", metavar="FILE", type=Path,
                         help="also append the summary as Markdown to FILE (e.g. "
                              "$GITHUB_STEP_SUMMARY)")
    compare = commands.add_parser("compare", help="compare candidate runs with baseline runs",
                                  description="Per endpoint and metric-latency level: the change "
                                  "of p50/p95/p99, requests/s and the failure ratio, judged "
                                  "against the spread between runs (several runs per side) or "
                                  "between blocks of one run. Exit 1 when a regression is found "
                                  "or baseline data is missing in a run.")
    compare.add_argument("baseline", metavar="BASELINE_DIR", type=Path, nargs="?",
                         help="a baseline run directory (or a results root: every run in it; "
                              "latest: the newest run)")
    compare.add_argument("candidate", metavar="CANDIDATE_DIR", type=Path, nargs="?",
                         help="a candidate run directory (or a results root; latest: the "
                              "newest run)")
    compare.add_argument("--baseline", dest="baselines", metavar="DIR", type=Path,
                         action="append", default=[], help="another baseline run directory or "
                         "results root (repeatable: several runs per side; a root stands for its "
                         "runs of the same tests and settings, the others are named)")
    compare.add_argument("--candidate", dest="candidates", metavar="DIR", type=Path,
                         action="append", default=[], help="another candidate run directory or "
                         "results root (repeatable)")
    compare.add_argument("--html", metavar="PATH", type=Path, help="also write the comparison "
                         "as an HTML page to PATH")
    compare.add_argument("--min-change", type=percentage, default=0.10, metavar="PCT",
                         help="relative change a figure must exceed (default 10%%)")
    compare.add_argument("--noise-floor-ms", type=float, default=5.0, metavar="MS",
                         help="absolute change a latency must exceed (default 5 ms)")
    compare.add_argument("--fail-floor", type=percentage, default=0.01, metavar="PCT",
                         help="absolute change a failure ratio must exceed (default 1%%, i.e. "
                              "one percentage point)")
    compare.add_argument("--alpha", type=float, default=0.05,
                         help="significance level after Holm's correction (default 0.05)")
    compare.add_argument("--allow-different", "--force", action="store_true", dest="allow_different",
                         help="compare runs that are not comparable (different test, load "
                              "shape, users, user class or target)")
    compare.add_argument("--runs-needed", type=percentage, metavar="PCT",
                         help="also say how many runs per side would catch a PCT%% change of "
                              "each endpoint class's p50, at the noise between these runs")
    compare.add_argument("--all", action="store_true", dest="show_all",
                         help="show every row and figure, not only the changed ones")
    compare.add_argument("--summary-md", metavar="FILE", type=Path,
                         help="also append the verdict and the regressions as Markdown to FILE "
                              "(e.g. $GITHUB_STEP_SUMMARY)")
    return parser


@quiet_on_closed_pipe
def main(argv: list[str] | None = None, *, prog: str = "python -m daist.report") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        args = build_parser(prog).parse_args(argv)
        if args.command == "summary":
            return _summary(args)
        return _compare(args)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except DaistError as exc:
        _error(str(exc))
        return exc.exit_status
    except BrokenPipeError:  # the reader stopped early: quiet_on_closed_pipe ends it
        raise
    except Exception as exc:
        _error(f"internal error: {type(exc).__name__}: {exc}")
        if show_traceback:
            logging.getLogger("daist").exception("internal error")
        return EXIT_USAGE


def _summary(args: argparse.Namespace) -> int:
    from daist.report.html import write_report
    from daist.report.loader import load_run
    from daist.report.summary import summary_text

    run = load_run(resolve_latest(args.results_dir), figures=args.html is not None)
    _warn_skipped(run)
    print(for_terminal(summary_text(run)), end="", flush=True)
    if args.summary_md is not None:
        from daist.report.html import report_name
        from daist.report.markdown import run_markdown

        report = args.html or run.directory / report_name(run)
        if not _append_md(args.summary_md, run_markdown(
                run, report=report if args.html or report.is_file() else None)):
            return EXIT_WRITE
    if args.html is None:
        return EXIT_OK
    try:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        path = write_report(run, path=args.html)
    except OSError as exc:
        _error(f"cannot write the HTML report: {exc.strerror or exc}"
               f"{f' ({exc.filename})' if exc.filename else ''}")
        return EXIT_WRITE
    print(for_terminal(f"Report: {path}"))
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from daist.report.compare import Thresholds, compare_runs
    from daist.report.compare_render import render_html, render_text
    from daist.report.loader import load_run
    from daist.report.run_selection import Listed, select_runs

    try:
        thresholds = Thresholds(min_change=args.min_change, noise_floor_ms=args.noise_floor_ms,
                                fail_floor=args.fail_floor, alpha=args.alpha)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sides = []
    for label, first, more in (("baseline", args.baseline, args.baselines),
                               ("candidate", args.candidate, args.candidates)):
        paths = [path for path in (first, *more) if path is not None]
        if not paths:
            raise UsageError(f"compare needs a {label}: {label.upper()}_DIR or --{label} DIR")
        sides.append(paths)
    listed = [[Listed(load_run(directory, figures=False), from_root=is_results_root(path))
               for path in map(resolve_latest, paths) for directory in run_directories(path)]
              for paths in sides]
    selection = select_runs(listed)
    for item in selection.left_out:
        print(for_terminal(f"daist: note: left out {item}"), file=sys.stderr)
    for label, runs in zip(("baseline", "candidate"), selection.sides):
        if not runs:
            raise UsageError(f"no {label} run is left: the results root held only runs of other "
                             "tests or settings (named above)")
    comparison = compare_runs(selection.sides[0], selection.sides[1], thresholds=thresholds)
    refusals = comparison.comparability.refusals
    if refusals and not args.allow_different:
        _error("the runs are not comparable: " + "; ".join(refusals) + " (--allow-different "
               "compares them anyway)")
        if args.summary_md is not None:
            _append_md(args.summary_md, "### daist compare: ✗ not comparable\n\n"
                       + "".join(f"- {refusal}\n" for refusal in refusals) + "\n")
        return EXIT_USAGE
    print(for_terminal(render_text(comparison, show_all=args.show_all)), end="", flush=True)
    if args.runs_needed is not None:
        from daist.report.detectable import runs_needed
        print(for_terminal("\n".join(["", *runs_needed(comparison, args.runs_needed)])),
              flush=True)
    if comparison.missing:
        _error(f"the comparison fails: {len(comparison.missing)} missing or unreadable: "
               + "; ".join(comparison.missing[:5]) + ("; ..." if len(comparison.missing) > 5 else ""))
    if args.html is not None:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(render_html(comparison), encoding="utf-8")
        except OSError as exc:
            _error(f"cannot write {args.html}: {exc.strerror or exc}")
            return EXIT_WRITE
        print(for_terminal(f"Comparison: {args.html}"))
    if args.summary_md is not None:
        from daist.report.markdown import comparison_markdown

        if not _append_md(args.summary_md, comparison_markdown(comparison, html=args.html)):
            return EXIT_WRITE
    return EXIT_REGRESSION if comparison.failed else EXIT_OK


def _append_md(path: Path, text: str) -> bool:
    from daist.report.markdown import append

    try:
        append(path, text)
    except OSError as exc:
        _error(f"cannot write --summary-md {path}: {exc.strerror or exc}")
        return False
    return True


def resolve_latest(path: Path) -> Path:
    """``latest`` (when no such file is here) is the newest run under the results root of the
    settings ([exec] output), said on stderr."""
    from daist.framework.settings import load_settings
    from daist.report.loader import MANIFEST_GLOB

    if str(path) != LATEST or path.exists():
        return path
    root = load_settings().results_root
    runs = sorted((m.parent for m in root.glob("*/*/" + MANIFEST_GLOB)
                   if not m.parent.is_symlink()), key=lambda run: run.name)
    if not runs:
        raise UsageError(f"latest: no run under {root} yet (name a results directory)")
    print(f"daist: latest is {runs[-1]}", file=sys.stderr, flush=True)
    return runs[-1]


def run_directories(path: Path) -> list[Path]:
    """``path`` itself when it is one run (or its manifest); else every run below it (a results
    root of ``./run.py --repeat N``: <root>/<host>/<stamp>), in order."""
    from daist.report.loader import MANIFEST_GLOB, find_manifest

    if is_results_root(path):
        found = sorted({m.parent for pattern in ("*/", "*/*/") for m in path.glob(pattern + MANIFEST_GLOB)
                        if not _through_link(m.parent, path)})
        if found:
            return found
    return [find_manifest(path).parent]


def is_results_root(path: Path) -> bool:
    from daist.report.loader import MANIFEST_GLOB

    return path.is_dir() and not any(path.glob(MANIFEST_GLOB))


def _through_link(run: Path, root: Path) -> bool:
    """Is ``run`` reached through a symlink below ``root`` (a host folder's ``latest``)? Such a
    run is also found under its own name and must count once."""
    return any(folder.is_symlink() for folder in (run, *run.parents) if folder != root
               and root in folder.parents)


def _warn_skipped(run: RunData, *, label: str = "") -> None:
    for item in run.skipped:
        print(for_terminal(f"daist: warning: {label + ' ' if label else ''}{run.directory}: "
                           f"skipped {item}"), file=sys.stderr)


def _error(message: str) -> None:
    print(for_terminal(f"daist: error: {' '.join(message.split())}"), file=sys.stderr, flush=True)
