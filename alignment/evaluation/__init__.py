"""Evaluation maths shared by the evaluation harness, the reward-model stage and the pipeline report.

* `stats`: intervals over problems (Wilson for proportions, paired differences against a baseline).
"""
