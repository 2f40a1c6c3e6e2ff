#!/usr/bin/env bash
# Start the veritas-rl container (verl 0.9.1 + vLLM + this project), building the image first when
# it is missing. With a command, run it inside; without one, open a shell.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: ./docker_run_verl.sh [OPTIONS] [--] [COMMAND ...]

Runs COMMAND (default: an interactive bash) in the veritas-rl image with all GPUs, host IPC (large
shared memory for NCCL, vLLM and dataloaders), the repository mounted at /workspace/veritas-rl as
the working directory, the Hugging Face cache mounted (models survive the container), and .env
passed with --env-file when it exists. The image is built when missing (docker/verl-image.txt names
the base image; the tag changes whenever Dockerfile, pyproject.toml or that file change).

  ./docker_run_verl.sh bash train/scripts/lgc-v2-GRPO-trainer.sh     # the main job
  ./docker_run_verl.sh                                               # a shell inside

Options:
  --build           rebuild the image even if it exists
  --gpus SPEC       docker's --gpus value (default: the GPUs Slurm allocated (SLURM_JOB_GPUS) or
                    CUDA_VISIBLE_DEVICES names, as '"device=2,3"'; else all). Inside, the container
                    sees only those, numbered from 0, so CUDA_VISIBLE_DEVICES is not forwarded
  --as-me           run as the calling user (uid:gid), so files written under train/ and the
                    Hugging Face cache are yours, not root's (HOME=/tmp/home inside)
  --host-network    use the host's network (multi-node Ray/NCCL clusters); off by default
  --privileged      run privileged (some RDMA/InfiniBand set-ups need it); off by default
  --name NAME       container name
  --dry-run         print the docker commands instead of running them
  -h, --help        this help

Ray's session folder (/tmp/ray inside: logs of every worker) is a host folder, RAY_TMP_DIR (default
train/logs/ray/<host>), so the logs outlive the container. Open files are limited to 1048576 (Ray and
vLLM open many).

Environment: IMAGE (image to use instead of veritas-rl:<hash>), HF_CACHE_DIR (host folder for the
Hugging Face cache, default ~/.cache/huggingface), RAY_TMP_DIR (see above; keep it on a local disk). The launchers' settings (MIX, ALGO, MODEL, GPUS,
..., and the secrets HF_TOKEN, WANDB_API_KEY) are forwarded from this shell by name when set, so
`MIX=trace ./docker_run_verl.sh bash train/scripts/lgc-v2-GRPO-trainer.sh` works; values never
appear on docker's command line.
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=train/scripts/_common.sh
source "$root/train/scripts/_common.sh"
workdir=/workspace/veritas-rl
# Variables the launchers read (.env.example lists them); forwarded with `-e NAME` when set.
forward_vars=(
    MIX ALGO PRESET MODEL LORA_RANK LORA_ALPHA LORA_LR GPUS NNODES EXP PROJECT VAL_N DUMP_GENERATIONS
    HF_TOKEN WANDB_API_KEY WANDB_ENTITY WANDB_MODE RAY_ADDRESS
)

build=0
gpus=""
as_me=0
host_network=0
privileged=0
name=""
dry_run=0
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --build) build=1 ;;
        --gpus)
            (($# >= 2)) || die "--gpus needs a value"
            gpus="$2"
            shift ;;
        --host-network) host_network=1 ;;
        --as-me) as_me=1 ;;
        --privileged) privileged=1 ;;
        --name)
            (($# >= 2)) || die "--name needs a value"
            name="$2"
            shift ;;
        --dry-run) dry_run=1 ;;
        --) shift; break ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) break ;;
    esac
    shift
done
command_args=("$@")
# .env is checked here (docker would pass a quoted value with its quotes) and supplies IMAGE and
# HF_CACHE_DIR; docker itself reads it again through --env-file.
load_env_file "$root/.env"

