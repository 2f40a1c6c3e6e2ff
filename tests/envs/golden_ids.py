"""The fixed tasks whose JSON is hashed into goldens/<task_type>.sha256: determinism in numbers.

Regenerate one family after an intended change to its generator with
`python tests/envs/golden_ids.py --write TASK_TYPE` and say in the commit why the tasks changed
(users' datasets change with them).
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import sys

if __name__ == "__main__":  # run as a script: import this checkout's veritas, not an installed copy
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from veritas.envs import DIFFICULTY_LEVELS, generate, get_family, list_task_types

GOLDENS = pathlib.Path(__file__).with_name("goldens")


def golden_tasks(task_type: str):
    fam = get_family(task_type)
    seeds = [0, 1, 2, 3, 7, 42, 1000, 99_991, fam.num_seeds - 1]
    for seed in seeds:
        yield generate(task_type, seed)
    for level in DIFFICULTY_LEVELS:
        for seed in (5, 123_456):
            yield generate(task_type, seed, level)
    for language in fam.languages:
        yield generate(task_type, 11, None, language)


def golden_hash(task_type: str) -> str:
    h = hashlib.sha256()
    for task in golden_tasks(task_type):
        h.update(task.to_json().encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def golden_path(task_type: str) -> pathlib.Path:
    return GOLDENS / f"{task_type}.sha256"


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("types", nargs="*", help="task types (default: all)")
    ap.add_argument("--write", action="store_true", help="rewrite the golden files of these types")
    args = ap.parse_args()
    for task_type in args.types or [t for t in list_task_types() if not t.startswith("rg.")]:
        digest = golden_hash(task_type)
        if args.write:
            golden_path(task_type).write_text(digest + "\n", encoding="ascii")
        print(f"{task_type} {digest}")
