"""The one way the bot fetches anything over HTTP (imports, feeds, link checks).

Every request goes through the same guard, whoever asks:

- ``http`` and ``https`` only;
- the host is resolved first and every address it resolves to is checked: loopback, private,
  link-local, multicast, reserved, unspecified and shared (carrier-grade NAT) addresses are
  refused however the address is written (``2130706433``, ``0177.0.0.1``, ``127.1``, ``0x7f.1``,
  ``[::1]``, ``[::ffff:127.0.0.1]``, ``localhost``…), unless ``allow_private_hosts`` is set;
- the connection goes to the addresses that were checked and no others: the connector's
  resolver answers only with them, so a second DNS answer cannot swap in another;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each one checked as above;
- the body is streamed and refused as soon as it passes its cap, and a compressed body is
  decompressed here in bounded steps and refused as soon as the decompressed size passes its
  own cap (a gzip bomb never grows past the cap in memory);
- connecting and the whole exchange (resolution, redirects, body) each have a time limit.

A refusal is a ``FetchRefused`` naming the rule; bot/render words it for users.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.errors import FetchRefused

if TYPE_CHECKING:
    from aiohttp.abc import ResolveResult

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_REDIRECTS",
    "TOTAL_TIMEOUT",
    "FetchResult",
    "Resolver",
    "address_class",
    "fetch_url",
    "system_resolver",
]

#: Redirects followed before a fetch is refused.
MAX_REDIRECTS = 5
#: Seconds to open a connection (each hop).
CONNECT_TIMEOUT = 10.0
#: Seconds for the whole fetch: resolution, every redirect and the body.
TOTAL_TIMEOUT = 30.0

#: Host, port → the IP addresses (as text) the name resolves to.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
#: The most one decompression step may produce: the loop is never held long by a bomb.
_STEP = 256 * 1024
#: The characters of the legacy numeric IPv4 forms (decimal, octal, hex, short).
_NUMERIC = frozenset("0123456789abcdefx.")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: Special ranges some Python versions still call global.
_ALSO_RESERVED = (
    ipaddress.IPv4Network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.IPv6Network("fec0::/10"),  # deprecated site-local
)


@dataclass(frozen=True)
class FetchResult:
    """The final answer of a fetch (after redirects)."""

    #: The address that answered (the last redirect's target).
    url: str
    status: int
    headers: Mapping[str, str]
    #: The body, decompressed (empty for HEAD and 304).
    body: bytes = b""
    #: True when ``truncate`` cut the body at its cap.
    truncated: bool = False
    #: Each address redirected to, in order.
    redirects: tuple[str, ...] = field(default=())


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to the IPv4 network (mapped, 6to4, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_class(ip: Address) -> str | None:
    """Why ``ip`` may not be fetched from ("loopback", "private", …), or None if it is a
    public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:  # the connection ends at the IPv4 address: it decides
            return address_class(inner)
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared (carrier-grade NAT)", ip in _SHARED),
        ("reserved", ip.is_reserved or any(ip in net for net in _ALSO_RESERVED)),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _literal(host: str) -> Address | None:
    """``host`` as an IP address when it is written as one, in any form a resolver would take
    (``127.1``, ``2130706433``, ``0177.0.0.1``, ``0x7f.0.0.1``, ``::ffff:127.0.0.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host[:1].isdigit() and set(host) <= _NUMERIC:
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PinnedResolver(AbstractResolver):
    """aiohttp's resolver for one fetch: it answers only with the addresses already checked,
    and knows no other name."""

    def __init__(self) -> None:
        self._pinned: dict[str, list[Address]] = {}

    def pin(self, host: str, addresses: list[Address]) -> None:
        self._pinned[host] = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self._pinned.get(host)
        if addresses is None:
            raise OSError(f"{host} was not checked before connecting")
        wanted = {
            socket.AF_INET: (4,),
            socket.AF_INET6: (6,),
        }.get(family, (4, 6))
        return [
            {
                "hostname": host,
                "host": str(ip),
                "port": port,
                "family": socket.AF_INET if ip.version == 4 else socket.AF_INET6,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for ip in addresses
            if ip.version in wanted
        ]

    async def close(self) -> None:
        """Nothing to release."""


async def _check(
    url: URL, *, allow_private_hosts: bool, resolver: Resolver
) -> tuple[str, list[Address]]:
    """The host of ``url`` and the addresses it may be fetched from; ``FetchRefused`` for a
    scheme other than http(s) or an address that is not public."""
    text = str(url)
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise FetchRefused("scheme", url.scheme or text, text)
    host = url.raw_host.rstrip(".").lower()
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    elif host == "localhost" or host.endswith(".localhost"):
        addresses = [ipaddress.IPv4Address("127.0.0.1")]
    else:
        try:
            found = await resolver(host, url.port or 0)
        except (OSError, UnicodeError):
            raise FetchRefused("failed", f"unknown host {host}", text) from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise FetchRefused("failed", f"unknown host {host}", text)
    if not allow_private_hosts:
        for ip in addresses:
            why = address_class(ip)
            if why is not None:
                raise FetchRefused("address", f"{ip}, {why}", text)
    return url.raw_host, addresses


class _Body:
    """A body read in chunks, decompressed in bounded steps, refused (or cut, with
    ``truncate``) past its caps."""

    def __init__(
        self, encoding: str, url: str, max_bytes: int, max_decompressed: int, truncate: bool
    ) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.max_decompressed = max_decompressed
        self.truncate = truncate
        self.received = 0
        self.data = bytearray()
        self.full = False
        self._encoding = encoding
        self._inflate: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding not in ("", "identity", "deflate"):
            raise FetchRefused("failed", f"unsupported Content-Encoding {encoding}", url)

    def _over(self, rule_detail: str) -> None:
        if not self.truncate:
            raise FetchRefused("size", rule_detail, self.url)
        self.full = True

    async def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            chunk = chunk[: len(chunk) - (self.received - self.max_bytes)]
            self._over(f"more than {self.max_bytes} bytes")
        if self._encoding == "deflate" and self._inflate is None and chunk:
            # "deflate" is meant to be zlib-wrapped; some servers send it raw.
            wrapped = (
                len(chunk) > 1 and chunk[0] & 0x0F == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0
            )
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._inflate is None:
            room = self.max_decompressed - len(self.data)
            self.data += chunk[:room]
            if len(chunk) > room:
                self._over(f"more than {self.max_decompressed} bytes")
            return
        pending = chunk
        while pending and not self.full and not self._inflate.eof:
            room = self.max_decompressed - len(self.data)
            try:
                out = self._inflate.decompress(pending, min(room + 1, _STEP))
            except zlib.error:
                raise FetchRefused("failed", "a corrupt compressed body", self.url) from None
            if len(out) > room:
                self.data += out[:room]
                self._over(f"more than {self.max_decompressed} bytes once decompressed")
                return
            self.data += out
            pending = self._inflate.unconsumed_tail
            await asyncio.sleep(0)  # a bomb's steps leave room for everything else


async def _read(
    response: aiohttp.ClientResponse,
    url: str,
    max_bytes: int,
    max_decompressed: int,
    truncate: bool,
) -> tuple[bytes, bool]:
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    body = _Body(encoding, url, max_bytes, max_decompressed, truncate)
    length = response.content_length
    if length is not None and length > max_bytes and not truncate:
        raise FetchRefused("size", f"more than {max_bytes} bytes", url)
    async for chunk in response.content.iter_chunked(_CHUNK):
        await body.feed(chunk)
        if body.full:
            break
    return bytes(body.data), body.full


async def fetch_url(
    url: str,
    *,
    max_bytes: int,
    max_decompressed_bytes: int | None = None,
    method: Literal["GET", "HEAD"] = "GET",
    headers: Mapping[str, str] | None = None,
    allow_private_hosts: bool = False,
    resolver: Resolver = system_resolver,
    connect_timeout: float = CONNECT_TIMEOUT,
    timeout: float = TOTAL_TIMEOUT,
    max_redirects: int = MAX_REDIRECTS,
    truncate: bool = False,
) -> FetchResult:
    """``url`` fetched through the guard (module docstring); the final answer whatever its
    status (a 304 to a conditional request included), ``FetchRefused`` for anything a rule
    refuses.

    ``max_bytes`` caps the body as received, ``max_decompressed_bytes`` (default: the same)
    once decompressed. With ``truncate`` a body past a cap is cut there instead of refused
    (for a caller that needs only its start). ``headers`` are sent on every hop (e.g.
    ``If-None-Match``).
    """
    decompressed_cap = max_bytes if max_decompressed_bytes is None else max_decompressed_bytes
    sent = CIMultiDict(headers or {})
    sent["Accept-Encoding"] = "gzip, deflate"
    pinned = _PinnedResolver()
    connector = aiohttp.TCPConnector(resolver=pinned, use_dns_cache=False)
    try:
        async with (
            asyncio.timeout(timeout),
            aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
                auto_decompress=False,
                trust_env=False,  # no proxy from the environment: the checked address is used
                cookie_jar=aiohttp.DummyCookieJar(),
            ) as session,
        ):
            return await _follow(
                session, pinned, URL(url.strip()), method, sent,
                allow_private_hosts, resolver, max_redirects,
                max_bytes, decompressed_cap, truncate,
            )  # fmt: skip
    except aiohttp.ConnectionTimeoutError:
        raise FetchRefused("timeout", f"{connect_timeout:g}", url) from None
    except TimeoutError:
        raise FetchRefused("timeout", f"{timeout:g}", url) from None
    except (aiohttp.ClientError, ValueError) as error:
        raise FetchRefused("failed", _failure(error), url) from None


def _failure(error: Exception) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect: {error.os_error.strerror or error.os_error}"
    if isinstance(error, aiohttp.InvalidURL | ValueError):
        return "not a valid address"
    return type(error).__name__


async def _follow(
    session: aiohttp.ClientSession,
    pinned: _PinnedResolver,
    url: URL,
    method: Literal["GET", "HEAD"],
    headers: CIMultiDict[str],
    allow_private_hosts: bool,
    resolver: Resolver,
    max_redirects: int,
    max_bytes: int,
    max_decompressed: int,
    truncate: bool,
) -> FetchResult:
    redirects: list[str] = []
    while True:
        host, addresses = await _check(
            url, allow_private_hosts=allow_private_hosts, resolver=resolver
        )
        pinned.pin(host, addresses)
        async with session.request(method, url, headers=headers, allow_redirects=False) as got:
            location = got.headers.get("Location")
            if got.status in _REDIRECTS and location:
                if len(redirects) >= max_redirects:
                    raise FetchRefused("redirects", str(max_redirects), str(url))
                url = got.url.join(URL(location))
                redirects.append(str(url))
                continue
            body, cut = b"", False
            if method == "GET" and got.status != 304:
                body, cut = await _read(got, str(url), max_bytes, max_decompressed, truncate)
            answered: CIMultiDictProxy[str] = got.headers
            return FetchResult(
                str(got.url), got.status, CIMultiDictProxy(CIMultiDict(answered)),
                body, cut, tuple(redirects),
            )  # fmt: skip
