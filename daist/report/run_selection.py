"""Which runs a results root given to ``compare`` stands for: only runs of the same tests with
the same settings (and the same injected faults) as the side's reference run; every run left
out is named with the reason, so a root that gathered other experiments cannot blur the noise
estimate or the verdict without a word.

The reference of the tests is the first run named directly (baseline first), else the first
run found in the baseline's first root; the reference of the settings is each side's first run
named directly, else the first of its runs that ran those tests."""
from __future__ import annotations

from dataclasses import dataclass, field

from daist.report.comparability import setting_differences, tests_of
from daist.report.faults import faults_line
from daist.report.loader import RunData

SHOWN_DIFFERENCES = 3


@dataclass
class Listed:
    run: RunData
    from_root: bool
    """Found below a results root (else named on the command line, always kept)."""


@dataclass
class Selection:
    sides: list[list[RunData]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    """``baseline <dir>: <reason>`` per run a root held that does not belong."""


def select_runs(sides: list[list[Listed]], labels: tuple[str, ...] = ("baseline", "candidate")
                ) -> Selection:
    named = [item.run for side in sides for item in side if not item.from_root]
    first = named[0] if named else next((item.run for side in sides for item in side), None)
    tests = tests_of(first) if first is not None else set()
    selection = Selection()
    for label, side in zip(labels, sides):
        reference = next((i.run for i in side if not i.from_root), None) or next(
            (i.run for i in side if tests_of(i.run) == tests), None)
        kept = []
        for item in side:
            reason = None if not item.from_root else unlike(reference, item.run, tests)
            if reason:
                selection.left_out.append(f"{label} {item.run.directory}: {reason}")
            else:
                kept.append(item.run)
        selection.sides.append(kept)
    return selection


def unlike(reference: RunData | None, run: RunData, tests: set[str]) -> str | None:
    """Why ``run`` does not belong beside ``reference`` (None: it does)."""
    ran = tests_of(run)
    if reference is None or ran != tests:
        return (f"ran {', '.join(sorted(ran)) or 'no test'}, not "
                f"{', '.join(sorted(tests)) or 'no test'}")
    differences = setting_differences(reference, run)
    if differences:
        more = len(differences) - SHOWN_DIFFERENCES
        return ("other settings: " + "; ".join(differences[:SHOWN_DIFFERENCES])
                + (f"; and {more} more" if more > 0 else ""))
    if faults_line(reference.result.metadata) != faults_line(run.result.metadata):
        return "other faults injected into the stand-in"
    return None
