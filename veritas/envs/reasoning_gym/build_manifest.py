"""Write manifest.py: every reasoning-gym dataset, its id range and the configuration of each of
our levels, plus facts about the generator that the adapter relies on (checked here, not assumed).

    python -m veritas.envs.reasoning_gym.build_manifest [--only a,b]

Ids: a dataset keeps the index it was first given (new datasets are appended), so task ids stay
stable across reasoning-gym upgrades. Per dataset:
- levels: level L sets each curriculum attribute to index floor((L-1)(n-1)/4 + 1/2) of its n
  levels (reasoning-gym's INCLUSIVE ranges), or lo + floor((L-1)(hi-lo)/4 + 1/2) where
  LEVEL_INDEX_RANGES narrows it to indices lo..hi (with the reason in level_note); no
  curriculum: {} (defaults) at every level.
- reseed: the cached dataset reseeded in place gives the same item as a fresh size-1 dataset.
- seed_bits: 62, or 32 for generators that reject large seeds (numpy seeds).
- multi_line: some reference answer spans lines, so the prompt asks for the answer below `Answer:`.
- thin, bundle (only with --thin NAMES, see answer_shape): per level, keep probabilities for
  over-common answers, and how many items one task bundles where answers take too few values.
  A rebuild keeps them while a dataset's levels are unchanged.
"""

from __future__ import annotations

import argparse
import collections
import math
import pprint
import random
import sys
from pathlib import Path

from veritas.envs.base import DIFFICULTY_LEVELS, canonical_json
from veritas.envs.reasoning_gym.manifest import DATASETS as OLD

MANIFEST_PATH = Path(__file__).with_name("manifest.py")
SAMPLE_SEEDS = 2
# Answer tables (answer_shape): sample size, target share, minimum variety, time limit.
THIN_SAMPLE = 300
THIN_TO = 0.03
# Bundles (answer_shape): a constant reply's target, the largest K, and the cost thinning may add.
BUNDLE_TO = 0.01
MAX_BUNDLE = 8
MAX_EXPECTED_DRAWS = 3.0
THIN_WALL_S = 30.0
PROBE_WALL_S = 15.0


# Per-dataset overrides of the level mapping: {attribute: (lo, hi)} makes our levels 1-5 span
# curriculum indices lo..hi of that attribute instead of 0..n-1, with the reason (shown in
# docs/reasoning-gym.md). Raising lo gives level 1 enough distinct tasks for content-disjoint
# splits; lowering hi keeps a generator whose top levels explode (a search or a uniqueness check
# that grows exponentially with one attribute) at >= 50 tasks per CPU-second. The audit still
# measures every level, so a cap that is not enough shows up as an exclusion.
LEVEL_INDEX_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    "chain_sum": {"num_digits": (1, 9)},
    "products": {"num_digits": (1, 9)},
    "leg_counting": {"num_animals": (2, 35)},
    "bf": {"difficulty": (0, 0)},
    "countdown": {"numbers": (0, 0), "target": (2, 3), "value": (0, 1)},
    "futoshiki": {"board_size": (0, 0), "difficulty": (0, 3)},
    "group_anagrams": {"anagram_groups": (0, 2), "words_per_group": (0, 1)},
    "jugs": {"num_jugs": (0, 0), "difficulty": (0, 1)},
    "kakurasu": {"rows": (0, 2), "cols": (0, 2)},
    "sudoku": {"empty": (0, 1)},
    "rearc": {"pso_difficulty_weights": (0, 3), "rng_difficulty_weights": (0, 3)},
    "number_sequence": {"terms": (0, 0), "min_value": (0, 1), "max_value": (0, 1), "max_complexity": (0, 1)},
    "rubiks_cube": {"cube_size": (0, 0)},
}
# reasoning-gym's composite mixes other datasets and has no configuration of its own that
# generates: ours is an equal mix of these (each passes its own audit), each at our same level.
COMPOSITE_PARTS = ("basic_arithmetic", "caesar_cipher", "letter_jumble", "word_sorting")
LEVEL_NOTES: dict[str, str] = {
    "composite": "an equal mix of " + ", ".join(COMPOSITE_PARTS) + ", each at its own mapping of the same level",
    "chain_sum": "level 1 starts at up to 2 digits (1 digit and 2 terms gives too few distinct tasks)",
    "products": "level 1 starts at up to 2 digits (1 digit and 2 terms gives too few distinct tasks)",
    "leg_counting": "level 1 starts at up to 3 kinds of animal (1 kind gives too few distinct tasks)",
    "bf": "difficulty 1 at every level (2 makes ~50 tasks/s, 3 programs that run for seconds)",
    "countdown": "3-6 numbers, targets up to 5000-10000 (more numbers, or small targets, make its search < 50 tasks/s)",
    "futoshiki": "4x4 boards, difficulty 0-3 (larger boards' uniqueness search makes < 50 tasks/s)",
    "group_anagrams": "up to 50 groups of up to 5 words (larger ones take ~0.2 s an item)",
    "jugs": "3 jugs, difficulty up to 10 (4 jugs make its search ~15 tasks/s)",
    "kakurasu": "grids up to 7x7 (9x9's uniqueness search is slow)",
    "sudoku": "up to 40 empty cells (more makes its uniqueness check < 50 tasks/s)",
    "rearc": "difficulty weights up to the 4th of 7 settings (the hardest generate slowly)",
    "number_sequence": "up to 8 terms, values within 500, complexity up to 3 (longer sequences hang on some seeds)",
    "rubiks_cube": "3x3 cube only: reasoning-gym's solver (the reference) handles only 3x3",
}


