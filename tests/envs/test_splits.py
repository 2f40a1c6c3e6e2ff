"""Content-disjoint splits: a val or test task never has the content of a train task.

The split of a seed is its block; the split of a content is a keyed hash of the family's
content_key; generate() redraws until they agree. These tests check each link: the hash's shares,
that every generated task's content lies in its seed's split, that content_key names the puzzle
(with the wording fixed, equal prompts <=> equal keys; languages never change it), and, on
samples and exhaustively where a level is small, that train and test contents never meet."""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter

import pytest

from veritas.envs import DIFFICULTY_LEVELS, Built, TaskFamily, Verdict, generate, get_family, list_task_types
from veritas.envs.rng import derive_rng
from tests.native import native_task_types
from veritas.envs.splits import (
    CONTENT_SHARES,
    SPLIT_BLOCKS,
    SPLITS,
    split_of_content,
    split_of_seed,
)

TASK_TYPES = native_task_types()  # rg.* types: their content keys are checked in test_reasoning_gym.py
# Samples per (family, level) for the overlap test: levels 1-2 hold the small spaces.
SMALL_LEVEL_SAMPLE = (int(os.environ.get("VERITAS_SPLIT_TRAIN", "1000")), int(os.environ.get("VERITAS_SPLIT_TEST", "200")))
LARGE_LEVEL_SAMPLE = (300, 30)  # spaces of 10^6 and more: a smoke check of the same path


def key_of(task) -> str:
    return get_family(task.task_type).content_key(Built(task.prompt, task.answer, task.metadata), task.difficulty)


def test_seed_blocks_and_beyond():
    assert split_of_seed(0) == "train"
    assert split_of_seed(89_999_999) == "train"
    assert split_of_seed(90_000_000) == "val"
    assert split_of_seed(94_999_999) == "val"
    assert split_of_seed(95_000_000) == "test"
    assert split_of_seed(99_999_999) == "test"
    # trace has 10^9 seeds and dyck_language2 2*10^8: everything past the blocks trains.
    assert split_of_seed(100_000_000) == "train"
    assert split_of_seed(999_999_999) == "train"
    assert [SPLIT_BLOCKS[s] for s in SPLITS] == [(0, 90_000_000), (90_000_000, 95_000_000), (95_000_000, 100_000_000)]


def test_content_shares_match_the_declared_shares():
    n = 40_000
    counts = Counter(split_of_content(f"key-{i}") for i in range(n))
    for split in SPLITS:
        expected = n * CONTENT_SHARES[split] / 10_000
        assert abs(counts[split] - expected) < 5 * expected**0.5, (split, counts[split], expected)
    # A fixed key always lands in the same split (the hash is keyed and versioned, not salted).
    assert split_of_content("[\"game_of_24\",[1,1,1,1],24,[\"*\",\"+\",\"-\",\"/\"]]") == split_of_content(
        "[\"game_of_24\",[1,1,1,1],24,[\"*\",\"+\",\"-\",\"/\"]]"
    )


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_every_task_content_lies_in_its_seeds_split(task_type):
    fam = get_family(task_type)
    for split in SPLITS:
        lo = SPLIT_BLOCKS[split][0]
        for level in DIFFICULTY_LEVELS:
            for seed in range(lo, lo + 6):
                task = generate(task_type, seed, level)
                assert split_of_content(key_of(task)) == split, (task_type, seed, level)
    past = fam.num_seeds - 1
    if past >= SPLIT_BLOCKS["test"][1]:
        assert split_of_content(key_of(generate(task_type, past, 1))) == "train"


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_train_tasks_keep_their_first_draw_when_it_is_train(task_type):
    """Attempt 0 is the seed's own stream: a task whose first content is train is unchanged by
    the split filter (so most train tasks kept their bytes), and one whose first content is not
    train was redrawn."""
    fam = get_family(task_type)
    kept = 0
    for seed in range(40):
        level = 1 + seed % 5
        rng = derive_rng(fam.env, task_type, seed, level, "content")
        wording = derive_rng(fam.env, task_type, seed, level, "wording")
        first = fam.build(rng, level, "en", wording)
        task = generate(task_type, seed, level)
        if split_of_content(fam.content_key(first, level)) == "train":
            assert (task.prompt, task.answer, task.metadata) == (first.prompt, first.answer, first.metadata)
            kept += 1
        else:
            assert key_of(task) != fam.content_key(first, level)
    assert kept >= 25


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_content_key_names_the_puzzle(task_type):
    """With the wording stream fixed, two draws show the same prompt exactly when their keys are
    equal: a key that also hashed an invisible detail (one of many reference solutions, a
    bracket kind never shown) would let one puzzle sit in two splits; a key that missed a visible
    detail would merge different puzzles."""
    fam = get_family(task_type)
    n = 150 if task_type == "trace" else 600
    by_key: dict[str, str] = {}
    by_prompt: dict[str, str] = {}
    for seed in range(n):
        built = fam.build(derive_rng("key-test", seed), 1, "en", random.Random(0))
        key = fam.content_key(built, 1)
        assert by_key.setdefault(key, built.prompt) == built.prompt, (task_type, seed, key[:200])
        assert by_prompt.setdefault(built.prompt, key) == key, (task_type, seed, built.prompt[:200])


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_content_key_ignores_the_language(task_type):
    fam = get_family(task_type)
    for seed in range(10):
        keys = {key_of(generate(task_type, SPLIT_BLOCKS["val"][0] + seed, None, language)) for language in fam.languages}
        assert len(keys) == 1


