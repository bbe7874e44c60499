"""A load generator's HTTP/1.1 client that costs little CPU: one keep-alive connection, one request in flight, the
response read by its Content-Length (what uvicorn sends for the services' JSON). httpx spends several hundred µs of
CPU a request, which on this 2-core machine is taken from the services being measured."""

from __future__ import annotations

import asyncio


class Connection:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1:``port``."""

    def __init__(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.port, self.reader, self.writer = port, reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(port, *await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, *, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        answer: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        return status, answer, await self.reader.readexactly(int(answer.get("content-length", 0)))

    async def reopen(self) -> None:
        """A new connection after one that failed mid-request (its state is unknown)."""
        self.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self) -> None:
        self.writer.close()
