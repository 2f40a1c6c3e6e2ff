"""`DynamicEnvDataset`: verl 0.9.1's custom dataset (`data.custom_cls`) over environment mixes and
data_gen parquet files.

verl builds it as `cls(data_files=..., tokenizer=..., processor=..., config=<data section>,
max_samples=...)` for `data.train_files` and `data.val_files` alike. Each entry of `data_files` is

- a mix file (`*.yaml`, docs/mixes.md): item i is generated on the fly from (mix, i), so a worker
  never repeats another's task and a resumed run sees exactly the stream it would have seen;
- a parquet file in verl's RL schema (`python -m data_gen rl`): rows are served in file order.

Several files are concatenated in the order given. `max_samples` (verl passes
`data.train_max_samples` / `data.val_max_samples`) caps the length; -1 means no cap.

Prompts are never truncated. A mix item whose prompt is longer than `data.max_prompt_length`
tokens (chat template applied, as verl's agent loop does) is replaced by the item's next candidate
(same task type, another seed: `Mix.item(i, k)`); the row records how many were skipped in
`extra_info["candidate"]`. Overlong parquet rows are dropped when the dataset is built. Both are
counted in `stats`.

Dataset settings that a mix file does not carry come from the data section verl passes, under
`data.veritas.<split>` (`+data.veritas.val.size=64`), keyed by the mix's split because verl passes
one data section to the train and the validation dataset alike.
"""

from __future__ import annotations

import bisect
import json
import logging
import operator
import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import Dataset

from veritas import rows
from veritas.curriculum.hub import new_hub_name, start_hub
from veritas.curriculum.schedule import AdaptiveSchedule, SnapshotPoller, read_snapshot, snapshot_path
from veritas.envs import Task
from veritas.mixes import OVERRIDABLE_KEYS, SPLIT_BLOCKS, Mix, MixError, is_mix_file, load_mix

logger = logging.getLogger(__name__)

# Candidates tried per mix item before giving up: if 32 in a row are too long, the mix and
# data.max_prompt_length do not fit each other, and a clear error beats a silently skewed mix.
MAX_CANDIDATES = 32
PARQUET_COLUMNS = ("data_source", "prompt", "reward_model", "extra_info")


class DatasetConfigError(ValueError):
    """A data file or data-section setting that cannot be used; the message names it."""


class PromptTooLongError(DatasetConfigError):
    """No candidate of a mix item fits data.max_prompt_length."""


def _plain(node: Any) -> Any:
    """OmegaConf nodes to plain Python (resolving interpolations); anything else unchanged."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # plain dicts only
        return node
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _get(config: Any, key: str, default: Any = None) -> Any:
    if config is None:
        return default
    value = config.get(key, default)
    return default if value is None else _plain(value)


@dataclass(frozen=True)
class DataSettings:
    """What the dataset reads from verl's data section (the level verl passes as `config`)."""

    max_prompt_length: int | None = None
    chat_template_kwargs: dict = field(default_factory=dict)
    shuffle: bool = False
    overrides: dict = field(default_factory=dict)  # split -> {mix key: value}
    batch_size: int | None = None  # verl's dataloader batch: data.gen_batch_size or data.train_batch_size

    @classmethod
    def from_config(cls, config: Any) -> "DataSettings":
        max_len = _get(config, "max_prompt_length")
        if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, int) or max_len <= 0):
            raise DatasetConfigError(f"data.max_prompt_length must be a positive int, got {max_len!r}")
        kwargs = _get(config, "apply_chat_template_kwargs", {}) or {}
        if not isinstance(kwargs, dict):
            raise DatasetConfigError(f"data.apply_chat_template_kwargs must be a mapping, got {kwargs!r}")
        # These decide the output shape, which the length check fixes itself.
        kwargs = {k: v for k, v in kwargs.items() if k not in ("tokenize", "return_dict", "return_tensors")}
        section = _get(config, "veritas", {}) or {}
        if not isinstance(section, dict):
            raise DatasetConfigError(f"data.veritas must be a mapping of split -> mix overrides, got {section!r}")
        overrides: dict[str, dict] = {}
        for split, values in section.items():
            if split not in SPLIT_BLOCKS:
                raise DatasetConfigError(f"data.veritas.{split}: unknown split; expected one of {sorted(SPLIT_BLOCKS)}")
            if not isinstance(values, dict):
                raise DatasetConfigError(f"data.veritas.{split} must be a mapping of mix keys, got {values!r}")
            for key in values:
                if key not in OVERRIDABLE_KEYS:
                    raise DatasetConfigError(
                        f"data.veritas.{split}.{key}: not an overridable mix key; expected one of {list(OVERRIDABLE_KEYS)}"
                    )
            overrides[split] = dict(values)
        batch_size = _get(config, "gen_batch_size") or _get(config, "train_batch_size")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0):
            raise DatasetConfigError(f"data.train_batch_size must be a positive int, got {batch_size!r}")
        return cls(max_len, kwargs, bool(_get(config, "shuffle", False)), overrides, batch_size)


