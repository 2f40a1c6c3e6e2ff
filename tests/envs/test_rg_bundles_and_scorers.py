"""rg.* answer shaping: bundles of K reasoning-gym items for few-valued answers (bundle.py), the
manifest tables that choose them (build_manifest.answer_shape), and our own scorers that replace
reasoning-gym's eval-based or loose ones (exact_scorers.py). Real reasoning-gym items throughout."""

from __future__ import annotations

import time

import pytest

from veritas.envs import Task, generate, get_family, verify
from veritas.envs.reasoning_gym import EVALS_MODEL_TEXT
from veritas.envs.reasoning_gym.build_manifest import BUNDLE_TO, MAX_BUNDLE, THIN_TO, _balance_target, bundle_size
from veritas.envs.reasoning_gym.bundle import bundle_answer, repeated, split_answers
from veritas.envs.reasoning_gym.manifest import DATASETS

BUNDLED = "rg.syllogism"  # Yes/No answers, 78% Yes in reasoning-gym


def _items(task: Task) -> list[str]:
    return [e["answer"] for e in task.metadata["items"]]


def _other_class(answer: str) -> str:
    return {"Yes": "No", "No": "Yes"}[answer]


def test_bundled_tasks_are_pure_functions_of_their_id_and_survive_json():
    for level in range(1, 6):
        k = get_family(BUNDLED).bundle_size(level)
        assert k == DATASETS["syllogism"]["bundle"][str(level)] > 1
        for seed in range(4):
            task = generate(BUNDLED, seed, level)
            assert task == generate(BUNDLED, seed, level)
            again = Task.from_json(task.to_json())
            assert again == task
            assert len(task.metadata["items"]) == k
            assert task.answer == "Answer: " + bundle_answer(_items(task))
            assert verify(again, task.answer).score == 1.0
            assert f"Question {k}:" in task.prompt and "separated by `;`" in task.prompt.rsplit("\n", 1)[-1]
            for styled in get_family(BUNDLED).styled_answers(task):
                assert verify(task, styled).score == 1.0, styled


def test_each_wrong_item_makes_the_bundle_score_zero():
    task = generate(BUNDLED, 7, 3)
    answers = _items(task)
    for i in range(len(answers)):
        wrong = answers[:i] + [_other_class(answers[i])] + answers[i + 1:]
        verdict = verify(task, "Answer: " + bundle_answer(wrong))
        assert verdict.score == 0.0 and f"answer {i + 1} of" in verdict.reason


def test_partial_credit_on_a_bundle_is_the_share_right():
    task = generate(BUNDLED, 7, 3)
    answers = _items(task)
    wrong = [_other_class(answers[0])] + answers[1:]
    partial = Task.from_dict({**task.to_dict(), "metadata": {**task.metadata, "partial_credit": True}})
    assert verify(partial, "Answer: " + bundle_answer(wrong)).score == pytest.approx((len(answers) - 1) / len(answers))
    assert verify(task, "Answer: " + bundle_answer(wrong)).score == 0.0


def test_malformed_bundle_replies_score_zero():
    task = generate(BUNDLED, 3, 2)
    answers = _items(task)
    for reply in ("Answer: " + bundle_answer(answers[:-1]),          # one answer missing
                  "Answer: " + bundle_answer(answers + ["Yes"]),     # one too many
                  "Answer: " + bundle_answer(answers[:-1] + [""]),   # an empty one
                  "Answer: Yes No " * 20,                            # no separators
                  "Answer: " + "; ".join(["Yes No"] * len(answers)),  # both classes in every slot
                  "Answer: " + ";" * 5000, ""):
        verdict = verify(task, reply)
        assert verdict.score == 0.0 and not verdict.reason.startswith("verifier error"), reply[:60]


def test_constant_bundles_rarely_score():
    tasks = [generate(BUNDLED, seed, seed % 5 + 1) for seed in range(150)]
    for cls in ("Yes", "No"):
        hits = sum(verify(t, "Answer: " + repeated(cls, len(t.metadata["items"]))).score == 1.0 for t in tasks)
        assert hits / len(tasks) <= 0.04, (cls, hits)
    # The family's trivial replies are the bundle-sized constants at each level.
    assert "Answer: " + repeated("Yes", get_family(BUNDLED).bundle_size(2)) in get_family(BUNDLED).trivial_replies(2)


def test_split_answers():
    assert split_answers("a; b ;c", 3) == ["a", "b", "c"]
    assert split_answers("a; b", 3) is None
    assert split_answers("a;;c", 3) is None


def test_bundle_size_meets_the_target_and_thinning_is_preferred_where_it_suffices():
    # Many answers, none dominant: thinning alone (no bundle).
    assert _balance_target([0.01] * 100) == THIN_TO and bundle_size(THIN_TO) == 1
    # Yes/No at 78/22: balanced by thinning, then a bundle with b^K <= BUNDLE_TO.
    target = _balance_target([0.78, 0.22])
    k = bundle_size(target)
    assert 1 < k <= MAX_BUNDLE and target ** k <= BUNDLE_TO and target < 0.78


