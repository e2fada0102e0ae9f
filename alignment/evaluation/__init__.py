"""Evaluation maths shared by the evaluation harness, the reward-model stage and the pipeline report.

* `stats`: intervals over problems (Wilson for proportions, normal for mean scores, paired differences).
* `passk`: per-problem pass@k and maj@k estimators from n samples.
"""
