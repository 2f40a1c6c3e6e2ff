"""`veritas eval` when things go wrong: a type at exactly 0% or 100%, a server that answers 400 to
every request, a base URL without http://, an --out that is a file, a re-run after a typo, Ctrl-C,
and `compare` over runs with different task types. Real HTTP servers (tests/chat_server.py); the
"model" is a script."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from veritas.envs import list_task_types
from veritas.eval.cli import main as eval_main
from veritas.eval.metrics import summarize, wilson_interval
from veritas.eval.report import accuracy_chart, compare_table, error_bars
from veritas.eval.runner import held_out_tasks

from ..chat_server import ChatCompletionsServer, ScriptedChatServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES = list_task_types()[:2]
VLLM_400 = ("This model's maximum context length is 2048 tokens. However, you requested 4096 tokens "
            "(120 in the messages, 3976 in the completion).")


class BadRequestServer(ChatCompletionsServer):
    """Answers every chat request with HTTP 400 and vLLM's error body."""

    def handle(self, path, authorization, request):
        return 400, {"object": "error", "message": VLLM_400, "type": "BadRequestError", "param": None,
                     "code": 400}, None


def _args(base_url, out, *extra, types=TYPES, n=3):
    return ["--base-url", base_url, "--model", "m", "--task-types", ",".join(types), "--n", str(n),
            "--out", str(out), "--quiet", *extra]


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_interval_contains_the_point_for_every_n_at_0_and_100_percent(p):
    for n in range(1, 501):
        low, high = wilson_interval(p, n)
        assert 0.0 <= low <= p <= high <= 1.0, (n, low, high)
        lo, hi = error_bars([{"accuracy": p, "accuracy_ci95": [low, high]}])
        assert lo[0] >= 0 and hi[0] >= 0
    # results.json written before the clamp: a bound 5.55e-17 past the point still draws
    assert error_bars([{"accuracy": 0.0, "accuracy_ci95": [5.55e-17, 0.5]}])[0] == [0.0]


