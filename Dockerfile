# veritas-rl on verl: the official verl image (vLLM, torch, CUDA, flash-attn) plus this project and
# its pinned `train` extra (verl itself and what main_ppo / sft_trainer need beyond the image).
#
# Build it through ./docker_run_verl.sh, which reads the base image from docker/verl-image.txt:
#   ./docker_run_verl.sh --build
# or by hand:
#   docker build $(grep -v '^#' docker/verl-image.txt | sed 's/^/--build-arg /') -t veritas-rl .
ARG VERL_IMAGE
FROM ${VERL_IMAGE}
ARG VERL_VERSION

# The repository is mounted over this folder at run time (docker_run_verl.sh), so the editable
# install below points at the live checkout: code changes need no rebuild, only dependency changes do.
WORKDIR /workspace/veritas-rl
COPY . /workspace/veritas-rl

# verl's image ships without verl (it installs and removes it to leave only the dependencies).
# transformers==5.9.0 is the version verl 0.9.1's own `vllm` extra pins; the image's 5.3.0 is older
# than verl 0.9.1 accepts. The image's torch and vLLM are left as they are.
RUN test -n "${VERL_VERSION}" || { echo "build with --build-arg VERL_VERSION=... (see docker/verl-image.txt)" >&2; exit 1; } \
    && pip install --no-cache-dir -e ".[train]" "transformers==5.9.0" \
    && python3 -c "import verl, sys; v = verl.__version__; sys.exit(0 if v == '${VERL_VERSION}' else f'verl {v} installed, docker/verl-image.txt says ${VERL_VERSION}')"

# Ray workers import veritas from the mounted checkout; Hugging Face files land in the mounted cache.
ENV PYTHONPATH="/workspace/veritas-rl:${PYTHONPATH}" \
    HF_HOME=/root/.cache/huggingface \
    PYTHONUNBUFFERED=1
CMD ["bash"]