def task_row(task: Task, index: int, split: str, system_prompt: str | None = None, **extra_info: Any) -> dict:
    """One verl item for a task: the RL row data_gen writes (veritas.rows.rl_row), with verl's
    item fields added (docs/verl-plugins.md has the layout). `ground_truth` is the reference
    reply itself, so scoring it as a reply gives 1.0."""
    row = rows.rl_row(task, index, split, system_prompt)
    row["raw_prompt"] = row.pop("prompt")
    row["extra_info"].update(extra_info)
    row.update(index=int(index), tools_kwargs={}, interaction_kwargs={}, dummy_tensor=_dummy_tensor())
    return row


def _dummy_tensor() -> torch.Tensor:
    # verl's batch must hold one tensor; RLHFDataset adds the same.
    return torch.tensor([0], dtype=torch.uint8)


class _MixSource:
    def __init__(self, mix: Mix):
        self.mix = mix
        self.name = mix.source
        self.schedule: AdaptiveSchedule | None = None  # set for a mix with adaptive difficulty

    def __len__(self) -> int:
        return self.mix.size


class _ParquetSource:
    """A data_gen parquet file: the arrow table and the rows that fit max_prompt_length."""

    def __init__(self, path: str, table, keep: list[int], dropped: int):
        self.name = path
        self.table = table
        self.keep = keep
        self.dropped = dropped

    def __len__(self) -> int:
        return len(self.keep)


# Pollers this process started, by hub name (kept off the dataset: it is pickled into workers).
_POLLERS: dict[str, SnapshotPoller] = {}


