"""Which address a request comes from, for rate limits only (never stored).

Behind a reverse proxy every request arrives from the proxy's address, so one limit would
cover a whole province. X-Forwarded-For is believed only when the direct peer is one of the
trusted proxies (SURVEY_TRUSTED_PROXIES): then the client is the right-most address in the
header that is not itself a trusted proxy. Anyone can write that header, so from an untrusted
peer it is ignored. No address at all gives None (the limits then fall back to per-code and
per-account keys plus one shared "unknown" bucket; docs/access.md).
"""

from __future__ import annotations

import ipaddress


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
    if not peer:
        return None
    if not trusted or not forwarded_for or not is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def is_this_machine(peer: str | None, forwarded_for: str | None) -> bool:
    """A request from a browser on the server itself: a loopback peer (also IPv4 as seen on a
    dual-stack socket, ::ffff:127.0.0.1; no address at all is how Streamlit reports localhost)
    and no proxy in between (a proxy adds X-Forwarded-For)."""
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
