"""No code compares a load shape's name outside ``daist.models.shape``: what a shape means
lives in its class (issue 29: the shape was once compared as a string on 12 lines in 5 files).
The scan reads every module of ``daist`` as syntax (nothing is imported)."""
from __future__ import annotations

import ast
import unittest
from pathlib import Path

import daist

NAMES = frozenset({"closed", "open", "steps"})
PACKAGE = Path(daist.__file__).parent
SHAPE_MODULE = PACKAGE / "models" / "shape.py"


def _names_in(node: ast.AST) -> set[str]:
    """The shape names a comparison operand spells: a literal, or a tuple/list/set of them."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return {item.value for item in items
            if isinstance(item, ast.Constant) and item.value in NAMES}


def shape_name_comparisons(source: str, filename: str) -> list[str]:
    """``file:line`` of each comparison with a shape name (``==``, ``!=``, ``in``, ``match``
    cases) and of each table keyed by two or more of them (a dispatch by name)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        operands: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)} & NAMES
            if len(keys) >= 2:
                found.append(f"{filename}:{node.lineno}")
            continue
        if any(_names_in(operand) for operand in operands):
            found.append(f"{filename}:{node.lineno}")
    return found


class TestShapeNames(unittest.TestCase):
    def test_no_module_but_the_shape_module_compares_a_shape_name(self):
        found = []
        for path in sorted(PACKAGE.rglob("*.py")):
            if path != SHAPE_MODULE:
                found += shape_name_comparisons(path.read_text(encoding="utf-8"),
                                                str(path.relative_to(PACKAGE.parent)))
        self.assertEqual(found, [])

    def test_a_planted_comparison_is_found(self):
        planted = {
            "if plan.shape == 'open':\n    pass\n": 1,
            "judged = 'steps' != info.shape\n": 1,
            "sweep = shape in ('closed', 'steps')\n": 1,
            "words = {'open': 'a rate', 'steps': 'a sweep'}.get(shape)\n": 1,
            "match shape:\n    case 'closed':\n        pass\n": 1,
            "if mode == 'read' or kind in ('a', 'b'):\n    pass\n": 0,
            "state = {'open': 1}\n": 0,
        }
        for source, count in planted.items():
            with self.subTest(source=source):
                self.assertEqual(len(shape_name_comparisons(source, "planted.py")), count)
