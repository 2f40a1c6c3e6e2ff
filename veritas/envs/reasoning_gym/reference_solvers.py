"""Reference answers for reasoning-gym datasets that give none (answer None: "any valid answer is
scored"). Each solver reads the item's JSON metadata and returns one valid answer, or None when the
item has no honest reference (the adapter then draws another item). The adapter keeps an answer
only if reasoning-gym's own score_answer gives it 1.0, so a solver cannot make a wrong reference.

- graph_color: reasoning-gym already colours the graph greedily (metadata possible_answer) and only
  emits graphs its greedy colouring solves; the reference is that colouring as the JSON map the
  prompt asks for. Graphs without an edge (any colouring is right) are drawn again.
- rubiks_cube: reasoning-gym's example_correct_answer, a move sequence its own solver found; it is
  empty for cubes other than 3x3 (the manifest keeps cube_size at 3 for that reason).
- propositional_logic: reasoning-gym's example_answer, but only when the premises are satisfiable:
  from contradictory premises every formula follows, so any reply would score (the issue's 23%).
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Callable

# At most this many variables in a truth table (2^12 rows); reasoning-gym uses at most 10.
_MAX_VARIABLES = 12


def graph_color(metadata: dict) -> str | None:
    colouring, puzzle = metadata.get("possible_answer"), metadata.get("puzzle")
    if not isinstance(colouring, dict) or not colouring or not isinstance(puzzle, dict):
        return None
    if not puzzle.get("edges"):
        return None  # no edge: every colouring is right, so a constant reply would earn
    return json.dumps({str(k): v for k, v in colouring.items()})


def rubiks_cube(metadata: dict) -> str | None:
    moves = metadata.get("example_correct_answer")
    return moves.strip() if isinstance(moves, str) and moves.strip() else None


def _variables(expr: Any, out: set[str]) -> None:
    if expr.operator is None:
        out.add(expr.left)
        return
    _variables(expr.left, out)
    if expr.right is not None:
        _variables(expr.right, out)


def premises_satisfiable(premises: list[str]) -> bool:
    """Whether some truth assignment makes every premise true (reasoning-gym's own parser and
    evaluator, over every assignment of the premises' variables)."""
    from reasoning_gym.logic.propositional_logic import Expression

    parsed = [Expression.from_string(p) for p in premises]
    names: set[str] = set()
    for expr in parsed:
        _variables(expr, names)
    if len(names) > _MAX_VARIABLES:
        return False  # not checked, so not trusted
    order = sorted(names)
    for values in itertools.product((False, True), repeat=len(order)):
        assignment = dict(zip(order, values))
        if all(expr.evaluate(assignment) for expr in parsed):
            return True
    return False


def propositional_logic(metadata: dict) -> str | None:
    premises, example = metadata.get("premises"), metadata.get("example_answer")
    if not isinstance(premises, list) or not isinstance(example, str) or not example.strip():
        return None
    return example if premises_satisfiable(premises) else None


SOLVERS: dict[str, Callable[[dict], str | None]] = {
    "graph_color": graph_color,
    "rubiks_cube": rubiks_cube,
    "propositional_logic": propositional_logic,
}
