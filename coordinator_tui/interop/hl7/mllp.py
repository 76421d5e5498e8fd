"""MLLP framing (HL7 v2 over TCP): <VT> message <FS><CR>.

Our own framing on asyncio rather than python-hl7's server: its reader raises inside the
handler on a frame without the start block and the peer gets no answer (GUIDE 12). Here a
connection survives garbage (dropped up to the next start block), a frame without a start block
(answered by `on_unframed`), a half-sent frame (dropped when the peer goes or after
`idle_seconds`), and one connection's trouble never touches another's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"
END = EB + CR
MAX_FRAME = 2_000_000


def frame(message: str | bytes) -> bytes:
    body = message.encode("utf-8") if isinstance(message, str) else message
    return SB + body + END


class FrameReader:
    """Feed bytes in; take out ("frame", body) for each whole frame and ("unframed", body) for
    bytes that ended with <FS><CR> but never had a start block."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        self.buffer.extend(data)
        out: list[tuple[str, bytes]] = []
        while True:
            end = self.buffer.find(END)
            start = self.buffer.find(SB)
            if end < 0:
                if start > 0:  # garbage before a start block: drop it
                    del self.buffer[:start]
                if len(self.buffer) > MAX_FRAME:
                    self.buffer.clear()
                return out
            if 0 <= start < end:
                out.append(("frame", bytes(self.buffer[start + 1:end])))
            elif self.buffer[:end].strip():
                out.append(("unframed", bytes(self.buffer[:end])))
            del self.buffer[:end + len(END)]


Handler = Callable[[bytes], bytes]


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            handler: Handler, on_unframed: Handler, idle_seconds: float) -> None:
    frames = FrameReader()
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=idle_seconds)
            except TimeoutError:
                return
            if not data:
                return
            for kind, body in frames.feed(data):
                answer = await loop.run_in_executor(
                    None, handler if kind == "frame" else on_unframed, body)
                writer.write(frame(answer))
                await writer.drain()
    except (ConnectionError, OSError):
        return
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def serve(host: str, port: int, handler: Handler, on_unframed: Handler, *,
                idle_seconds: float = 300.0, ready: Callable[[int], None] | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set (or forever). `ready(port)` is called once listening."""
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, handler, on_unframed, idle_seconds), host, port,
        limit=MAX_FRAME)
    async with server:
        if ready is not None:
            ready(server.sockets[0].getsockname()[1])
        if stop is None:
            await server.serve_forever()
        else:
            await stop.wait()


class Client:
    """A blocking MLLP client with timeouts: send one message, wait for its answer."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.frames = FrameReader()
        self.pending: list[bytes] = []

    def send(self, message: str | bytes) -> str:
        self.sock.sendall(frame(message))
        return self.receive()

    def receive(self) -> str:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the receiver closed the connection")
            self.pending.extend(body for kind, body in self.frames.feed(data) if kind == "frame")
        return self.pending.pop(0).decode("utf-8", "replace")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ack_code(answer: str) -> tuple[str, str]:
    """(MSA-1, MSA-3) of an acknowledgement; ("AR", why) when it is not one."""
    for segment in answer.replace("\n", "\r").split("\r"):
        if segment.startswith("MSA"):
            parts = segment.split(segment[3:4] or "|")
            code = parts[1] if len(parts) > 1 else ""
            text = parts[3] if len(parts) > 3 else ""
            if code in ("AA", "AE", "AR", "CA", "CE", "CR"):
                return code, text
    return "AR", "the answer was not an acknowledgement"
