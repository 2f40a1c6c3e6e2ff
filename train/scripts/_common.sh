# shellcheck shell=bash
# Shared helpers for the launchers in train/scripts/ (sourced, never run). Each helper does one job:
# .env loading, secret masking, GPU detection, model download, W&B and TensorBoard set-up, preset
# files, Hydra override merging, and printing or running the final command.
#
# Nothing here may print a secret: no `set -x` anywhere, and every line that shows a command or an
# error from another tool goes through `mask` first.

VERITAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT_NAME="$(basename "${BASH_SOURCE[1]:-${0}}")"
# Environment variables whose values are secrets: never printed, masked wherever text is shown.
SECRET_VARS=(HF_TOKEN HUGGING_FACE_HUB_TOKEN WANDB_API_KEY OPENAI_API_KEY)

# The model both trainers start from unless MODEL says otherwise (docs/training.md says why).
# shellcheck disable=SC2034  # read by the trainers that source this file
DEFAULT_MODEL="Qwen/Qwen2.5-1.5B-Instruct"

die() {
    echo "$SCRIPT_NAME: error: $(mask "$*")" >&2
    exit 1
}

# parse_launcher_args ARGS...: a trainer's command line. Sets dry_run, nohup_mode, print_ray_env and
# user_overrides (the KEY=VALUE arguments, in order); calls the script's own `usage` for --help.
# shellcheck disable=SC2034  # print_ray_env is read by the GRPO launcher that sources this file
parse_launcher_args() {
    dry_run=0
    nohup_mode=0
    print_ray_env=0
    user_overrides=()
    local arg
    for arg in "$@"; do
        case "$arg" in
            -h | --help) usage; exit 0 ;;
            --dry-run) dry_run=1 ;;
            --print-ray-env) print_ray_env=1 ;;
            --nohup) nohup_mode=1 ;;
            -*) die "unknown option '$arg' (see --help)" ;;
            *=*) user_overrides+=("$arg") ;;
            *) die "'$arg' is not a KEY=VALUE override (see --help)" ;;
        esac
    done
}

info() {
    echo "$SCRIPT_NAME: $(mask "$*")"
}

# mask TEXT: TEXT with the value of every secret variable replaced by ***.
mask() {
    local text="$1" name value
    for name in "${SECRET_VARS[@]}"; do
        value="${!name:-}"
        if [[ -n "$value" ]]; then
            text="${text//"$value"/***}"
        fi
    done
    printf '%s' "$text"
}

