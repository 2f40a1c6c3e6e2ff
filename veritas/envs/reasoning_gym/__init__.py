"""reasoning-gym's procedural datasets as veritas task types `rg.<dataset>` in env `reasoning-gym`.

Registration reads only the committed manifest (manifest.py: names, id ranges, the curriculum
settings of each of our levels) and the committed audit results (audit_results.py), so listing
task types never imports reasoning_gym; generating or verifying an rg.* task does (runtime.py).
The optional extra installs it: pip install -e '.[rg]'. Without it no rg.* type is registered.

Contract, as for our own families (docs/reasoning-gym.md):
- A task is a pure function of (task type, seed, difficulty): reasoning-gym's dataset seed is drawn
  from the task's own content stream, and only item 0 of it is used.
- Levels 1-5 set each curriculum attribute to index round((L-1)(n-1)/4) of its n levels, so level 1
  is reasoning-gym's easiest and level 5 its hardest setting; a dataset without a curriculum gets
  its default configuration at every level.
- Scoring: the reply must end with `Answer: <answer>` (the prompt says so); the extracted answer
  goes to reasoning-gym's score_answer (or our exact scorer, exact_scorers.py). Binary: 1 only when
  that gives 1.0, unless the task's metadata carries partial_credit (a mix entry's
  `partial_credit: true`).
- Answer shaping (manifest "thin" and "bundle", made by build_manifest --thin): over-common answers
  are redrawn with a fixed probability; where answers take too few values for that to defeat a
  constant reply, one task is a bundle of K items answered on one line separated by `;`
  (bundle.py), scoring 1 only when all K are right.
- Audit: a type that failed the audit (audit.py) stays registered but is left out of the default
  list; naming it explicitly works, with a warning.
"""

from __future__ import annotations

import json
import random
from importlib.util import find_spec

from veritas.envs.base import Built, Task, TaskFamily, Verdict
from veritas.envs.reasoning_gym.answer import PROMPT_MULTI_LINE, PROMPT_SINGLE_LINE, extract_answer
from veritas.envs.reasoning_gym.audit_results import AUDIT
from veritas.envs.reasoning_gym.bundle import SEPARATOR, bundle_answer, bundle_prompt, repeated, split_answers
from veritas.envs.reasoning_gym.manifest import DATASETS, RG_VERSION
from veritas.envs.reasoning_gym.reference_solvers import SOLVERS

ENV = "reasoning-gym"
PREFIX = "rg."
SEEDS_PER_TYPE = 100_000_000
# Datasets whose score_answer runs eval()/exec() or sympy.parse_expr (which evals) on the reply,
# and that have no scorer of ours (exact_scorers.py): excluded, whatever else the audit finds.
EVALS_MODEL_TEXT = frozenset({"intermediate_integration", "polynomial_multiplication", "simple_integration"})
# Generation attempts per task before giving up (a few generators raise on unlucky seeds, and a
# solver finds no honest reference for some items: propositional_logic's contradictions, ~23%).
_ATTEMPTS = 16
# Draws per task when thinning over-common answers; the last draw is kept whatever its answer.
_MAX_THINNING_DRAWS = 64
# A right answer is never this much longer than the reference; longer ones are not parsed.
_MIN_ANSWER_CAP = 1000
_ANSWER_CAP_FACTOR = 20
# canonical_json's encoder, built once (json.dumps builds one per call when given options).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def available() -> bool:
    """Whether reasoning-gym is installed (without importing it)."""
    return find_spec("reasoning_gym") is not None


def dataset_of(task_type: str) -> str:
    return task_type[len(PREFIX):]


def exclusion_reason(dataset: str) -> str:
    """Why a dataset is left out of the default list, or "" when it passed the audit."""
    if dataset in EVALS_MODEL_TEXT:
        return "scorer evaluates model text (eval or sympy.parse_expr)"
    result = AUDIT.get(dataset)
    if result is None:
        return "not audited"
    return "" if result["pass"] else result["reason"]


