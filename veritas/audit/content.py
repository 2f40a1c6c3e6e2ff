"""How many distinct tasks a (task type, level) has, and whether splits or a sample repeat them.

Everything here works through the public API (generate, get_family, content_key), so it audits
any registered family. The census draws contents from the seeds' own first streams (attempt 0,
before the split filter), which is the family's raw distribution over contents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from veritas.envs import Built, generate, get_family
from veritas.envs.rng import derive_rng
from veritas.envs.splits import SPLIT_BLOCKS, split_of_content


def task_key(task) -> str:
    """The content key of a generated task (its family's TaskFamily.content_key)."""
    family = get_family(task.task_type)
    return family.content_key(Built(task.prompt, task.answer, task.metadata), task.difficulty)


def raw_key(task_type: str, seed: int, level: int) -> str:
    """The content key of the seed's first draw, split filter aside: one sample of the raw distribution."""
    family = get_family(task_type)
    rng = derive_rng(family.env, task_type, seed, level, "content")
    wording = derive_rng(family.env, task_type, seed, level, "wording")
    return family.content_key(family.build(rng, level, "en", wording), level)


@dataclass(frozen=True)
class Census:
    """n draws, d distinct contents among them, f1 seen once, f2 seen twice, and the number of
    ordered pairs of draws with equal content (sum of c*(c-1) over the contents' counts c)."""

    n: int
    distinct: int
    f1: int
    f2: int
    equal_pairs: int = 0

    @property
    def effective_size(self) -> float | None:
        """1 / P(two draws are equal): the size of a uniform space that repeats as often. It
        is what matters for repeats and for a split's share of a skewed space; None without a
        repeat."""
        if not self.equal_pairs:
            return None
        return self.n * (self.n - 1) / self.equal_pairs

    @property
    def duplicate_rate(self) -> float:
        """Share of the n draws that repeat an earlier draw."""
        return (self.n - self.distinct) / self.n if self.n else 0.0

    @property
    def chao1(self) -> float | None:
        """Chao1 lower-bound estimate of the space's size; None when no content repeated (the
        sample cannot tell the size beyond "much larger than n")."""
        if self.f1 == self.distinct and self.f2 == 0:
            return None
        if self.f2 == 0:
            return self.distinct + self.f1 * (self.f1 - 1) / 2
        return self.distinct + self.f1 * self.f1 / (2 * self.f2)

    def describe(self) -> str:
        est = self.chao1
        if est is None:
            # No collision among n uniform draws from S has probability ~exp(-n^2 / 2S), under
            # 5% once S < n^2 / 6: so S > n^2 / 6 at 95% confidence.
            return f"> {self.n * self.n // 6:,} (no repeat in {self.n:,})"
        if self.f1 == 0:
            return f"{self.distinct:,} (exhausted: every content seen twice or more)"
        return f"~{est:,.0f} (Chao1; {self.distinct:,} seen)"


def census(task_type: str, level: int, n: int, first_seed: int = 0) -> Census:
    counts = Counter(raw_key(task_type, seed, level) for seed in range(first_seed, first_seed + n))
    freq = Counter(counts.values())
    return Census(n, len(counts), freq.get(1, 0), freq.get(2, 0), sum(c * (c - 1) for c in counts.values()))


def split_overlap(task_type: str, level: int, train_keys: set[str], n_test: int) -> dict:
    """Contents of the first n_test test-split tasks found among `train_keys`, and keys lying
    outside their seed's split: both must be 0."""
    lo = SPLIT_BLOCKS["test"][0]
    test_keys = [task_key(generate(task_type, lo + i, level)) for i in range(n_test)]
    misplaced = sum(split_of_content(k) != "train" for k in train_keys) + sum(split_of_content(k) != "test" for k in test_keys)
    return {"split_shared": len(train_keys.intersection(test_keys)), "split_misplaced": misplaced, "split_test_n": n_test}


def _main(argv: list[str] | None = None) -> int:
    """Print the census as the markdown rows of docs/splits.md's table."""
    import argparse

    from veritas.envs import DIFFICULTY_LEVELS, list_task_types

    ap = argparse.ArgumentParser(prog="python -m veritas.audit.content", description="distinct tasks per (task type, level)")
    ap.add_argument("cells", nargs="*", help="TYPE:LEVEL (default: every type, every level)")
    ap.add_argument("--n", type=int, default=4000, help="draws per cell (default 4000)")
    args = ap.parse_args(argv)
    cells = [(c.rsplit(":", 1)[0], int(c.rsplit(":", 1)[1])) for c in args.cells] or [
        (tt, lv) for tt in list_task_types() for lv in DIFFICULTY_LEVELS]
    print("| task type | level | draws | distinct seen | estimated size | effective size |")
    print("|---|---|---|---|---|---|")
    for tt, lv in cells:
        c = census(tt, lv, args.n)
        eff = f"{c.effective_size:,.0f}" if c.effective_size else "-"
        print(f"| {tt} | {lv} | {c.n:,} | {c.distinct:,} | {c.describe()} | {eff} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
