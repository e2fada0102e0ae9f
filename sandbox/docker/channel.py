"""Framed JSON over a container's attached stdin/stdout stream.

Requests are written raw to the container's stdin; replies arrive on stdout wrapped in Docker's stream multiplexing
(8-byte header: stream type, 3 zero bytes, big-endian payload size; used whenever the container has no TTY, see the
Engine API "Attach to a container" docs). Inside that, both directions carry frames of a 4-byte big-endian length
followed by UTF-8 JSON, matching `sandbox/guest/docker_supervisor.py`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import time

from sandbox.base import SandboxError

log = logging.getLogger(__name__)

MUX_HEADER_BYTES = 8
STDOUT_STREAM = 1
SEND_TIMEOUT_S = 60.0  # a job's files and stdin reach a live supervisor in well under a second
MAX_FRAME_BYTES = 256 * 1024 * 1024  # a reply holds at most a few capped outputs; more means a corrupt stream


class Channel:
    def __init__(self, sock):
        # docker-py returns a SocketIO wrapper for unix/tcp engines; the raw socket gives us timeouts and sendall.
        self._sock = getattr(sock, "_sock", sock)
        self._raw = bytearray()  # multiplexed bytes not yet demuxed
        self._payload = bytearray()  # demuxed stdout bytes not yet framed

    def send(self, obj: dict) -> None:
        data = json.dumps(obj).encode()
        try:
            self._sock.settimeout(SEND_TIMEOUT_S)  # blocking with a bound (peer_closed leaves it non-blocking)
            self._sock.sendall(struct.pack(">I", len(data)) + data)
        except OSError as exc:
            raise SandboxError(f"lost the sandbox container's stdin: {exc}") from exc

    def recv(self, timeout_s: float) -> dict:
        """The next reply frame; SandboxError when the stream ends or nothing complete arrives in time."""
        deadline = time.monotonic() + timeout_s
        while True:
            frame = self._take_frame()
            if frame is not None:
                return json.loads(frame)
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError(f"sandbox supervisor sent no reply within {timeout_s:.1f} s")
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError as exc:
                raise SandboxError(f"lost the sandbox container's stdout: {exc}") from exc
            if not chunk:
                raise SandboxError("sandbox container's stdout closed (the supervisor exited or was killed)")
            self._raw += chunk
            self._demux()

    def _demux(self) -> None:
        while len(self._raw) >= MUX_HEADER_BYTES:
            stream = self._raw[0]
            (size,) = struct.unpack(">I", self._raw[4:8])
            if len(self._raw) < MUX_HEADER_BYTES + size:
                return
            payload = bytes(self._raw[MUX_HEADER_BYTES : MUX_HEADER_BYTES + size])
            del self._raw[: MUX_HEADER_BYTES + size]
            if stream == STDOUT_STREAM:
                self._payload += payload
            else:
                log.debug("sandbox supervisor stream %d: %r", stream, payload[:200])

    def _take_frame(self) -> bytes | None:
        if len(self._payload) < 4:
            return None
        (size,) = struct.unpack(">I", self._payload[:4])
        if size > MAX_FRAME_BYTES:
            raise SandboxError(f"corrupt sandbox reply stream (frame of {size} bytes)")
        if len(self._payload) < 4 + size:
            return None
        frame = bytes(self._payload[4 : 4 + size])
        del self._payload[: 4 + size]
        return frame

    def peer_closed(self) -> bool:
        """True when the container's end of the stream is gone (container died while idle): a cheap peek."""
        if self._raw or self._payload:
            return False
        try:  # non-blocking mode, not only MSG_DONTWAIT: in timeout mode Python would wait for readability first
            self._sock.setblocking(False)
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError, ValueError):  # no data yet; ValueError: TLS sockets cannot peek
            return False
        except OSError:
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
