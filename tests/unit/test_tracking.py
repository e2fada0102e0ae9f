"""Tracking switches and the run's own JSONL log (rank 0 only, truncated on resume, tolerant of torn lines)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from transformers import TrainerControl, TrainerState

from alignment.run.tracking import (
    COMPLETIONS_NAME,
    METRICS_NAME,
    RecordArguments,
    RunLogCallback,
    read_jsonl,
    reports_to,
    resolve_wandb_mode,
    truncate_metrics,
    write_completions_table,
)


def test_auto_mode_is_offline_without_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_wandb_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert resolve_wandb_mode("auto") == "online"
    assert resolve_wandb_mode("disabled") == "disabled"


def test_negative_table_period_is_a_recipe_problem():
    [problem] = RecordArguments(completions_table_every_n_steps=-1).problems()
    assert "`completions_table_every_n_steps` is -1" in problem and "0 disables" in problem
    assert RecordArguments(completions_table_every_n_steps=0).problems() == []


@pytest.mark.parametrize(
    "report_to,expected", [(["wandb"], True), ("wandb", True), (["tensorboard"], False), ([], False), (None, False)]
)
def test_reports_to(report_to, expected):
    assert reports_to(SimpleNamespace(report_to=report_to), "wandb") is expected


def _state(step: int, world_zero: bool) -> TrainerState:
    state = TrainerState()
    state.global_step = step
    state.is_world_process_zero = world_zero
    return state


def test_only_world_rank_zero_writes(tmp_path):
    callback = RunLogCallback(tmp_path)
    callback.on_log(None, _state(1, world_zero=False), TrainerControl(), logs={"loss": 1.0})
    assert not (tmp_path / METRICS_NAME).exists()
    callback.on_log(None, _state(1, world_zero=True), TrainerControl(), logs={"loss": 1.0})
    assert read_jsonl(tmp_path / METRICS_NAME) == [{"step": 1, "loss": 1.0}]


def test_resume_drops_rows_logged_after_the_checkpoint(tmp_path):
    callback = RunLogCallback(tmp_path)
    for step in (1, 2, 3, 4):  # the killed run logged steps 3 and 4 after checkpoint-2
        callback.on_log(None, _state(step, True), TrainerControl(), logs={"reward": float(step)})
    write_completions_table(tmp_path, 3, [{"prompt": "p"}], SimpleNamespace(report_to=[]))
    callback.on_train_begin(None, _state(2, True), TrainerControl())
    assert [row["step"] for row in read_jsonl(tmp_path / METRICS_NAME)] == [1, 2]
    assert read_jsonl(tmp_path / COMPLETIONS_NAME) == []


def test_torn_last_line_is_skipped(tmp_path):
    path = tmp_path / METRICS_NAME
    path.write_text(json.dumps({"step": 1}) + "\n" + '{"step": 2, "rew')
    assert read_jsonl(path) == [{"step": 1}]
    truncate_metrics(path, last_step=5)
    assert path.read_text() == '{"step": 1}\n'


def test_completions_table_appends_rows_with_step(tmp_path):
    args = SimpleNamespace(report_to=[])
    rows = [{"prompt": "p", "completion": "c", "exec": 1.0, "advantage": 0.5}]
    write_completions_table(tmp_path, 3, rows, args)
    write_completions_table(tmp_path, 6, rows, args)
    assert [row["step"] for row in read_jsonl(tmp_path / COMPLETIONS_NAME)] == [3, 6]


def test_completions_table_in_tensorboard(tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", str(tmp_path / "tb"))
    rows = [{"prompt": "a|b", "completion": "x\ny", "exec": 0.0, "advantage": -1.0}]
    write_completions_table(tmp_path, 7, rows, SimpleNamespace(report_to=["tensorboard"]))
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"tensors": 0}).Reload()
    [event] = events.Tensors("completions/text_summary")
    text = event.tensor_proto.string_val[0].decode()
    assert event.step == 7 and "a\\|b" in text and "x\\ny" in text
