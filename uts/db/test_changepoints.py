"""The change-point detector on fixed series (fixed seeds): what a nightly history holds besides
real level shifts (one bad night, heavy tails, two machine types) must not become a change, and
a real shift must still be found where it is."""
from __future__ import annotations

import unittest

import numpy as np
import ruptures

from daist.db.changepoints import MIN_SEGMENT, SquaredDeviation, detect

RUNS = 40
STEP_AT = 20


def nightly(seed: int, n: int = RUNS, *, cv: float = 0.08, step_at: int | None = None,
            factor: float = 1.3, heavy: bool = False) -> np.ndarray:
    """p95 per run in ms: 40 ms with CV ``cv`` normal noise (or heavy-tailed: exp(cv x Student-t
    with 2.5 degrees)), times ``factor`` from ``step_at``."""
    rng = np.random.default_rng(seed)
    noise = np.exp(cv * rng.standard_t(2.5, n)) if heavy else 1 + cv * rng.standard_normal(n)
    level = np.where(np.arange(n) >= (n if step_at is None else step_at), 40.0 * factor, 40.0)
    return level * noise


def alternating(seed: int, n: int = RUNS) -> list[str]:
    """Each night on machine type "small" or "large" at random."""
    return ["large" if x else "small" for x in np.random.default_rng(seed + 1000).random(n) < 0.5]


class TestDetect(unittest.TestCase):
    def test_one_step_up_or_down_is_found_where_it_is(self):
        for seed in range(10):
            for factor in (1.3, 0.7):
                with self.subTest(seed=seed, factor=factor):
                    (change,) = detect(list(nightly(seed, step_at=STEP_AT, factor=factor)))
                    self.assertEqual(change.index, STEP_AT)
                    self.assertAlmostEqual(change.ratio, factor - 1, delta=0.08)

    def test_flat_noise_has_no_change(self):
        for seed in range(20):
            with self.subTest(seed=seed):
                self.assertEqual(detect(list(nightly(seed))), [])

    def test_a_single_spike_is_no_change(self):
        """One 3-5x night anywhere (the first, the last, beside either end, in the middle)."""
        for seed in range(10):
            for at in (0, 1, 2, 19, RUNS - 3, RUNS - 2, RUNS - 1):
                for spike in (3.0, 5.0):
                    with self.subTest(seed=seed, at=at, spike=spike):
                        values = nightly(seed)
                        values[at] *= spike
                        self.assertEqual(detect(list(values)), [])

    def test_a_step_beside_a_spike_is_found_alone(self):
        """Where the bad night is one of the two at the step, its own level is unknowable: the
        step may be placed one run off."""
        for seed in range(10):
            for at in (STEP_AT - 3, STEP_AT - 1, STEP_AT, STEP_AT + 2):
                with self.subTest(seed=seed, at=at):
                    values = nightly(seed, step_at=STEP_AT)
                    values[at] *= 4.0
                    (change,) = detect(list(values))
                    slack = 1 if at in (STEP_AT - 1, STEP_AT) else 0
                    self.assertLessEqual(abs(change.index - STEP_AT), slack)

    def test_two_machine_types_alternating_are_no_change(self):
        for seed in range(20):
            with self.subTest(seed=seed):
                machines = alternating(seed)
                values = nightly(seed) * [1.5 if m == "large" else 1.0 for m in machines]
                self.assertEqual(detect(list(values), machines=machines), [])

    def test_a_step_under_alternating_machine_types_is_found(self):
        """At 5 % noise, where the step is plain to see (at 8 % one of these ten histories shows
        a second, false change: the benchmark measures how often)."""
        for seed in range(10):
            with self.subTest(seed=seed):
                machines = alternating(seed)
                values = nightly(seed, cv=0.05, step_at=STEP_AT) * [
                    1.5 if m == "large" else 1.0 for m in machines]
                (change,) = detect(list(values), machines=machines)
                self.assertLessEqual(abs(change.index - STEP_AT), 1)
                self.assertAlmostEqual(change.ratio, 0.3, delta=0.08)

    def test_a_machine_type_that_replaced_another_is_a_change(self):
        """Types that never alternate cannot be told from a change: the move is reported."""
        machines = ["small"] * STEP_AT + ["large"] * (RUNS - STEP_AT)
        values = nightly(3) * [1.5 if m == "large" else 1.0 for m in machines]
        self.assertEqual([c.index for c in detect(list(values), machines=machines)], [STEP_AT])

    def test_heavy_tailed_noise_around_a_flat_level_stays_quiet(self):
        for seed in range(20):
            with self.subTest(seed=seed):
                self.assertEqual(detect(list(nightly(seed, 60, cv=0.1, heavy=True))), [])

    def test_a_step_in_heavy_tailed_noise_is_found(self):
        """Within 2 runs, as the benchmark counts a detection: stray values beside the step
        can pull its place."""
        for seed in range(10):
            with self.subTest(seed=seed):
                (change,) = detect(list(nightly(seed, 60, cv=0.1, heavy=True, step_at=30)))
                self.assertLessEqual(abs(change.index - 30), 2)

    def test_too_short_is_not_judged(self):
        self.assertEqual(detect([10.0] * (MIN_SEGMENT * 2 - 1) + [99.0]), [])

    def test_machine_types_must_match_the_runs(self):
        with self.assertRaisesRegex(ValueError, "2 machine types for 10 runs"):
            detect([1.0] * 10, machines=["a", "b"])

    def test_zero_or_negative_values_are_judged_on_their_own_scale(self):
        values = [0.0, 1.0] * 10 + [30.0, 31.0] * 10  # e.g. RPS of an endpoint that woke up
        self.assertEqual([c.index for c in detect(values)], [20])


class TestSquaredDeviation(unittest.TestCase):
    def test_the_same_costs_as_ruptures_l2(self):
        signal = np.random.default_rng(7).standard_normal((30, 1)) * 5 + 100
        ours, theirs = SquaredDeviation().fit(signal), ruptures.costs.CostL2().fit(signal)
        for start in range(30):
            for end in range(start + 1, 31):
                self.assertAlmostEqual(ours.error(start, end), theirs.error(start, end),
                                       delta=1e-6 * (1 + theirs.error(start, end)))


if __name__ == "__main__":
    unittest.main()
