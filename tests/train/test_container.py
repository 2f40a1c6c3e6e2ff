"""The image pin: docker/verl-image.txt names the base image and the verl version beside it, the
verl version equals the `train` extra's pin in pyproject.toml and the installed verl, and the
Dockerfile takes the image from there (no tag of its own, never `latest`)."""

from __future__ import annotations

import re
from importlib.metadata import version

from tests.train.launchers import REPO


def image_file() -> dict[str, str]:
    values = {}
    for line in (REPO / "docker" / "verl-image.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return values


def test_image_file_names_an_exact_verl_image_and_version():
    values = image_file()
    assert set(values) == {"VERL_VERSION", "VERL_IMAGE"}
    repo, tag = values["VERL_IMAGE"].rsplit(":", 1)
    assert repo == "verlai/verl"
    assert "latest" not in tag and re.fullmatch(r"vllm\d+\.dev\d+", tag), tag
    assert re.fullmatch(r"\d+\.\d+\.\d+", values["VERL_VERSION"])


def test_verl_version_agrees_with_pyproject_and_the_installed_verl():
    # (a regex, not tomllib: the project supports Python 3.10)
    pins = re.findall(r'^\s*"(verl[^"]*)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert pins == [f"verl=={image_file()['VERL_VERSION']}"]
    assert version("verl") == image_file()["VERL_VERSION"]


def test_dockerfile_builds_from_the_pinned_image_and_installs_the_train_extra():
    text = (REPO / "Dockerfile").read_text()
    instructions = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    froms = [ln for ln in instructions if ln.startswith("FROM ")]
    assert froms == ["FROM ${VERL_IMAGE}"]
    assert "ARG VERL_IMAGE" in instructions  # no default: docker/verl-image.txt is the one place
    assert "verlai/verl:" not in "\n".join(instructions)
    assert 'pip install --no-cache-dir -e ".[train]"' in text
    assert "WORKDIR /workspace/veritas-rl" in instructions


def test_dockerignore_keeps_secrets_and_outputs_out_of_the_image():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".git", "train/artifacts", "train/models", "train/outputs", "train/logs"} <= ignored


def test_runner_reads_the_same_file():
    text = (REPO / "docker_run_verl.sh").read_text()
    assert "docker/verl-image.txt" in text and "VERL_IMAGE=" in text and "VERL_VERSION=" in text
