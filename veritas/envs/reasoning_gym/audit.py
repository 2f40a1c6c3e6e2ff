"""Audit every rg.* task type against the goals a reward must meet, and write the results that
decide which types are in the default list (audit_results.py) and docs/reasoning-gym.md.

    python -m veritas.envs.reasoning_gym.audit --cache /tmp/rg-audit.json --write   # resumable

Goals (a type fails on the first one it misses, in this order):
- scorer: reasoning-gym's score_answer must not eval model text (or we score it ourselves);
- generation: no errors, at least MIN_GEN_PER_CPU_S tasks per CPU-second (one process);
- reference: every reference answer scores 1 after a JSON round trip of the task;
- determinism: the same tasks in a second process with another PYTHONHASHSEED;
- false positives: no wrong reply scores 1 - another task's reference answer (when the two
  answers differ), the reference number plus one (a bundle's first numeric item), all sampled
  answers stuffed into one reply, and for bundles every class answer stuffed into each slot;
- constant replies: none of the family's trivial replies (at every level), the commonest reference
  answers or, for bundles, each class answer (the three commonest item answers where there are
  more than ten) repeated K times earns more than
  MAX_CONSTANT_RATE of a fresh sample of tasks (chosen on the sample, measured on other seeds);
- verify: under MAX_VERIFY_MS on each of three 1 MB replies;
- variety: at level 1 (the smallest space) at least MIN_DISTINCT of DISTINCT_SAMPLE tasks differ
  in content (a bundle by its first item), so content-disjoint train/test splits both get varied tasks.
These are samples, not proofs: a pass means no problem was found in N tasks (N in the table).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import json
import os
import pprint
import signal
import subprocess
import sys
import time
from pathlib import Path

from veritas.envs import Task, generate, get_family, verify
from veritas.envs.answers import MAX_REPLY_CHARS
from veritas.envs.reasoning_gym import EVALS_MODEL_TEXT, PREFIX
from veritas.envs.reasoning_gym.bundle import bundle_answer, repeated
from veritas.envs.reasoning_gym.exact_scorers import EXACT_SCORERS
from veritas.envs.reasoning_gym.manifest import DATASETS, RG_VERSION

MIN_GEN_PER_CPU_S = 50.0
MAX_CONSTANT_RATE = 0.05
MAX_VERIFY_MS = 50.0
SAMPLE = 60
GEN_BUDGET_S = 6.0
MAX_TASK_WALL_S = 20.0
DISTINCT_SAMPLE = 50
MIN_DISTINCT = 45
DETERMINISM_SEEDS = 20  # 3 let hash-order-dependent generators (isomorphic_strings) pass by chance
RESULTS_PATH = Path(__file__).with_name("audit_results.py")
DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "reasoning-gym.md"


def _level(seed: int) -> int:
    return seed % 5 + 1


def _fingerprint(task_type: str) -> str:
    h = hashlib.sha256()
    for seed in range(DETERMINISM_SEEDS):
        h.update(generate(task_type, seed, _level(seed)).to_json().encode())
    return h.hexdigest()


def fingerprints_in_subprocess(names: list[str]) -> dict[str, str]:
    code = ("import json,sys; from veritas.envs.reasoning_gym.audit import _fingerprint;"
            "names=json.loads(sys.argv[1]); out={}\n"
            "for n in names:\n"
            "    try: out[n]=_fingerprint('rg.'+n)\n"
            "    except Exception as e: out[n]='error: '+repr(e)[:100]\n"
            "print('@@RESULT@@' + json.dumps(out))")
    env = dict(os.environ, PYTHONHASHSEED="4242")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(names)], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.rsplit("@@RESULT@@", 1)[1])  # some generators print progress dots


def _score(task: Task, reply: str) -> float:
    return verify(task, reply).score


def _bare(task: Task) -> str:
    return task.metadata["entry"]["answer"]


def _plus_one(text: str) -> str | None:
    try:
        return str(int(text) + 1)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    # Beyond 2**53 a float plus one is the same float: not a different answer.
    return repr(value + 1.0) if value == value and abs(value) < 2.0**53 else None


def _item_answers(task: Task) -> list[str]:
    """The answers of the reasoning-gym items of a task: one, or K for a bundle."""
    items = task.metadata.get("items")
    return [e["answer"] for e in items] if items else [_bare(task)]


def _bumped(task: Task) -> str | None:
    """The reference with its first numeric item answer plus one (other items kept), or None."""
    parts = _item_answers(task)
    for i, part in enumerate(parts):
        bumped = _plus_one(part)
        if bumped is not None:
            return bundle_answer(parts[:i] + [bumped] + parts[i + 1:])
    return None


def _same_answer(a: str, b: str) -> bool:
    if a.strip().lower() == b.strip().lower():
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _reply(task: Task, answer: str) -> str:
    return ("Answer:\n" if "\n" in _bare(task) else "Answer: ") + answer


class _TooSlow(BaseException):
    """Not an Exception: generators and our own retry loop must not swallow it."""


@contextlib.contextmanager
def _wall_limit(seconds: float):
    """Interrupt a generator that runs away (SIGALRM; the audit runs in the main thread)."""
    def on_alarm(signum, frame):
        raise _TooSlow()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _known_loopholes(name: str, task: Task) -> list[str]:
    """Replies that scored 1 in reasoning-gym (../shared/reference/anchors.md) and must not here."""
    if name == "puzzle24":
        numbers = sorted(task.metadata["entry"]["metadata"]["numbers"])
        out = ["Answer: 4**2+8*1"]
        if numbers != [1, 1, 3, 8]:
            out.append("Answer: 8*3*1*1")
        if numbers != [1, 2, 7, 7]:
            out.append("Answer: 7*7/2*1")
        return out
    if name == "propositional_logic":
        variables = task.metadata["entry"]["metadata"].get("variables") or ["P"]
        v = variables[0]
        return [f"Answer: {v} ∧ ¬{v}", f"Answer: ({v} ∧ ¬{v})"]
    return []


def audit_dataset(name: str) -> dict:
    task_type = PREFIX + name
    family = get_family(task_type)
    result: dict = {"curriculum": DATASETS[name]["curriculum"], "own_scorer": name in EXACT_SCORERS}
    failures: list[str] = []
    if name in EVALS_MODEL_TEXT:
        failures.append("scorer evaluates model text (eval or sympy.parse_expr)")

    tasks: list[Task] = []
    try:
        # Warm-up outside the timing: the one-off import and dataset object of each level.
        for level in range(1, 6):
            with _wall_limit(MAX_TASK_WALL_S):
                generate(task_type, 10**7 + level, level)
    except _TooSlow:
        failures.append(f"generation: one task (level {level}) took over {MAX_TASK_WALL_S:.0f} s")
    except Exception as exc:
        failures.append(f"generation raises ({type(exc).__name__}: {str(exc)[:80]})")
    cpu0 = time.process_time()
    try:
        for seed in range(SAMPLE if not failures else 0):
            with _wall_limit(MAX_TASK_WALL_S):
                tasks.append(generate(task_type, seed, _level(seed)))
            if time.process_time() - cpu0 > GEN_BUDGET_S and len(tasks) >= 10:
                break
    except _TooSlow:
        failures.append(f"generation: one task (level {_level(len(tasks))}) took over {MAX_TASK_WALL_S:.0f} s")
    except Exception as exc:
        failures.append(f"generation raises ({type(exc).__name__}: {str(exc)[:80]})")
    cpu = time.process_time() - cpu0
    result["n"] = len(tasks)
    result["gen_per_cpu_s"] = round(len(tasks) / cpu, 1) if cpu > 0 else None
    if not tasks:
        result.update(passed=False, reason="; ".join(failures) or "no tasks")
        return result
    if result["gen_per_cpu_s"] is not None and result["gen_per_cpu_s"] < MIN_GEN_PER_CPU_S:
        failures.append(f"generation {result['gen_per_cpu_s']}/s < {MIN_GEN_PER_CPU_S:.0f}/s")

    bad_refs = sum(_score(Task.from_json(t.to_json()), t.answer) < 1.0 for t in tasks)
    if bad_refs:
        failures.append(f"reference answer scores < 1 on {bad_refs}/{len(tasks)}")
    styled = [(t, s) for t in tasks[:10] for s in family.styled_answers(t)]
    result["styled_ok"] = round(sum(_score(t, s) == 1.0 for t, s in styled) / max(1, len(styled)), 2)

    # False positives: replies that are certainly wrong must score 0.
    fps: list[str] = []
    answers = [_bare(t) for t in tasks]
    for i, t in enumerate(tasks):
        other = answers[(i + 1) % len(tasks)]
        if not _same_answer(other, answers[i]):
            if _score(t, _reply(t, other)) == 1.0:
                fps.append(f"another task's answer {other[:30]!r}")
        bumped = _bumped(t)
        if bumped is not None and _score(t, _reply(t, bumped)) == 1.0:
            fps.append(f"answer+1 {bumped[:30]!r}")
    for t in tasks:
        for reply in _known_loopholes(name, t):
            if _score(t, reply) == 1.0:
                fps.append(f"known loophole {reply[8:40]!r}")
    stuffed = " ".join(dict.fromkeys(a.replace("\n", " ") for a in answers[:12]))
    for t in tasks[:12]:
        if _score(t, "Answer: " + stuffed) == 1.0:
            fps.append("all answers in one reply")
            break
    # A bundle with every class answer stuffed into each of its K slots.
    classes = list(dict.fromkeys(a for t in tasks for a in _item_answers(t)))[:12]
    for t in tasks[:12]:
        items = t.metadata.get("items")
        if items and _score(t, "Answer: " + bundle_answer([" ".join(classes)] * len(items))) == 1.0:
            fps.append("every class answer in each bundle slot")
            break
    result["false_positives"] = len(fps)
    if fps:
        failures.append(f"false positive: {fps[0]} ({len(fps)} found)")

    # Constant replies: the family's trivial ones and the commonest reference answers.
    # A bundle's constant is the same answer to each of its K questions (repeated(a, K)).
    item_answers = [a for t in tasks for a in _item_answers(t)]
    counts = collections.Counter(item_answers)
    # Every class of a few-valued dataset, else the three commonest item answers.
    common = [a for a, _ in counts.most_common(len(counts) if len(counts) <= 10 else 3) if "\n" not in a]
    sizes = sorted({family.bundle_size(level) for level in range(1, 6)})
    constants = [r for level in range(1, 6) for r in family.trivial_replies(level)]
    constants += ["Answer: " + a for a, _ in collections.Counter(answers).most_common(3) if "\n" not in a]
    constants += ["Answer: " + repeated(a, k) for a in common for k in sizes]
    constants = list(dict.fromkeys(constants))
    # Measured on fresh tasks: the commonest answers of a sample are over-represented in that same
    # sample (with bundles, some pattern of K answers always repeats among 60 tasks by chance).
    fresh = tasks
    try:
        with _wall_limit(MAX_TASK_WALL_S * 3):
            fresh = [generate(task_type, seed, _level(seed)) for seed in range(SAMPLE, SAMPLE + len(tasks))]
    except (_TooSlow, Exception):
        fresh = tasks  # generation already failed above; measure on the sample itself
    worst = ("", 0.0)
    for reply in constants:
        rate = sum(_score(t, reply) == 1.0 for t in fresh) / len(fresh)
        if rate > worst[1]:
            worst = (reply, rate)
    result["max_constant"] = [worst[0][:40], round(worst[1], 3)]
    if worst[1] > MAX_CONSTANT_RATE:
        failures.append(f"constant reply {worst[0][8:38]!r} scores on {worst[1]:.0%}")

    # Bounded verification on 1 MB replies.
    slowest = 0.0
    for t in tasks[:2]:
        # Each exactly MAX_REPLY_CHARS long: a longer reply is refused before any parsing.
        for reply in ("Answer: " + "9" * (MAX_REPLY_CHARS - 8), "x" * (MAX_REPLY_CHARS - len(t.answer) - 1) + "\n" +
                      t.answer, "Answer: 1 " * (MAX_REPLY_CHARS // 10)):
            t0 = time.process_time()  # CPU time: on a shared machine wall time is mostly waiting
            _score(t, reply)
            slowest = max(slowest, (time.process_time() - t0) * 1000)
    result["verify_1mb_ms"] = round(slowest, 1)
    if slowest > MAX_VERIFY_MS:
        failures.append(f"verify {slowest:.0f} ms on a 1 MB reply")

    # Variety at level 1 (skipped for generators already failing on speed: too slow to sample).
    if not any(f.startswith("generation") for f in failures):
        keys = set()
        try:
            with _wall_limit(3 * MAX_TASK_WALL_S):
                for seed in range(DISTINCT_SAMPLE):
                    t = generate(task_type, seed, 1)
                    # A bundle is counted by its first item: combinations of a few items would look
                    # varied while train and test shared every item.
                    item = (t.metadata.get("items") or [t.metadata["entry"]])[0]
                    keys.add(json.dumps([item["question"], item["answer"]]))
            timed_out = False
        except _TooSlow:
            timed_out = True
            failures.append(f"generation: {DISTINCT_SAMPLE} level-1 tasks took over {3 * MAX_TASK_WALL_S:.0f} s")
        result["distinct_level1"] = len(keys)
        if not timed_out and len(keys) < MIN_DISTINCT:
            failures.append(f"few distinct tasks at level 1 ({len(keys)}/{DISTINCT_SAMPLE})")
    result["fingerprint"] = _fingerprint(task_type)
    result["passed"] = not failures
    result["reason"] = "; ".join(failures)
    return result


# The project-wide audit (`veritas audit`, per type and level, with content-disjoint splits) run
# at a small n over the rg types: its determinism (ten ids per cell), generation speed per level,
# fuzzing and styled-answer goals add exclusions. Its constant-reply goal is left to this audit:
# at n = 20 any repeated answer is already 10%.
VERITAS_AUDIT_GOALS = ("deterministic", "gen_per_s", "fuzz", "styled", "reference", "near_miss", "verify_ms",
                       "split_overlap", "error")


def merge_veritas_audit(results: dict, paths: list[Path]) -> dict:
    cells_by_type: dict[str, list[dict]] = {}
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = data["cells"]  # a later file's cells replace an earlier file's for the same type
        for tt in {c["task_type"] for c in cells}:
            cells_by_type[tt] = [c for c in cells if c["task_type"] == tt]
    for task_type, cells in cells_by_type.items():
        name = task_type[len(PREFIX):]
        if name not in results:
            continue
        misses = [f"{goal} at level {c['level']}" for c in cells for goal in c["failures"] if goal in VERITAS_AUDIT_GOALS]
        results[name]["veritas_audit"] = misses
        if misses:
            results[name]["passed"] = False
            results[name]["reason"] = "; ".join(filter(None, [results[name]["reason"],
                                                              "veritas audit: " + ", ".join(misses[:3])]))
    return results


def render_results(results: dict) -> str:
    slim = {name: {"pass": r["passed"], "reason": r["reason"]} for name, r in sorted(results.items())}
    return ('"""Generated by `python -m veritas.envs.reasoning_gym.audit --write`; do not edit."""\n'
            f"AUDIT: dict = {pprint.pformat(slim, width=110, sort_dicts=True)}\n")


def _levels_text(name: str) -> str:
    spec = DATASETS[name]
    if not spec["curriculum"]:
        return "no curriculum: defaults at every level"
    levels = spec["levels"]
    if "datasets" in levels["1"]:  # composite: the parts' own mappings, too long for the table
        return spec["level_note"]
    keys = sorted(levels["1"])
    parts = []
    for key in keys:
        values = [json.dumps(levels[str(lv)][key], separators=(",", ":")) for lv in range(1, 6)]
        parts.append(f"{key} {' / '.join(values)}")
    note = spec.get("level_note")  # build_manifest.LEVEL_INDEX_RANGES narrowed this mapping
    return "; ".join(parts) + (f" (**narrowed**: {note})" if note else "")


def _answers_text(name: str) -> str:
    """How a task's answers are shaped: own scorer, thinned levels, bundle size per level."""
    spec = DATASETS[name]
    parts = ["own scorer"] if name in EXACT_SCORERS else []
    if spec.get("thin"):
        parts.append("thinned at level " + ",".join(sorted(spec["thin"])))
    if spec.get("bundle"):
        parts.append("bundle of " + " / ".join(str(spec["bundle"].get(str(lv), 1)) for lv in range(1, 6)))
    return "; ".join(parts) or "-"


