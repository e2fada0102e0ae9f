"""Dynamic sampling in a two-process run (DeepSpeed ZeRO-2 over gloo on CPU, through `accelerate launch`): every
rank runs the same refill rounds, trains on the same number of groups, all with reward spread, and the replicas
agree."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.integration.run_helpers import ROOT, stage_env

pytestmark = [pytest.mark.integration, pytest.mark.distributed, pytest.mark.slow]


def test_two_processes_stay_in_step_with_dynamic_sampling(tmp_path):
    from alignment.model.tiny import build_tiny_model

    model = build_tiny_model(tmp_path / "policy", hidden_size=32, num_layers=2, num_heads=2)
    out = tmp_path / "run"
    command = [
        shutil.which("accelerate") or "accelerate", "launch",
        "--config_file", str(ROOT / "configs/accelerate/cpu_zero2.yaml"),
        str(ROOT / "tests/integration/dynamic_sampling_run.py"), str(model), str(out),
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]

    assert [r["steps"] for r in ranks] == [3, 3]
    assert ranks[0]["rounds"] == ranks[1]["rounds"], "the ranks ran different numbers of refill rounds"
    assert any(n > 1 for n in ranks[0]["rounds"]), "no step needed a refill: the test exercises nothing"
    for rank in ranks:
        assert len(rank["batches"]) == 3
        for batch in rank["batches"]:
            assert batch["rows"] == 8 and len(batch["spread"]) == 2  # 2 groups of 4 per rank and step
            assert all(batch["spread"]), "a group without reward spread was trained on"
    assert ranks[0]["dropped"] == ranks[1]["dropped"] and sum(ranks[0]["dropped"]) > 0
    assert ranks[0]["weights"] == ranks[1]["weights"], "the replicas diverged"
