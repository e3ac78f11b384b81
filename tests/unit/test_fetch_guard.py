"""The fetch guard (bot/fetch.py): internal addresses refused in every spelling (literal, or
through an injected resolver) without any connection; redirects, caps, compression bombs,
timeouts and conditional requests against a local server on 127.0.0.1 (allowed with
``allow_private_hosts``). Nothing here sends traffic beyond loopback."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import struct
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from bot import fetch as guard
from bot.errors import ArchiveBotError, FetchRefused
from bot.fetch import MAX_REDIRECTS, FetchResult, address_class, fetch_url

MB = 1024 * 1024


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection aiohttp would open fails the test (and is recorded)."""
    attempts: list[str] = []

    async def connect(self: aiohttp.BaseConnector, req: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(str(req.url))
        raise AssertionError(f"a connection was attempted to {req.url}")

    monkeypatch.setattr(aiohttp.BaseConnector, "connect", connect)
    return attempts


@dataclass
class FakeResolver:
    """Answers from a table; records every question."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"unknown host {host}")
        return self.answers[host]


def gzip_bomb(megabytes: int = 1024) -> bytes:
    """Gzip that decompresses to ``megabytes`` MB of zeros, about 1000 times smaller (each
    megabyte is compressed once and repeated: a full flush makes the blocks independent)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    megabyte = b"\0" * MB
    block = deflate.compress(megabyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(megabyte, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (megabytes * MB) & 0xFFFFFFFF)
    return header + block * megabytes + deflate.flush() + trailer


# -- refused before any connection ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/feed.xml", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://0x7f.0.0.1/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://017700000001/", "loopback"),
        ("http://localhost:8000/", "loopback"),
        ("http://LocalHost./", "loopback"),
        ("http://feeds.localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://[0:0:0:0:0:ffff:127.0.0.1]/", "loopback"),
        ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 carrying 127.0.0.1
        ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64 carrying 127.0.0.1
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://2852039166/", "link-local"),  # 169.254.169.254
        ("http://[fe80::1]/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://10.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://100.64.0.1/", "shared"),
        ("http://100.127.255.254/", "shared"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://233.252.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://255.255.255.255/", "reserved"),
        ("http://192.0.0.8/", "reserved"),
        ("http://[fec0::1]/", "reserved"),
        ("http://198.18.0.1/", "private"),  # benchmarking
        ("https://192.0.2.1/", "private"),  # documentation
    ],
)
async def test_internal_addresses_are_refused_in_every_spelling(
    url: str, why: str, no_connection: list[str]
) -> None:
    resolver = FakeResolver()
    with pytest.raises(FetchRefused) as refused:
        await fetch_url(url, max_bytes=1024, resolver=resolver)
    assert refused.value.rule == "address"
    assert why in refused.value.detail
    assert isinstance(refused.value, ArchiveBotError)
    assert "allow_private_hosts" in str(refused.value)
    assert resolver.asked == []  # a literal address (or localhost) is never looked up
    assert no_connection == []


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        (["10.20.30.40"], "private"),
        (["169.254.169.254"], "link-local"),
        (["::1"], "loopback"),
        (["::ffff:10.0.0.1"], "private"),
        (["fe80::1%eth0"], "link-local"),
        # One internal address among public ones is enough to refuse the name.
        (["93.184.216.34", "127.0.0.1"], "loopback"),
    ],
)
async def test_names_resolving_to_internal_addresses_are_refused(
    answers: list[str], why: str, no_connection: list[str]
) -> None:
    resolver = FakeResolver({"intranet.example": answers})
    with pytest.raises(FetchRefused) as refused:
        await fetch_url("https://intranet.example/feed", max_bytes=1024, resolver=resolver)
    assert (refused.value.rule, why in refused.value.detail) == ("address", True)
    assert resolver.asked == ["intranet.example"]
    assert no_connection == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/issue.md", "gopher://example.com/", "issue.md", ""],
)
async def test_only_http_and_https_are_fetched(url: str, no_connection: list[str]) -> None:
    with pytest.raises(FetchRefused) as refused:
        await fetch_url(url, max_bytes=1024, resolver=FakeResolver())
    assert refused.value.rule == "scheme"
    assert no_connection == []


async def test_an_unknown_host_is_refused_as_failed(no_connection: list[str]) -> None:
    with pytest.raises(FetchRefused) as refused:
        await fetch_url("http://nowhere.example/", max_bytes=1024, resolver=FakeResolver())
    assert (refused.value.rule, refused.value.detail) == ("failed", "unknown host nowhere.example")
    assert no_connection == []


