"""What one worker process does with one chunk of item indices: generate the tasks and build rows.

Top-level functions of an importable module, so process pools can pickle them by name.
"""

from __future__ import annotations

from data_gen import DataGenError


def _describe(task) -> str:
    return f"{task.task_type} task {task.task_id} (seed {task.seed}, difficulty {task.difficulty})"


def _check(task, reply: str, what: str) -> None:
    from veritas.envs import verify

    verdict = verify(task, reply)
    if verdict.score != 1.0:
        raise DataGenError(f"{_describe(task)}: its {what} scores {verdict.score} ({verdict.reason}); "
                           "this is a bug in the family, not in your input")


def jsonl_chunk(mix, start: int, end: int, check: bool) -> bytes:
    """Tasks [start, end) of the mix as JSON lines."""

    lines = []
    for i in range(start, end):
        task = mix.generate(i)
        if check:
            _check(task, task.answer, "reference answer")
        lines.append(task.to_json())
    lines.append("")
    return "\n".join(lines).encode("utf-8")


def sft_chunk(mix, split: str, start: int, end: int, check: bool):
    """SFT rows [start, end): the assistant turn is the family's worked solution."""
    from data_gen.schemas import SFT_SCHEMA, batch_from_rows
    from veritas.envs import worked_solution
    from veritas.rows import sft_row

    rows = []
    for i in range(start, end):
        task = mix.generate(i)
        try:
            reply = worked_solution(task)
        except NotImplementedError:
            raise DataGenError(f"{task.task_type} has no worked solution, so it cannot go into SFT data; "
                               "leave it out of the task list") from None
        if check:
            _check(task, reply, "worked solution")
        rows.append(sft_row(task, i, split, mix.system_prompt, reply))
    return batch_from_rows(rows, SFT_SCHEMA)


def rl_chunk(mix, split: str, start: int, end: int, check: bool):
    """RL rows [start, end) in verl's schema (veritas.rows.rl_row)."""
    from data_gen.schemas import RL_SCHEMA, batch_from_rows
    from veritas.rows import rl_row

    rows = []
    for i in range(start, end):
        task = mix.generate(i)
        if check:
            _check(task, task.answer, "reference answer")
        rows.append(rl_row(task, i, split, mix.system_prompt))
    return batch_from_rows(rows, RL_SCHEMA)
