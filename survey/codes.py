"""Respondent codes: short, random, easy to type, stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets

# No 0/O, 1/I/L: nothing that looks like something else on a printed sheet or a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PATTERN = re.compile(rf"^[{ALPHABET}]{{8}}$")


def generate(rng: random.Random | None = None) -> str:
    pick = rng.choice if rng is not None else secrets.choice
    raw = "".join(pick(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize(code: str) -> str | None:
    """Canonical form of a typed code (case, spaces and dashes ignored), or None if it cannot
    be a code at all."""
    raw = re.sub(r"[\s\-_]", "", str(code or "")).upper()
    return raw if CODE_PATTERN.match(raw) else None


def pseudonym(code: str, key: bytes) -> str:
    """The respondent key stored next to answers: HMAC-SHA256 of the normalized code."""
    raw = normalize(code)
    if raw is None:
        raise ValueError("not a respondent code")
    return hmac.new(key, raw.encode("ascii"), hashlib.sha256).hexdigest()[:32]