# rel PATH: PATH relative to the repository when it lies inside it (for messages).
rel() {
    local path="$1"
    if [[ "$path" == "$VERITAS_ROOT" ]]; then
        printf '.'
    elif [[ "$path" == "$VERITAS_ROOT"/* ]]; then
        printf '%s' "${path#"$VERITAS_ROOT"/}"
    else
        printf '%s' "$path"
    fi
}

# load_env_file [FILE]: export KEY=VALUE lines from FILE (default: ENV_FILE, else .env at the repo
# root) without printing them. The format is docker's --env-file format, so the container and the
# host read the same file the same way: no quotes, no `export`, no expansion. A variable already
# set in the environment wins over the file.
load_env_file() {
    local file="${1:-${ENV_FILE:-$VERITAS_ROOT/.env}}"
    [[ -f "$file" ]] || return 0
    local line key value n=0 name
    name="$(rel "$file")"
    while IFS= read -r line || [[ -n "$line" ]]; do
        n=$((n + 1))
        line="${line%$'\r'}"
        [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
        if [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
            continue # a bare NAME: docker copies it from the host environment; so do we
        fi
        if [[ ! "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
            die "$name line $n: expected KEY=VALUE (docker --env-file format, no 'export', no spaces around '=')"
        fi
        key="${BASH_REMATCH[1]}"
        value="${BASH_REMATCH[2]}"
        if [[ "$value" =~ ^\".*\"$ || "$value" =~ ^\'.*\'$ ]]; then
            die "$name line $n: the value of $key is quoted; docker --env-file keeps quotes as part of the value, so write $key=value without quotes"
        fi
        if [[ -z "${!key+set}" ]]; then
            export "$key=$value"
        fi
    done <"$file"
}

# shell_quote ARG: ARG as one shell word (plain when safe, else single-quoted).
shell_quote() {
    local arg="$1"
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=+@%,-]+$ ]]; then
        printf '%s' "$arg"
    else
        printf "'%s'" "${arg//\'/\'\\\'\'}"
    fi
}

# print_command ARGV...: the command, copy-pasteable, secrets masked. A new line starts before each
# option and each KEY=VALUE word that is not an option's value, so every Hydra override, environment
# setting and option sits on its own line.
print_command() {
    local out="" arg prev=""
    for arg in "$@"; do
        if [[ -z "$out" ]]; then
            out="$(shell_quote "$arg")"
        elif [[ "$arg" == -* ]] || [[ "$arg" == *=* && ("$prev" != -* || "$prev" == *=*) ]]; then
            out+=$' \\\n    '"$(shell_quote "$arg")"
        else
            out+=" $(shell_quote "$arg")"
        fi
        prev="$arg"
    done
    mask "$out"
    printf '\n'
}

# detect_gpus: set GPUS to the number of GPUs on this node (GPUS= wins; then CUDA_VISIBLE_DEVICES;
# then nvidia-smi). 0 when none is found.
detect_gpus() {
    if [[ -n "${GPUS:-}" ]]; then
        [[ "$GPUS" =~ ^[1-9][0-9]*$ ]] || die "GPUS=$GPUS: expected a positive integer"
        return 0
    fi
    if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
        local ids
        IFS=',' read -ra ids <<<"$CUDA_VISIBLE_DEVICES"
        GPUS="${#ids[@]}"
    elif command -v nvidia-smi >/dev/null 2>&1; then
        GPUS="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | grep -c '[0-9]' || true)"
    else
        GPUS=0
    fi
}

# require_gpus DRY_RUN: detect GPUs; without any, fail (or, in a dry run, show the command for 1).
require_gpus() {
    local dry_run="$1"
    detect_gpus
    if [[ "$GPUS" == 0 ]]; then
        if ((dry_run)); then
            info "no NVIDIA GPU found here; showing the command for GPUS=1"
            GPUS=1
        else
            die "no NVIDIA GPU found (nvidia-smi lists none). Run inside ./docker_run_verl.sh on a GPU machine, or set GPUS=N"
        fi
    fi
}

# model_dir_for MODEL: where MODEL lives on disk. A local directory is used as it is; a hub id
# ("org/name") maps to train/models/org/name.
model_dir_for() {
    local model="$1"
    if [[ -d "$model" ]]; then
        (cd "$model" && pwd)
    elif [[ "$model" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
        printf '%s' "$VERITAS_ROOT/train/models/$model"
    else
        die "MODEL=$model: expected a Hugging Face model id (org/name) or an existing directory"
    fi
}

MODEL_COMPLETE_MARKER=".veritas-download-complete"

# model_state MODEL: "local" (a directory given by path), "complete" (downloaded before) or "missing".
model_state() {
    local model="$1" dir
    if [[ -d "$model" ]]; then
        printf 'local'
        return 0
    fi
    dir="$(model_dir_for "$model")"
    if [[ -f "$dir/$MODEL_COMPLETE_MARKER" ]]; then
        printf 'complete'
    else
        printf 'missing'
    fi
}

# mask_stream: copy stdin to stdout line by line, secrets replaced by *** (for other tools' output).
mask_stream() {
    # Values come through ENVIRON, not -v, so awk does not interpret backslashes in them.
    SECRET_NAMES="${SECRET_VARS[*]}" awk '
        function hide(s, t,    i, out) {
            if (t == "") return s
            out = ""
            while ((i = index(s, t)) > 0) { out = out substr(s, 1, i - 1) "***"; s = substr(s, i + length(t)) }
            return out s
        }
        BEGIN { n = split(ENVIRON["SECRET_NAMES"], names, " ") }
        { line = $0; for (k = 1; k <= n; k++) line = hide(line, ENVIRON[names[k]]); print line; fflush() }'
}

# ensure_model MODEL: download a hub model into train/models/<id> with `hf download` unless a
# previous download completed (marker file). No token is needed for public models; when the hub
# refuses, say how to provide HF_TOKEN. hf's output is shown as it comes, through mask_stream.
ensure_model() {
    local model="$1" dir state log
    state="$(model_state "$model")"
    [[ "$state" == missing ]] || return 0
    dir="$(model_dir_for "$model")"
    command -v hf >/dev/null 2>&1 ||
        die "the 'hf' command (huggingface_hub) is missing; install it with: pip install -U huggingface_hub"
    info "downloading $model to $(rel "$dir") (once; later runs reuse it)"
    mkdir -p "$dir"
    log="$(mktemp)"
    # hf reads HF_TOKEN from the environment by itself: the token never reaches a command line.
    if hf download "$model" --local-dir "$dir" 2>&1 | mask_stream | tee "$log" >&2; then
        rm -f "$log"
        touch "$dir/$MODEL_COMPLETE_MARKER"
        return 0
    fi
    local output
    output="$(tail -n 20 "$log")"
    rm -f "$log"
    if grep -Eqi '401|403|gated|unauthori[sz]ed|restricted|not found|invalid (user )?token|credentials' <<<"$output"; then
        if [[ -n "${HF_TOKEN:-}" ]]; then
            die "the Hugging Face hub refused $model even with HF_TOKEN set: check that the token is valid and that your account has accepted the model's terms at https://huggingface.co/$model"
        fi
        die "the Hugging Face hub refused $model: it is gated, private or misspelt. If it is gated or private, accept its terms at https://huggingface.co/$model, create a read token at https://huggingface.co/settings/tokens and put HF_TOKEN=<token> in .env (see .env.example), then run again"
    fi
    die "downloading $model failed (see hf's message above); a rerun resumes where it stopped"
}

# setup_tracking EXP: W&B online when WANDB_API_KEY is set (else offline, synced later), its files
# under train/artifacts/wandb/; TensorBoard under train/artifacts/tensorboard/EXP. Sets the
# exported variables and WANDB_WHERE (a sentence for the summary).
# shellcheck disable=SC2034  # WANDB_WHERE is read by the launcher that sources this file
setup_tracking() {
    local exp="$1"
    export WANDB_DIR="${WANDB_DIR:-$VERITAS_ROOT/train/artifacts/wandb}"
    if [[ -z "${WANDB_MODE:-}" ]]; then
        if [[ -n "${WANDB_API_KEY:-}" ]]; then
            WANDB_MODE=online
        else
            WANDB_MODE=offline
        fi
    fi
    export WANDB_MODE
    export TENSORBOARD_DIR="${TENSORBOARD_DIR:-$VERITAS_ROOT/train/artifacts/tensorboard/$exp}"
    case "$WANDB_MODE" in
        online)
            WANDB_WHERE="online: https://wandb.ai/${WANDB_ENTITY:-<your entity>}/$PROJECT (run $exp); local copy in $(rel "$WANDB_DIR")/wandb/" ;;
        offline)
            WANDB_WHERE="offline (no WANDB_API_KEY): $(rel "$WANDB_DIR")/wandb/offline-run-*; upload later with train/scripts/wandb-sync.sh" ;;
        *)
            WANDB_WHERE="WANDB_MODE=$WANDB_MODE" ;;
    esac
}

# read_args_file OUT_ARRAY FILE: the overrides in FILE, one per line, into OUT_ARRAY; '#' comments
# and blank lines skipped. Lines are taken literally (no shell expansion): `${...}` is a Hydra
# interpolation, resolved by verl.
read_args_file() {
    local -n _lines="$1"
    local file="$2" line n=0 name
    name="$(rel "$file")"
    [[ -f "$file" ]] || die "preset file $name not found"
    _lines=()
    while IFS= read -r line || [[ -n "$line" ]]; do
        n=$((n + 1))
        line="${line%$'\r'}"
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line%"${line##*[![:space:]]}"}"
        [[ -z "$line" || "$line" == \#* ]] && continue
        [[ "$line" =~ ^[~+]*[A-Za-z_][A-Za-z0-9_.]*= ]] || die "$name line $n: '$line' is not a key=value override"
        _lines+=("$line")
    done <"$file"
}

# preset_names DIR: the presets in DIR (basenames of *.args), space-separated, for messages.
preset_names() {
    local dir="$1" f names=()
    for f in "$dir"/*.args; do
        [[ -e "$f" ]] && names+=("$(basename "$f" .args)")
    done
    printf '%s' "${names[*]}"
}

# mix_names: the mixes in train/mixes/ that have a -train.yaml file, for messages.
mix_names() {
    local f names=()
    for f in "$VERITAS_ROOT"/train/mixes/*-train.yaml; do
        [[ -e "$f" ]] && names+=("$(basename "$f" -train.yaml)")
    done
    printf '%s' "${names[*]:-none}"
}

# override_key OVERRIDE: the config key an override sets ("+a.b=1" and "a.b=2" both set "a.b").
override_key() {
    local key="${1%%=*}"
    key="${key#\~}"
    key="${key#++}"
    key="${key#+}"
    printf '%s' "$key"
}

# merge_overrides OUT_ARRAY OVERRIDE...: keep one override per key, the last one given, at the
# position where the key first appeared. So each key reaches Hydra once and later layers (preset,
# LoRA, quick, your own arguments) win over earlier ones.
merge_overrides() {
    local -n _out="$1"
    shift
    local -A _last=()
    local -a _order=()
    local o k
    for o in "$@"; do
        k="$(override_key "$o")"
        [[ -n "${_last[$k]+set}" ]] || _order+=("$k")
        _last[$k]="$o"
    done
    _out=()
    for k in "${_order[@]}"; do
        _out+=("${_last[$k]}")
    done
}

# override_value KEY OVERRIDE...: the value the last override of KEY sets (empty when none does).
override_value() {
    local key="$1" o value=""
    shift
    for o in "$@"; do
        if [[ "$(override_key "$o")" == "$key" ]]; then
            value="${o#*=}"
        fi
    done
    printf '%s' "$value"
}

# latest_checkpoint DIR: "global_step_N" from verl's tracker file in DIR, or nothing.
latest_checkpoint() {
    local dir="$1" step
    [[ -f "$dir/latest_checkpointed_iteration.txt" ]] || return 0
    step="$(tr -dc '0-9' <"$dir/latest_checkpointed_iteration.txt")"
    [[ -n "$step" && -d "$dir/global_step_$step" ]] && printf 'global_step_%s' "$step"
    return 0
}

# checkpoint_world_size STEP_DIR: the number of ranks that wrote an FSDP checkpoint, read from verl's
# shard names (model_world_size_N_rank_R.pt, in STEP_DIR or one folder below, e.g. actor/); empty
# when there are none.
checkpoint_world_size() {
    local dir="$1" shard
    [[ -d "$dir" ]] || return 0
    shard="$(find "$dir" -maxdepth 2 -name 'model_world_size_*_rank_0.pt' -print -quit 2>/dev/null)"
    [[ -n "$shard" ]] || return 0
    shard="$(basename "$shard")"
    shard="${shard#model_world_size_}"
    printf '%s' "${shard%%_rank_0.pt}"
}

# check_resume_world_size STEP_DIR WORLD DRY_RUN: verl 0.9.1 loads FSDP shards only with the world
# size that wrote them (one file per rank, no resharding on load). Refuse a resume with another GPU
# count before any GPU is spent, saying what to do instead (a dry run only notes it).
check_resume_world_size() {
    local dir="$1" world="$2" dry_run="$3" written
    written="$(checkpoint_world_size "$dir")"
    [[ -n "$written" && "$written" != "$world" ]] || return 0
    local message
    message="checkpoint $(rel "$dir") was written by $written GPUs (model_world_size_${written}_rank_*.pt) but this run has $world; verl 0.9.1 cannot reshard FSDP checkpoints on load. Either run with $written GPUs in all (GPUS x NNODES), or start a new experiment from its merged weights: train/scripts/merge-checkpoint.sh <the checkpoint folder>, then MODEL=train/artifacts/merged/<name> EXP=<new name> (the optimizer state and data position start over), or pass trainer.resume_mode=disable to start this experiment from step 0"
    if ((dry_run)); then
        info "note: $message"
    else
        die "$message"
    fi
}

# resume_target CKPT_DIR OVERRIDE...: the checkpoint folder verl will load given the merged
# overrides (resume_mode auto: the latest; resume_path: resume_from_path; disable: none).
resume_target() {
    local ckpt_dir="$1" mode latest
    shift
    mode="$(override_value trainer.resume_mode "$@")"
    case "$mode" in
        disable) return 0 ;;
        resume_path) override_value trainer.resume_from_path "$@" ;;
        *)
            latest="$(latest_checkpoint "$ckpt_dir")"
            [[ -n "$latest" ]] && printf '%s' "$ckpt_dir/$latest"
            ;;
    esac
    return 0
}

# wandb_run_id CKPT_DIR EXP CREATE: the W&B run id of an experiment, kept in CKPT_DIR/wandb_run_id so
# that a resumed run continues the same W&B run (wandb.init reads WANDB_RUN_ID, WANDB_RESUME=allow).
# A new id is made (and saved when CREATE is 1) when the folder has none: deleting the checkpoint
# folder starts a new W&B run too.
wandb_run_id() {
    local ckpt_dir="$1" exp="$2" create="$3" file id
    file="$ckpt_dir/wandb_run_id"
    if [[ -f "$file" ]]; then
        id="$(tr -dc 'A-Za-z0-9_-' <"$file")"
        if [[ -n "$id" ]]; then
            printf '%s' "$id"
            return 0
        fi
    fi
    id="$(slug "$exp" | tr -dc 'a-z0-9_-' | cut -c1-48)-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
    if ((create)); then
        mkdir -p "$ckpt_dir"
        printf '%s\n' "$id" >"$file.tmp.$$" && mv "$file.tmp.$$" "$file"
    fi
    printf '%s' "$id"
}

# check_lora: validate LORA_RANK / LORA_ALPHA (0 or unset = LoRA off).
check_lora() {
    LORA_RANK="${LORA_RANK:-0}"
    [[ "$LORA_RANK" =~ ^[0-9]+$ ]] || die "LORA_RANK=$LORA_RANK: expected a non-negative integer (0 = LoRA off)"
    ((LORA_RANK <= 512)) || die "LORA_RANK=$LORA_RANK: vLLM serves LoRA ranks up to 512"
    LORA_ALPHA="${LORA_ALPHA:-$((2 * LORA_RANK))}"
    [[ "$LORA_ALPHA" =~ ^[0-9]+$ ]] || die "LORA_ALPHA=$LORA_ALPHA: expected a positive integer"
}

# slug TEXT: lower case, characters outside [a-z0-9._-] turned into '-' (for experiment names).
slug() {
    local s="${1,,}"
    printf '%s' "${s//[^a-z0-9._-]/-}"
}

# is_container_main_process: true when this shell is PID 1, as when `docker run IMAGE bash SCRIPT`
# runs a launcher: the container, and everything in it, stops when PID 1 exits.
is_container_main_process() {
    (($$ == 1))
}

# run_or_background LOG DRY_RUN NOHUP ARGV...: print the command; in a dry run stop there, with
# --nohup start it in the background logging to LOG, else replace this shell with it.
run_or_background() {
    local log="$1" dry_run="$2" nohup_mode="$3"
    shift 3
    if ((dry_run)); then
        if ((nohup_mode)); then
            echo "== command (dry run: not started; --nohup would run it in the background, logging to $(rel "$log")) =="
        else
            echo "== command (dry run: not started) =="
        fi
        print_command "$@"
        return 0
    fi
    echo "== command =="
    print_command "$@"
    if ((nohup_mode)); then
        mkdir -p "$(dirname "$log")"
        nohup "$@" >>"$log" 2>&1 </dev/null &
        local pid=$!
        echo "started in the background: PID $pid"
        echo "follow it with: tail -f $(rel "$log")"
        echo "stop it with:   kill $pid"
        if is_container_main_process; then
            # Exiting would stop the container and the training with it: stay until it ends.
            echo "this launcher is the container's main process, so it waits for the training to end;"
            echo "detach with Ctrl-P Ctrl-Q (the training goes on) or start the container with nohup instead"
            local status=0
            wait "$pid" || status=$?
            echo "training ended with status $status (log: $(rel "$log"))"
            return "$status"
        fi
        return 0
    fi
    exec "$@"
}
