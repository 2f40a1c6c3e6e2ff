"""train/scripts/_common.sh, function by function, in real bash. `hf` and `nvidia-smi` are named
fakes on PATH (no model hub, no GPU here)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.train.launchers import RECORD_ARGV, SCRIPTS, clean_env, read_calls, write_fake

HF_MARKER = "hf_SECRETMARKER_0123456789"


def bash(snippet: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    script = f'set -euo pipefail\nsource "{SCRIPTS / "_common.sh"}"\n{snippet}\n'
    proc = subprocess.run(["bash", "-c", script], env=clean_env(**env), capture_output=True, text=True,
                          timeout=60)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


# ---- .env ---------------------------------------------------------------------------------------

def test_env_file_loaded_silently_and_shell_wins(tmp_path):
    env_file = tmp_path / "my.env"
    env_file.write_text(f"# a comment\n\nHF_TOKEN={HF_MARKER}\nMIX=trace\r\nBARE_NAME\nALGO=rloo\nEMPTY=\n")
    proc = bash('load_env_file; echo "mix=$MIX algo=$ALGO token_len=${#HF_TOKEN} empty=[${EMPTY}]"',
                ENV_FILE=str(env_file), ALGO="gspo")
    assert proc.stdout.strip() == f"mix=trace algo=gspo token_len={len(HF_MARKER)} empty=[]"
    assert HF_MARKER not in proc.stdout + proc.stderr


def test_missing_env_file_is_fine():
    assert bash("load_env_file; echo ok", ENV_FILE="/nonexistent/.env").stdout.strip() == "ok"


@pytest.mark.parametrize("line, expected", [
    ('HF_TOKEN="abc"', "line 2: the value of HF_TOKEN is quoted"),
    ("export MIX=trace", "line 2: expected KEY=VALUE"),
    ("MIX = trace", "line 2: expected KEY=VALUE"),
])
def test_bad_env_lines_are_named(tmp_path, line, expected):
    env_file = tmp_path / ".env"
    env_file.write_text(f"# first\n{line}\n")
    proc = bash("load_env_file", check=False, ENV_FILE=str(env_file))
    assert proc.returncode == 1
    assert expected in proc.stderr
    assert "abc" not in proc.stderr


# ---- masking and printing -----------------------------------------------------------------------

def test_mask_hides_every_secret_variable():
    proc = bash('mask "token=$HF_TOKEN key=$WANDB_API_KEY plain"; echo; print_command python3 -m x "a=$HF_TOKEN"',
                HF_TOKEN=HF_MARKER, WANDB_API_KEY="wandbMARKER12345")
    assert HF_MARKER not in proc.stdout and "wandbMARKER12345" not in proc.stdout
    assert "token=*** key=*** plain" in proc.stdout
    assert "a=***" in proc.stdout


def test_mask_stream_is_literal_and_line_by_line():
    weird = r"a.b*c\\d[e]$f"
    proc = bash('printf "x %s y\\nline two %s%s\\n" "$HF_TOKEN" "$WANDB_API_KEY" "$HF_TOKEN" | mask_stream',
                HF_TOKEN=weird, WANDB_API_KEY="k" * 12)
    assert proc.stdout == "x *** y\nline two ******\n"
    assert bash("echo nothing secret | mask_stream").stdout == "nothing secret\n"


def test_print_command_round_trips_through_the_shell():
    """What a dry run prints, pasted into bash, is the same argv."""
    args = ["python3", "-m", "verl.trainer.main_ppo", "trainer.logger=[console,wandb]", "a.b=it's",
            "c=${data.x}", "d=with space", "--opt=1", "-e", "X=1"]
    printed = subprocess.run(["bash", "-c", f'source "{SCRIPTS / "_common.sh"}"; print_command "$@"', "x", *args],
                             capture_output=True, text=True, env=clean_env()).stdout
    back = subprocess.run(["bash", "-c", 'eval "set -- $1"; printf "%s\\0" "$@"', "x", printed],
                          capture_output=True, text=True).stdout.split("\0")[:-1]
    assert back == args
    assert printed.count("\n") > 3  # one override per line


# ---- overrides ----------------------------------------------------------------------------------

def test_merge_overrides_keeps_the_last_value_at_the_first_position():
    proc = bash('out=(); merge_overrides out a=1 b=2 +c.d=3 a=4 c.d=5 "~e" e=6; printf "%s\\n" "${out[@]}"')
    assert proc.stdout.split() == ["a=4", "b=2", "c.d=5", "e=6"]


def test_override_value_reads_the_last_setting():
    proc = bash('override_value trainer.x a=1 trainer.x=2 +trainer.x=3; echo; override_value nope a=1; echo "[]"')
    assert proc.stdout.split() == ["3", "[]"]


def test_read_args_file_rejects_a_line_that_is_not_an_override(tmp_path):
    f = tmp_path / "p.args"
    f.write_text("# header\nalgorithm.adv_estimator=grpo\n\n  data.x=1  \nnot an override\n")
    proc = bash(f'lines=(); read_args_file lines "{f}"', check=False)
    assert proc.returncode == 1 and "line 5: 'not an override' is not a key=value override" in proc.stderr
    f.write_text("# header\nalgorithm.adv_estimator=grpo\n\n  +data.x=${a.b}  \n")
    proc = bash(f'lines=(); read_args_file lines "{f}"; printf "%s\\n" "${{lines[@]}}"')
    assert proc.stdout.splitlines() == ["algorithm.adv_estimator=grpo", "+data.x=${a.b}"]


# ---- GPUs ---------------------------------------------------------------------------------------

def test_gpu_count_from_gpus_cuda_visible_devices_and_nvidia_smi(tmp_path):
    assert bash("detect_gpus; echo $GPUS", GPUS="3").stdout.strip() == "3"
    assert bash("detect_gpus; echo $GPUS", CUDA_VISIBLE_DEVICES="0,2").stdout.strip() == "2"
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "nvidia-smi", 'printf "0\\n1\\n2\\n3\\n"\n')
    path = f"{bin_dir}:{clean_env()['PATH']}"
    assert bash("detect_gpus; echo $GPUS", PATH=path).stdout.strip() == "4"
    proc = bash("detect_gpus", check=False, GPUS="two")
    assert proc.returncode == 1 and "GPUS=two: expected a positive integer" in proc.stderr


def test_no_gpu_fails_a_real_run_and_shows_one_gpu_in_a_dry_run(tmp_path):
    empty_bin = tmp_path / "empty"
    empty_bin.mkdir()
    path = f"{empty_bin}:/usr/bin:/bin"
    proc = bash("require_gpus 0", check=False, PATH=path)
    assert proc.returncode == 1 and "no NVIDIA GPU found" in proc.stderr
    proc = bash("require_gpus 1; echo GPUS=$GPUS", PATH=path)
    assert "GPUS=1" in proc.stdout


# ---- model download -----------------------------------------------------------------------------

FAKE_HF_OK = RECORD_ARGV + """
dir=""
while (($#)); do [[ "$1" == --local-dir ]] && dir="$2"; shift; done
mkdir -p "$dir" && echo '{}' >"$dir/config.json"
"""
FAKE_HF_REFUSES = RECORD_ARGV + """
echo "huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo (token ${HF_TOKEN:-none})" >&2
exit 1
"""


def hub_env(tmp_path, body):
    bin_dir = tmp_path / "bin"
    write_fake(bin_dir, "hf", body)
    return {"PATH": f"{bin_dir}:{clean_env()['PATH']}", "FAKE_LOG": str(tmp_path / "hf.calls")}


def test_model_downloaded_once_into_train_models(tmp_path):
    env = hub_env(tmp_path, FAKE_HF_OK)
    model = "veritas-test-org/tiny-model-for-tests"
    target = SCRIPTS.parent / "models" / model
    try:
        proc = bash(f'ensure_model {model}; model_state {model}; echo; model_dir_for {model}', **env)
        assert proc.stdout.splitlines()[-2:] == ["complete", str(target)]
        calls = read_calls(tmp_path / "hf.calls")
        assert calls == [["hf", "download", model, "--local-dir", str(target)]]
        bash(f"ensure_model {model}", **env)  # complete: hf is not asked again
        assert len(read_calls(tmp_path / "hf.calls")) == 1
    finally:
        shutil.rmtree(SCRIPTS.parent / "models" / "veritas-test-org", ignore_errors=True)


def test_hub_refusal_asks_for_hf_token_without_printing_it(tmp_path):
    env = hub_env(tmp_path, FAKE_HF_REFUSES)
    model = "veritas-test-org/gated-model-for-tests"
    try:
        proc = bash(f"ensure_model {model}", check=False, **env)
        assert proc.returncode == 1
        assert "HF_TOKEN=<token> in .env" in proc.stderr and "huggingface.co/settings/tokens" in proc.stderr
        proc = bash(f"ensure_model {model}", check=False, HF_TOKEN=HF_MARKER, **env)
        assert proc.returncode == 1
        assert "even with HF_TOKEN set" in proc.stderr
        assert HF_MARKER not in proc.stdout + proc.stderr  # hf's own message carried it: masked
        assert "(token ***)" in proc.stderr
        # The token travels in the environment, never on hf's command line.
        assert all(HF_MARKER not in " ".join(c) for c in read_calls(tmp_path / "hf.calls"))
        assert bash(f"model_state {model}", **env).stdout == "missing"
    finally:
        shutil.rmtree(SCRIPTS.parent / "models" / "veritas-test-org", ignore_errors=True)


def test_local_model_directory_is_used_as_is(tmp_path):
    proc = bash(f'model_state "{tmp_path}"; echo; model_dir_for "{tmp_path}"')
    assert proc.stdout.splitlines() == ["local", str(tmp_path)]
    proc = bash("model_dir_for 'not a model'", check=False)
    assert proc.returncode == 1 and "expected a Hugging Face model id" in proc.stderr


# ---- tracking, checkpoints, LoRA ------------------------------------------------------------------

def test_wandb_online_only_with_a_key():
    proc = bash('PROJECT=p; setup_tracking e1; echo "$WANDB_MODE|$WANDB_DIR|$TENSORBOARD_DIR"')
    mode, wandb_dir, tb_dir = proc.stdout.strip().split("|")
    assert mode == "offline"
    assert wandb_dir == str(SCRIPTS.parent / "artifacts" / "wandb")
    assert tb_dir == str(SCRIPTS.parent / "artifacts" / "tensorboard" / "e1")
    proc = bash('PROJECT=p; setup_tracking e1; echo "$WANDB_MODE $WANDB_WHERE"', WANDB_API_KEY="k" * 40)
    assert proc.stdout.startswith("online online: https://wandb.ai/")
    assert bash("PROJECT=p; setup_tracking e; echo $WANDB_MODE", WANDB_API_KEY="k", WANDB_MODE="disabled").stdout.strip() == "disabled"


def test_latest_checkpoint_follows_verls_tracker_file(tmp_path):
    assert bash(f'latest_checkpoint "{tmp_path}"').stdout == ""
    (tmp_path / "global_step_20").mkdir()
    (tmp_path / "latest_checkpointed_iteration.txt").write_text("20")
    assert bash(f'latest_checkpoint "{tmp_path}"').stdout == "global_step_20"
    (tmp_path / "latest_checkpointed_iteration.txt").write_text("40")  # folder missing: not resumable
    assert bash(f'latest_checkpoint "{tmp_path}"').stdout == ""


@pytest.mark.parametrize("rank, alpha, ok", [("0", "", True), ("64", "", True), ("16", "8", True),
                                             ("-1", "", False), ("x", "", False), ("1024", "", False)])
def test_lora_settings_are_checked(rank, alpha, ok):
    env = {"LORA_RANK": rank}
    if alpha:
        env["LORA_ALPHA"] = alpha
    proc = bash('check_lora; echo "$LORA_RANK $LORA_ALPHA"', check=False, **env)
    assert (proc.returncode == 0) is ok, proc.stderr
    if ok:
        r = int(rank)
        assert proc.stdout.split() == [str(r), alpha or str(2 * r)]


# ---- running --------------------------------------------------------------------------------------

def test_nohup_returns_at_once_and_the_command_logs(tmp_path):
    log = tmp_path / "logs" / "x.log"
    proc = bash(f'run_or_background "{log}" 0 1 bash -c "sleep 0.3; echo from-the-job"; echo launcher-done')
    assert "started in the background: PID" in proc.stdout and proc.stdout.rstrip().endswith("launcher-done")
    for _ in range(50):
        if log.exists() and "from-the-job" in log.read_text():
            break
        __import__("time").sleep(0.1)
    assert "from-the-job" in log.read_text()


def test_nohup_as_a_containers_main_process_waits_for_the_job(tmp_path):
    """As PID 1 of a container the launcher must not exit (the container would stop the job)."""
    log = tmp_path / "x.log"
    proc = bash(f'is_container_main_process() {{ return 0; }}\n'
                f'status=0; run_or_background "{log}" 0 1 bash -c "echo from-the-job; exit 3" || status=$?\n'
                f'echo "status=$status"; cat "{log}"')
    assert "waits for the training to end" in proc.stdout
    assert "training ended with status 3" in proc.stdout
    assert proc.stdout.splitlines()[-2:] == ["status=3", "from-the-job"]
