"""Write manifest.py: every reasoning-gym dataset, its id range and the configuration of each of
our levels, plus facts about the generator that the adapter relies on (checked here, not assumed).

    python -m veritas.envs.reasoning_gym.build_manifest [--only a,b]

Ids: a dataset keeps the index it was first given (new datasets are appended), so task ids stay
stable across reasoning-gym upgrades. Per dataset:
- levels: level L sets each curriculum attribute to index floor((L-1)(n-1)/4 + 1/2) of its n
  levels (reasoning-gym's INCLUSIVE ranges); no curriculum: {} (defaults) at every level.
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
# Answer thinning (answer_thinning): sample size, target share, minimum variety, time limit.
THIN_SAMPLE = 300
THIN_TO = 0.03
# Bundles (answer_shape): a constant reply's target, the largest K, and the cost thinning may add.
BUNDLE_TO = 0.01
MAX_BUNDLE = 8
MAX_EXPECTED_DRAWS = 3.0
THIN_WALL_S = 30.0
PROBE_WALL_S = 15.0


def attribute_index(level: int, n_levels: int) -> int:
    return int((level - 1) * (n_levels - 1) / 4 + 0.5)


def level_configs(rg, name: str) -> dict[str, dict]:
    from reasoning_gym.coaching.attributes import RangeAttributeDefinition
    from reasoning_gym.factory import create_curriculum, has_curriculum

    from veritas.envs.reasoning_gym.runtime import to_json_value

    if not has_curriculum(name):
        return {str(level): {} for level in DIFFICULTY_LEVELS}
    out = {}
    for level in DIFFICULTY_LEVELS:
        cur = create_curriculum(name)
        fields = []
        for attr_name, attr in cur.attributes.items():
            cur.set_attr_level(attr_name, attribute_index(level, len(attr.levels)))
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
    from reasoning_gym.factory import DATASETS as RG_DATASETS, has_curriculum

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
        out[name] = {"index": index, "curriculum": has_curriculum(name) and levels["1"] != {}, "levels": levels, **facts,
                     **kept_answer_tables(name, levels)}
        print(f"{name:32s} index {index:3d} reseed={facts['reseed']} bits={facts['seed_bits']} "
              f"multi={facts['multi_line']} errors={len(facts['probe_errors'])}", file=sys.stderr, flush=True)
    return out


def kept_answer_tables(name: str, levels: dict) -> dict:
    """The answer tables (thin, bundle; made by --thin) of the old manifest, while the levels they
    were measured on are unchanged; a rebuild must not drop them silently."""
    old = OLD.get(name, {})
    if old.get("levels") != levels:
        if "thin" in old or "bundle" in old:
            print(f"{name}: levels changed, its answer tables (thin, bundle) are dropped: rerun with --thin {name}",
                  file=sys.stderr)
        return {}
    return {key: old[key] for key in ("thin", "bundle") if key in old}


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
        from reasoning_gym.factory import has_curriculum

        rg = rg_module()
        datasets = {k: dict(v) for k, v in OLD.items()}
        for name in args.only.split(","):
            levels = level_configs(rg, name)
            facts = probe(name, levels)
            print(name, levels, facts, file=sys.stderr)
            datasets[name] = {"index": datasets[name]["index"], "curriculum": has_curriculum(name) and levels["1"] != {},
                              "levels": levels,
                              **facts, **kept_answer_tables(name, levels)}
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