def attribute_index(level: int, n_levels: int, span: tuple[int, int] | None = None) -> int:
    lo, hi = span if span is not None else (0, n_levels - 1)
    return lo + int((level - 1) * (hi - lo) / 4 + 0.5)


def level_configs(rg, name: str) -> dict[str, dict]:
    from reasoning_gym.coaching.attributes import RangeAttributeDefinition
    from reasoning_gym.factory import create_curriculum, has_curriculum

    from veritas.envs.reasoning_gym.runtime import to_json_value

    if name == "composite":
        parts = {part: level_configs(rg, part) for part in COMPOSITE_PARTS}
        return {str(level): {"datasets": [{"name": part, "weight": 1, "config": parts[part][str(level)]}
                                          for part in COMPOSITE_PARTS]} for level in DIFFICULTY_LEVELS}
    if not has_curriculum(name):
        return {str(level): {} for level in DIFFICULTY_LEVELS}
    unknown = set(LEVEL_INDEX_RANGES.get(name, {})) - set(create_curriculum(name).attributes)
    if unknown:
        raise ValueError(f"LEVEL_INDEX_RANGES[{name!r}] names no curriculum attribute {sorted(unknown)}")
    out = {}
    for level in DIFFICULTY_LEVELS:
        cur = create_curriculum(name)
        fields = []
        for attr_name, attr in cur.attributes.items():
            span = LEVEL_INDEX_RANGES.get(name, {}).get(attr_name)
            cur.set_attr_level(attr_name, attribute_index(level, len(attr.levels), span))
            if isinstance(attr, RangeAttributeDefinition):
                fields += [attr.lower_field_name, attr.upper_field_name]
            else:
                fields.append(attr.field_name)
        cfg = cur.generate_configuration({"seed": 0, "size": 1})
        out[str(level)] = {f: to_json_value(getattr(cfg, f)) for f in sorted(set(fields))}
    # Some curricula produce configurations their own validation rejects at some levels (e.g.
    # caesar_cipher level 3, survo level 3): such a level takes the nearest valid level below it
    # (above it for level 1), so every level generates.
    valid = {}
    for level in DIFFICULTY_LEVELS:
        try:
            rg.create_dataset(name, seed=0, size=1, **out[str(level)])
            valid[level] = True
        except Exception:
            valid[level] = False
    if not any(valid.values()):  # a curriculum none of whose levels validates (knight_swap): as if none
        return {str(level): {} for level in DIFFICULTY_LEVELS}
    if any(valid.values()):
        for level in DIFFICULTY_LEVELS:
            if not valid[level]:
                below = [lv for lv in DIFFICULTY_LEVELS if lv < level and valid[lv]]
                above = [lv for lv in DIFFICULTY_LEVELS if lv > level and valid[lv]]
                out[str(level)] = dict(out[str(below[-1] if below else above[0])])
    return out


def _entry(rt, name, level, seed, fresh: bool) -> tuple[str, str]:
    raw = rt._create(name, level, seed)[0] if fresh else rt.raw_item(name, level, seed)
    key = canonical_json([str(raw["question"]), str(raw.get("answer")), rt.to_json_value(raw.get("metadata"))])
    return key, str(raw.get("answer"))