def test_a_type_at_exactly_0_and_another_at_100_percent_charts(tmp_path, capsys):
    tasks = held_out_tasks(TYPES, 3, seed=0)
    right = {t.prompt: t.answer for t in tasks if t.task_type == TYPES[1]}
    # n=3 (and 6, 100, 200) at 0% crashed the chart before the clamp
    with ScriptedChatServer(lambda prompt, n: right.get(prompt, "no idea")) as server:
        assert eval_main(_args(server.base_url, tmp_path / "run")) == 0
    per = json.loads((tmp_path / "run" / "results.json").read_text())["metrics"]["per_task_type"]
    assert per[TYPES[0]]["accuracy"] == 0.0 and per[TYPES[1]]["accuracy"] == 1.0
    assert (tmp_path / "run" / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # and straight from the metrics, for several n at 0% and 100%
    for n in (3, 200):
        records = [{"task_id": i, "task_type": t, "score": float(t == TYPES[1]), "format_ok": True, "reply": "x"}
                   for t in TYPES for i in range(n)]
        results = {"config": {"model": "m"}, "metrics": summarize(records, 1)}
        accuracy_chart(results, str(tmp_path / f"chart{n}.png"))


def test_every_request_failing_is_an_error_naming_the_servers_message(tmp_path, capfd):
    out = tmp_path / "run"
    with BadRequestServer() as server:
        rc = eval_main(_args(server.base_url, out, "--max-tokens", "4096"))
    captured = capfd.readouterr()
    assert rc == 4
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert "6 of 6 requests failed" in lines[0] and "HTTP 400: This model's maximum context length" in lines[0]
    overall = next(line for line in captured.out.splitlines() if line.startswith("overall"))
    assert "req err %" in captured.out and "100.0" in overall.split()[-3]  # counted in the table
    results = json.loads((out / "results.json").read_text())
    assert results["request_errors"]["count"] == 6
    assert results["metrics"]["overall"]["request_error_rate"] == 1.0
    # the cause fixed, the same command asks the failed requests again
    with ScriptedChatServer(lambda prompt, n: "no idea") as server:
        assert eval_main(_args(server.base_url, out, "--max-tokens", "4096")) == 0
        assert server.outcomes("200") == 6
    assert json.loads((out / "results.json").read_text())["request_errors"]["count"] == 0


def test_a_base_url_without_a_scheme_is_refused_at_once(tmp_path, capfd):
    start = time.perf_counter()
    rc = eval_main(_args("localhost:8000/v1", tmp_path / "run"))
    err = capfd.readouterr().err
    assert rc == 2 and time.perf_counter() - start < 5
    assert "--base-url 'localhost:8000/v1' is not an http:// or https:// URL" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_out_that_is_a_file_is_one_line(tmp_path, capfd):
    existing = tmp_path / "results.txt"
    existing.write_text("mine\n")
    with ScriptedChatServer(lambda prompt, n: "x") as server:
        rc = eval_main(_args(server.base_url, existing))
    err = capfd.readouterr().err
    assert rc == 2 and "is an existing file, not a folder" in err and "Traceback" not in err
    assert existing.read_text() == "mine\n"


def test_rerun_after_a_typo_with_overwrite(tmp_path, capfd):
    out = tmp_path / "run"
    with ScriptedChatServer(lambda prompt, n: "x") as server:
        typo = _args(server.base_url, out)
        typo[typo.index("--model") + 1] = "gwen"
        assert eval_main(typo) == 0
        capfd.readouterr()
        fixed = _args(server.base_url, out)
        assert eval_main(fixed) == 2
        err = capfd.readouterr().err
        assert "model: 'gwen' there, 'm' now" in err and "--overwrite" in err
        assert eval_main([*fixed, "--overwrite"]) == 0
    assert json.loads((out / "run.json").read_text())["model"] == "m"
    umask = os.umask(0)
    os.umask(umask)
    for name in ("run.json", "results.json", "records.jsonl", "accuracy.png"):
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o666 & ~umask, name


def test_task_types_all_and_help_defaults(tmp_path, capsys):
    with ScriptedChatServer(lambda prompt, n: "x") as server:
        assert eval_main(_args(server.base_url, tmp_path / "run", "--no-chart", types=["all"], n=1)) == 0
    per = json.loads((tmp_path / "run" / "results.json").read_text())["metrics"]["per_task_type"]
    assert sorted(per) == sorted(list_task_types())
    with pytest.raises(SystemExit):
        eval_main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "sampling temperature (default 0.0)" in help_text and "(default 2048)" in help_text


def test_bad_difficulty_names_the_flag_not_memory(tmp_path, capfd):
    assert eval_main(["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--task-types", TYPES[0],
                      "--difficulty", "9", "--out", str(tmp_path / "o")]) == 2
    err = capfd.readouterr().err
    assert "--difficulty" in err and "<memory>" not in err


def test_ctrl_c_is_one_line(tmp_path):
    with ScriptedChatServer(lambda prompt, n: "x", delay_s=2.0) as server:
        proc = subprocess.Popen([sys.executable, "-m", "veritas.cli", "eval",
                                 *_args(server.base_url, tmp_path / "run", n=20)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not (tmp_path / "run" / "run.json").exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # requests in flight
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"veritas eval: interrupted; completed replies are kept in {tmp_path / 'run'}; "
                     "re-run the same command to resume."]


def test_compare_runs_with_different_task_types_warns(tmp_path, capsys):
    outs = []
    for label, types in (("a", TYPES), ("b", TYPES[:1])):
        with ScriptedChatServer(lambda prompt, n: "no idea") as server:
            out = tmp_path / label
            assert eval_main(_args(server.base_url, out, "--no-chart", types=types, n=2)) == 0
            outs.append(str(out))
    capsys.readouterr()
    png = tmp_path / "cmp.png"
    assert eval_main(["compare", *outs, "--png", str(png)]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith(TYPES[1]))
    assert row.split()[1:] == ["0.0", "-", "-"]
    assert "note: the runs cover different task types" in table
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert eval_main(["compare", *outs, "--png", str(tmp_path)]) == 2  # a folder, not a file
    assert "is a folder" in capsys.readouterr().err
    same = [("x", json.loads((tmp_path / "a" / "results.json").read_text()))] * 2
    assert "note:" not in compare_table(same)
