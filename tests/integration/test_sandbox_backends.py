"""The shared sandbox cases (tests/sandbox_cases.py, tests/sandbox_attacks.py) graded through every backend, one
module parametrised over bwrap and Docker: canonical solutions pass and perturbed ones fail in every language and
test kind; every hostile program gets a verdict it must get, then the probe passes on the same slot, no host canary
exists, nothing of the run is left on the host and the host's loopback listener saw no connection; and both
backends give identical statuses.

Each backend has one slot, so "the next run" always lands where the attack ran (or in its replacement). Needs
bubblewrap and the shared root file system, and/or a Docker engine with the sandbox image; each parameter skips
with its reason when its engine cannot run here.
"""

from __future__ import annotations

import os

import pytest

from bench.fidelity_corpus import corpus_rows
from sandbox.api import get_backend, run, run_many
from sandbox.base import Limits
from tests.integration.sandbox_helpers import (
    assert_bwrap_host_clean,
    docker_or_skip,
    pool_containers,
    sandbox_program_pids,
    wait_for,
)
from tests.sandbox_attacks import ATTACKS
from tests.sandbox_cases import (
    FIDELITY,
    HOST_CANARIES,
    PROBE,
    SECRET_ENV,
    attack_row,
    bwrap_skip_reason,
    canonical_pairs,
    one_per_language_and_kind,
)

pytestmark = pytest.mark.integration
BACKEND_PARAMS = [pytest.param("bwrap", marks=pytest.mark.bwrap), pytest.param("docker", marks=pytest.mark.docker)]


def open_backend(name: str, slots: int = 1):
    """A backend with `slots` slots, or skip with the reason its engine cannot run here."""
    if name == "bwrap":
        reason = bwrap_skip_reason()
        if reason:
            pytest.skip(reason)
        return get_backend("bwrap", slots=slots)
    docker_or_skip()
    return get_backend("docker", pool_size=slots)


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def backend(request):
    os.environ[SECRET_ENV] = "hunter2"  # in the grader's environment: must never be visible inside
    b = open_backend(request.param)  # one slot: the probe after an attack runs where the attack ran
    yield b
    b.close()
    os.environ.pop(SECRET_ENV, None)


def assert_contained(backend) -> None:
    """Nothing of the last run is left on the host, and the host file system is untouched."""
    if backend.name == "bwrap":
        assert_bwrap_host_clean(backend)
    else:
        assert wait_for(lambda: not sandbox_program_pids()), (
            f"sandbox programs left on the host: {sandbox_program_pids()}"
        )
        assert wait_for(lambda: len(pool_containers(backend.client, backend.pool_label)) == 1)
    assert [p for p in HOST_CANARIES if os.path.lexists(p)] == [], "a host canary was created"


@pytest.mark.parametrize(
    "row,must_pass", one_per_language_and_kind(), ids=lambda v: v["id"] if isinstance(v, dict) else ""
)
def test_canonical_passes_and_perturbed_fails(backend, row, must_pass):
    result = run(row, backend)
    assert result.passed is must_pass, (result.status, result.detail)
    if not must_pass:
        assert result.status.value in ("failed", "runtime_error", "compile_error"), result.detail


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack(backend, loopback_listener, attack):
    port, accepted = loopback_listener
    result = run(attack_row(attack, port), backend, Limits(**attack.limits))
    assert result.status.value in attack.expected, f"{attack.why}: got {result.status.value}: {result.detail}"
    assert_contained(backend)
    assert accepted == [], "a sandbox reached the host's loopback"
    probe = run(PROBE, backend)
    assert probe.passed, f"the slot is not clean after {attack.name}: {probe.detail}"


@pytest.mark.parametrize("row", FIDELITY, ids=lambda r: r["id"])
def test_harness_fidelity(backend, row):
    """Correct programs written the way benchmark tests are pass through the harness unchanged."""
    result = run(row, backend)
    assert result.passed, (result.status, result.detail)


@pytest.mark.parametrize("pattern,row,must_pass", corpus_rows(), ids=lambda v: v["id"] if isinstance(v, dict) else "")
def test_fidelity_corpus(backend, pattern, row, must_pass):
    """bench/fidelity_corpus.py: every language and test style, correct programs pass and wrong ones fail."""
    result = run(row, backend)
    assert result.passed is must_pass, (pattern, result.status, result.detail)
    assert result.judged


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKEND_PARAMS)
def test_whole_task_set_three_times(name):
    pairs = canonical_pairs() * 3
    with open_backend(name, slots=2) as two:
        results = run_many([row for row, _ in pairs], two, jobs=2)
    wrong = [(row["id"], r.status.value, r.detail[:200]) for (row, ok), r in zip(pairs, results) if r.passed is not ok]
    assert wrong == []


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.docker
def test_backends_agree():
    """Identical statuses, not just pass/fail, on one task per (language, test kind), canonical and perturbed."""
    rows = [row for row, _ in one_per_language_and_kind()]
    statuses = {}
    for name in ("bwrap", "docker"):
        with open_backend(name, slots=2) as b:
            statuses[name] = [r.status.value for r in run_many(rows, b, jobs=2)]
    assert statuses["docker"] == statuses["bwrap"]