async def test_a_resolver_that_never_answers_is_cut_by_the_total_timeout(
    no_connection: list[str],
) -> None:
    async def hangs(host: str, port: int) -> Sequence[str]:
        await asyncio.sleep(60)
        return []

    with pytest.raises(FetchRefused) as refused:
        await fetch_url("http://slow.example/", max_bytes=1024, resolver=hangs, timeout=0.2)
    assert (refused.value.rule, refused.value.detail) == ("timeout", "0.2")


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("8.8.8.8", None),
        ("::ffff:8.8.8.8", None),
        ("127.0.0.53", "loopback"),
        ("100.100.100.100", "shared (carrier-grade NAT)"),
    ],
)
def test_address_classes(address: str, why: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == why


# -- against a local server ------------------------------------------------------------------


@dataclass
class LocalServer:
    base: str
    port: int
    #: (method, path, headers) of every request served.
    seen: list[tuple[str, str, dict[str, str]]]


BOMB = gzip_bomb()


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    seen: list[tuple[str, str, dict[str, str]]] = []

    @web.middleware
    async def record(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        seen.append((request.method, request.path_qs, dict(request.headers)))
        response: web.StreamResponse = await handler(request)
        return response

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="hello", headers={"ETag": '"v1"'})

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        target = "/ok" if left == 0 else f"/hop/{left - 1}"
        raise web.HTTPFound(target)

    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["where"])

    async def conditional(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text="<rss/>", headers={"ETag": '"v1"'})

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(4 * 1024):
            await response.write(b"x" * 1024)
        return response

    async def announced(_: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * MB))

    async def bomb(_: web.Request) -> web.Response:
        return web.Response(body=BOMB, headers={"Content-Encoding": "gzip"})

    async def compressed(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        text = b"<rss>" + b"entry " * 1000 + b"</rss>"
        if kind == "gzip":
            deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        elif kind == "deflate":
            deflate = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS)
        else:  # raw deflate, as some servers send for "deflate"
            deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = deflate.compress(text) + deflate.flush()
        encoding = "gzip" if kind == "gzip" else "deflate"
        return web.Response(body=body, headers={"Content-Encoding": encoding})

    async def brotli(_: web.Request) -> web.Response:
        return web.Response(body=b"\x0b", headers={"Content-Encoding": "br"})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"x")
            await asyncio.sleep(0.1)
        return response

    app = web.Application(middlewares=[record])
    app.router.add_route("*", "/ok", ok)
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/to", to)
    app.router.add_get("/conditional", conditional)
    app.router.add_get("/big", big)
    app.router.add_get("/announced", announced)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/compressed/{kind}", compressed)
    app.router.add_get("/brotli", brotli)
    app.router.add_get("/slow", slow)
    app.router.add_get("/trickle", trickle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)  # the slow answers are not waited for
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield LocalServer(f"http://127.0.0.1:{port}", port, seen)
    await runner.cleanup()


async def local(url: str, **options: Any) -> FetchResult:
    options.setdefault("max_bytes", MB)
    return await fetch_url(url, allow_private_hosts=True, **options)


async def test_the_default_refuses_the_local_server_and_sends_nothing(
    server: LocalServer,
) -> None:
    for host in ("127.0.0.1", "localhost", "127.1", "2130706433", "[::ffff:127.0.0.1]"):
        with pytest.raises(FetchRefused) as refused:
            await fetch_url(f"http://{host}:{server.port}/ok", max_bytes=MB)
        assert refused.value.rule == "address"
    assert server.seen == []


async def test_get_and_head_with_private_hosts_allowed(server: LocalServer) -> None:
    got = await local(f"{server.base}/ok", headers={"User-Agent": "tests"})
    assert (got.status, got.body, got.headers["ETag"], got.truncated) == (
        200,
        b"hello",
        '"v1"',
        False,
    )
    head = await local(f"{server.base}/ok", method="HEAD")
    assert (head.status, head.body) == (200, b"")
    assert [(method, path) for method, path, _ in server.seen] == [("GET", "/ok"), ("HEAD", "/ok")]
    assert server.seen[0][2]["User-Agent"] == "tests"
    assert server.seen[0][2]["Accept-Encoding"] == "gzip, deflate"


async def test_a_conditional_request_gets_a_304(server: LocalServer) -> None:
    first = await local(f"{server.base}/conditional")
    assert (first.status, first.body) == (200, b"<rss/>")
    again = await local(
        f"{server.base}/conditional",
        headers={"If-None-Match": first.headers["ETag"], "If-Modified-Since": "Tue, 31 May 2022"},
    )
    assert (again.status, again.body) == (304, b"")
    assert server.seen[-1][2]["If-None-Match"] == '"v1"'
    assert server.seen[-1][2]["If-Modified-Since"] == "Tue, 31 May 2022"


