"""`veritas eval` against a real HTTP server that speaks chat completions (tests/chat_server.py).

The server's "model" is scripted, so every number the eval reports can be derived exactly from
what the server answered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.native import native_task_types
from veritas.envs import content_key, verify, wrong_answers
from veritas.eval.cli import main as eval_main
from veritas.eval.metrics import pass_at_k, wilson_interval
from veritas.eval import runner
from veritas.eval.runner import held_out_tasks
from veritas.mixes import SPLIT_BLOCKS

from ..chat_server import ScriptedChatServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES = native_task_types()[:3]
N = 8
SAMPLES = 3
SECRET = "sk-test-MARKER-9f8e7d"


def scripted_replies(tasks):
    """Per prompt, the replies for successive calls, and what each implies."""
    script = {}
    for j, task in enumerate(tasks):
        right, wrong = task.answer, wrong_answers(task)[0]
        script[task.prompt] = [
            [right, right, right],
            [wrong, wrong, wrong],
            ["I cannot decide.", right, wrong],
            ["<think>never closed " + right, wrong, right],
        ][j % 4]
    return script


def test_metrics_equal_what_the_server_answered(tmp_path, monkeypatch):
    tasks = held_out_tasks(TYPES, N, seed=5)
    script = scripted_replies(tasks)
    first_prompts = [tasks[0].prompt, tasks[1].prompt, tasks[2].prompt]

    def fault_for(prompt, attempt):
        if attempt == 0 and prompt == first_prompts[0]:
            return "429"
        if attempt == 0 and prompt == first_prompts[1]:
            return "500"
        if attempt == 0 and prompt == first_prompts[2]:
            return "slow"
        return None

    monkeypatch.setenv("VERITAS_TEST_KEY", SECRET)
    out = tmp_path / "run"
    with ScriptedChatServer(lambda p, n: script[p][n], fault_for, api_key=SECRET, slow_s=2.0) as server:
        rc = eval_main([
            "--base-url", server.base_url, "--model", "scripted", "--task-types", ",".join(TYPES),
            "--n", str(N), "--seed", "5", "--samples", str(SAMPLES), "--concurrency", "4",
            "--timeout", "0.5", "--max-retries", "3", "--api-key-env", "VERITAS_TEST_KEY",
            "--out", str(out), "--quiet",
        ])
        assert rc == 0
        assert server.outcomes("429") == 1 and server.outcomes("500") == 1 and server.outcomes("slow") == 1
        assert server.outcomes("200") == len(tasks) * SAMPLES  # each fault was retried, nothing asked twice

    results = json.loads((out / "results.json").read_text())
    for task_type in TYPES:
        mine = [(j, t) for j, t in enumerate(tasks) if t.task_type == task_type]
        scores = [[verify(t, r).score for r in script[t.prompt]] for _, t in mine]
        fmt_errors = sum(not verify(t, r).format_ok for _, t in mine for r in script[t.prompt])
        correct = [sum(s) for s in scores]
        m = results["metrics"]["per_task_type"][task_type]
        assert m["tasks"] == len(mine) and m["samples"] == len(mine) * SAMPLES
        assert m["accuracy"] == pytest.approx(sum(correct) / (len(mine) * SAMPLES))
        assert m["pass@1"] == pytest.approx(sum(c / SAMPLES for c in correct) / len(mine))
        assert m[f"pass@{SAMPLES}"] == pytest.approx(sum(c > 0 for c in correct) / len(mine))
        assert m["format_error_rate"] == pytest.approx(fmt_errors / (len(mine) * SAMPLES))
        assert m["request_error_rate"] == 0
        lo, hi = m["accuracy_ci95"]
        assert (lo, hi) == pytest.approx(wilson_interval(m["accuracy"], len(mine)))
        assert lo <= m["accuracy"] <= hi
    # Non-vacuous: the script mixes right, wrong and malformed replies.
    overall = results["metrics"]["overall"]
    assert 0 < overall["accuracy"] < 1 and overall["format_error_rate"] > 0
    assert overall[f"pass@{SAMPLES}"] > overall["pass@1"]

    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert len(records) == len(tasks) * SAMPLES
    for path in out.iterdir():  # the key went out in a header only
        if path.suffix != ".png":
            assert SECRET not in path.read_text()
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tasks_are_held_out_and_deterministic():
    a = held_out_tasks(TYPES, 20, seed=1)
    assert a == held_out_tasks(TYPES, 20, seed=1)
    assert a != held_out_tasks(TYPES, 20, seed=2)
    lo, hi = SPLIT_BLOCKS["test"]
    assert all(lo <= t.seed < hi for t in a)
    assert len({(t.task_type, t.seed) for t in a}) == len(a)


def test_distinct_held_out_tasks_are_different_problems(capfd, monkeypatch):
    """dyck level 1's test split repeats its commonest words: --distinct skips a repeated content,
    keeps the first task of each, and says plainly when the split has too few."""
    plain = held_out_tasks(["dyck_language"], 200, seed=0, difficulty=1)
    assert len({content_key(t) for t in plain}) < 200  # the repeats --distinct exists for
    distinct = held_out_tasks(["dyck_language"], 200, seed=0, difficulty=1, distinct=True)
    assert len(distinct) == 200 == len({content_key(t) for t in distinct})
    assert distinct == held_out_tasks(["dyck_language"], 200, seed=0, difficulty=1, distinct=True)
    firsts = {}
    for t in plain:
        firsts.setdefault(content_key(t), t)
    assert [t for t in distinct if content_key(t) in firsts] == list(firsts.values())
    lo, hi = SPLIT_BLOCKS["test"]
    assert all(lo <= t.seed < hi for t in distinct)
    # Too few distinct contents within the draws allowed (2 per wanted task here, to keep the test
    # fast; 50 in use): one clear line, exit 2.
    monkeypatch.setattr(runner, "DISTINCT_DRAWS_PER_TASK", 2)
    assert eval_main(["--base-url", "http://x/v1", "--model", "m", "--task-types", "dyck_language",
                      "--difficulty", "1", "--n", "200", "--distinct"]) == 2
    assert "distinct held-out dyck_language tasks" in capfd.readouterr().err


def _records_count(path) -> int:
    try:
        with open(path, encoding="utf-8") as fh:
            return sum(1 for line in fh if line.endswith("\n"))
    except FileNotFoundError:
        return 0


def test_killed_run_resumes_to_the_same_results(tmp_path):
    tasks = held_out_tasks(TYPES, 10, seed=3)
    script = scripted_replies(tasks)
    # samples=1 and a reply that depends on the prompt only: both runs see the same answers.
    with ScriptedChatServer(lambda p, n: script[p][0], delay_s=0.05) as server:
        args = ["-m", "veritas.cli", "eval", "--base-url", server.base_url, "--model", "scripted",
                "--task-types", ",".join(TYPES), "--n", "10", "--seed", "3", "--concurrency", "2", "--quiet"]
        whole, part = tmp_path / "whole", tmp_path / "part"
        subprocess.run([sys.executable, *args, "--out", str(whole)], cwd=ROOT, check=True, capture_output=True)

        proc = subprocess.Popen([sys.executable, *args, "--out", str(part)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while _records_count(part / "records.jsonl") < 5 and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = _records_count(part / "records.jsonl")
        assert 5 <= done_before < len(tasks), "the run should have been killed midway"
        assert not (part / "results.json").exists()

        asked_before = server.outcomes("200")
        subprocess.run([sys.executable, *args, "--out", str(part)], cwd=ROOT, check=True, capture_output=True)
        # The re-run asked only for what was missing (plus at most the requests in flight at the kill).
        assert server.outcomes("200") - asked_before <= len(tasks) - done_before + 2

    def strip_timing(results):
        for m in [*results["metrics"]["per_task_type"].values(), results["metrics"]["overall"]]:
            m.pop("latency_s")
        return results

    assert strip_timing(json.loads((part / "results.json").read_text())) == \
        strip_timing(json.loads((whole / "results.json").read_text()))


def test_dead_endpoint_gives_one_clear_error(tmp_path, capfd):
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = eval_main(["--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--task-types", TYPES[0],
                    "--n", "20", "--max-retries", "1", "--out", str(tmp_path / "dead"), "--quiet"])
    err = capfd.readouterr().err
    assert rc == 3
    assert err.count("cannot reach") == 1 and "Traceback" not in err


def test_bad_flags_and_mismatched_resume_are_clear(tmp_path, capfd):
    assert eval_main(["--base-url", "http://x/v1", "--model", "m", "--task-types", "no_such_type"]) == 2
    assert "no_such_type" in capfd.readouterr().err
    bad_mix = tmp_path / "mix.yaml"
    bad_mix.write_text("split: test\nsize: 5\ntasks: [{task_type: nope}]\n")
    assert eval_main(["--base-url", "http://x/v1", "--model", "m", "--mix", str(bad_mix)]) == 2
    assert "tasks[0]" in capfd.readouterr().err

    tasks = held_out_tasks(TYPES[:1], 2, seed=0)
    with ScriptedChatServer(lambda p, n: "x") as server:
        common = ["--base-url", server.base_url, "--task-types", TYPES[0], "--n", "2", "--out", str(tmp_path / "o"), "--quiet"]
        assert eval_main([*common, "--model", "a"]) == 0
        assert eval_main([*common, "--model", "b"]) == 2
        assert "model" in capfd.readouterr().err
    assert len(tasks) == 2


def test_compare_table_and_chart(tmp_path, capsys):
    tasks = held_out_tasks(TYPES, 4, seed=0)
    good = {t.prompt: t.answer for t in tasks}
    outs = []
    for label, reply in (("base", lambda p, n: "no idea"), ("rl", lambda p, n: good[p])):
        with ScriptedChatServer(reply) as server:
            out = tmp_path / label
            assert eval_main(["--base-url", server.base_url, "--model", label, "--task-types", ",".join(TYPES),
                              "--n", "4", "--out", str(out), "--quiet", "--no-chart"]) == 0
            outs.append(str(out))
    capsys.readouterr()
    png = tmp_path / "cmp.png"
    assert eval_main(["compare", *outs, "--png", str(png)]) == 0
    table = capsys.readouterr().out
    overall = next(line for line in table.splitlines() if line.startswith("overall"))
    assert overall.split()[1:] == ["0.0", "100.0", "+100.0"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert eval_main(["compare", str(tmp_path / "missing.json")]) == 2


def test_pass_at_k_estimator():
    assert pass_at_k(3, 0, 1) == 0 and pass_at_k(3, 3, 3) == 1
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)
