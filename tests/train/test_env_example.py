""".env.example lists every variable the scripts read, and the container forwards the launchers'
settings by name."""

from __future__ import annotations

import re

from tests.train.launchers import DOCKER_RUN, REPO

SCRIPTS = [*REPO.glob("*.sh"), *(REPO / "train").rglob("*.sh"), *(REPO / "train").rglob("*.sbatch")]
# The shell's and Slurm's own variables, not settings of ours.
NOT_SETTINGS = {"HOME", "PATH", "PWD", "PYTHONPATH", "BASH_REMATCH", "BASH_SOURCE"}


def example_names() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)(?:=|\s{2,})", text, re.M))


def variables_read() -> dict[str, set[str]]:
    """UPPER_CASE variables the scripts read with a default or a set-test (${X:-..}, ${X-..},
    ${X:+..}, ${X+..}): that is how a script reads a setting it may not be given."""
    found: dict[str, set[str]] = {}
    for script in SCRIPTS:
        for name in re.findall(r"\$\{([A-Z][A-Z0-9_]*):?[-+]", script.read_text()):
            if name not in NOT_SETTINGS and not name.startswith("SLURM_"):
                found.setdefault(name, set()).add(script.name)
    return found


def test_every_variable_a_script_reads_is_in_env_example():
    listed = example_names()
    missing = {name: sorted(where) for name, where in variables_read().items() if name not in listed}
    assert not missing, f"add these to .env.example: {missing}"


def test_scan_sees_the_main_settings():
    read = variables_read()
    for name in ("MIX", "ALGO", "PRESET", "MODEL", "LORA_RANK", "GPUS", "NNODES", "EXP", "HF_TOKEN",
                 "WANDB_API_KEY", "LAUNCHER", "IMAGE"):
        assert name in read, name


def test_docker_forwards_what_the_launchers_read():
    text = DOCKER_RUN.read_text()
    forwarded = set(re.search(r"forward_vars=\((.*?)\)", text, re.S).group(1).split())
    launcher_settings = {"MIX", "ALGO", "PRESET", "MODEL", "LORA_RANK", "LORA_ALPHA", "LORA_LR", "GPUS", "NNODES",
                         "EXP", "PROJECT", "HF_TOKEN", "WANDB_API_KEY", "WANDB_ENTITY", "WANDB_MODE"}
    assert launcher_settings <= forwarded
    assert forwarded <= example_names()


def test_training_doc_shows_every_preset_verbatim():
    """docs/training.md lists each preset's overrides; this keeps it true to the files."""
    doc = (REPO / "docs" / "training.md").read_text()
    for path in sorted((REPO / "train" / "presets").rglob("*.args")):
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert f"\n{line}\n" in doc, f"{path.relative_to(REPO)}: {line}"
    for name in ("grpo", "drgrpo", "gspo", "dapo", "rloo", "reinforce_pp", "ppo"):
        assert f"**`{name}`**" in doc
