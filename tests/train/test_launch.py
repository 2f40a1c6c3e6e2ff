"""The launchers' real (not dry) path, in a copy of the repository, with named fakes standing in for
what needs GPUs: `python3` (verl's main_ppo) and `torchrun` (verl's sft_trainer) record their argv
and the environment they were given. The model is a local folder, so nothing is downloaded."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.train.launchers import REPO, clean_env, parse_command, read_calls, summary_value, write_fake

FAKE_TRAINER = """
printf "%s\\0" "$(basename "$0")" "$@" >>"$FAKE_LOG"; printf "\\n" >>"$FAKE_LOG"
env | grep -E '^(WANDB_MODE|WANDB_DIR|TENSORBOARD_DIR|PYTHONPATH|HYDRA_FULL_ERROR)=' | sort >"$FAKE_LOG.env"
echo "FAKE TRAINER RAN"
"""


@pytest.fixture
def repo_copy(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / "train" / "scripts", root / "train" / "scripts")
    shutil.copytree(REPO / "train" / "presets", root / "train" / "presets")
    (root / "tools").mkdir()
    for name in ("dataset_manager.py", "reward_manager.py"):
        (root / "tools" / name).write_text("# placeholder for the test: the real plug-in is not needed here\n")
    (root / "train" / "mixes").mkdir()
    for mix in ("lgc-v2", "trace"):
        for split in ("train", "val"):
            (root / "train" / "mixes" / f"{mix}-{split}.yaml").write_text(f"name: {mix}-{split}\n")
    model = tmp_path / "model"
    model.mkdir()
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "python3", FAKE_TRAINER)
    write_fake(bin_dir, "torchrun", FAKE_TRAINER)
    env = clean_env(PATH=f"{bin_dir}:{clean_env()['PATH']}", FAKE_LOG=str(tmp_path / "calls"),
                    GPUS="1", MODEL=str(model))
    return root, env, tmp_path / "calls"


def launch(root, script, *args, env, check=True):
    # 180 s: the SFT launcher loads a real tokenizer for its pre-flight, slow on a loaded machine.
    proc = subprocess.run(["bash", str(root / "train" / "scripts" / script), *args], env=env,
                          capture_output=True, text=True, timeout=180)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def without_run_dir(argv):
    return [a for a in argv if not a.startswith("hydra.run.dir=")]


def test_grpo_runs_exactly_the_printed_command(repo_copy):
    root, env, log = repo_copy
    proc = launch(root, "lgc-v2-GRPO-trainer.sh", "trainer.save_freq=7", env=env)
    # The dry run after the real one: the real run saved the experiment's W&B run id, which both use.
    dry = parse_command(launch(root, "lgc-v2-GRPO-trainer.sh", "--dry-run", "trainer.save_freq=7", env=env).stdout)
    assert "FAKE TRAINER RAN" in proc.stdout
    (call,) = read_calls(log)
    assert call[0] == "python3"
    assert without_run_dir(["python3", *call[1:]]) == without_run_dir(dry.program + dry.overrides)
    seen_env = dict(line.split("=", 1) for line in Path(str(log) + ".env").read_text().splitlines())
    assert seen_env["WANDB_MODE"] == "offline"
    assert seen_env["WANDB_DIR"] == str(root / "train" / "artifacts" / "wandb")
    assert seen_env["TENSORBOARD_DIR"].startswith(str(root / "train" / "artifacts" / "tensorboard" / "lgc-v2-grpo-"))
    assert seen_env["PYTHONPATH"].split(":")[0] == str(root)
    assert (root / "train" / "artifacts" / "wandb").is_dir()


def test_grpo_prints_where_everything_goes_and_resumes(repo_copy):
    root, env, _ = repo_copy
    out = launch(root, "lgc-v2-GRPO-trainer.sh", env=env).stdout
    exp = summary_value(out, "experiment").split()[0]
    ckpt = root / "train" / "artifacts" / "RL" / "checkpoints" / exp
    assert summary_value(out, "checkpoints").startswith(f"train/artifacts/RL/checkpoints/{exp}/ (resume: none yet")
    assert summary_value(out, "TensorBoard") == f"train/artifacts/tensorboard/{exp}/"
    assert "offline" in summary_value(out, "W&B") and "wandb-sync.sh" in summary_value(out, "W&B")
    assert summary_value(out, "Hydra").startswith("train/outputs/")
    # verl's tracker file names the latest step; the same settings pick it up.
    (ckpt / "global_step_30").mkdir(parents=True)
    (ckpt / "latest_checkpointed_iteration.txt").write_text("30")
    out = launch(root, "lgc-v2-GRPO-trainer.sh", env=env).stdout
    assert "(resume: global_step_30)" in summary_value(out, "checkpoints")
    assert f"trainer.default_local_dir={ckpt}" in parse_command(out).overrides
    assert "trainer.resume_mode=auto" in parse_command(out).overrides


def test_wandb_goes_online_with_a_key_from_env_file(repo_copy, tmp_path):
    root, env, log = repo_copy
    env_file = tmp_path / "with-key.env"
    env_file.write_text("WANDB_API_KEY=wandbMARKERkey0123456789\nWANDB_ENTITY=team\n")
    proc = launch(root, "lgc-v2-GRPO-trainer.sh", env={**env, "ENV_FILE": str(env_file)})
    assert summary_value(proc.stdout, "W&B").startswith("online: https://wandb.ai/team/veritas-rl")
    assert "WANDB_MODE=online" in Path(str(log) + ".env").read_text()
    assert "wandbMARKERkey0123456789" not in proc.stdout + proc.stderr


def test_nohup_runs_in_the_background_and_logs(repo_copy):
    root, env, log = repo_copy
    proc = launch(root, "lgc-v2-GRPO-trainer.sh", "--nohup", env={**env, "EXP": "bg-test"})
    assert "started in the background: PID " in proc.stdout
    assert "tail -f train/logs/bg-test.log" in proc.stdout
    logfile = root / "train" / "logs" / "bg-test.log"
    for _ in range(100):
        if logfile.exists() and "FAKE TRAINER RAN" in logfile.read_text():
            break
        time.sleep(0.1)
    assert "FAKE TRAINER RAN" in logfile.read_text()
    assert "FAKE TRAINER RAN" not in proc.stdout


def test_missing_mix_fails_before_anything_runs(repo_copy):
    root, env, log = repo_copy
    proc = launch(root, "lgc-v2-GRPO-trainer.sh", env={**env, "MIX": "nosuchmix"}, check=False)
    assert proc.returncode == 1
    assert "train/mixes/nosuchmix-train.yaml not found" in proc.stderr
    assert "lgc-v2 trace" in proc.stderr  # what exists
    assert read_calls(log) == []


def test_bad_settings_fail_clearly(repo_copy):
    root, env, log = repo_copy
    cases = [
        ({"ALGO": "a2c"}, [], "ALGO=a2c: no preset"),
        ({"PRESET": "huge"}, [], "PRESET=huge: no preset"),
        ({"NNODES": "2"}, [], "needs a running Ray cluster"),
        ({"EXP": "bad name"}, [], "EXP=bad name"),
        ({}, ["--frobnicate"], "unknown option '--frobnicate'"),
        ({}, ["stray"], "'stray' is not a KEY=VALUE override"),
    ]
    for extra, args, message in cases:
        proc = launch(root, "lgc-v2-GRPO-trainer.sh", *args, env={**env, **extra}, check=False)
        assert proc.returncode == 1 and message in proc.stderr, (extra, args, proc.stderr)
    assert read_calls(log) == []


def sft_parquet(path: Path, conversations: int, reply_words: int = 5) -> None:
    """A real SFT parquet file (a `messages` column, as data_gen writes it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [[{"role": "user", "content": f"question {i}"},
             {"role": "assistant", "content": " ".join(["word"] * reply_words)}] for i in range(conversations)]
    pq.write_table(pa.table({"messages": rows}), path)


@pytest.fixture
def sft_copy(repo_copy, tiny_model_dir, tmp_path):
    """repo_copy for the SFT launcher: veritas importable (the pre-flight counts tokens with it), the
    tiny model as MODEL (its tokenizer counts), `python3 -m veritas.token_lengths` handed to the real
    interpreter by the fake python3."""
    import sys

    root, env, log = repo_copy
    shutil.copytree(REPO / "veritas", root / "veritas", ignore=shutil.ignore_patterns("__pycache__"))
    write_fake(tmp_path / "bin", "python3", f"""
if [[ "$1 $2" == "-m veritas.token_lengths" ]]; then exec "{sys.executable}" "$@"; fi
""" + FAKE_TRAINER)
    return root, {**env, "MODEL": tiny_model_dir}, log


def test_sft_needs_its_data_then_runs_torchrun(sft_copy):
    root, env, log = sft_copy
    proc = launch(root, "lgc-v2-SFT-trainer.sh", env=env, check=False)
    assert proc.returncode == 1 and "data.train_files: train/parquet/train.parquet not found" in proc.stderr
    for split in ("train", "val"):
        sft_parquet(root / "train" / "parquet" / f"{split}.parquet", 4)
    out = launch(root, "lgc-v2-SFT-trainer.sh", env=env).stdout
    dry = parse_command(launch(root, "lgc-v2-SFT-trainer.sh", "--dry-run", env=env).stdout)
    (call,) = [c for c in read_calls(log) if c[0] == "torchrun"]
    assert without_run_dir(call) == without_run_dir(dry.program + dry.overrides)
    exp = summary_value(out, "experiment").split()[0]
    assert summary_value(out, "checkpoints").startswith(f"train/artifacts/checkpoints/{exp}/")
    assert "train/parquet/train.parquet: 4 rows, longest" in out
    # Data given by override is checked instead of the default.
    proc = launch(root, "lgc-v2-SFT-trainer.sh", "data.val_files=/nonexistent/v.parquet", env=env, check=False)
    assert proc.returncode == 1 and "data.val_files: /nonexistent/v.parquet not found" in proc.stderr


def test_sft_refuses_rows_longer_than_max_length_before_torchrun(sft_copy):
    """verl would stop at the first over-long row mid-run; the launcher counts first and names the
    file, the count and the override."""
    root, env, log = sft_copy
    sft_parquet(root / "train" / "parquet" / "train.parquet", 6)
    long_file = root / "train" / "parquet" / "val.parquet"
    sft_parquet(long_file, 3, reply_words=400)
    proc = launch(root, "lgc-v2-SFT-trainer.sh", "data.max_length=256", "data.max_token_len_per_gpu=512",
                  env=env, check=False)
    assert proc.returncode == 1
    assert f"{long_file}: 3 of 3 rows are longer than data.max_length=256 tokens" in proc.stderr
    assert "Pass data.max_length=1024" in proc.stderr and "--max-tokens 256" in proc.stderr
    assert "not started" in proc.stderr and "Traceback" not in proc.stderr
    assert [c for c in read_calls(log) if c[0] == "torchrun"] == []
    # With truncation chosen explicitly, the user accepted cut rows: no refusal.
    launch(root, "lgc-v2-SFT-trainer.sh", "data.max_length=256", "data.max_token_len_per_gpu=512",
           "data.truncation=right", env=env)
    launch(root, "lgc-v2-SFT-trainer.sh", "data.max_length=9000", env=env)  # fits the default 16384 budget
    proc = launch(root, "lgc-v2-SFT-trainer.sh", "data.max_length=20000", env=env, check=False)
    assert proc.returncode == 1 and "pass data.max_token_len_per_gpu=40000" in proc.stderr


def test_help_lists_settings_and_outputs():
    for script, words in [("lgc-v2-GRPO-trainer.sh", ["MIX", "ALGO", "PRESET", "LORA_RANK", "GPUS", "NNODES",
                                                      "--dry-run", "--nohup", "train/artifacts/RL/checkpoints"]),
                          ("lgc-v2-SFT-trainer.sh", ["PRESET", "LORA_RANK", "GPUS", "--dry-run", "--nohup",
                                                     "train/artifacts/checkpoints", "messages"])]:
        proc = subprocess.run(["bash", str(REPO / "train" / "scripts" / script), "--help"], env=clean_env(),
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0
        for word in words:
            assert word in proc.stdout, (script, word)
