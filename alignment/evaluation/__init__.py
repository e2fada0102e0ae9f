"""Evaluation maths shared by the evaluation harness, the reward-model stage and the pipeline report.

* `stats`: intervals over problems (Wilson for proportions, normal for mean scores, paired differences).
* `ranking`: how well a reward model ranks execution-labelled samples (within-prompt AUC, best-of-n, calibration).
* `passk`: per-problem pass@k and maj@k estimators from n samples.
"""