# The base image and verl version, from the one file that names them.
base_image="$(sed -n 's/^VERL_IMAGE=//p' "$root/docker/verl-image.txt")"
verl_version="$(sed -n 's/^VERL_VERSION=//p' "$root/docker/verl-image.txt")"
[[ -n "$base_image" && -n "$verl_version" ]] || die "docker/verl-image.txt must set VERL_IMAGE= and VERL_VERSION="
# The default tag follows the build inputs, so editing them triggers a rebuild and nothing else does.
inputs_hash="$(cat "$root/Dockerfile" "$root/pyproject.toml" "$root/docker/verl-image.txt" | sha256sum | cut -c1-12)"
image="${IMAGE:-veritas-rl:verl$verl_version-$inputs_hash}"

run_docker() {
    if ((dry_run)); then
        print_command docker "$@"
    else
        docker "$@"
    fi
}

command -v docker >/dev/null 2>&1 || ((dry_run)) || die "docker is not installed (https://docs.docker.com/engine/install/)"

if ((build)) || ! docker image inspect "$image" >/dev/null 2>&1; then
    info "building $image from $base_image (verl $verl_version); the first build downloads the base image (tens of GB)" >&2
    run_docker build --build-arg "VERL_IMAGE=$base_image" --build-arg "VERL_VERSION=$verl_version" \
        -t "$image" -f "$root/Dockerfile" "$root"
fi

# GPU selection: docker's --gpus picks host devices and renumbers them from 0 inside, so a host
# CUDA_VISIBLE_DEVICES (e.g. Slurm's "2,3") would name the wrong ones there. It becomes the device
# list instead; SLURM_JOB_GPUS holds the allocation's host indices even where Slurm renumbers
# CUDA_VISIBLE_DEVICES under cgroups.
if [[ -z "$gpus" ]]; then
    selected="${SLURM_JOB_GPUS:-${CUDA_VISIBLE_DEVICES:-}}"
    if [[ -n "$selected" ]]; then
        [[ "$selected" =~ ^[A-Za-z0-9-]+(,[A-Za-z0-9-]+)*$ ]] ||
            die "GPU list '$selected' (SLURM_JOB_GPUS or CUDA_VISIBLE_DEVICES): expected indices or UUIDs like 0,1; or pass --gpus"
        gpus="\"device=$selected\""
    else
        gpus=all
    fi
fi

hf_cache="${HF_CACHE_DIR:-$HOME/.cache/huggingface}"
ray_tmp="${RAY_TMP_DIR:-$root/train/logs/ray/$(hostname -s 2>/dev/null || hostname)}"
((dry_run)) || mkdir -p "$hf_cache" "$ray_tmp"
# As another user than root, /root is not reachable: the cache goes under that user's HOME instead.
hf_home=/root/.cache/huggingface
((as_me)) && hf_home=/tmp/home/.cache/huggingface
# --init: an init (tini) as PID 1 reaps orphaned processes; without it the command runs as PID 1
# and never reaps, so every process whose parent exits first (a dataloader worker's sandbox
# worker, a Ray helper) stays a zombie for the container's life.
args=(run --rm --init --gpus "$gpus" --ipc=host --ulimit memlock=-1 --ulimit stack=67108864
    --ulimit nofile=1048576:1048576
    -v "$root:$workdir" -w "$workdir"
    -v "$hf_cache:$hf_home" -e HF_HOME="$hf_home"
    -v "$ray_tmp:/tmp/ray")
if ((as_me)); then
    # Files written in the mounts belong to the caller. Without a passwd entry for that uid, HOME and
    # USER are set so that tools needing a home (pip, triton's and torch's caches) find a writable one.
    args+=(--user "$(id -u):$(id -g)" -e HOME=/tmp/home -e USER="$(id -un 2>/dev/null || echo veritas)"
        -e TRITON_CACHE_DIR=/tmp/home/.triton)
fi
[[ -f "$root/.env" ]] && args+=(--env-file "$root/.env")
for var in "${forward_vars[@]}"; do
    [[ -n "${!var+set}" ]] && args+=(-e "$var")
done
((host_network)) && args+=(--network host)
((privileged)) && args+=(--privileged)
[[ -n "$name" ]] && args+=(--name "$name")
# A terminal gets an interactive session; under nohup, CI or srun there is none to attach.
if [[ -t 0 && -t 1 ]]; then args+=(-it); fi
args+=("$image")
((${#command_args[@]})) && args+=("${command_args[@]}")

if ((dry_run)); then
    run_docker "${args[@]}"
    exit 0
fi
exec docker "${args[@]}"