@pytest.mark.slow
@pytest.mark.parametrize("level", DIFFICULTY_LEVELS)
@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_sampled_train_and_test_contents_never_meet(task_type, level):
    n_train, n_test = SMALL_LEVEL_SAMPLE if level <= 2 else LARGE_LEVEL_SAMPLE
    if task_type == "trace":
        n_train, n_test = n_train // 4, n_test // 4  # each task runs a program in the sandbox
    train = {key_of(generate(task_type, i, level)) for i in range(n_train)}
    lo = SPLIT_BLOCKS["test"][0]
    test = [key_of(generate(task_type, lo + i, level)) for i in range(n_test)]
    assert not train.intersection(test), f"{task_type} L{level}: {len(train.intersection(test))} test contents are train contents"


def test_game_of_24_level_1_exhaustively():
    """Level 1 draws 4 numbers from 1..9 (495 multisets) with target 24 and all four operators:
    the whole space is enumerable. Each puzzle's split is fixed; 500 test tasks all come from the
    test part, which shares nothing with the train part, and cover it."""
    fam = get_family("game_of_24")

    def key(numbers) -> str:
        return fam.content_key(Built("", "", {"numbers": list(numbers), "target": 24, "operators": list("+-*/")}), 1)

    space = {key(c): split_of_content(key(c)) for c in itertools.combinations_with_replacement(range(1, 10), 4)}
    assert len(space) == 495
    by_split = Counter(space.values())
    assert by_split["test"] > 0 and by_split["val"] > 0
    lo = SPLIT_BLOCKS["test"][0]
    seen_test = set()
    for i in range(500):
        k = key_of(generate("game_of_24", lo + i, 1))
        assert space[k] == "test", k  # the content is in the enumerated space, in its test part
        seen_test.add(k)
    train_part = {k for k, s in space.items() if s == "train"}
    assert not seen_test & train_part
    # level 1 really is this small: 2,000 train tasks use only the train part.
    for i in range(2000):
        assert space[key_of(generate("game_of_24", i, 1))] == "train"


class _OneContentFamily(TaskFamily):
    """A FAKE family with a single possible content, never registered for good: a level whose
    space has nothing in a split."""

    name = "fake_one_content"
    env = "fake-splits"
    id_offset = 0
    num_seeds = 100_000_000

    def build(self, rng, difficulty, language, wording):
        return Built("Say 7.", "7", {"value": 7})

    def check(self, task, text):
        return Verdict(float(text.strip() == "7"), "compared")


def test_a_split_without_content_is_a_clear_error(monkeypatch):
    from veritas.envs import registry

    family = _OneContentFamily()
    list_task_types()  # discover the real families first, then add the fake for this test only
    monkeypatch.setitem(registry._FAMILIES, family.name, family)
    home = split_of_content(family.content_key(family.build(None, 1, "en", None), 1))
    assert generate(family.name, SPLIT_BLOCKS[home][0], 2).answer == "7"
    other = next(s for s in SPLITS if s != home)
    with pytest.raises(ValueError, match=rf"fake_one_content level 2, split '{other}'"):
        generate(family.name, SPLIT_BLOCKS[other][0], 2)
