"""MLLP framing (HL7 v2 over TCP): <VT> message <FS><CR>.

Our own framing on asyncio rather than python-hl7's server: its reader raises inside the
handler on a frame without the start block and the peer gets no answer (GUIDE 12). Here a
connection survives garbage (dropped up to the next start block), a frame without a start block
(answered by `on_unframed`), a half-sent frame (dropped when the peer goes or after
`idle_seconds`), and one connection's trouble never touches another's.

Group commit (`serve(..., group=...)`): every connection hands its frames, in order, to one
writer; the frames waiting when it is free go to `group` together (applied in one transaction,
services/exchange/hl7_group.py) and each ACK is written back only when `group` returned, that
is after the commit. A lone frame is a group of one; nothing waits to fill a group.
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
GroupHandler = Callable[[list[bytes]], list[str]]
MAX_GROUP = 64


class GroupWriter:
    """One writer for every connection: frames queue in arrival order; each turn takes all
    that wait (up to MAX_GROUP) to `group` in a worker thread, then answers them."""

    def __init__(self, group: GroupHandler):
        self.group = group
        self.queue: asyncio.Queue = asyncio.Queue()

    def submit(self, body: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((body, future))
        return future

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            while len(items) < MAX_GROUP and not self.queue.empty():
                items.append(self.queue.get_nowait())
            try:
                answers = await loop.run_in_executor(None, self.group, [b for b, _ in items])
            except Exception as exc:  # noqa: BLE001 (the handler promises not to; stay up anyway)
                answers = [exc] * len(items)
            for (_, future), answer in zip(items, answers, strict=False):
                if not future.done():
                    if isinstance(answer, Exception):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)


async def _answers(frames: list[tuple[str, bytes]], handler: Handler, on_unframed: Handler,
                   groups: GroupWriter | None):
    """Each frame's answer, in order, as soon as it is ready."""
    loop = asyncio.get_running_loop()
    if groups is None:
        for kind, body in frames:
            yield await loop.run_in_executor(None, handler if kind == "frame" else on_unframed, body)
        return
    # Every frame of this read is queued before the first answer is awaited: a pipelining
    # sender's frames share a group, still applied (and answered) in the order they came.
    pending = [groups.submit(body) if kind == "frame" else on_unframed(body) for kind, body in frames]
    for item in pending:
        yield await item if isinstance(item, asyncio.Future) else item


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            handler: Handler, on_unframed: Handler, idle_seconds: float,
                            groups: GroupWriter | None = None) -> None:
    frames = FrameReader()
    try:
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), timeout=idle_seconds)
            except TimeoutError:
                return
            if not data:
                return
            async for answer in _answers(frames.feed(data), handler, on_unframed, groups):
                writer.write(frame(answer))
                await writer.drain()
    except (ConnectionError, OSError):
        return
    except Exception:  # noqa: BLE001 (a handler failed: drop this connection, never a traceback)
        return
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def serve(host: str, port: int, handler: Handler, on_unframed: Handler, *,
                idle_seconds: float = 300.0, ready: Callable[[int], None] | None = None,
                stop: asyncio.Event | None = None, group: GroupHandler | None = None) -> None:
    """Serve until `stop` is set (or forever). `ready(port)` is called once listening. With
    `group`, frames are applied by one group-committing writer (see the top of this module)."""
    groups = GroupWriter(group) if group is not None else None
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, handler, on_unframed, idle_seconds, groups), host, port,
        limit=MAX_FRAME)
    writer_task = asyncio.create_task(groups.run()) if groups is not None else None
    try:
        async with server:
            if ready is not None:
                ready(server.sockets[0].getsockname()[1])
            if stop is None:
                await server.serve_forever()
            else:
                await stop.wait()
    finally:
        if writer_task is not None:
            writer_task.cancel()


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
