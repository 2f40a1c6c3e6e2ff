"""Parquet schemas of the files data_gen writes, and a fast rows -> Arrow batch conversion.

Every column has one fixed type for every task type (the task itself travels as a JSON string in
`extra_info.task`), so files from different mixes concatenate without schema conflicts.
"""

from __future__ import annotations

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
EXTRA_INFO = pa.struct(
    [
        ("index", pa.int64()),
        ("task_id", pa.int64()),
        ("task_type", pa.string()),
        ("split", pa.string()),
        ("task", pa.string()),
    ]
)
REWARD_MODEL = pa.struct([("style", pa.string()), ("ground_truth", pa.string())])

# verl's RL dataset schema (veritas.rows.rl_row).
RL_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("prompt", MESSAGES),
        ("ability", pa.string()),
        ("reward_model", REWARD_MODEL),
        ("extra_info", EXTRA_INFO),
    ]
)

# verl's multi-turn SFT dataset reads `messages`; `prompt`/`response` (plain strings) serve trainers
# that want a single prompt and completion.
SFT_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("ability", pa.string()),
        ("messages", MESSAGES),
        ("prompt", pa.string()),
        ("response", pa.string()),
        ("extra_info", EXTRA_INFO),
    ]
)

# Distilled rows: the SFT layout plus where the reply came from and what the verifier said.
DISTILL_SCHEMA = pa.schema(
    list(SFT_SCHEMA)
    + [
        ("teacher_model", pa.string()),
        ("attempt", pa.int32()),
        ("score", pa.float64()),
        ("verdict_reason", pa.string()),
    ]
)


def column(values: list, typ: pa.DataType) -> pa.Array:
    """Values -> Arrow array, building structs and lists of structs from their children:
    several times faster than pa.array() on nested Python objects."""
    if pa.types.is_struct(typ):
        children = [column([v[f.name] for v in values], f.type) for f in typ]
        return pa.StructArray.from_arrays(children, fields=list(typ))
    if pa.types.is_list(typ) and pa.types.is_struct(typ.value_type):
        offsets = [0]
        flat: list = []
        for v in values:
            flat.extend(v)
            offsets.append(len(flat))
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), column(flat, typ.value_type))
    return pa.array(values, type=typ)


def batch_from_rows(rows: list[dict], schema: pa.Schema) -> pa.RecordBatch:
    """Rows (dicts with exactly the schema's top-level keys) -> one RecordBatch of that schema."""
    return pa.RecordBatch.from_arrays([column([r[f.name] for r in rows], f.type) for f in schema], schema=schema)
