"""Which address a request comes from, for rate limits and /metrics (never stored).

Behind a reverse proxy every request arrives from the proxy's address, so one limit would
cover a whole province. The proxy headers (X-Forwarded-For, Forwarded, X-Real-IP: nginx
configurations set any of them) are believed only when the direct peer is one of the trusted
proxies (SURVEY_TRUSTED_PROXIES): then the client is the right-most address in the header that
is not itself a trusted proxy. Anyone can write those headers, so from an untrusted peer they
are ignored, and any of them means the request is not from this machine. No address at all gives None (the limits then fall back to per-code and
per-account keys plus one shared "unknown" bucket; docs/access.md).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Mapping

PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
_FOR = re.compile(r'(?:^|[;,\s])for\s*=\s*("[^"]*"|[^;,\s]+)', re.IGNORECASE)


def parse_trusted(text: str | None) -> tuple:
    """'127.0.0.1, 10.0.0.0/8' -> networks; raises ValueError naming the bad entry."""
    networks = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"'{part}' is not an IP address or network (e.g. 10.0.0.0/8)") \
                    from None
    return tuple(networks)


def is_trusted(address: str, trusted) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted=()) -> str | None:
    """request_client with only an X-Forwarded-For header."""
    return request_client(peer, {"x-forwarded-for": forwarded_for} if forwarded_for else None,
                          trusted)


def proxy_headers(headers: Mapping | None) -> dict[str, str]:
    """The proxy headers a request carries (lower-case names), empty ones left out."""
    found = {}
    for name, value in (headers or {}).items():
        if name.lower() in PROXY_HEADERS and str(value).strip():
            found[name.lower()] = str(value)
    return found


def _hops(name: str, value: str) -> list[str]:
    """The addresses a proxy header lists, the client first, the nearest proxy last."""
    if name == "forwarded":      # RFC 7239: for=192.0.2.60, for="[2001:db8::17]:4711"
        hops = []
        for raw in _FOR.findall(value):
            node = raw.strip('"')
            if node.startswith("["):
                node = node[1:node.find("]")] if "]" in node else node[1:]
            elif node.count(":") == 1:
                node = node.split(":")[0]    # an IPv4 address with a port
            hops.append(node)
        return hops
    return [h.strip() for h in value.split(",") if h.strip()]


def _client_of(hops: list[str], trusted) -> str | None:
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else None


def proxied_clients(peer: str | None, headers: Mapping | None, trusted) -> list[str] | None:
    """The client address each proxy header gives (X-Forwarded-For, Forwarded, X-Real-IP, those
    present), when the peer is a trusted proxy; None when it is not (its headers are not
    believed) or there is no header."""
    present = proxy_headers(headers)
    if not present or not peer or not trusted or not is_trusted(peer, trusted):
        return None
    return [_client_of(_hops(name, present[name]), trusted) or peer
            for name in PROXY_HEADERS if name in present]


def request_client(peer: str | None, headers: Mapping | None, trusted=()) -> str | None:
    """The client's address for rate limits: behind a trusted proxy the first of
    X-Forwarded-For, Forwarded, X-Real-IP it sent; otherwise the peer."""
    if not peer:
        return None
    clients = proxied_clients(peer, headers, trusted)
    return clients[0] if clients else peer


def is_this_machine(peer: str | None, forwarded_for: str | None) -> bool:
    """A request from a browser on the server itself: a loopback peer (also IPv4 as seen on a
    dual-stack socket, ::ffff:127.0.0.1; no address at all is how Streamlit reports localhost)
    and no proxy in between (`forwarded`: any proxy header, see proxy_headers)."""
    if forwarded_for:
        return False
    if peer is None:
        return True
    try:
        address = ipaddress.ip_address(peer.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
