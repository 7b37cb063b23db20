"""``python -m daist.seed``: realistic data on any master through its public API, tagged with
a label so that seeding is idempotent and removable.

    python -m daist.seed --experiments 1000 --label nightly
    python -m daist.seed --remove --label nightly

The master is DET_MASTER as DET_USER/DET_PASSWORD (the daist settings: environment or config
file); with no master configured, the embedded stand-in is started as daist starts it, and the
data lives as long as this command.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Sequence

from daist.framework.errors import DaistError
from daist.framework.pipes import quiet_on_closed_pipe
from daist.models import parsers
from daist.models.terminal import for_terminal
from daist.seed.plan import SeedPlan, check_label

EXIT_INTERRUPTED = 130


EPILOG = """\
The master is DET_MASTER as DET_USER/DET_PASSWORD (the daist settings: environment or config
file); with no master configured, an embedded stand-in serves for as long as the command runs.
Examples:
  %(prog)s --experiments 1000 --label nightly   # again: leaves 1000
  %(prog)s --remove --label nightly             # deletes exactly what it created
"""


def parser(prog: str = "python -m daist.seed") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Realistic data on any master through its public API, tagged with a label "
                    "so that seeding\nis idempotent and removable.")
    p.add_argument("--label", required=True, type=_label,
                   help="names the seeded data; seeding again with it is idempotent")
    p.add_argument("--experiments", type=_count, help="experiments the label should have")
    p.add_argument("--trials-per-experiment", type=_positive, default=2,
                   help="trials per experiment (default 2)")
    p.add_argument("--reports-per-trial", type=_count, default=10,
                   help="training-metric reports per trial, plus one validation report "
                        "(default 10)")
    p.add_argument("--checkpoints-per-trial", type=_count, default=1,
                   help="checkpoints per trial (default 1)")
    p.add_argument("--workspaces", type=_count, default=0,
                   help="0: one per 1,000 experiments")
    p.add_argument("--projects", type=_count, default=0,
                   help="0: one per 100 experiments, spread over the workspaces")
    p.add_argument("--models", type=_count, default=0, help="0: one per 50 experiments")
    p.add_argument("--versions-per-model", type=_count, default=2,
                   help="model versions, from seeded checkpoints (default 2)")
    p.add_argument("--concurrency", type=_positive, default=8,
                   help="experiments created at the same time (default 8)")
    p.add_argument("--remove", action="store_true",
                   help="delete everything the label created, and nothing else")
    p.add_argument("--progress-every", type=float, default=None, metavar="SECONDS",
                   help="seconds between progress lines (default: 1 on a terminal, else 10)")
    return p


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A settings parser as an argparse type: its message becomes argparse's."""
    def convert(raw: str) -> Any:
        try:
            return parse(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


_count = _argument(parsers.int_range(0, 10_000_000))
_positive = _argument(parsers.int_range(1, 10_000_000))


def _label(raw: str) -> str:
    try:
        return check_label(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@quiet_on_closed_pipe
def main(argv: Sequence[str] | None = None, *, prog: str = "python -m daist.seed") -> int:
    args = parser(prog).parse_args(argv)
    if not args.remove and args.experiments is None:
        parser(prog).error("--experiments is required (or --remove)")
    plan = SeedPlan(label=args.label, experiments=args.experiments or 0,
                    trials_per_experiment=args.trials_per_experiment,
                    reports_per_trial=args.reports_per_trial,
                    checkpoints_per_trial=args.checkpoints_per_trial,
                    workspaces=args.workspaces, projects=args.projects, models=args.models,
                    versions_per_model=args.versions_per_model)
    try:
        return _run(args, plan)
    except KeyboardInterrupt:
        print(for_terminal(f"\ndaist.seed: interrupted; run the same command again to resume "
                           f"(label {plan.label})"), file=sys.stderr)
        return EXIT_INTERRUPTED
    except DaistError as exc:
        print(for_terminal(f"daist.seed: {exc}"), file=sys.stderr)
        return getattr(exc, "exit_status", 1)


def _run(args: argparse.Namespace, plan: SeedPlan) -> int:
    from daist.framework.master_client import MasterClient
    from daist.framework.settings import load_settings
    from daist.framework.target import open_target
    from daist.seed.master import SeedMaster
    from daist.seed.run import remove, seed

    settings = load_settings()
    target = open_target(settings)
    try:
        with MasterClient(target.url, timeout=60) as login:
            login.login(settings.determined.DET_USER, settings.determined.DET_PASSWORD.reveal())
            master = SeedMaster(target.url, login.token or "")
            try:
                if args.remove:
                    gone = remove(master, plan, concurrency=args.concurrency,
                                  interval=args.progress_every)
                    print(for_terminal(
                        f"daist.seed: removed label {plan.label} from {target.url}: "
                        f"{gone.experiments} experiments, {gone.models} models, "
                        f"{gone.projects} projects, {gone.workspaces} workspaces"))
                else:
                    done = seed(master, plan, concurrency=args.concurrency,
                                interval=args.progress_every)
                    print(for_terminal(
                        f"daist.seed: label {plan.label} on {target.url}: "
                        f"{done.existing + done.created} experiments ({done.created} created "
                        f"in {done.seconds:.1f} s, {done.rate:.1f}/s), {done.models} models "
                        f"({done.versions} versions added)"))
            finally:
                master.close()
    finally:
        target.close()
    return 0