async def test_five_redirects_are_followed_and_a_sixth_is_refused(server: LocalServer) -> None:
    got = await local(f"{server.base}/hop/{MAX_REDIRECTS - 1}")
    assert (got.status, got.body, got.url) == (200, b"hello", f"{server.base}/ok")
    assert len(got.redirects) == MAX_REDIRECTS
    server.seen.clear()
    with pytest.raises(FetchRefused) as refused:
        await local(f"{server.base}/hop/{MAX_REDIRECTS}")
    assert (refused.value.rule, refused.value.detail) == ("redirects", "5")
    assert len(server.seen) == MAX_REDIRECTS + 1  # the sixth redirect's target is never asked


async def test_a_redirect_to_a_refused_address_is_refused(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local server counts as public here, so only the redirect's target is refused."""
    loopback = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(
        guard, "address_class", lambda ip: None if ip == loopback else address_class(ip)
    )
    for target in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::1]/admin",
    ):
        with pytest.raises(FetchRefused) as refused:
            await fetch_url(f"{server.base}/to?where={target}", max_bytes=MB)
        assert refused.value.rule == "address"
        assert URL(refused.value.url) == URL(target)
    assert len(server.seen) == 3  # only the redirecting page, once per try
    with pytest.raises(FetchRefused) as scheme:
        await local(f"{server.base}/to?where=file:///etc/passwd")
    assert scheme.value.rule == "scheme"


async def test_the_checked_address_is_the_one_connected_to(server: LocalServer) -> None:
    """A name is resolved once per hop by the guard; aiohttp connects to what was checked
    and never asks the resolver (or the system) again."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])

    async def rebinding(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return next(answers)

    asked: list[str] = []
    got = await fetch_url(
        f"http://feeds.example:{server.port}/ok",
        max_bytes=MB,
        allow_private_hosts=True,
        resolver=rebinding,
    )
    assert (got.status, got.body, asked) == (200, b"hello", ["feeds.example"])
    assert server.seen[-1][2]["Host"] == f"feeds.example:{server.port}"


async def test_a_body_past_the_cap_is_refused_or_cut(server: LocalServer) -> None:
    for path in ("/big", "/announced"):  # streamed, and announced by Content-Length
        with pytest.raises(FetchRefused) as refused:
            await local(server.base + path, max_bytes=MB)
        assert (refused.value.rule, refused.value.detail) == ("size", f"more than {MB} bytes")
    start = await local(f"{server.base}/big", max_bytes=4096, truncate=True)
    assert (start.body, start.truncated) == (b"x" * 4096, True)


async def test_compressed_bodies_are_decompressed(server: LocalServer) -> None:
    text = b"<rss>" + b"entry " * 1000 + b"</rss>"
    for kind in ("gzip", "deflate", "raw"):
        got = await local(f"{server.base}/compressed/{kind}")
        assert got.body == text, kind
    with pytest.raises(FetchRefused) as refused:
        await local(f"{server.base}/compressed/gzip", max_decompressed_bytes=1000)
    assert refused.value.detail == "more than 1000 bytes once decompressed"
    with pytest.raises(FetchRefused) as brotli:
        await local(f"{server.base}/brotli")
    assert (brotli.value.rule, brotli.value.detail) == (
        "failed",
        "unsupported Content-Encoding br",
    )


async def test_a_gzip_bomb_is_refused_with_bounded_memory(server: LocalServer) -> None:
    assert len(BOMB) < 1.1 * MB
    tracemalloc.start()
    try:
        with pytest.raises(FetchRefused) as refused:
            await local(f"{server.base}/bomb", max_bytes=2 * MB, max_decompressed_bytes=5 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.rule == "size"
    assert refused.value.detail == f"more than {5 * MB} bytes once decompressed"
    assert peak < 32 * MB  # the bomb expands to 1 GB


def test_the_bomb_is_real_gzip() -> None:
    """A small one decompresses whole (its checksum and length agree); the 1 GB one is the
    same block repeated more often."""
    small = gzip_bomb(3)
    assert gzip.decompress(small) == b"\0" * (3 * MB)
    block = len(gzip_bomb(4)) - len(small)
    assert len(BOMB) == len(small) + 1021 * block


async def test_timeouts(server: LocalServer) -> None:
    with pytest.raises(FetchRefused) as slow:
        await local(f"{server.base}/slow", timeout=0.3)
    assert (slow.value.rule, slow.value.detail) == ("timeout", "0.3")
    with pytest.raises(FetchRefused) as trickle:
        await local(f"{server.base}/trickle", timeout=0.5)
    assert trickle.value.rule == "timeout"


async def test_a_closed_port_is_refused_as_failed() -> None:
    with pytest.raises(FetchRefused) as refused:
        await local("http://127.0.0.1:9/feed.xml")
    assert refused.value.rule == "failed"
    assert refused.value.detail.startswith("cannot connect")
