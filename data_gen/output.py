"""Atomic, resumable output files.

Rules every writer here keeps:
- A file under its final name is complete: it is written under a temporary name in the same folder
  and renamed (`os.replace`) only when done. A killed run leaves `NAME.partial` (JSONL) or a hidden
  `.NAME.parts/` folder (parquet), never a short file under the final name.
- Re-running the same command continues where the last run stopped, and the result is the same
  bytes as an uninterrupted run: JSONL drops a torn last line and appends from the next task;
  parquet keeps every finished part (a shard of `shard_rows` rows) and writes the missing ones.
- A leftover from a *different* command is never mixed in: a parquet file records the job that
  wrote it in its metadata (key `data_gen`), a JSONL partial is checked against the tasks it should
  hold. A mismatch is an error unless --overwrite is given.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

from data_gen import DataGenError

METADATA_KEY = b"data_gen"
# zstd halves the files at snappy's speed; dictionaries do not pay off on long unique strings.
PARQUET_OPTIONS = {"compression": "zstd", "use_dictionary": False}


def tmp_path(final: Path) -> Path:
    return final.parent / f".{final.name}.tmp-{os.getpid()}"


def remove_stale_tmp(final: Path) -> None:
    """Temporary files a killed run left beside `final`."""
    for path in glob.glob(os.path.join(glob.escape(str(final.parent)), f".{glob.escape(final.name)}.tmp-*")):
        try:
            os.remove(path)
        except OSError:
            pass


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fingerprint(spec: dict) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def progress(total: int, initial: int, desc: str, quiet: bool, unit: str = "row"):
    from tqdm import tqdm

    # unit_scale (12.3k) only for large totals: small ones would show as floats ("0.00/12.0")
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, unit_scale=total >= 10_000, disable=quiet,
                dynamic_ncols=True, mininterval=0.5)


# ---------------------------------------------------------------- JSONL


def scan_lines(path: Path) -> tuple[int, int]:
    """(number of complete lines, byte offset just after the last complete line)."""
    count, end, offset = 0, 0, 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 20)
            if not block:
                break
            n = block.count(b"\n")
            if n:
                count += n
                end = offset + block.rindex(b"\n") + 1
            offset += len(block)
    return count, end


def read_line_at_end(path: Path, end: int) -> bytes:
    """The complete line that ends at byte offset `end` (without its newline)."""
    with open(path, "rb") as fh:
        start = max(0, end - 1)
        step = 1 << 16
        while start > 0:
            lo = max(0, start - step)
            fh.seek(lo)
            block = fh.read(start - lo)
            i = block.rfind(b"\n")
            if i >= 0:
                start = lo + i + 1
                break
            start = lo
        fh.seek(start)
        return fh.read(end - 1 - start)


def read_first_line(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.readline().rstrip(b"\n")


def write_jsonl(
    final: Path,
    total: int,
    chunk_job: Callable[[int, int], tuple],
    worker_fn: Callable,
    line_at: Callable[[int], bytes],
    *,
    workers,
    chunk_rows: int,
    overwrite: bool,
    quiet: bool,
    desc: str,
) -> str:
    """Write `total` lines to `final`, chunk by chunk on `workers` (a pool.Workers), resuming a `.partial` file. Returns
    "complete" (already there), "written" or "resumed". `line_at(i)` is the line i must hold."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + ".partial")
    if overwrite:
        for p in (final, partial):
            if p.exists():
                p.unlink()
    if final.exists():
        n, end = scan_lines(final)
        if n == total and os.path.getsize(final) == end and _lines_match(final, end, n, line_at):
            return "complete"
        raise DataGenError(f"{final} exists and is not the output of this command "
                           f"({n} lines, expected {total}); pass --overwrite to replace it")
    done = 0
    if partial.exists():
        done, end = scan_lines(partial)
        if done > total or (done and not _lines_match(partial, end, done, line_at)):
            raise DataGenError(f"{partial} was written by a different command (its lines are not the tasks this "
                               "one selects); pass --overwrite to start again")
        with open(partial, "r+b") as fh:
            fh.truncate(end)  # drop a torn last line
    status = "resumed" if done else "written"
    bar = progress(total, done, desc, quiet)
    ranges = [(s, min(s + chunk_rows, total)) for s in range(done, total, chunk_rows)]
    with open(partial, "ab") as fh:
        for (start, stop), data in zip(ranges, workers.map(worker_fn, (chunk_job(s, e) for s, e in ranges))):
            fh.write(data)
            fh.flush()  # written as generated: a killed run keeps every finished chunk
            bar.update(stop - start)
        os.fsync(fh.fileno())
    bar.close()
    os.replace(partial, final)
    return status