def test_every_bundled_dataset_has_single_line_answers():
    for name, spec in DATASETS.items():
        if spec.get("bundle"):
            assert not spec["multi_line"], name
            assert all(2 <= int(k) <= MAX_BUNDLE for k in spec["bundle"].values()), name


# --- our own scorers --------------------------------------------------------------------------

OWN = ["rg.spiral_matrix", "rg.binary_matrix", "rg.string_insertion", "rg.n_queens", "rg.power_function",
       "rg.gsm_symbolic", "rg.coin_flip", "rg.game_of_life_halting"]
EVIL = ["__import__('os').system('true')", "[i for i in range(10**9)]", "eval('1')", "lambda: 0"]


def test_no_scorer_of_ours_is_listed_as_evaluating_model_text():
    assert not EVALS_MODEL_TEXT & {t[3:] for t in OWN}


@pytest.mark.parametrize("task_type", OWN)
def test_own_scorer_takes_the_reference_and_refuses_junk(task_type):
    task = generate(task_type, 2, 1)
    assert verify(Task.from_json(task.to_json()), task.answer).score == 1.0
    ref = task.metadata["entry"]["answer"]
    others = {generate(task_type, s, 1).metadata["entry"]["answer"] for s in range(3, 9)} - {ref}
    stuffed = " ".join(sorted(others | {ref})).replace("\n", " ")
    for reply in ["", "Answer:", "Answer: " + stuffed, *("Answer: " + e for e in EVIL),
                  *("Answer: " + o.replace("\n", " ") if "\n" not in ref else "Answer:\n" + o for o in others)]:
        verdict = verify(task, reply)
        assert verdict.score == 0.0 and not verdict.reason.startswith("verifier error"), reply[:80]
    for reply in ("Answer: " + "9" * 999_000, "x" * 999_000 + "\n" + task.answer, "Answer: 1 " * 99_000):
        t0 = time.perf_counter()
        verdict = verify(task, reply)
        assert time.perf_counter() - t0 < 0.05
        assert not verdict.reason.startswith("verifier error")


def test_grids_compare_spacing_free():
    task = generate("rg.binary_matrix", 4, 1)
    ref = task.metadata["entry"]["answer"]
    assert verify(task, "Answer:\n" + "\n".join("  ".join(line.split()) + "  " for line in ref.splitlines())).score == 1.0
    flat = ref.replace("\n", " ")
    if "\n" in ref:
        assert verify(task, "Answer:\n" + flat).score == 0.0  # the rows must stay rows


def test_power_function_wants_three_significant_figures_or_the_full_value():
    task = generate("rg.power_function", 5, 1)
    ref = float(task.metadata["entry"]["answer"])
    assert verify(task, f"Answer: {ref:.2e}").score == 1.0
    assert verify(task, f"Answer: {ref * (1 + 1e-7)!r}").score == 0.0  # agrees in 3 digits, not asked
    assert verify(task, f"Answer: {ref * 1.02:.2e}").score == 0.0


def test_gsm_symbolic_takes_one_number():
    task = generate("rg.gsm_symbolic", 1, 1)
    ref = task.metadata["entry"]["answer"]
    assert verify(task, f"Answer: {ref}").score == 1.0
    assert verify(task, f"Answer: {ref} or 7").score == 0.0
    assert verify(task, f"Answer: {ref} apples").score == 0.0


def test_coin_flip_is_exact_not_within_an_absolute_tolerance():
    task = generate("rg.coin_flip", 1, 5)
    ref = float(task.metadata["entry"]["answer"])
    assert verify(task, f"Answer: {ref!r}").score == 1.0
    assert verify(task, f"Answer: {ref + 5e-5!r}").score == 0.0
    assert verify(task, "Answer: 1/0").score == 0.0


def test_game_of_life_halting_is_true_or_false():
    task = generate("rg.game_of_life_halting", 1, 1)
    items = task.metadata.get("items") or [task.metadata["entry"]]
    flipped = ["False" if e["answer"] == "True" else "True" for e in items]
    assert verify(task, "Answer: " + bundle_answer(flipped)).score == 0.0
    assert verify(task, "Answer: " + repeated("0", len(items))).score == 0.0


def test_audit_probes_reach_into_bundles():
    from veritas.envs.reasoning_gym.audit import _bumped, _item_answers, _plus_one

    task = generate("rg.gcd", 11, 3)  # numeric answers, bundled at level 3
    answers = _item_answers(task)
    assert len(answers) == get_family("rg.gcd").bundle_size(3) > 1
    bumped = _bumped(task)
    assert split_answers(bumped, len(answers)) == [str(int(answers[0]) + 1)] + answers[1:]
    assert verify(task, "Answer: " + bumped).score == 0.0
    assert _plus_one("8.094556890501688e+20") is None  # + 1 is the same float: not a wrong answer
