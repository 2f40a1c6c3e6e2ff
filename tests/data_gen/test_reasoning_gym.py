"""data_gen with reasoning-gym's rg.* types: they have no worked solution, so `sft` says so (and
`all` leaves them out), while `distill` builds SFT rows for them from a teacher's verified replies
(a scripted chat-completions server, named as a fake teacher: no model stands behind it)."""

from __future__ import annotations

import pyarrow.parquet as pq

from tests.chat_server import ChatCompletionsServer, completion
from veritas.envs import Task, verify

from .conftest import ok, run_cli

RG = ["rg.basic_arithmetic", "rg.word_sorting"]
KEY = "sk-test-rg-not-a-real-key"


def test_sft_refuses_a_type_without_worked_solutions_and_points_to_distill(tmp_path):
    proc = run_cli("sft", "--task-types", "dyck_language," + RG[0], "--count", "4", "--out-dir", str(tmp_path))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert f"{RG[0]} has no worked solution" in proc.stderr and "data_gen distill" in proc.stderr


def test_sft_all_leaves_rg_types_out_and_says_so(tmp_path):
    proc = ok(run_cli("sft", "--task-types", "all", "--count", "20", "--val-ratio", "0", "--out-dir", str(tmp_path),
                      "--workers", "1"))
    assert "without a worked solution" in proc.stderr and "rg." in proc.stderr
    types = {Task.from_json(r["extra_info"]["task"]).task_type for r in pq.read_table(tmp_path / "train.parquet").to_pylist()}
    assert types and not any(t.startswith("rg.") for t in types)


class AnswerTeacher(ChatCompletionsServer):
    """A fake teacher: even request seeds get the reference answer after a line of reasoning,
    odd ones a wrong answer in the right format."""

    def __init__(self, tasks):
        super().__init__()
        self.by_prompt = {t.prompt: t for t in tasks}

    def handle(self, path, auth, request):
        if auth != f"Bearer {KEY}":
            return 401, {"error": {"message": "invalid api key"}}, None
        user = [m["content"] for m in request["messages"] if m["role"] == "user"][-1]
        task = self.by_prompt[user]
        text = "Let me think.\n" + (task.answer if request["seed"] % 2 == 0 else "Answer: surely wrong 12345")
        return 200, completion(request, {"role": "assistant", "content": text}), None


def test_distill_makes_sft_rows_for_rg_types(tmp_path):
    tasks_file = tmp_path / "tasks.jsonl"
    ok(run_cli("jsonl", "--task-types", ",".join(RG), "--count", "6", "--seed", "1", "-o", str(tasks_file),
               "--workers", "1"))
    tasks = [Task.from_json(line) for line in tasks_file.read_text().splitlines()]
    assert {t.task_type for t in tasks} == set(RG)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={KEY}\n")
    with AnswerTeacher(tasks) as teacher:
        ok(run_cli("distill", "--tasks", str(tasks_file), "--base-url", teacher.base_url, "--model", "fake-teacher",
                   "--attempts", "2", "--concurrency", "2", "-o", str(tmp_path / "out"), cwd=tmp_path))
    rows = pq.read_table(tmp_path / "out" / "distilled.parquet").to_pylist()
    assert rows, "the right replies are kept"
    for row in rows:
        task = Task.from_json(row["extra_info"]["task"])
        assert task.task_type in RG and row["score"] == 1.0
        assert verify(task, row["response"]).score == 1.0 and "wrong" not in row["response"]
    assert len(rows) < 2 * len(tasks), "the wrong replies are rejected"
