"""The curriculum's cost (CPU time of this process, so other jobs on the machine do not count)."""

from __future__ import annotations

from veritas.curriculum.bench import bench_items, bench_replies


def test_under_1_ms_per_item_and_50_us_per_reply():
    items = bench_items(400)
    assert items["schedule_per_item_us"] < 100 and items["decision_per_batch_us"] < 1000, items
    assert items["added_per_item_us"] < 1000, items
    replies = bench_replies(4000)
    assert replies["report_only_us"] < 20, replies
    assert replies["added_per_reply_us"] < 50, replies
