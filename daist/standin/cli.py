"""``python -m daist.standin``: parse options, serve until SIGINT/SIGTERM, exit 0.

Bad option values print one line (``daist.standin: error: ...``) and exit 2.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Any, Sequence

from daist.standin.faults.spec import FaultSpecError, parse_option
from daist.standin.options import StandinOptions, bind_problem
from daist.standin.seed.seeder import MAX_SCALE, MIN_SCALE, scale_error, seed_usernames

FAULT_OPTIONS = ("latency", "error-rate", "hang", "drop-rate", "capacity", "fault")


def _int_in(name: str, low: int, high: int | None = None) -> Any:
    """An argparse type: an integer in [low, high] (no upper bound when ``high`` is None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, not {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{name} must be {bounds}, not {value}")
        return value

    return parse


_scale_int = _int_in("scale", 0, MAX_SCALE)


def _scale(text: str) -> int:
    value = _scale_int(text)
    problem = scale_error(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


_port = _int_in("port", 0, 65535)
_positive = _int_in("the value", 1)


def _password(text: str) -> tuple[str, str]:
    user, sep, password = text.partition("=")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"--password needs USER=PASSWORD, not {text!r}")
    return user, password


class _FaultAction(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any,
                 option_string: str | None = None) -> None:
        try:
            rule = parse_option(self.dest.replace("_", "-"), str(values))
        except FaultSpecError as exc:
            parser.error(str(exc))
        rules = list(getattr(namespace, "faults", None) or [])
        rules.append(rule)
        namespace.faults = rules


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, no usage block
        self.exit(2, f"{self.prog}: error: {message}\n")


FAULTS_EPILOG = """\
Fault values: R is a rate 0..1, or a selector that acts on chosen matching requests: every=N
(the Nth, 2Nth ...), first=N (the first N) or seq=x..x (x acts, . passes, repeated). REGEX is
searched in the request path (default: every path). Example:
  %(prog)s --port 0 --latency 50:20@^/api/v1/ --error-rate 0.02:503
"""


def build_parser(prog: str = "python -m daist.standin") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog, epilog=FAULTS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="A stand-in Determined master (0.38.1 API) for daist's load and "
                    "integration tests.\nAdmin endpoints live under /standin/.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                        "anything but loopback needs --allow-remote)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host (no TLS: a test double only)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="with --allow-remote: a host name (or address) that requests may "
                             "give in their Host header besides loopback ones (repeatable)")
    parser.add_argument("--port", type=_port, default=8080, help="port; 0 picks a free one")
    parser.add_argument("--db", default=None, help="SQLite file for the state (default: memory)")
    parser.add_argument("--scale", type=_scale, default=10,
                        help=f"experiments to seed, 0 (an empty cluster) or {MIN_SCALE}..{MAX_SCALE}"
                        " (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument("--rbac", action="store_true", help="report RBAC as enabled and answer "
                                                            "the RBAC endpoints")
    parser.add_argument("--password", type=_password, action="append", default=[],
                        metavar="USER=PW", help="set a seeded user's password (repeatable; "
                        "visible in process listings: prefer --passwords-stdin)")
    parser.add_argument("--passwords-stdin", action="store_true",
                        help='read {"user": "password", ...} as JSON from standard input')
    parser.add_argument("--max-upload-mb", type=_positive, default=128, metavar="MB",
                        help="largest experiment upload (model definition), MiB (default 128)")
    parser.add_argument("--slots", type=_positive, default=64,
                        help="most trial processes running at once (default 64)")
    parser.add_argument("--work-dir", default=None,
                        help="trial directories and checkpoints (default: a temp dir, removed)")
    parser.add_argument("--exit-with-parent", type=_positive, metavar="PID", default=None,
                        help="stop when process PID ends")
    parser.add_argument("--ready-file", default=None, metavar="PATH",
                        help='write {"url", "pid"} here once serving')
    parser.add_argument("--log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="lowest level logged to stderr (default WARNING)")
    faults = parser.add_argument_group("fault injection (repeatable; change at run time via "
                                       "/standin/faults)")
    faults.add_argument("--latency", action=_FaultAction, metavar="MS[:JITTER][@REGEX]",
                        help="delay matching requests by MS milliseconds, plus up to JITTER")
    faults.add_argument("--error-rate", action=_FaultAction, metavar="R[:STATUS][@REGEX]",
                        help="answer a share R of matching requests with STATUS (default 500)")
    faults.add_argument("--hang", action=_FaultAction, metavar="REGEX",
                        help="never answer matching requests")
    faults.add_argument("--drop-rate", action=_FaultAction, metavar="R[@REGEX]",
                        help="close the connection of a share R of matching requests, unanswered")
    faults.add_argument("--capacity", action=_FaultAction, metavar="C[@REGEX]",
                        help="serve at most C matching requests at once, the others wait in "
                             "turn; a --latency on them is their service time")
    faults.add_argument("--fault", action=_FaultAction, metavar="JSON",
                        help='a full rule as JSON, e.g. {"path": "^/api/v1/trials", '
                             '"latency_ms": 100, "count": 10} (daist/standin/README.md)')
    parser.set_defaults(faults=[])
    return parser


def _stdin_passwords(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    try:
        given = json.loads(sys.stdin.readline() or "{}")
    except ValueError:
        parser.error("--passwords-stdin expects one line of JSON: {\"user\": \"password\"}")
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        parser.error("--passwords-stdin expects a JSON object of user -> password strings")
    return [(str(user), password) for user, password in given.items()]


def options_from(args: argparse.Namespace, stdin_passwords: Sequence[tuple[str, str]] = ()) -> StandinOptions:
    return StandinOptions(
        host=args.host, port=args.port, scale=args.scale, seed=args.seed, db=args.db,
        rbac=args.rbac, passwords=(*args.password, *stdin_passwords), faults=tuple(args.faults),
        work_dir=args.work_dir, slots=args.slots, exit_with_parent=args.exit_with_parent,
        ready_file=args.ready_file, allow_remote=args.allow_remote,
        allowed_hosts=tuple(args.allow_host), max_upload_mb=args.max_upload_mb)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m daist.standin") -> int:
    try:
        try:
            return _main(argv, prog)
        finally:  # what is still buffered meets a closed pipe here, not at interpreter exit
            sys.stdout.flush()
    except BrokenPipeError:  # a reader that stopped early (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None, prog: str) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    options = options_from(args, _stdin_passwords(parser) if args.passwords_stdin else ())
    known = set(seed_usernames(options.scale))
    unknown = [user for user, _ in options.passwords if user not in known]
    if unknown:
        parser.error(f"--password names unknown user {unknown[0]!r}")
    problem = bind_problem(options)
    if problem:
        parser.error(problem)

    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def announce(line: str) -> None:
        print(line, flush=True)

    try:
        asyncio.run(_serve(options, announce))
    except OSError as exc:
        print(f"daist.standin: error: cannot serve on {options.host}:{options.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(options: StandinOptions, announce: Any) -> None:
    from daist.standin.server import serve

    await serve(options, announce=announce)