class SnapshotReader:
    """Picklable: reads the hub counts the trainer process's poller writes (any local process)."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self) -> dict | None:
        return read_snapshot(self.path)


class DynamicEnvDataset(Dataset):
    """verl's dataset over mixes and data_gen parquet files (see the module docstring)."""

    def __init__(self, data_files, tokenizer=None, processor=None, config=None, max_samples: int = -1):
        self.tokenizer = tokenizer
        self.processor = processor
        self.settings = DataSettings.from_config(config)
        if self.settings.max_prompt_length is not None and tokenizer is None:
            raise DatasetConfigError("data.max_prompt_length is set but no tokenizer was given to count tokens")
        self._byte_bound_forms = byte_bound_forms(tokenizer)
        self.data_files = _file_list(data_files)
        self.sources = [self._open(path) for path in self.data_files]
        self._starts = []
        total = 0
        for src in self.sources:
            self._starts.append(total)
            total += len(src)
        if max_samples is not None and int(max_samples) > 0:
            total = min(total, int(max_samples))
        self._length = total
        self._start_curricula()
        # Process-local counters (each dataloader worker has its own copy); the per-row
        # extra_info["candidate"] is what reaches the trainer and the reward metrics.
        self.stats = {"items": 0, "prompt_skips": 0,
                      "parquet_rows_dropped": sum(getattr(s, "dropped", 0) for s in self.sources)}

    # ---------------------------------------------------------------- construction

    def _start_curricula(self) -> None:
        """An adaptive mix gets a schedule, and (under Ray) a hub for the reward workers' reports
        plus the poller that copies the hub's counts to where every dataset copy can read them."""
        for src, start in zip(self.sources, self._starts):
            if not isinstance(src, _MixSource) or not src.mix.adaptive:
                continue
            if self.settings.batch_size is None:
                raise DatasetConfigError(f"{src.name}: adaptive difficulty decides per batch and needs "
                                         "data.train_batch_size (or data.gen_batch_size)")
            hub_name = new_hub_name()
            path = snapshot_path(hub_name)
            handle = start_hub(hub_name)
            if handle is not None:
                _POLLERS[hub_name] = SnapshotPoller(handle, path)
            src.schedule = AdaptiveSchedule(src.mix, self.settings.batch_size, start, SnapshotReader(path),
                                            hub_name if handle is not None else "")

    def state_dict(self) -> dict:
        """torchdata's StatefulDataLoader stores this in its state, which verl saves as data.pt."""
        return {"curriculum": {_state_key(i, src): src.schedule.state_dict() for i, src in enumerate(self.sources)
                               if isinstance(src, _MixSource) and src.schedule is not None}}

    def load_state_dict(self, state: dict) -> None:
        saved = (state or {}).get("curriculum", {})
        for i, src in enumerate(self.sources):
            if isinstance(src, _MixSource) and src.schedule is not None:
                if _state_key(i, src) in saved:
                    src.schedule.load_state_dict(saved[_state_key(i, src)])
                else:
                    logger.warning("%s: the checkpoint has no curriculum state for this mix; starting from its "
                                   "start levels", src.name)

    def _open(self, path: str):
        if is_mix_file(path):
            try:
                mix = load_mix(path)
                overrides = self.settings.overrides.get(mix.split)  # the split itself is not overridable
                if overrides:
                    mix = load_mix(path, overrides)
            except MixError as exc:
                raise DatasetConfigError(str(exc)) from None
            if mix.has_curriculum and mix.split == "train" and self.settings.shuffle:
                raise DatasetConfigError(
                    f"{path}: this mix has a difficulty curriculum, which follows the item index; "
                    "set data.shuffle=false so the index tracks the training step"
                )
            if mix.split != "train" and mix.size > 10_000:
                logger.warning("%s: a %s mix of %d items; verl validates on the whole set in one batch "
                               "(data.val_batch_size defaults to len(val))", path, mix.split, mix.size)
            return _MixSource(mix)
        if path.endswith(".parquet"):
            return self._open_parquet(path)
        raise DatasetConfigError(f"{path}: expected a mix file (.yaml/.yml) or a data_gen parquet file (.parquet)")

    def _open_parquet(self, path: str) -> _ParquetSource:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise DatasetConfigError(f"{path}: cannot read parquet file: {exc}") from None
        missing = [c for c in PARQUET_COLUMNS if c not in table.column_names]
        if missing:
            raise DatasetConfigError(
                f"{path}: missing column(s) {missing}; a veritas RL parquet (python -m data_gen rl) has {list(PARQUET_COLUMNS)}"
            )
        info_type = table.schema.field("extra_info").type
        if not pa.types.is_struct(info_type) or info_type.get_field_index("task") < 0:
            raise DatasetConfigError(
                f"{path}: column extra_info has no 'task' field, so its rows cannot be scored by "
                "veritas (write RL data with python -m data_gen rl)"
            )
        reward_type = table.schema.field("reward_model").type
        if not pa.types.is_struct(reward_type) or reward_type.get_field_index("ground_truth") < 0:
            raise DatasetConfigError(f"{path}: column reward_model has no 'ground_truth' field")
        tasks = pc.struct_field(table.column("extra_info"), "task")
        if table.num_rows and tasks.null_count:
            first = pc.index(pc.is_null(tasks), True).as_py()
            raise DatasetConfigError(f"{path}: row {first}: extra_info.task is empty")
        keep = list(range(table.num_rows))
        if self.settings.max_prompt_length is not None and table.num_rows:
            lengths = self._prompt_lengths(table.column("prompt").to_pylist())
            keep = [i for i, n in enumerate(lengths) if n <= self.settings.max_prompt_length]
        dropped = table.num_rows - len(keep)
        if dropped:
            logger.warning("%s: dropped %d of %d rows longer than data.max_prompt_length=%d tokens",
                           path, dropped, table.num_rows, self.settings.max_prompt_length)
        return _ParquetSource(path, table, keep, dropped)

    # ---------------------------------------------------------------- token lengths

    def _render(self, messages: list[dict]) -> str:
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False,
                                                  **self.settings.chat_template_kwargs)

    def prompt_length(self, messages: list[dict]) -> int:
        """Tokens of the prompt as verl's agent loop renders it (chat template, generation prompt):
        transformers' apply_chat_template(tokenize=True) is exactly this render, then encode."""
        ids = self.tokenizer(self._render(messages), add_special_tokens=False, return_attention_mask=False)
        return len(ids["input_ids"])

    def _prompt_lengths(self, conversations: list[list[dict]]) -> list[int]:
        texts = [self._render(m) for m in conversations]
        encoded = self.tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def _fits(self, messages: list[dict]) -> bool:
        limit = self.settings.max_prompt_length
        if limit is None:
            return True
        text = self._render(messages)
        # Byte-level BPE makes at most one token per byte, so a prompt of few bytes needs no encoding.
        if fits_by_bytes(text, limit, self._byte_bound_forms):
            return True
        return len(self.tokenizer(text, add_special_tokens=False, return_attention_mask=False)["input_ids"]) <= limit

    # ---------------------------------------------------------------- items

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index) -> dict:
        index = operator.index(index)
        if not 0 <= index < self._length:
            raise IndexError(f"index {index} is outside this dataset of {self._length} items")
        which = bisect.bisect_right(self._starts, index) - 1
        src, local = self.sources[which], index - self._starts[which]
        row = self._mix_row(src, local, index) if isinstance(src, _MixSource) else self._parquet_row(src, local)
        self.stats["items"] += 1
        return row

    def _mix_row(self, src: _MixSource, local: int, index: int) -> dict:
        mix = src.mix
        levels, extra = None, {}
        if src.schedule is not None:
            levels = src.schedule.levels_for(local)
            extra["curriculum"] = src.schedule.hub_name  # where compute_score reports ("" = nowhere)
        limit = min(MAX_CANDIDATES, mix.max_candidates)
        for candidate in range(limit):
            task = mix.generate(local, candidate, levels)
            messages = rows.chat_prompt(task, mix.system_prompt)
            if self._fits(messages):
                if candidate:
                    if not self.stats["prompt_skips"]:
                        logger.warning("%s: skipping prompts longer than data.max_prompt_length=%d tokens "
                                       "(extra_info.candidate and the reward metric prompt_skips count them)",
                                       mix.source, self.settings.max_prompt_length)
                    self.stats["prompt_skips"] += candidate
                return task_row(task, index, mix.split, mix.system_prompt, mix=mix.name, candidate=candidate, **extra)
        item = mix.item(local, 0, levels)
        raise PromptTooLongError(
            f"{mix.source}: item {local} ({item.task_type}, difficulty {item.difficulty or 'mixed'}): none of "
            f"{limit} candidates fits data.max_prompt_length={self.settings.max_prompt_length} tokens; "
            "raise data.max_prompt_length or lower this task type's difficulty in the mix"
        )

    def _parquet_row(self, src: _ParquetSource, local: int) -> dict:
        r = src.keep[local]
        raw = src.table.slice(r, 1).to_pylist()[0]
        info = dict(raw["extra_info"])
        index = info.get("index")
        if index is None:
            index = info["index"] = r
        return {
            "data_source": raw["data_source"],
            "raw_prompt": raw["prompt"],
            "ability": raw.get("ability"),
            "reward_model": raw["reward_model"],
            "extra_info": info,
            "index": int(index),
            "tools_kwargs": info.get("tools_kwargs") or {},
            "interaction_kwargs": info.get("interaction_kwargs") or {},
            "dummy_tensor": _dummy_tensor(),
        }

    # ---------------------------------------------------------------- verl hooks

    @classmethod
    async def process_multi_modal_info(cls, messages, image_patch_size=None, config=None):
        """verl's agent loop asks the dataset class for media when a processor is loaded; our
        prompts are text only."""
        return None, None, None

    @classmethod
    async def process_vision_info(cls, messages, image_patch_size=None, config=None):
        return None, None


