"""Run an evaluation: held-out tasks -> requests -> verdicts, streamed to JSONL, resumable.

Held-out means the `test` split of veritas.mixes: a block of seeds that no train or val mix can
draw from, so an eval set never overlaps what a model was trained or validated on.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field

from veritas.envs import Task, content_key, verify
from veritas.envs.rng import derive_seed
from veritas.llm_client import ChatClient, EndpointError, RequestFailed
from veritas.mixes import Adaptive, Curriculum, Mix, mix_from_dict

RECORDS = "records.jsonl"
RUN_CONFIG = "run.json"
RESULTS = "results.json"
CHART = "accuracy.png"


class EvalSetupError(ValueError):
    """Bad flags, a mismatched output folder, or an unreadable mix: one clear message."""


@dataclass
class EvalConfig:
    base_url: str
    model: str
    task_types: list[str]
    n: int
    seed: int = 0
    samples: int = 1
    temperature: float = 0.0
    max_tokens: int = 2048
    concurrency: int = 16
    difficulty: int | None = None
    language: str = "en"
    system_prompt: str | None = None
    mix_path: str | None = None
    extra_body: dict = field(default_factory=dict)
    timeout_s: float = 300.0
    max_retries: int = 5
    backoff_s: float = 1.0
    api_key_env: str = "OPENAI_API_KEY"
    distinct: bool = False

    def identity(self) -> dict:
        """What must match for a re-run to resume into the same folder (not the URL: servers move)."""
        return {
            "model": self.model, "task_types": self.task_types, "n": self.n, "seed": self.seed,
            "samples": self.samples, "temperature": self.temperature, "max_tokens": self.max_tokens,
            "difficulty": self.difficulty, "language": self.language, "system_prompt": self.system_prompt,
            "mix_path": self.mix_path, "extra_body": self.extra_body,
            # only when set, so runs from before the flag existed still resume
            **({"distinct": True} if self.distinct else {}),
        }


# --distinct draws at most this many test-split tasks per wanted one before giving up.
DISTINCT_DRAWS_PER_TASK = 50


def held_out_tasks(task_types: list[str], n: int, seed: int, difficulty=None, language: str = "en",
                   distinct: bool = False) -> list[Task]:
    """n tasks per type from the test split; `difficulty` is a level, None (drawn per seed), or a
    {task_type: level-or-None} mapping. `distinct`: skip a task whose content (wording aside) an
    earlier one has, so n counts different problems (a small cell's test split repeats its
    commonest problems: dyck level 1 has 175 distinct in its first 512 tasks)."""
    tasks = []
    draws = n * DISTINCT_DRAWS_PER_TASK if distinct else n
    for task_type in task_types:
        level = difficulty.get(task_type) if isinstance(difficulty, dict) else difficulty
        mix = mix_from_dict({
            "name": f"eval-{task_type}", "split": "test", "size": draws, "language": language,
            "seed": derive_seed("eval", seed, task_type) % (1 << 62),
            "difficulty": "mixed" if level is None else level, "tasks": [{"task_type": task_type}],
        })
        tasks.extend(_distinct_tasks(mix, n, draws) if distinct else (mix.generate(i) for i in range(n)))
    return tasks


def _distinct_tasks(mix: Mix, n: int, draws: int) -> list[Task]:
    seen: set[str] = set()
    found = []
    for i in range(draws):
        task = mix.generate(i)
        key = content_key(task)
        if key not in seen:
            seen.add(key)
            found.append(task)
            if len(found) == n:
                return found
    raise ValueError(f"only {len(found)} distinct held-out {mix.task_types[0]} tasks in {draws} draws "
                     f"of the test split; ask for at most that many (--n)")


def tasks_from_mix(mix: Mix, n: int, seed: int, distinct: bool = False) -> list[Task]:
    """A mix contributes its task types, difficulties, language; a curriculum evaluates at its end level,
    an adaptive difficulty at every level (drawn per task: the per-level table shows them all)."""
    levels = {}
    for e in mix.entries:
        d = e.difficulty
        levels[e.task_type] = d.end if isinstance(d, Curriculum) else (None if d == "mixed" or isinstance(d, Adaptive) else d)
    return held_out_tasks(mix.task_types, n, seed, levels, mix.language, distinct)


def messages_for(task: Task, system_prompt: str | None) -> list[dict]:
    msgs = [{"role": "system", "content": system_prompt}] if system_prompt else []
    msgs.append({"role": "user", "content": task.prompt})
    return msgs


def record_key(task_type: str, seed: int, sample: int) -> str:
    return f"{task_type}:{seed}:{sample}"


def _file_mode() -> int:
    """0666 less the umask: what open() gives a new file (mkstemp's files are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_text(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_records(path: str) -> list[dict]:
    """Complete records; a torn last line (a killed run) is cut off so appends stay valid JSONL."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as fh:
        data = fh.read()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(path, "r+b") as fh:
            fh.truncate(end)
    records = []
    for lineno, line in enumerate(data[:end].splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            raise EvalSetupError(f"{path}: line {lineno} is not JSON; move the file away to start over") from None
    return records


RUN_FILES = (RUN_CONFIG, RECORDS, RESULTS, CHART)


def prepare_out_dir(out_dir: str, config: EvalConfig, overwrite: bool = False) -> None:
    """Create the output folder, or check that the run in it has these settings (a resume).
    `overwrite` removes a previous run's files (only those: the folder may hold other things)."""
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise EvalSetupError(f"--out {out_dir} is an existing file, not a folder; give a folder path")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise EvalSetupError(f"--out {out_dir}: cannot create the folder: {exc.strerror}") from None
    if overwrite:
        for name in RUN_FILES:
            if os.path.isfile(os.path.join(out_dir, name)):
                os.unlink(os.path.join(out_dir, name))
    path = os.path.join(out_dir, RUN_CONFIG)
    identity = config.identity()
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                previous = json.load(fh)
            if not isinstance(previous, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise EvalSetupError(f"{path}: not a run.json written by `veritas eval` ({exc}); "
                                 "--overwrite starts the run over") from None
        diffs = [k for k in sorted(set(previous) | set(identity)) if previous.get(k) != identity.get(k)]
        if diffs:
            shown = "; ".join(f"{k}: {previous.get(k)!r} there, {identity.get(k)!r} now" for k in diffs[:3])
            raise EvalSetupError(
                f"{out_dir} holds a run with other settings ({shown}); add --overwrite to replace it, "
                "or give another --out")
    else:
        atomic_write_text(path, json.dumps(identity, indent=2, sort_keys=True) + "\n")


async def _run_requests(config: EvalConfig, pending: list[tuple[Task, int]], records_path: str, progress) -> None:
    api_key = os.environ.get(config.api_key_env) or None
    semaphore = asyncio.Semaphore(config.concurrency)
    client = ChatClient(config.base_url, config.model, api_key=api_key, timeout_s=config.timeout_s,
                        max_retries=config.max_retries, backoff_s=config.backoff_s, seed=config.seed)

    with open(records_path, "a", encoding="utf-8") as out:
        async def one(task: Task, sample: int) -> None:
            async with semaphore:
                messages = messages_for(task, config.system_prompt)
                error = None
                try:
                    reply = await client.complete(messages, config.temperature, config.max_tokens, **config.extra_body)
                    content, reasoning, tokens, latency, finish = (reply.content, reply.reasoning, reply.completion_tokens,
                                                                   reply.latency_s, reply.finish_reason)
                except RequestFailed as exc:
                    content, reasoning, tokens, latency, finish, error = "", None, None, None, None, str(exc)
            verdict = verify(task, content)
            record = {
                "key": record_key(task.task_type, task.seed, sample), "task_id": task.task_id,
                "task_type": task.task_type, "seed": task.seed, "difficulty": task.difficulty, "sample": sample,
                "messages": messages, "reply": content, "reasoning": reasoning, "finish_reason": finish,
                "score": verdict.score, "reason": verdict.reason, "format_ok": verdict.format_ok,
                "completion_tokens": tokens, "latency_s": latency, "error": error,
            }
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            out.flush()
            progress.update(1)

        jobs = [asyncio.ensure_future(one(t, s)) for t, s in pending]
        try:
            for job in asyncio.as_completed(jobs):
                await job  # the first EndpointError stops the run: one message, not one per task
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            await client.aclose()


def request_errors(records: list[dict]) -> dict:
    """How many replies are missing because their request failed, and the commonest message."""
    errors = Counter(r["error"] for r in records if r.get("error"))
    return {"count": sum(errors.values()), "of": len(records),
            "most_common": errors.most_common(1)[0][0] if errors else None}


def run_eval(config: EvalConfig, tasks: list[Task], out_dir: str, show_progress: bool = True,
             overwrite: bool = False) -> dict:
    """Evaluate (resuming from out_dir), write results.json, return the results dict. A reply
    whose request failed is asked again on a resume (the failure was the request's, not the
    model's); the newest record of a key wins."""
    from tqdm import tqdm

    from veritas.eval.metrics import summarize

    prepare_out_dir(out_dir, config, overwrite)
    records_path = os.path.join(out_dir, RECORDS)
    wanted = {record_key(t.task_type, t.seed, s): (t, s) for t in tasks for s in range(config.samples)}
    done = {r["key"]: r for r in read_records(records_path) if r.get("key") in wanted and not r.get("error")}
    pending = [pair for key, pair in wanted.items() if key not in done]
    with tqdm(total=len(wanted), initial=len(done), desc="eval", unit="reply", disable=not show_progress) as bar:
        if pending:
            asyncio.run(_run_requests(config, pending, records_path, bar))
    records = {r["key"]: r for r in read_records(records_path) if r.get("key") in wanted}
    ordered = [records[k] for k in sorted(records)]
    results = {
        "config": {**config.identity(), "base_url": config.base_url},
        "metrics": summarize(ordered, config.samples),
        "request_errors": request_errors(ordered),
    }
    atomic_write_text(os.path.join(out_dir, RESULTS), json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


__all__ = ["EndpointError", "EvalConfig", "EvalSetupError", "held_out_tasks", "run_eval", "tasks_from_mix"]
