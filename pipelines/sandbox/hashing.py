"""Cheap deterministic integers: the same (seed, parts) always give the same value, fast enough per record."""

import hashlib

_M = (1 << 61) - 1


def mix(*parts: int) -> int:
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9) % _M
        x ^= x >> 29
    return x


def hex_id(*parts: object, length: int = 32) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()[:length]
