"""The shared sandbox cases (tests/sandbox_cases.py, tests/sandbox_attacks.py) graded through the warm Docker pool,
exactly as test_sandbox_bwrap.py grades them through bwrap: canonical solutions pass and perturbed ones fail; every
hostile program gets a verdict it must get, then the probe passes on the same pool slot, no host canary exists, no
sandbox program is left on the host and the host's loopback listener saw no connection.
`test_docker_and_bwrap_agree` checks that both backends give identical statuses.
"""

from __future__ import annotations

import os

import pytest

from sandbox.api import get_backend, run, run_many
from sandbox.base import Limits
from tests.integration.docker_helpers import docker_or_skip, pool_containers, sandbox_program_pids, wait_for
from tests.sandbox_attacks import ATTACKS
from tests.sandbox_cases import (
    FIDELITY,
    HOST_CANARIES,
    PROBE,
    SECRET_ENV,
    attack_row,
    canonical_pairs,
    one_per_language_and_kind,
)

pytestmark = [pytest.mark.integration, pytest.mark.docker]


@pytest.fixture(scope="module")
def pool():
    docker_or_skip()
    os.environ[SECRET_ENV] = "hunter2"  # in the grader's environment: must never be visible inside
    backend = get_backend("docker", pool_size=1)  # one slot: the probe runs where the attack ran
    yield backend
    backend.close()
    os.environ.pop(SECRET_ENV, None)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack(pool, loopback_listener, attack):
    port, accepted = loopback_listener
    result = run(attack_row(attack, port), pool, Limits(**attack.limits))
    assert result.status.value in attack.expected, f"{attack.why}: got {result.status.value}: {result.detail}"
    assert wait_for(lambda: not sandbox_program_pids()), f"sandbox programs left on the host: {sandbox_program_pids()}"
    assert [p for p in HOST_CANARIES if os.path.lexists(p)] == []
    assert accepted == [], "a sandbox reached the host's loopback"
    probe = run(PROBE, pool)
    assert probe.passed, f"the slot is not clean after {attack.name}: {probe.detail}"
    assert wait_for(lambda: len(pool_containers(pool.client, pool.pool_label)) == 1)


@pytest.mark.parametrize(
    "row,must_pass", one_per_language_and_kind(), ids=lambda v: v["id"] if isinstance(v, dict) else ""
)
def test_canonical_passes_and_perturbed_fails(pool, row, must_pass):
    result = run(row, pool)
    assert result.passed is must_pass, (result.status, result.detail)


@pytest.mark.parametrize("row", FIDELITY, ids=lambda r: r["id"])
def test_harness_fidelity(pool, row):
    """Correct HumanEval/MBPP-style programs pass through the two-process harness unchanged."""
    result = run(row, pool)
    assert result.passed, (result.status, result.detail)


@pytest.mark.slow
def test_whole_task_set_three_times():
    docker_or_skip()
    pairs = canonical_pairs() * 3
    with get_backend("docker", pool_size=2) as backend:
        results = run_many([row for row, _ in pairs], backend, jobs=2)
    wrong = [(row["id"], r.status.value, r.detail[:200]) for (row, ok), r in zip(pairs, results) if r.passed is not ok]
    assert wrong == []


@pytest.mark.slow
@pytest.mark.bwrap
def test_docker_and_bwrap_agree():
    """Identical statuses, not just pass/fail, on one task per (language, test kind), canonical and perturbed."""
    from sandbox.bwrap_backend import bwrap_available

    docker_or_skip()
    if bwrap_available():
        pytest.skip(bwrap_available())
    rows = [row for row, _ in one_per_language_and_kind()]
    with get_backend("bwrap", slots=2) as bwrap:
        bwrap_statuses = [r.status.value for r in run_many(rows, bwrap, jobs=2)]
    with get_backend("docker", pool_size=2) as docker:
        docker_statuses = [r.status.value for r in run_many(rows, docker, jobs=2)]
    assert docker_statuses == bwrap_statuses
