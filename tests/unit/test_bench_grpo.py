"""The GRPO benchmark's old-path plumbing: another revision's tree unpacked from git, its telemetry in ours."""

from __future__ import annotations

import subprocess

import pytest

from bench.grpo_profile import ROOT, _from_old_telemetry, original_tree


def test_original_code_telemetry_maps_to_the_step_profile_keys():
    row = {"step": 2, "time/generation_s": 13.0, "time/reward_s": 0.5, "time/training_s": 40.0, "loss": 0.1}
    mapped = _from_old_telemetry(row)
    assert mapped["timing/step_s"] == 53.5
    assert (mapped["timing/generation_s"], mapped["timing/reward_wait_s"]) == (13.0, 0.5)
    assert mapped["loss"] == 0.1
    ours = {"timing/step_s": 9.0, "timing/generation_s": 4.0}
    assert _from_old_telemetry(ours) is ours
    assert "timing/step_s" not in _from_old_telemetry({"step": 1, "loss": 0.0})  # a row without a step split


def test_original_tree_unpacks_a_revision_once(tmp_path):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD~1"], capture_output=True, text=True)
    if head.returncode:
        pytest.skip("needs a clone with at least two commits")
    revision = head.stdout.strip()
    tree = original_tree(tmp_path, revision)
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:alignment/grpo.py"], capture_output=True, text=True, check=True
    ).stdout
    assert (tree / "alignment/grpo.py").read_text() == shown
    (tree / "marker").write_text("kept")
    assert original_tree(tmp_path, revision) == tree and (tree / "marker").exists()  # not unpacked again


def test_a_revision_the_clone_lacks_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="not in this clone.*--original none"):
        original_tree(tmp_path, "0" * 40)
