"""Host side of the Docker sandbox without an engine: stream demuxing and framing, job encoding and its input
errors, the recycle rule, and the hardening options every container is created with."""

from __future__ import annotations

import json
import socket
import struct
import threading

import pytest

from sandbox.base import File, Job, Limits, SandboxError, Step, StepResult
from sandbox.docker.channel import Channel
from sandbox.docker.container import Sandbox, job_payload, needs_recycle


def mux(stream: int, payload: bytes) -> bytes:
    """One frame of Docker's attach multiplexing: stream type, 3 zero bytes, big-endian size."""
    return bytes([stream, 0, 0, 0]) + struct.pack(">I", len(payload)) + payload


def framed(obj: dict) -> bytes:
    data = json.dumps(obj).encode()
    return struct.pack(">I", len(data)) + data


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield Channel(ours), theirs
    ours.close()
    theirs.close()


def test_reply_split_across_mux_frames_and_chunks_is_reassembled(pair):
    channel, peer = pair
    data = framed({"ok": True, "n": 1}) + framed({"ok": True, "n": 2})
    stream = mux(1, data[:5]) + mux(2, b"supervisor log line") + mux(1, data[5:])

    def send_slowly():
        for i in range(0, len(stream), 7):  # 7-byte chunks cut through every header
            peer.sendall(stream[i : i + 7])

    sender = threading.Thread(target=send_slowly)
    sender.start()
    assert channel.recv(timeout_s=5) == {"ok": True, "n": 1}
    assert channel.recv(timeout_s=5) == {"ok": True, "n": 2}
    sender.join()


def test_request_is_one_length_prefixed_json_frame(pair):
    channel, peer = pair
    channel.send({"op": "ping"})
    header = peer.recv(4)
    (size,) = struct.unpack(">I", header)
    assert json.loads(peer.recv(size)) == {"op": "ping"}


def test_closed_stream_is_a_sandbox_error(pair):
    channel, peer = pair
    peer.sendall(mux(1, framed({"ok": True})[:3]))
    peer.close()
    with pytest.raises(SandboxError, match="stdout closed"):
        channel.recv(timeout_s=5)


def test_silent_supervisor_is_a_sandbox_error_after_the_deadline(pair):
    channel, _ = pair
    with pytest.raises(SandboxError, match="no reply within 0.2 s"):
        channel.recv(timeout_s=0.2)


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../escape.py", "a/../../b", "", "nul\0byte"],  # absolute, parent refs, empty, NUL: all refused
)
def test_file_paths_outside_the_work_dir_are_rejected(path):
    job = Job(steps=(Step(argv=("true",), files=(File(path, b""),)),))
    with pytest.raises(ValueError, match="relative to the work dir"):
        job_payload(job)


def test_empty_argv_is_rejected_with_the_step_name():
    with pytest.raises(ValueError, match="step 'compile' has an empty argv"):
        job_payload(Job(steps=(Step(argv=(), name="compile"),)))


def test_payload_carries_bytes_as_base64_and_the_scrubbed_environment():
    step = Step(argv=("python3", "x.py"), stdin=b"\x00\xff", files=(File("x.py", b"print(1)", executable=True),))
    payload = job_payload(Job(steps=(step,)))
    assert payload["steps"][0]["stdin"] == "AP8="
    assert payload["steps"][0]["files"][0] == {"path": "x.py", "content": "cHJpbnQoMSk=", "readonly": True,
                                               "executable": True}  # fmt: skip
    assert set(payload["env"]) == {"PATH", "HOME", "TMPDIR", "LANG"}


def _result(**flags) -> StepResult:
    return StepResult(name="run", exit_code=0, **flags)


@pytest.mark.parametrize(
    ("reply", "results", "recycle"),
    [
        ({"dirty": [], "leftovers": 0}, [_result()], False),  # clean run: the container is reused
        ({"dirty": [], "leftovers": 0}, [StepResult(name="run", exit_code=1)], False),  # a failing test is no anomaly
        ({"dirty": ["/tmp not empty"], "leftovers": 0}, [_result()], True),  # reset could not verify
        ({"dirty": [], "leftovers": 2}, [_result()], True),  # a daemon outlived its step
        ({"dirty": [], "leftovers": 0}, [_result(timed_out=True)], True),  # timeout
        ({"dirty": [], "leftovers": 0}, [_result(oom_killed=True)], True),  # OOM kill
        ({"dirty": [], "leftovers": 0}, [_result(output_truncated=True)], True),  # output flood
    ],
)
def test_recycle_rule(reply, results, recycle):
    assert bool(needs_recycle(reply, results)) is recycle


def test_containers_are_created_hardened():
    config = Sandbox._config(Limits(memory_mb=256, pids=64, cpus=0.5, workdir_mb=16), pool_label="p")
    assert config["network_mode"] == "none"
    assert config["mem_limit"] == config["memswap_limit"] == "304m"  # 256 MB + the supervisor's 48 MB
    assert config["pids_limit"] == 68 and config["nano_cpus"] == 500_000_000
    assert config["read_only"] is True
    assert config["cap_drop"] == ["ALL"] and config["cap_add"] == ["SETUID", "SETGID", "KILL"]
    assert config["security_opt"] == ["no-new-privileges"]
    assert "size=16m" in config["tmpfs"]["/work"] and "nr_inodes=" in config["tmpfs"]["/tmp"]
    assert "privileged" not in config and "volumes" not in config and "mounts" not in config


def test_peer_closed_tells_a_dead_container_from_an_idle_one(pair):
    channel, peer = pair
    assert channel.peer_closed() is False  # idle: nothing to read, but open
    channel.send({"op": "ping"})  # the peek left the socket usable for a blocking send
    peer.sendall(mux(1, framed({"ok": True})))
    assert channel.peer_closed() is False  # data waiting is no EOF
    assert channel.recv(timeout_s=5) == {"ok": True}
    peer.close()
    assert channel.peer_closed() is True