def render_doc(results: dict) -> str:
    passed = sorted(n for n, r in results.items() if r["passed"])
    failed = sorted(n for n, r in results.items() if not r["passed"])
    lines = [
        "# reasoning-gym task types (`rg.*`)",
        "",
        "<!-- Generated by `python -m veritas.envs.reasoning_gym.audit --write`; do not edit. -->",
        "",
        f"reasoning-gym {RG_VERSION}'s {len(results)} procedural datasets are task types `rg.<dataset>` in env",
        "`reasoning-gym` (install the extra: `pip install -e \".[rg]\"`; without it no `rg.*` type is",
        "registered). Task ids: `index * 10^8 + seed`, the index fixed in",
        "`veritas/envs/reasoning_gym/manifest.py`. Importing `veritas.envs` or listing types never imports",
        "reasoning_gym; generating or verifying an `rg.*` task does (about 2 s, 115 MB, once per process).",
        "",
        "## Contract",
        "",
        "- **Seeds**: a task is a pure function of (type, seed, difficulty). reasoning-gym's dataset seed is",
        "  drawn from the task's own SHA-256 content stream and only item 0 of it is used, so neighbouring",
        "  seeds never share an item (in reasoning-gym, seed s item 1 is seed s+1 item 0).",
        "- **Levels**: level L sets every curriculum attribute to index floor((L-1)(n-1)/4 + 1/2) of its n",
        "  levels (reasoning-gym's inclusive ranges): level 1 is its easiest setting, level 5 its hardest.",
        "  Datasets without a curriculum get their defaults at every level (said in the table below).",
        "  Where that mapping gives too few distinct level-1 tasks or a level that generates under 50",
        "  tasks per CPU-second, `build_manifest.LEVEL_INDEX_RANGES` narrows one attribute to a span of",
        "  its indices (marked **narrowed** in the table, with the reason); the audit below still measures",
        "  every level, so a type whose narrowed levels stay slow stays excluded.",
        "- **Reference answers** where reasoning-gym gives none (`reference_solvers.py`, kept only when",
        "  reasoning-gym's own scorer gives them 1.0): `graph_color` its greedy colouring (edgeless graphs",
        "  drawn again), `rubiks_cube` its solver's moves (3x3 only), `propositional_logic` its example",
        "  conclusion, with items whose premises are contradictory (23%; anything follows from them)",
        "  drawn again. Other datasets without a reference (`boxnet`, `rush_hour`) are excluded.",
        "- **Same task in every process** (runtime.py): `isomorphic_strings` and `ransom_note` draw from a",
        "  set of letters and `word_ladder` walks neighbour sets, in an order that follows PYTHONHASHSEED:",
        "  the adapter hands them sets that iterate sorted. `list_functions` draws from the global",
        "  `random` module: it is seeded from the item seed for the call and restored after. `bf`'s",
        "  progress dots on stdout are swallowed. `knight_swap` iterates sets built inside its search,",
        "  out of reach: it stays excluded.",
        "- **Answer convention** (stated at the end of every prompt): the reply ends with",
        "  `Answer: <answer>`; where answers span lines (grids, boards), `Answer:` is followed by the",
        "  answer on the lines below it. Accepted styles: any case, `Final answer:`, `**Answer:**` or",
        "  `**Answer**:`, one wrapper around the answer (`code`, a fenced block, `\\boxed{}`, `$...$`,",
        "  `**...**`), and a sentence-final full stop. Only the last `Answer:` counts.",
        "- **Scoring**: our guards (reasoning block removed, replies over 1,000,000 characters and answers",
        "  over max(1000, 20x the reference) score 0, empty answers 0, never raises) around reasoning-gym's",
        "  `score_answer`. Binary: 1 only when reasoning-gym gives 1.0. A mix entry",
        "  `{task_type: rg.X, partial_credit: true}` keeps its fractional scores instead.",
        "- **Thinned answers**: where reasoning-gym draws one answer so often that a constant reply would",
        "  earn (largest_island's `0`), the manifest's `thin` table makes the adapter redraw such items with a",
        "  fixed probability, so no answer keeps more than 3% of a level, where enough distinct answers exist",
        "  and that costs at most 3 draws per item; elsewhere it balances the classes as far as is cheap and",
        "  the level is bundled (below). `python -m veritas.envs.reasoning_gym.build_manifest --thin A,B`",
        "  measures 300 items per level and writes both tables; a rebuild keeps them while the levels stay.",
        "- **Bundles**: where answers take so few values that thinning cannot get a constant reply under",
        "  3% (yes/no, True/False, small class sets, gcd's `1` at high levels), the manifest's `bundle`",
        "  table makes one task K independent items of the dataset (drawn in turn from the task's own seed",
        "  stream, each thinned towards equal classes). The prompt numbers the questions and asks for one",
        "  line `Answer: <answer 1>; <answer 2>; ...` in question order, separated by `;`; the task scores 1",
        "  only when every item's answer is right (each scored as a single item would be). K is chosen per",
        "  level (`build_manifest --thin`) so that the largest class share b after thinning has b^K <= 1%:",
        "  a constant, or any fixed pattern of answers, earns at most about 1%. The table's `answers`",
        "  column gives K for levels 1-5. Only single-line answers without `;` are bundled.",
        "- **Own scorers** replace reasoning-gym's where it evaluates model text or is loose: `puzzle24` and",
        "  `countdown` are parsed by our safe arithmetic parser, must use each given number exactly once",
        "  and are evaluated in exact rationals (closes `8*3*1*1` for [8,5,10,6] and `7*7/2*1` = 24.5);",
        "  `spiral_matrix`, `binary_matrix`, `string_insertion` and `n_queens` compare the text (spacing",
        "  free; n_queens against every valid board) where reasoning-gym eval()s the reply; `power_function`",
        "  takes the reference to 3 significant figures (as the prompt asks) or in full, not any number that",
        "  agrees in 3 digits; `gsm_symbolic` takes one number, not the first number of the answer;",
        "  `coin_flip` takes p/q or a decimal within a relative 1e-6, not an absolute 1e-4; and",
        "  `game_of_life_halting` takes True/False (reasoning-gym compared bool() of two non-empty strings).",
        "- **SFT**: reasoning-gym gives no worked solutions: `data_gen sft` leaves `rg.*` out of `all` and",
        "  refuses them by name; `data_gen distill` makes SFT data for them from a teacher's verified replies.",
        "",
        "## Speed",
        "",
        "`python -m veritas.envs.reasoning_gym.overhead` generates 300 level-3 tasks per type, records every",
        "reasoning-gym item they draw and times reasoning-gym producing those items on its own (rg), then",
        "splits `generate()`'s time into the registry's content stream (a SHA-256 and a seeded",
        "`random.Random`, ~8 us per split attempt, paid by every family; rg.* types skip the wording",
        "stream they never read), the adapter per item (JSON conversion of the metadata, prompt, content",
        "key, split hash, Task), and the content-disjoint split's redraws (1/0.9 ~ 1.11 items per train",
        "task, about 20 per val or test task: the split contract's price, not the adapter's). Measured",
        "2026-12-03, CPU time, best of 3, load average ~3 on the shared 2-core machine, medians over",
        "ten types: adapter +24.6 us per item = +111% of rg (was +161%), registry +42%, redraws +23%.",
        "Per type (rg us per item -> adapter %): spell_backward 8 -> 220%, gcd 14 -> 144%, chain_sum 14",
        "-> 141%, caesar_cipher 18 -> 120%, basic_arithmetic 27 -> 102%, word_sorting 50 -> 101%,",
        "mini_sudoku 251 -> 16%, knights_knaves 1754 -> 10%, number_sorting 3751 -> 7%. The issue's < 10%",
        "is met only for generators slower than ~0.5-1 ms an item: the adapter's ~17-28 us floor (about",
        "ten Python calls, one JSON encode and decode, two hashes, a frozen dataclass) is larger than",
        "what the fastest generators spend, which still make 15,000-40,000 tasks per CPU-second.",
        "",
        "## Audit",
        "",
        "`python -m veritas.envs.reasoning_gym.audit --write` checks every type (docstring of",
        "`veritas/envs/reasoning_gym/audit.py`): scorer safety, generation >= 50 tasks per CPU-second, reference",
        "answers score 1 after a JSON round trip, the same tasks in a second process, no false positive",
        "(another task's answer, the reference number + 1, every answer stuffed into one reply), no",
        "constant reply scoring on more than 5% of tasks, verify < 50 ms on 1 MB replies, and >= 45 distinct",
        "of 50 level-1 tasks. A type that fails is **left out of the default list** (`veritas list`,",
        "`all` in data_gen, eval and mixes) but still works when named, with a warning; `veritas list",
        "--all` shows it with the reason. It is a sample (n tasks per type, levels 1-5 in turn), not a proof.",
        "The project-wide `veritas audit` (per type and level, content-disjoint splits), run over the types",
        "that pass here at n = 20 and levels 1, 3, 5 and passed with `--veritas-audit FILE...`, excludes",
        "more: its determinism (ten ids per cell, second process), speed per level, fuzzing and styled-answer",
        "goals (reasons marked `veritas audit:`).",
        "",
        f"**{len(passed)} pass, {len(failed)} excluded.**",
        "",
        "| type | audit | n | gen/cpu-s | worst constant | verify 1 MB ms | answers | levels 1 / 2 / 3 / 4 / 5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(results):
        r = results[name]
        verdict = "pass" if r["passed"] else f"**excluded**: {r['reason']}"
        const = r.get("max_constant") or ["", 0]
        lines.append(
            f"| `rg.{name}` | {verdict} | {r.get('n', 0)} | {r.get('gen_per_cpu_s')} | "
            f"{const[1]:.0%} | {r.get('verify_1mb_ms', '-')} | {_answers_text(name)} | {_levels_text(name)} |"
            .replace("\n", " "))
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated datasets to audit (default: all not in --cache)")
    parser.add_argument("--cache", help="JSON file of results: read at the start, updated after each dataset, so "
                                        "an interrupted audit resumes; --only datasets are audited again")
    parser.add_argument("--write", action="store_true", help="write audit_results.py and docs/reasoning-gym.md "
                                                             "(needs results for every dataset)")
    parser.add_argument("--veritas-audit", nargs="*", default=[], metavar="JSON",
                        help="`veritas audit --json` outputs over rg types: their failures on the goals in "
                             "VERITAS_AUDIT_GOALS exclude a type too (later files win for a type)")
    args = parser.parse_args(argv)
    from veritas.envs.reasoning_gym import runtime

    cache = Path(args.cache) if args.cache else None
    results = json.loads(cache.read_text(encoding="utf-8")) if cache and cache.exists() else {}
    names = args.only.split(",") if args.only else [n for n in sorted(DATASETS) if n not in results]
    for name in names:
        t0 = time.perf_counter()
        try:
            results[name] = audit_dataset(name)
        except Exception as exc:  # one broken dataset must not stop the audit of the others
            results[name] = {"passed": False, "reason": f"audit crashed ({type(exc).__name__}: {str(exc)[:80]})",
                             "curriculum": DATASETS[name]["curriculum"]}
        runtime._datasets.clear()
        r = results[name]
        print(f"{name:30s} {'PASS' if r['passed'] else 'FAIL'} {time.perf_counter() - t0:5.1f}s  {r['reason']}",
              file=sys.stderr, flush=True)
        if cache:
            _atomic_write(cache, json.dumps(results, indent=1, sort_keys=True))
    # Determinism: the same tasks in a second process with another PYTHONHASHSEED.
    other = fingerprints_in_subprocess([n for n in names if "fingerprint" in results[n]])
    for name, fp in other.items():
        if fp != results[name]["fingerprint"]:
            results[name]["passed"] = False
            results[name]["reason"] = "; ".join(filter(None, [results[name]["reason"],
                                                              "different tasks in a second process"]))
    if cache:
        _atomic_write(cache, json.dumps(results, indent=1, sort_keys=True))
    results = merge_veritas_audit(results, [Path(p) for p in args.veritas_audit])
    if args.write:
        missing = sorted(set(DATASETS) - set(results))
        if missing:
            raise SystemExit(f"audit: --write needs results for every dataset; missing {missing[:5]}...")
        _atomic_write(RESULTS_PATH, render_results({n: results[n] for n in DATASETS}))
        _atomic_write(DOC_PATH, render_doc({n: results[n] for n in DATASETS}))
    n_pass = sum(r["passed"] for r in results.values())
    print(f"{n_pass} pass, {len(results) - n_pass} fail (of {len(results)} audited)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
