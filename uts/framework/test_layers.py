"""One-way imports: ``framework`` and ``models`` never import the rooms above them, not even
lazily inside a function; ``daist.app`` is the one place that wires them together; every package
and every room of the stand-in keeps the order declared in ``uts.layers``."""
import ast
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from uts.layers import PACKAGE_LAYERS, STANDIN_LAYERS, layer_problems, layers_text

UPPER_ROOMS = ("rest_api", "metrics", "standin", "report", "db", "seed")


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, module) of every import in the file at any depth (function bodies too); a
    relative import is resolved against ``package``, the file's own package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(filter(None, [*parent, base]))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def upward_imports(directory: Path, package: str) -> list[str]:
    forbidden = tuple(f"daist.{room}" for room in UPPER_ROOMS)
    problems = []
    for path in sorted(directory.glob("*.py")):
        for line, module in imported_modules(path, package):
            if module.startswith(forbidden) and module.split(".")[:2] in [f.split(".") for f in forbidden]:
                problems.append(f"{path.name}:{line} imports {module}")
    return sorted(set(problems))


class TestLayers(unittest.TestCase):
    def test_framework_and_models_import_nothing_above_them(self):
        for room in ("framework", "models"):
            with self.subTest(room=room):
                self.assertEqual(upward_imports(paths.PACKAGE_DIR / room, f"daist.{room}"), [])

    def test_the_check_sees_lazy_and_relative_upward_imports(self):
        directory = Path(tempfile.mkdtemp())
        (directory / "probe.py").write_text("import daist.modelsx\n\ndef late():\n"
                                            "    from daist.report import hook\n"
                                            "    from ..standin import launcher\n")
        self.assertEqual(upward_imports(directory, "daist.framework"),
                         ["probe.py:4 imports daist.report", "probe.py:4 imports daist.report.hook",
                          "probe.py:5 imports daist.standin", "probe.py:5 imports daist.standin.launcher"])

    def test_the_composition_root_wires_the_rooms(self):
        imported = [module for _, module in imported_modules(paths.PACKAGE_DIR / "__main__.py", "daist")]
        self.assertIn("daist.app.main", imported)


class TestDeclaredOrder(unittest.TestCase):
    """Every package of daist, and every room of the stand-in, against one declared order."""

    def test_every_package_keeps_the_order(self):
        self.assertEqual(layer_problems(paths.PACKAGE_DIR, "daist", PACKAGE_LAYERS), [])

    def test_every_room_of_the_standin_keeps_the_order(self):
        self.assertEqual(layer_problems(paths.PACKAGE_DIR / "standin", "daist.standin",
                                        STANDIN_LAYERS), [])

    def test_the_check_fails_on_an_upward_import_a_cycle_and_an_undeclared_package(self):
        root = Path(tempfile.mkdtemp())
        for folder in ("models", "framework", "extra"):
            (root / folder).mkdir()
            (root / folder / "__init__.py").write_text("")
        (root / "models" / "data.py").write_text(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.framework import x\n"
            "def late():\n    from ..framework import settings\n")
        (root / "framework" / "settings.py").write_text("from pkg.models import data\n")
        layers = (("models",), ("framework",), ("report", "db"))
        self.assertEqual(layer_problems(root, "pkg", layers), [
            "extra/__init__.py: 'extra' is in no declared layer",
            "models/data.py:5 imports pkg.framework (framework is above models)",
            "models/data.py:5 imports pkg.framework.settings (framework is above models)",
        ])  # the cycle models <-> framework shows as its upward half; TYPE_CHECKING is no import
        (root / "report").mkdir()
        (root / "report" / "html.py").write_text("import pkg.db.rows\n")
        self.assertIn("report/html.py:1 imports pkg.db.rows (db is beside report)",
                      layer_problems(root, "pkg", layers))

    def test_the_docs_show_the_declared_order(self):
        text = (paths.PACKAGE_DIR.parent / "docs" / "harness-api.md").read_text()
        self.assertIn(f"packages: {layers_text(PACKAGE_LAYERS)}", text)
        self.assertIn(f"stand-in rooms: {layers_text(STANDIN_LAYERS)}", text)
