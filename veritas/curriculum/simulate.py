"""A simulated learner through the adaptive controller (the figure in docs/curriculum.md).

    python -m veritas.curriculum.simulate [--steps 400] [--png docs/curriculum-sim.png]

The learner has one skill per task type. A reply at level L passes with probability
sigmoid(SLOPE * (skill - L)); skill grows with practice, by LEARN_RATE * p * (1 - p) per reply:
a GRPO learner learns from groups whose replies disagree, and nothing from groups that all pass
or all fail. Each step draws PROMPTS prompts per type at the type's current level, N replies each;
the controller sees the step's counts before the next step's batch is drawn (one step of lag, as
in verl's synchronous trainer). The same run with a fixed level (the mix's start level) shows what
the curriculum buys: fewer all-equal groups, faster skill growth.
"""

from __future__ import annotations

import argparse
import math
import os
import random
from dataclasses import dataclass, field

from veritas.curriculum.controller import MAX_PATIENCE, Band, Controller

SLOPE = 1.6
LEARN_RATE = 0.0006
PROMPTS = 8
N = 8
TYPES = {"easy_type": 2.0, "medium_type": 1.4, "hard_type": 0.8}  # starting skill


def pass_probability(skill: float, level: int, slope: float = SLOPE) -> float:
    return 1.0 / (1.0 + math.exp(-slope * (skill - level)))


@dataclass
class Trace:
    levels: dict[str, list[int]] = field(default_factory=dict)
    pass_rates: dict[str, list[float]] = field(default_factory=dict)
    skills: dict[str, list[float]] = field(default_factory=dict)
    all_equal: list[float] = field(default_factory=list)

    def reversals(self, task_type: str) -> int:
        """Direction changes of the level (up then down, or down then up)."""
        moves = [b - a for a, b in zip(self.levels[task_type], self.levels[task_type][1:]) if b != a]
        return sum(1 for a, b in zip(moves, moves[1:]) if (a > 0) != (b > 0))


def simulate(steps: int = 400, seed: int = 0, adaptive: bool = True, band: Band = Band(0.3, 0.7, 1, 256),
             max_patience: int = MAX_PATIENCE, slope: float = SLOPE) -> Trace:
    """`slope` 2.5 makes a steep learner: adjacent levels then differ so much (0.78 vs 0.22 pass
    rate half-way between them) that no level is inside the band for a while; that is where the
    promotion patience keeps the level from flipping."""
    rng = random.Random(seed)
    controller = Controller({t: band for t in TYPES}, max_patience=max_patience)
    skills = dict(TYPES)
    trace = Trace({t: [] for t in TYPES}, {t: [] for t in TYPES}, {t: [] for t in TYPES})
    for _ in range(steps):
        controller.decide()  # the batch boundary: levels for this step's items
        levels = controller.levels if adaptive else {t: band.start for t in TYPES}
        groups = equal = 0
        for task_type, level in levels.items():
            p = pass_probability(skills[task_type], level, slope)
            passes = 0
            for _ in range(PROMPTS):
                got = sum(rng.random() < p for _ in range(N))
                passes += got
                groups += 1
                equal += got in (0, N)
            controller.observe(task_type, level, PROMPTS * N, passes)
            skills[task_type] += LEARN_RATE * PROMPTS * N * p * (1 - p)
            trace.levels[task_type].append(level)
            trace.pass_rates[task_type].append(passes / (PROMPTS * N))
            trace.skills[task_type].append(skills[task_type])
        trace.all_equal.append(equal / groups)
    return trace


def _rolling(values: list[float], width: int) -> list[float]:
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= width:
            acc -= values[i - width]
        out.append(acc / min(i + 1, width))
    return out


def plot(adaptive: Trace, fixed: Trace, band: Band, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(7, 7.5), sharex=True)
    for task_type in TYPES:
        line, = axes[0].step(range(len(adaptive.levels[task_type])), adaptive.levels[task_type], where="post",
                             label=task_type)
        axes[0].plot(adaptive.skills[task_type], color=line.get_color(), linestyle=":", linewidth=1)
        axes[1].plot(_rolling(adaptive.pass_rates[task_type], 4), color=line.get_color(), linewidth=1)
    axes[0].set_ylabel("level (dotted: skill)")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].axhspan(band.low, band.high, color="#cccccc", alpha=0.5, label="target band")
    axes[1].set_ylabel("pass rate (4-step mean)")
    axes[1].set_ylim(0, 1)
    axes[1].legend(loc="lower right", fontsize=8)
    axes[2].plot(_rolling(adaptive.all_equal, 10), label="adaptive")
    axes[2].plot(_rolling(fixed.all_equal, 10), label=f"fixed level {band.start}")
    axes[2].set_ylabel("all-equal groups")
    axes[2].set_ylim(0, 1)
    axes[2].set_xlabel("training step")
    axes[2].legend(loc="upper left", fontsize=8)
    fig.suptitle("simulated learner through the adaptive controller", fontsize=10)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    fig.savefig(tmp, format="png", dpi=60, bbox_inches="tight")  # small: it is committed in docs/
    os.replace(tmp, path)
    plt.close(fig)


def summary(trace: Trace, band: Band, skip: int = 50) -> dict:
    out = {}
    for task_type in TYPES:
        rates = _rolling(trace.pass_rates[task_type], 4)[skip:]
        out[task_type] = {
            "start_level": trace.levels[task_type][0], "final_level": trace.levels[task_type][-1],
            "reversals": trace.reversals(task_type),
            "in_band": sum(band.low <= r <= band.high for r in rates) / len(rates),
        }
    out["all_equal_mean"] = sum(trace.all_equal) / len(trace.all_equal)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--png", default=None, help="write the figure here")
    args = ap.parse_args(argv)
    band = Band(0.3, 0.7, 1, 256)
    adaptive = simulate(args.steps, args.seed, True, band)
    fixed = simulate(args.steps, args.seed, False, band)
    no_hysteresis = simulate(args.steps, args.seed, True, band, max_patience=1)
    print("adaptive     ", summary(adaptive, band))
    print("patience off ", summary(no_hysteresis, band))
    print("fixed level  ", summary(fixed, band))
    steep = {"patience on": simulate(args.steps, args.seed, True, band, slope=2.5),
             "patience off": simulate(args.steps, args.seed, True, band, max_patience=1, slope=2.5)}
    for label, trace in steep.items():
        print(f"steep learner, {label}: level reversals per type",
              {t: trace.reversals(t) for t in TYPES})
    if args.png:
        plot(adaptive, fixed, band, args.png)
        print(f"figure: {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
