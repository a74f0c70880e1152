"""Synthetic Cloudflare accounts: ids, names, subscriptions, zones, size and negotiated discount."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.sandbox.hashing import hex_id, mix, text_key, uuid_like

_COMPANIES = ["Acme Analytics", "Globex Media", "Initech Labs", "Umbrella Retail", "Stark Logistics",
              "Wayne Health", "Hooli Cloud", "Soylent Foods", "Tyrell Robotics", "Cyberdyne Systems",
              "Wonka Confectionery", "Gringotts Finance", "Oscorp Energy", "Massive Dynamic",
              "Vandelay Imports", "Pied Piper", "Aperture Science", "Nakatomi Trading", "Dunder Paper",
              "Monarch Travel"]
_ZONE_PREFIXES = ["", "shop.", "api.", "cdn."]
_SUBSCRIPTIONS = ["Enterprise Contract", "Workers Paid Subscription", "Pay-as-you-go"]
REGIONS = [("WNAM", "Western North America"), ("ENAM", "Eastern North America"), ("WEUR", "Western Europe"),
           ("EEUR", "Eastern Europe"), ("APAC", "Asia-Pacific"), ("OC", "Oceania")]


@dataclass(frozen=True)
class Account:
    index: int
    id: str
    name: str
    sub_account: tuple[str, str] | None  # (SubAccountId, SubAccountName); None for accounts without one
    zones: tuple[tuple[str, str], ...]  # (x_ZoneId, x_ZoneName)
    scale_percent: int  # size relative to the catalog's typical daily usage
    discount_percent: int  # ContractedUnitPrice = ListUnitPrice less this

    @property
    def key(self) -> int:
        return text_key(self.id)


def make_accounts(seed: int, count: int) -> list[Account]:
    accounts = []
    for i in range(count):
        h = mix(seed, 0xACC, i)
        cycle = i // len(_COMPANIES)
        company = _COMPANIES[i % len(_COMPANIES)] + (f" {cycle + 1}" if cycle else "")
        domain = company.lower().replace(" ", "-") + ".example"
        # every fourth account (the third, seventh, ...) has no subscription id: the field is optional
        sub = None if i % 4 == 2 else (uuid_like(seed, "subscription", i), _SUBSCRIPTIONS[h % 3])
        zones = tuple((hex_id(seed, "zone", i, z), _ZONE_PREFIXES[z] + domain)
                      for z in range(1 + (h >> 8) % 3))
        accounts.append(Account(
            index=i, id=hex_id(seed, "account", i), name=company, sub_account=sub, zones=zones,
            scale_percent=20 + (h >> 16) % 480, discount_percent=(0, 0, 10, 15)[(h >> 32) % 4],
        ))
    return accounts
