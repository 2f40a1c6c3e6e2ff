"""Adaptive difficulty: levels per task type steered by live pass rates inside verl 0.9.1.

    controller  the decision rule (pure; hysteresis)            docs/curriculum.md
    schedule    the dataset side: decisions at batch boundaries, the decision log, state_dict
    hub         the named Ray actor that collects reports and per-step metrics
    reporter    the reward side: buffered, non-blocking reports from compute_score
    sampler     verl's custom sampler hook that logs the per-step curriculum metrics
    simulate    a simulated learner through the controller (docs figure)
"""
