"""What the stages check in the world before a model loads: model references, the output directory, the sandbox."""

import shutil

import pytest

from alignment.model.loading import GGUF_MAGIC, model_reference_problem, resolve_model_path
from alignment.run.inputs import output_dir_problems, sandbox_problems


def test_output_dir_that_can_be_made_is_fine_and_is_not_made(tmp_path):
    assert output_dir_problems(str(tmp_path / "a" / "b")) == []
    assert not (tmp_path / "a").exists()  # checking creates nothing
    assert output_dir_problems(str(tmp_path)) == []


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "file", "is a file, not a directory"),  # the output path itself is a file
        (lambda d: d / "file" / "run", "cannot be created: "),  # ... or a parent of it is
        (
            lambda d: "/sys/codealign-run",
            "is not writable (/sys: permission denied)",
        ),  # sysfs refuses files, even root
    ],
)
def test_output_dir_problems(tmp_path, make, problem):
    (tmp_path / "file").write_text("x")
    problems = output_dir_problems(str(make(tmp_path)))
    assert len(problems) == 1 and problem in problems[0], problems


def test_model_references_are_checked_without_loading(tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    (tmp_path / "real.gguf").write_bytes(GGUF_MAGIC + b"\x03\x00\x00\x00")
    (tmp_path / "fake.gguf").write_bytes(b"<html>not found</html>")  # a download that went wrong
    (tmp_path / "weights.bin").write_bytes(b"\0")
    assert model_reference_problem(str(tmp_path / "ckpt")) is None
    assert model_reference_problem(str(tmp_path / "real.gguf")) is None
    assert model_reference_problem("deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct") is None  # hub id: form only
    assert "has no config.json" in model_reference_problem(str(tmp_path / "empty"))
    assert "is not a GGUF file (it starts with b'<htm'" in model_reference_problem(str(tmp_path / "fake.gguf"))
    assert "is a file, not a checkpoint directory" in model_reference_problem(str(tmp_path / "weights.bin"))
    assert "no model given" in model_reference_problem("")
    with pytest.raises(FileNotFoundError, match="is not a GGUF file"):
        resolve_model_path(str(tmp_path / "fake.gguf"))  # the loader gives the same message


def test_a_docker_engine_that_is_down_is_named(monkeypatch):
    pytest.importorskip("docker", reason="the docker extra is not installed")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/codealign.sock")
    problems = sandbox_problems("docker")
    assert len(problems) == 1 and problems[0].startswith("`sandbox_backend: docker` cannot start: Docker engine")


def test_a_missing_bwrap_root_filesystem_is_named(monkeypatch):
    monkeypatch.setenv("CODEALIGN_SANDBOX_ROOTFS", "/nonexistent/rootfs")
    problems = sandbox_problems("bwrap")
    assert len(problems) == 1 and problems[0].startswith("`sandbox_backend: bwrap` cannot start:")


@pytest.mark.bwrap
def test_a_working_bwrap_backend_passes_the_probe():
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    assert sandbox_problems("bwrap") == []