def probe(name: str, levels: dict) -> dict:
    """Generate a few items per level both ways; find reseed, seed_bits and multi_line. A level
    whose item takes over PROBE_WALL_S is skipped (the audit reports the generator as too slow);
    reseed is claimed only when it was seen to give the fresh item."""
    from veritas.envs.reasoning_gym import manifest, runtime as rt
    from veritas.envs.reasoning_gym.audit import _TooSlow, _wall_limit

    manifest.DATASETS[name] = {"levels": levels, "reseed": True}
    rng = random.Random(name)
    seed_bits, multi, errors, compared, same = 62, False, [], 0, 0
    for level in DIFFICULTY_LEVELS:
        for _ in range(SAMPLE_SEEDS):
            seed = rng.getrandbits(seed_bits)
            try:
                with _wall_limit(PROBE_WALL_S):
                    try:
                        fresh, answer = _entry(rt, name, level, seed, fresh=True)
                    except _TooSlow:
                        raise
                    except Exception:
                        if seed_bits == 32:
                            raise
                        seed_bits = 32  # numpy-seeded generators reject seeds >= 2**32
                        seed = rng.getrandbits(32)
                        fresh, answer = _entry(rt, name, level, seed, fresh=True)
                    again = _entry(rt, name, level, seed, fresh=False)[0]
            except _TooSlow:
                errors.append(f"level {level}: an item took over {PROBE_WALL_S:.0f} s")
                break
            except Exception as exc:
                errors.append(f"level {level}: {exc!r}"[:200])
                continue
            compared += 1
            same += again == fresh
            multi = multi or "\n" in answer
    return {"reseed": compared > 0 and same == compared, "seed_bits": seed_bits, "multi_line": multi,
            "probe_errors": errors}


def answer_shape(name: str, levels: dict, multi_line: bool) -> tuple[dict, dict]:
    """(thin, bundle) for a dataset whose answers reasoning-gym draws unevenly, per level:

    - thin {level: {answer: keep probability}}: the adapter redraws an item with such an answer with
      probability 1 - keep. Where enough distinct answers exist (e.g. gcd's "1" in 40% of level-1
      items) every answer's share of the kept items becomes at most THIN_TO. Where they do not
      (yes/no, small class sets) the answers are balanced as far as MAX_EXPECTED_DRAWS allows.
    - bundle {level: K}: where the largest share b left after thinning is over THIN_TO, one task is
      K items (bundle.py) with b^K <= BUNDLE_TO, so a constant reply earns about BUNDLE_TO or less;
      only for single-line answers without `;`, and K <= MAX_BUNDLE (else no bundle: the audit
      reports the constant).
    """
    from veritas.envs.reasoning_gym import manifest, runtime as rt
    from veritas.envs.reasoning_gym.audit import _TooSlow, _wall_limit
    from veritas.envs.reasoning_gym.bundle import SEPARATOR

    manifest.DATASETS[name] = {**manifest.DATASETS.get(name, {}), "levels": levels}
    seed_bits = manifest.DATASETS[name].get("seed_bits", 62)
    rng = random.Random("thin:" + name)
    thin, bundle = {}, {}
    for level in DIFFICULTY_LEVELS:
        answers = []
        try:
            with _wall_limit(THIN_WALL_S):
                for _ in range(THIN_SAMPLE):
                    answers.append(rt.item(name, level, rng.getrandbits(seed_bits))["answer"])
        except _TooSlow:
            pass
        except Exception:
            continue
        if len(answers) < THIN_SAMPLE // 2 or any(a is None for a in answers):
            continue
        counts = collections.Counter(answers)
        shares = [c / len(answers) for c in counts.values()]
        target = _balance_target(shares)
        cap = _water_level(shares, target)
        if cap is not None:
            table = {a: round(cap * len(answers) / c, 4) for a, c in counts.items() if c / len(answers) > cap}
            if table:
                thin[str(level)] = table
        if target > THIN_TO:
            bundleable = not multi_line and not any(SEPARATOR in a or "\n" in a for a in answers)
            k = bundle_size(target)
            if bundleable and k <= MAX_BUNDLE:
                bundle[str(level)] = k
    return thin, bundle


def _draws(shares: list[float], target: float) -> float:
    """Expected items drawn per kept item when thinning to `target` (inf when it cannot)."""
    cap = _water_level(shares, target)
    return math.inf if cap is None or cap <= 0 else 1.0 / sum(min(p, cap) for p in shares)


def bundle_size(target: float) -> int:
    return 1 if target <= THIN_TO else math.ceil(math.log(BUNDLE_TO) / math.log(target))


def _balance_target(shares: list[float]) -> float:
    """The largest share to thin to: THIN_TO (no bundle) when that costs at most MAX_EXPECTED_DRAWS
    draws per item; otherwise the share whose bundle is cheapest to generate (K items times the
    draws per item), among bundles of at most MAX_BUNDLE items."""
    if _draws(shares, THIN_TO) <= MAX_EXPECTED_DRAWS:
        return THIN_TO
    lo, hi = max(THIN_TO, 1.0 / len(shares)), max(shares)
    if hi <= lo:
        return hi
    candidates = [lo + (hi - lo) * i / 64 for i in range(65)]
    costs = [(bundle_size(t) * _draws(shares, t), t) for t in candidates if bundle_size(t) <= MAX_BUNDLE]
    return min(costs)[1] if costs else hi


