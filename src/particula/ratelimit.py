"""Per-IP, per-endpoint rate limits (ratelimit:{ip}:{endpoint}, 60 s windows) and who the client is."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import Request

from particula.cache.client import hit_rate_limit
from particula.deps import runtime_of
from particula.errors import Problem

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_trusted_proxy(address: str, trusted: list[str]) -> bool:
    return _is_trusted(address, _networks(tuple(trusted)))


def client_ip(request: Request) -> str:
    """The client's address: the peer, or, behind trusted proxies, the nearest untrusted X-Forwarded-For hop."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(runtime_of(request).settings.trusted_proxies))
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):  # the right end was added by our own proxies; the client is past them
        if not _is_trusted(hop, networks):
            return hop if _valid_ip(hop) else peer
    return peer


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def rate_limit_subject(address: str) -> str:
    """Whom a limit counts: the IPv4 address, or the IPv6 /64 (one subscriber gets a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


async def enforce_rate_limit(request: Request) -> None:
    """A router-level dependency: count this request against its endpoint's limit, 429 past it."""
    runtime = runtime_of(request)
    table = runtime.settings.rate_limit_table
    if table is None:
        return
    route = request.scope.get("route")
    endpoint = getattr(route, "name", None) or "default"
    limit = table.get(endpoint, table["default"])
    subject = rate_limit_subject(client_ip(request))
    retry_after = await hit_rate_limit(runtime.redis, ip=subject, endpoint=endpoint, limit=limit)
    if retry_after is not None:
        raise Problem(
            429,
            f"Too many requests to this endpoint; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
