"""Adaptive difficulty: levels per task type steered by live pass rates inside verl 0.9.1.

    controller  the decision rule (pure; hysteresis)            docs/curriculum.md
    schedule    the dataset side: decisions at batch boundaries, the decision log, state_dict
    hub         the named Ray actor that collects reports and per-step metrics
    reporter    the reward side: buffered, non-blocking reports from compute_score
    sampler     verl's custom sampler hook that logs the per-step curriculum metrics
    simulate    a simulated learner through the controller (docs figure)
"""

import logging
import sys

# Decisions, fallbacks and resumes must reach the run's log in verl's processes (Ray workers whose
# root logger shows WARNING only): the package logger gets its own stderr handler at INFO.
_logger = logging.getLogger(__name__)
if not _logger.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(logging.INFO)
    _logger.propagate = False