def _water_level(shares: list[float], target: float) -> float | None:
    """The cap c such that, keeping each answer with probability min(1, c/share), every answer's
    share of what is kept is at most `target` (c / sum(min(share, c)) = target); None if no cap can."""
    if len(shares) * target < 1.0:
        return None
    lo, hi = 0.0, max(shares)
    for _ in range(60):
        mid = (lo + hi) / 2
        if mid / sum(min(p, mid) for p in shares) > target:
            hi = mid
        else:
            lo = mid
    return lo


def build() -> dict:
    from veritas.envs.reasoning_gym.runtime import rg_module

    rg = rg_module()
    from reasoning_gym.factory import DATASETS as RG_DATASETS

    names = sorted(RG_DATASETS)
    next_index = max((d["index"] for d in OLD.values()), default=-1) + 1
    out = {}
    for name in names:
        if name in OLD:
            index = OLD[name]["index"]
        else:
            index, next_index = next_index, next_index + 1
        levels = level_configs(rg, name)
        facts = probe(name, levels)
        out[name] = {"index": index, "curriculum": _has_levels(name, levels), "levels": levels,
                     **_note(name), **facts, **answer_tables(name, levels, facts["multi_line"])}
        print(f"{name:32s} index {index:3d} reseed={facts['reseed']} bits={facts['seed_bits']} "
              f"multi={facts['multi_line']} errors={len(facts['probe_errors'])}", file=sys.stderr, flush=True)
    return out


def _has_levels(name: str, levels: dict) -> bool:
    from reasoning_gym.factory import has_curriculum

    return (has_curriculum(name) or name == "composite") and levels["1"] != {}


def _note(name: str) -> dict:
    return {"level_note": LEVEL_NOTES[name]} if name in LEVEL_NOTES else {}


def answer_tables(name: str, levels: dict, multi_line: bool) -> dict:
    """The answer tables (thin, bundle; first made by --thin) of the old manifest while the levels
    they were measured on are unchanged; measured again for new levels (never kept stale, never
    dropped silently)."""
    old = OLD.get(name, {})
    if "thin" not in old and "bundle" not in old:
        return {}
    if old.get("levels") == levels:
        return {key: old[key] for key in ("thin", "bundle") if key in old}
    print(f"{name}: levels changed, measuring its answer tables (thin, bundle) again", file=sys.stderr)
    thin, bundle = answer_shape(name, levels, multi_line)
    return {**({"thin": thin} if thin else {}), **({"bundle": bundle} if bundle else {})}


def render(datasets: dict, version: str) -> str:
    body = pprint.pformat(datasets, width=110, sort_dicts=True)
    return (f'"""Generated by `python -m veritas.envs.reasoning_gym.build_manifest`; do not edit."""\n'
            f"RG_VERSION = {version!r}\n"
            f"DATASETS: dict = {body}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated datasets to rebuild (the others are kept as they are)")
    parser.add_argument("--thin", help="comma-separated datasets whose answer tables (thin, bundle) to recompute (kept otherwise)")
    args = parser.parse_args(argv)
    from importlib.metadata import version

    if args.thin:
        datasets = {k: dict(v) for k, v in OLD.items()}
        for name in args.thin.split(","):
            spec = datasets[name]
            thin, bundle = answer_shape(name, spec["levels"], spec["multi_line"])
            spec.pop("thin", None)
            spec.pop("bundle", None)
            if thin:
                spec["thin"] = thin
            if bundle:
                spec["bundle"] = bundle
            print(name, "thin", {lv: len(t) for lv, t in thin.items()}, "bundle", bundle, file=sys.stderr, flush=True)
    elif args.only:
        from veritas.envs.reasoning_gym.runtime import rg_module

        rg = rg_module()
        datasets = {k: dict(v) for k, v in OLD.items()}
        for name in args.only.split(","):
            levels = level_configs(rg, name)
            facts = probe(name, levels)
            print(name, levels, facts, file=sys.stderr)
            datasets[name] = {"index": datasets[name]["index"], "curriculum": _has_levels(name, levels),
                              "levels": levels, **_note(name), **facts,
                              **answer_tables(name, levels, facts["multi_line"])}
    else:
        datasets = build()
    text = render(datasets, version("reasoning-gym"))
    tmp = MANIFEST_PATH.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(MANIFEST_PATH)
    print(f"wrote {MANIFEST_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