def _lines_match(path: Path, end: int, n: int, line_at: Callable[[int], bytes]) -> bool:
    return read_first_line(path) == line_at(0) and read_line_at_end(path, end) == line_at(n - 1)


# ---------------------------------------------------------------- parquet


def shard_name(final: Path, i: int, n: int) -> Path:
    return final.with_name(f"{final.stem}-{i:05d}-of-{n:05d}{final.suffix}")


def _file_job(path: Path) -> dict | None:
    """{"fingerprint", "spec"} of the job that wrote a parquet file, None when unreadable or not ours."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        job = json.loads(meta[METADATA_KEY])
        job["fingerprint"]
        return job
    except Exception:  # unreadable, or not ours: treated as "not this job's output"
        return None


def _file_fingerprint(path: Path) -> str | None:
    job = _file_job(path)
    return job["fingerprint"] if job else None


def _leaves(value, prefix: str = "") -> dict:
    """A nested spec as {"mix.size": 20, "mix.entries[0].task_type": ..., ...}."""
    if isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_leaves(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def spec_difference(old: dict | None, new: dict) -> str:
    """What differs between the job that wrote a file and this one, for the refusal message."""
    if not isinstance(old, dict):
        return "it records no data_gen job (written by other code?)"
    new = json.loads(json.dumps(new))  # as the file stores it (tuples become lists)
    old, new = _leaves(old), _leaves(new)
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if not keys:
        return "same settings, written by another version of data_gen"
    public = [k for k in keys if not any(part.startswith("_") for part in k.split("."))]
    keys = public or keys  # internal values (e.g. the seed permutation) follow from public ones

    def short(value) -> str:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        return text if len(text) <= 80 else text[:77] + "..."

    shown = "; ".join(f"{k}: {short(old.get(k))} there, {short(new.get(k))} now" for k in keys[:3])
    return shown + (f"; and {len(keys) - 3} more" if len(keys) > 3 else "")


def write_parquet(
    final: Path,
    schema,
    total: int,
    chunk_job: Callable[[int, int], tuple],
    worker_fn: Callable,
    spec: dict,
    *,
    workers,
    chunk_rows: int,
    row_group_rows: int,
    shard_rows: int,
    keep_shards: bool,
    overwrite: bool,
    quiet: bool,
    desc: str,
) -> tuple[str, list[Path]]:
    """Write `total` rows as `final` (or as shards FINAL-00000-of-000NN.parquet with keep_shards).

    Work goes part by part (`shard_rows` rows each) into `.FINAL.parts/`; each part is renamed into
    place when complete, so a killed run resumes at the first missing part. Chunks start at each
    part's first row and a row group closes after `row_group_rows` rows or at the part's end, so
    the bytes depend on the sizes only, never on the worker count or on an interruption.
    Returns ("complete" | "written" | "resumed", output files).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    spec = {**spec, "rows": total, "chunk_rows": chunk_rows, "row_group_rows": row_group_rows, "shard_rows": shard_rows}
    fp = fingerprint(spec)
    meta = {METADATA_KEY: json.dumps({"fingerprint": fp, "spec": spec}, sort_keys=True).encode("utf-8")}
    schema = schema.with_metadata(meta)
    n_parts = max(1, -(-total // shard_rows))
    outputs = [shard_name(final, i, n_parts) for i in range(n_parts)] if keep_shards else [final]
    parts_dir = final.with_name(f".{final.name}.parts")
    shard_pattern = os.path.join(glob.escape(str(final.parent)), f"{glob.escape(final.stem)}-*-of-*{final.suffix}")
    existing = [final] + [Path(p) for p in sorted(glob.glob(shard_pattern))]

    if overwrite:
        for p in existing:
            if p.exists():
                p.unlink()
        shutil.rmtree(parts_dir, ignore_errors=True)
    remove_stale_tmp(final)
    if all(p.exists() and _file_fingerprint(p) == fp for p in outputs):
        shutil.rmtree(parts_dir, ignore_errors=True)
        return "complete", outputs
    strangers = [p for p in existing if p.exists() and _file_fingerprint(p) != fp]
    if strangers:
        job = _file_job(strangers[0])
        raise DataGenError(f"{strangers[0]} exists and was written by a different command "
                           f"({spec_difference(job and job.get('spec'), spec)}); pass --overwrite to replace it")

    parts_dir.mkdir(exist_ok=True)
    job_file = parts_dir / "job.json"
    if job_file.exists():
        try:
            old_job = json.loads(job_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old_job = {}
        if old_job.get("fingerprint") != fp:
            raise DataGenError(f"{parts_dir} holds an unfinished run of a different command "
                               f"({spec_difference(old_job.get('spec'), spec)}); pass --overwrite to discard it")
    else:
        atomic_write_text(job_file, json.dumps({"fingerprint": fp, "spec": spec}, sort_keys=True, indent=1))
    for stale in parts_dir.glob(".*.tmp-*"):
        stale.unlink()

    def part_path(i: int) -> Path:
        return parts_dir / f"part-{i:05d}.parquet"

    def part_range(i: int) -> tuple[int, int]:
        return i * shard_rows, min((i + 1) * shard_rows, total)

    def part_done(i: int) -> bool:
        if keep_shards and outputs[i].exists() and _file_fingerprint(outputs[i]) == fp:
            return True
        p = part_path(i)
        if not p.exists():
            return False
        lo, hi = part_range(i)
        try:
            return pq.ParquetFile(p).metadata.num_rows == hi - lo
        except Exception:
            return False

    todo = [i for i in range(n_parts) if not part_done(i)]
    done_rows = total - sum(part_range(i)[1] - part_range(i)[0] for i in todo)
    status = "resumed" if done_rows else "written"
    bar = progress(total, done_rows, desc, quiet)

    chunks = [(i, s, min(s + chunk_rows, part_range(i)[1])) for i in todo for s in range(*part_range(i), chunk_rows)]
    results = workers.map(worker_fn, (chunk_job(s, e) for _, s, e in chunks))
    writer = None
    current = -1
    group: list = []
    group_rows = 0

    def flush_group():
        nonlocal group, group_rows
        if group:
            writer.write_table(pa.Table.from_batches(group, schema=schema), row_group_size=row_group_rows)
        group, group_rows = [], 0

    for (i, start, stop), batch in zip(chunks, results):
        if i != current:
            current = i
            tmp = tmp_path(part_path(i))
            writer = pq.ParquetWriter(tmp, schema, **PARQUET_OPTIONS)
        group.append(batch)
        group_rows += batch.num_rows
        if group_rows >= row_group_rows:
            flush_group()
        bar.update(stop - start)
        if stop == part_range(i)[1]:
            flush_group()
            writer.close()
            os.replace(tmp, part_path(i))
    bar.close()

    if keep_shards or n_parts == 1:
        for i in range(n_parts):
            if part_path(i).exists():
                os.replace(part_path(i), outputs[i])
    else:
        _merge([part_path(i) for i in range(n_parts)], final, schema)
    shutil.rmtree(parts_dir, ignore_errors=True)
    return status, outputs


def _merge(parts: list[Path], final: Path, schema) -> None:
    """Concatenate parts into `final` row group by row group (bounded memory), atomically."""
    import pyarrow.parquet as pq

    tmp = tmp_path(final)
    with pq.ParquetWriter(tmp, schema, **PARQUET_OPTIONS) as writer:
        for part in parts:
            pf = pq.ParquetFile(part)
            for rg in range(pf.num_row_groups):
                writer.write_table(pf.read_row_group(rg))
    os.replace(tmp, final)
