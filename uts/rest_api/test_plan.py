import unittest
from dataclasses import replace

from daist.framework.errors import ConfigError
from daist.framework.settings import load_settings
from daist.rest_api.plan import LoadPlan
from daist.rest_api.user import Pacer, parse_wait_time


def settings(**env):
    environ = {f"DAIST_LOCUST_{key.upper()}": str(value) for key, value in env.items()}
    return load_settings(environ=environ).locust


class TestPlanFromSettings(unittest.TestCase):
    def test_defaults_are_the_original_test(self):
        plan = LoadPlan.from_settings(settings())
        self.assertEqual((plan.shape, plan.users, plan.run_time), ("closed", 10, 300.0))
        self.assertFalse(plan.distributed)

    def test_combinations_are_one_line_errors_naming_the_keys(self):
        cases = [({"shape": "open"}, r"shape = open needs rate > 0"),
                 ({"rate": 50}, r"rate is set but shape = closed"),
                 ({"shape": "steps", "steps": "4, 2"}, r"steps must increase"),
                 ({"shape": "steps", "step_time": 5, "warmup": 5}, r"step_time must be longer"),
                 ({"run_time": 3, "warmup": 3}, r"run_time must be longer than warmup"),
                 ({"samples": "true", "workers": 2}, r"samples = true works in-process only"),
                 ({"users": 2, "workers": 3}, r"users \(2\) must be at least"),
                 ({"remote_workers": 1}, r"remote_workers need a fixed port")]
        for env, pattern in cases:
            with self.subTest(env=env):
                with self.assertRaisesRegex(ConfigError, r"^\[locust\] " + pattern) as caught:
                    LoadPlan.from_settings(settings(**env))
                self.assertNotIn("\n", str(caught.exception))

    def test_bad_single_values_are_refused_by_the_settings_layer(self):
        for env in ({"users": -1}, {"users": 10**9}, {"spawn_rate": 0}, {"shape": "ramp"},
                    {"master_bind": "localhost"}):
            with self.subTest(env=env), self.assertRaises(ConfigError):
                settings(**env)

    def test_layout(self):
        plan = LoadPlan.from_settings(settings(workers=2, remote_workers=1,
                                               master_bind="0.0.0.0:5557"))
        self.assertEqual((plan.processes, plan.bind), (3, ("0.0.0.0", 5557)))
        steps = LoadPlan.from_settings(settings(shape="steps", steps="1,2,4", step_time=2))
        self.assertEqual((steps.steps, steps.expected_s), ((1, 2, 4), 6.0))
        self.assertEqual(replace(steps, workers=1).processes, 1)


class TestUserHelpers(unittest.TestCase):
    def test_pacer_hands_out_evenly_spaced_slots_from_the_first_call(self):
        now = [1000.0]
        pacer = Pacer(50.0, clock=lambda: now[0])
        first = pacer.next_slot()
        now[0] += 5.0  # a late user still gets the next slot, not "now": the backlog is sent
        slots = [first] + [pacer.next_slot() for _ in range(4)]
        self.assertEqual([round(s - 1000.0, 6) for s in slots], [0.0, 0.02, 0.04, 0.06, 0.08])

    def test_wait_time(self):
        self.assertEqual(parse_wait_time("0"), (0.0, 0.0))
        self.assertEqual(parse_wait_time("1..3"), (1.0, 3.0))


if __name__ == "__main__":
    unittest.main()
