"""Evaluation maths shared by the evaluation harness, the reward-model stage and the pipeline report.

* `stats`: intervals over problems (Wilson for proportions, paired differences against a baseline).
* `ranking`: how well a reward model ranks execution-labelled samples (within-prompt AUC, best-of-n, calibration).
"""
