"""docs/distributed.md and its manifests (docs/k8s/) name only daist's real commands, flags,
ports, settings and Secret keys. No cluster runs here: the manifests are parsed (safe loader)
and held against daist's own parser, settings and tests."""
import re
import shlex
import unittest

import yaml

from daist.engine.worker_args import argument_parser
from daist.framework import paths
from daist.framework.settings import INTERNAL_ENV, load_settings
from daist.models.config import SECTIONS, env_name, knobs

DOC = paths.ROOT / "docs" / "distributed.md"
K8S = paths.ROOT / "docs" / "k8s"
UTS = paths.ROOT / "uts"
DAIST_MODULES = ("daist", "daist.worker", "daist.rest_api.worker")
"""The only modules a daist command may run (the master and the worker, and its alias)."""
KNOWN_ENV = {env_name(s, f) for s in SECTIONS for f, _ in knobs(s)} | INTERNAL_ENV


def manifests() -> dict[str, dict]:
    """kind/name -> document, over every manifest file."""
    found = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def container(document: dict) -> dict:
    (only,) = document["spec"]["template"]["spec"]["containers"]
    return only


def plain_env(spec: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in spec.get("env", []) if "value" in e}


class TestManifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = manifests()
        cls.secret = cls.docs["Secret/daist-credentials"]
        cls.master_job = cls.docs["Job/daist-master"]
        cls.service = cls.docs["Service/daist-master"]
        cls.workers = cls.docs["Job/daist-worker"]
        cls.master = container(cls.master_job)
        cls.worker = container(cls.workers)

    def test_the_master_runs_a_real_test_with_real_settings(self):
        command = self.master["command"]
        self.assertEqual(command[:3], ["python", "-m", "daist"])
        for name in command[3:]:  # every test name loads as a TestCase of daist
            suite = unittest.defaultTestLoader.loadTestsFromName(name)
            self.assertGreater(suite.countTestCases(), 0, name)
        env = plain_env(self.master)
        for spec in (self.master, self.worker):
            for entry in spec["env"]:
                self.assertIn(entry["name"], KNOWN_ENV, entry["name"])
        load_settings(environ=env)  # every value parses (a ConfigError fails the test)
        self.assertEqual(env["DAIST_METRICS_TRIALS"], "unmanaged")

    def test_the_worker_command_parses_and_names_the_masters_port_and_target(self):
        command = self.worker["command"]
        self.assertEqual(command[:3], ["python", "-m", "daist.worker"])
        args = argument_parser("python -m daist.worker").parse_args(command[3:])
        host, _, port = args.master.rpartition(":")
        master_env = plain_env(self.master)
        bind_port = master_env["DAIST_LOCUST_MASTER_BIND"].rpartition(":")[2]
        (service_port,) = self.service["spec"]["ports"]
        self.assertEqual(host, self.service["metadata"]["name"])
        self.assertEqual(int(port), service_port["port"])
        self.assertEqual(int(bind_port), service_port["targetPort"])
        self.assertEqual([p["containerPort"] for p in self.master["ports"]], [int(bind_port)])
        self.assertEqual(self.service["spec"]["selector"],
                         self.master_job["spec"]["template"]["metadata"]["labels"])
        self.assertEqual(args.target, master_env["DET_MASTER"])

    def test_the_master_waits_for_as_many_workers_as_the_job_runs(self):
        self.assertEqual(int(plain_env(self.master)["DAIST_LOCUST_REMOTE_WORKERS"]),
                         self.workers["spec"]["parallelism"])

    def test_passwords_come_from_the_secret_only(self):
        keys = set(self.secret["stringData"])
        for spec in (self.master, self.worker):
            refs = [e for e in spec["env"] if "valueFrom" in e]
            self.assertTrue(refs)
            for entry in refs:
                ref = entry["valueFrom"]["secretKeyRef"]
                self.assertEqual(ref["name"], self.secret["metadata"]["name"])
                self.assertIn(ref["key"], keys)
                self.assertEqual(ref["key"], entry["name"])
            self.assertNotIn("DET_PASSWORD", plain_env(spec))
        self.assertTrue(keys <= KNOWN_ENV | {"PGPASSWORD"}, keys)

    def test_results_land_on_the_volume(self):
        (volume,) = self.master_job["spec"]["template"]["spec"]["volumes"]
        self.assertIn(f"PersistentVolumeClaim/{volume['persistentVolumeClaim']['claimName']}",
                      self.docs)
        (mount,) = self.master["volumeMounts"]
        self.assertEqual(mount["name"], volume["name"])
        self.assertEqual(plain_env(self.master)["DAIST_EXEC_OUTPUT"], mount["mountPath"])

    def test_the_image_installs_daists_wheel(self):
        text = (K8S / "Dockerfile").read_text()
        self.assertIn("pip install --no-cache-dir /tmp/daist-*.whl", text)
        self.assertIn('name = "daist"', (paths.ROOT / "pyproject.toml").read_text())


class TestDocCommands(unittest.TestCase):
    def test_every_daist_command_is_one_the_tests_run_locally(self):
        text = DOC.read_text().replace("\\\n", " ")
        commands = re.findall(r"python -m ([\w.]+)([^\n`|]*)", text)
        self.assertGreater(len(commands), 3)
        tests = "\n".join(p.read_text() for p in UTS.rglob("*.py"))
        parser = argument_parser("python -m daist.worker")
        for module, rest in commands:
            with self.subTest(module=module):
                self.assertIn(module, DAIST_MODULES)
                self.assertTrue(f'"{module}"' in tests, f"no uts test runs {module}")
                words = shlex.split(rest.split("#")[0])
                if module != "daist" and words:  # a worker: its flags are the parser's
                    parser.parse_args(words)
        for path in re.findall(r"\]\((k8s/[^)]+)\)", DOC.read_text()):
            self.assertTrue((DOC.parent / path).is_file(), path)


if __name__ == "__main__":
    unittest.main()
