"""Deterministic numbers and exact decimal text for the synthetic data.

Every value the sandbox serves is a pure function of (seed, keys...), so two sandboxes with one seed serve
the same bytes. `random.Random` per record costs microseconds to seed; one splitmix64 round is a handful
of integer operations, which is what lets a 1,240-record response build in a few milliseconds.
Money and quantities are kept as integers of a fixed scale and printed as exact decimal text, so no
binary float ever decides a digit the ETL has to match to the cent.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

MASK64 = (1 << 64) - 1


def splitmix(x: int) -> int:
    """One splitmix64 step: a well-mixed 64-bit integer from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def mix(*parts: int) -> int:
    """A 64-bit hash of several integers (order matters)."""
    h = 0
    for part in parts:
        h = splitmix(h ^ (part & MASK64))
    return h


def text_key(text: str) -> int:
    """A stable integer for a label (Python's own str hash changes per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def hex_id(*parts: object, length: int = 32) -> str:
    """A stable hex identifier, like Cloudflare's 32-hex account and zone tags."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=32).hexdigest()
    return digest[:length]


def uuid_like(*parts: object) -> str:
    h = hex_id(*parts)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def fixed(value: int, places: int) -> str:
    """`value` in units of 10**-places as the shortest exact decimal: fixed(-1500, 4) == '-0.15'.

    String slicing rather than divmod and formatting: this runs several times per served record.
    """
    if value <= 0:
        return "-" + fixed(-value, places) if value else "0"
    digits = str(value)
    if places == 0:
        return digits
    if len(digits) <= places:
        digits = digits.rjust(places + 1, "0")
    frac = digits[-places:].rstrip("0")
    return f"{digits[:-places]}.{frac}" if frac else digits[:-places]


def round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


def float_text(value: float) -> str:
    """A float64 as JavaScript's JSON.stringify and Go's encoding/json write it: the shortest digits that
    round-trip (17 significant at most, `0.30000000000000004`), exponent form below 1e-6 (`7e-7`)."""
    text = repr(value)
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if -7 < power < 21:
        return format(Decimal(text), "f")
    return f"{mantissa.removesuffix('.0')}e{'+' if power > 0 else '-'}{abs(power)}"
