"""Bundles: one rg.* task made of K independent reasoning-gym items, for datasets whose answers take
few values (yes/no, True/False, a handful of classes).

Thinning (the manifest's `thin` table) can balance such answers but never get a constant reply
below 1/k of k classes. A bundle asks K questions at once and pays only when all K answers are
right, so a constant reply (or any fixed pattern of answers) earns at most (largest class share)^K;
build_manifest picks K per level so that this is at most about 2%. The items are drawn one after
the other from the task's own seed stream (each with the thinning of its level), so a bundle is a
pure function of the task id like any other task.

Convention (stated in the prompt): one `Answer:` line with the K answers in question order,
separated by `;`. Only datasets whose answers never contain `;` and never span lines are bundled.
"""

from __future__ import annotations

SEPARATOR = ";"


def bundle_prompt(questions: list[str]) -> str:
    k = len(questions)
    parts = [f"This task has {k} separate questions. Solve each of them."]
    for i, question in enumerate(questions, 1):
        parts.append(f"Question {i}:\n{question.rstrip()}")
    slots = "; ".join(f"<answer {i}>" for i in range(1, k + 1))
    parts.append(f"Give your final answers on the last line of your reply, in the form `Answer: {slots}`: "
                 f"all {k} answers on that one line, in question order, separated by `{SEPARATOR}`.")
    return "\n\n".join(parts)


def bundle_answer(answers: list[str]) -> str:
    return f"{SEPARATOR} ".join(answers)


def split_answers(answer: str, k: int) -> list[str] | None:
    """The K answers of a bundle reply, or None when it does not give exactly K non-empty ones."""
    if answer.count(SEPARATOR) != k - 1:
        return None
    parts = [p.strip() for p in answer.split(SEPARATOR)]
    return parts if all(parts) else None


def repeated(answer: str, k: int) -> str:
    """The same answer to every question of a K-bundle (what a constant reply looks like)."""
    return bundle_answer([answer] * k)
