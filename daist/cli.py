"""The ``daist`` console script installed with the wheel: ``daist run ...`` (= ``python -m
daist``), ``daist report ...``, ``daist db ...``, ``daist standin ...``, ``daist seed ...``.
Each command hands its arguments to the ``main(argv)`` of the module that ``python -m`` runs,
so both spellings stay the same program."""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from typing import Callable

import daist
from daist.framework.pipes import quiet_on_closed_pipe
from daist.models.terminal import for_terminal

COMMANDS = {
    "run": ("daist.app", "run the cluster tests (REST API load, metric latency)"),
    "report": ("daist.report.__main__", "summarize or compare results directories"),
    "db": ("daist.db.__main__", "migrate the perf-results database, upload results, show history"),
    "standin": ("daist.standin.cli", "serve the stand-in Determined master"),
    "seed": ("daist.seed.__main__", "fill a real cluster with the objects the load tests read"),
}
USAGE = "usage: daist {" + ",".join(COMMANDS) + "} [arguments]\n"


def help_text() -> str:
    lines = [USAGE, f"daist {daist.__version__}: Determined AI scalability tests.", "", "commands:"]
    lines += [f"  {name:9} {meaning}" for name, (_, meaning) in COMMANDS.items()]
    lines += ["", "`daist COMMAND --help` describes a command; `python -m daist` is `daist run`, "
              "`python -m daist.report` is `daist report` (and so on)."]
    return "\n".join(lines)


def command_main(name: str) -> Callable[[list[str]], int]:
    """The ``main(argv)`` of a command; ``LookupError`` with one line when it is unknown or
    not part of this installation."""
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise LookupError(f"unknown command {name!r}{hint}; commands: {', '.join(COMMANDS)}")
    module_name = COMMANDS[name][0]
    try:
        present = importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # its package is missing
        present = False
    if not present:
        raise LookupError(f"daist {name} is not available in this installation "
                          f"(no module {module_name})")
    entry = getattr(importlib.import_module(module_name), "main", None)
    if not callable(entry):
        raise LookupError(f"daist {name}: {module_name} has no main(argv)")
    return entry


@quiet_on_closed_pipe
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(help_text())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"daist {daist.__version__}")
        return 0
    try:
        entry = command_main(argv[0])
    except LookupError as exc:
        print(for_terminal(f"daist: error: {exc.args[0]}"), file=sys.stderr)
        return 2
    return entry(argv[1:], prog=f"daist {argv[0]}")


if __name__ == "__main__":
    sys.exit(main())