def _state_key(position: int, src: _MixSource) -> str:
    # The mix's name and place, not its path: a resumed run may see the repository elsewhere.
    return f"{position}:{src.mix.name}"


def _file_list(data_files) -> list[str]:
    if isinstance(data_files, (str, os.PathLike)):
        files = [data_files]
    else:
        files = list(_plain(data_files) or [])
    if not files:
        raise DatasetConfigError("no data files: set data.train_files / data.val_files to mix (.yaml) or parquet files")
    return [os.path.expanduser(os.fspath(f)) for f in files]


_UNICODE_FORMS = {"NFC", "NFD", "NFKC", "NFKD"}


def byte_bound_forms(tokenizer) -> tuple[str, ...] | None:
    """The Unicode normalization forms the tokenizer applies, when it provably makes at most one
    token per byte of a text those forms leave unchanged; None when it does not.

    That holds for a byte-level BPE (every token covers at least one byte, every added token at
    least one character) that adds no prefix space and whose normalizer is only NFC/NFD/NFKC/NFKD
    (GPT-2, Qwen, Llama-3 style). SentencePiece tokenizers, which prepend a marker, do not qualify.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    try:
        spec = json.loads(backend.to_str())
    except (AttributeError, TypeError, ValueError):
        return None
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        return None

    def flat(node, key):
        if not node:
            return []
        return [n for child in node.get(key, []) for n in flat(child, key)] if node.get("type") == "Sequence" else [node]

    pre = flat(spec.get("pre_tokenizer"), "pretokenizers")
    byte_level = [p for p in pre if p.get("type") == "ByteLevel"]
    if not byte_level or any(p.get("add_prefix_space") for p in byte_level):
        return None
    if any(p.get("type") not in ("ByteLevel", "Split") for p in pre):
        return None
    forms = tuple(n.get("type") for n in flat(spec.get("normalizer"), "normalizers"))
    return forms if all(f in _UNICODE_FORMS for f in forms) else None


def fits_by_bytes(text: str, limit: int, forms: tuple[str, ...] | None) -> bool:
    """True when `text` certainly encodes to at most `limit` tokens under a tokenizer with
    byte_bound_forms() == forms (False means: count them). A text already in every form is left
    unchanged by the normalizer (normalization is stable across Unicode versions)."""
    if forms is None or len(text) > limit:
        return False
    if text.isascii():
        return True
    return all(unicodedata.is_normalized(f, text) for f in forms) and len(text.encode("utf-8")) <= limit