class ReasoningGymFamily(TaskFamily):
    """One reasoning-gym dataset; register_all() makes one subclass per manifest entry."""

    env = ENV
    num_seeds = SEEDS_PER_TYPE
    uses_wording = False  # one fixed prompt suffix: generate() need not seed a wording stream
    dataset: str = ""

    @property
    def spec(self) -> dict:
        return DATASETS[self.dataset]

    def _draw(self, rng: random.Random, difficulty: int, thin: dict) -> tuple[int, dict]:
        """One reasoning-gym item (its dataset seed and JSON form) drawn from the task's stream."""
        from veritas.envs.reasoning_gym import runtime

        last_error: Exception | None = None
        errors = draws = 0
        while errors < _ATTEMPTS:
            item_seed = rng.getrandbits(self.spec["seed_bits"])
            try:
                entry = runtime.item(self.dataset, difficulty, item_seed)
            except runtime.ReasoningGymMissing:
                raise
            except Exception as exc:  # reasoning-gym generators raise on some seeds; draw again
                last_error = exc
                errors += 1
                continue
            if entry["answer"] is None:
                if self.dataset not in SOLVERS:
                    raise RuntimeError(f"reasoning-gym {self.dataset} gives no reference answer (any valid answer "
                                       "is scored), so it has no reference reply")
                entry["answer"] = runtime.solved_reference(self.dataset, difficulty, entry)
                if entry["answer"] is None:  # no honest reference for this item (reference_solvers.py)
                    last_error = RuntimeError("no reference answer for this item")
                    errors += 1
                    continue
            draws += 1
            keep = thin.get(entry["answer"])
            if keep is not None and draws < _MAX_THINNING_DRAWS and rng.random() >= keep:
                continue  # an answer reasoning-gym draws too often (manifest "thin"): draw again
            return item_seed, entry
        raise RuntimeError(f"reasoning-gym {self.dataset}: no item after {_ATTEMPTS} seeds: {last_error!r}")

    def bundle_size(self, difficulty: int) -> int:
        """How many reasoning-gym items one task of this level asks (manifest "bundle"; 1 if absent)."""
        return int(self.spec.get("bundle", {}).get(str(difficulty), 1))

    def build(self, rng: random.Random, difficulty: int, language: str, wording: random.Random) -> Built:
        thin = self.spec.get("thin", {}).get(str(difficulty), {})
        k = self.bundle_size(difficulty)
        if k == 1:
            item_seed, entry = self._draw(rng, difficulty, thin)
            multi = self.spec["multi_line"]
            prompt = entry["question"].rstrip() + "\n\n" + (PROMPT_MULTI_LINE if multi else PROMPT_SINGLE_LINE)
            answer = ("Answer:\n" if multi else "Answer: ") + entry["answer"]
            metadata = {"dataset": self.dataset, "level": difficulty, "item_seed": item_seed, "entry": entry}
            return Built(prompt, answer, metadata)
        drawn = [self._draw(rng, difficulty, thin) for _ in range(k)]
        items = [entry for _, entry in drawn]
        prompt = bundle_prompt([e["question"] for e in items])
        joined = bundle_answer([e["answer"] for e in items])
        # "entry" is the bundle as one item (question, answer) so that code reading a task's
        # reference answer needs no special case; "items" are what is scored.
        entry = {"question": prompt, "answer": joined, "metadata": {"bundle": k}}
        metadata = {"dataset": self.dataset, "level": difficulty, "item_seeds": [seed for seed, _ in drawn],
                    "entry": entry, "items": items}
        return Built(prompt, "Answer: " + joined, metadata)

    def content_key(self, built: Built, difficulty: int) -> str:
        entry = built.metadata["entry"]
        return _CANONICAL([self.dataset, entry["question"], entry["answer"]])  # == canonical_json(...)

    def _score_item(self, answer: str, entry: dict, level: int) -> tuple[float, str]:
        """One extracted answer against one reasoning-gym item: (score in [0, 1], reason)."""
        from veritas.envs.reasoning_gym import runtime
        from veritas.envs.reasoning_gym.exact_scorers import EXACT_SCORERS

        reference = entry["answer"]
        if answer.endswith(".") and (not reference.endswith(".") or answer.endswith("..") and
                                     not reference.endswith("..")):
            answer = answer[:-1].rstrip()  # a sentence-final full stop is punctuation, not answer
        exact = EXACT_SCORERS.get(self.dataset)
        if exact is not None:
            return exact(answer, entry)
        try:
            score = runtime.score(self.dataset, level, answer, entry)
        except runtime.ReasoningGymMissing:
            raise
        except Exception as exc:  # reasoning-gym's scorer raises on some malformed answers: wrong, not a bug
            return 0.0, f"reasoning-gym's scorer rejects the answer ({type(exc).__name__})"
        return score, f"reasoning-gym score {score:.3g}"

    def check(self, task: Task, text: str) -> Verdict:
        entry = task.metadata["entry"]
        level = int(task.metadata["level"])
        answer = extract_answer(text, self.spec["multi_line"])
        if answer is None:
            return Verdict(0.0, "no `Answer:` line", False)
        if not answer:
            return Verdict(0.0, "empty answer after `Answer:`", False)
        if len(answer) > max(_MIN_ANSWER_CAP, _ANSWER_CAP_FACTOR * len(entry["answer"])):
            return Verdict(0.0, "answer far longer than any right answer", False)
        items = task.metadata.get("items")
        if items is None:
            score, reason = self._score_item(answer, entry, level)
        else:
            parts = split_answers(answer, len(items))
            if parts is None:
                return Verdict(0.0, f"expected {len(items)} non-empty answers separated by `{SEPARATOR}`", False)
            scores, reason = [], "all answers right"
            for i, (part, item) in enumerate(zip(parts, items), 1):
                item_score, why = self._score_item(part, item, level)
                scores.append(1.0 if item_score >= 1.0 else 0.0)
                if item_score < 1.0 and reason == "all answers right":
                    reason = f"answer {i} of {len(items)} is wrong: {why}"
            # A bundle pays only when every answer is right; partial credit is the share right.
            score = 1.0 if all(v == 1.0 for v in scores) else sum(scores) / len(scores)
        if score >= 1.0:
            return Verdict(1.0, "correct")
        if task.metadata.get("partial_credit") and score > 0:
            return Verdict(min(1.0, score), f"partial credit: {reason}")
        return Verdict(0.0, reason)

    def styled_answers(self, task: Task) -> list[str]:
        ref = task.metadata["entry"]["answer"]
        if self.spec["multi_line"]:
            return [f"Some reasoning.\n\n**Answer:**\n{ref}", f"Answer:\n```\n{ref}\n```", f"final answer:\n\n{ref}\n"]
        return [f"Reasoning first.\n**Answer:** {ref}", f"Answer: `{ref}`", f"**Final Answer:** $\\boxed{{{ref}}}$",
                f"answer: {ref}.", f"Answer:\n{ref}"]

    def trivial_replies(self, difficulty: int) -> list[str]:
        k = self.bundle_size(difficulty)
        return [f"Answer: {repeated(c, k)}" for c in ("0", "1", "2", "-1", "yes", "no", "Yes", "No", "True", "False",
                                         "None", "A", "B", "C", "[]", "{}", "0.5", "impossible")]


def register_all() -> None:
    """Register one family per manifest entry (no reasoning_gym import)."""
    from veritas.envs.registry import register

    for name, spec in DATASETS.items():
        cls = type(
            f"ReasoningGym_{name}",
            (ReasoningGymFamily,),
            {
                "name": PREFIX + name,
                "dataset": name,
                "id_offset": spec["index"] * SEEDS_PER_TYPE,
                "excluded": exclusion_reason(name),
                "description": f"reasoning-gym {RG_VERSION} dataset {name!r}"
                + ("" if spec["curriculum"] else " (no curriculum: its defaults at every level)"),
            },
        )
        register(cls)
