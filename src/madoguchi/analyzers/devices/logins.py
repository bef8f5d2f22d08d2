"""Logins across a file: brute force, success after failures, logins from attack sources.

The texts of these findings are the ``detector: true`` rules in ``login_rules.yml``;
the thresholds can be changed per run with the settings ``bruteforce_threshold`` and
``success_after_failures``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from madoguchi.domain.findings import Section

from .hits import HitAggregator, ip_type
from .rulebook import Rule

LOGIN_RULES = Path(__file__).with_name("login_rules.yml")
SECTION_ROWS = 500
MANY_ADDRESSES = 3


@dataclass
class _Pair:
    user: str
    address: str
    successes: int = 0
    failures: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first_line: int | None = None


@dataclass
class LoginTracker:
    """Fed with every login outcome of one file; yields login findings at the end."""

    rules: dict[str, Rule]
    bruteforce_threshold: int = 10
    success_after_failures: int = 5
    _pairs: dict[tuple[str, str], _Pair] = field(default_factory=dict)
    _failures_by_address: dict[str, int] = field(default_factory=dict)
    _successes: list[tuple[str, str, int | None, datetime | None, str | None, str]] = field(
        default_factory=list
    )

    def record(
        self,
        aggregator: HitAggregator,
        *,
        outcome: str,
        user: str,
        address: str,
        line: int | None,
        timestamp: datetime | None,
        host: str | None,
        message: str,
    ) -> None:
        pair = self._pairs.get((user, address))
        if pair is None:
            pair = _Pair(user, address, first_line=line)
            self._pairs[(user, address)] = pair
        if timestamp is not None:
            pair.first_seen = min(pair.first_seen or timestamp, timestamp)
            pair.last_seen = max(pair.last_seen or timestamp, timestamp)
        fields = {"src_ip": address, "user": user, "message": message}
        if outcome == "failure":
            pair.failures += 1
            self._failures_by_address[address] = self._failures_by_address.get(address, 0) + 1
            rule = self.rules.get("login.brute-force")
            if rule is not None and address:
                hit = rule.hit(fields)
                aggregator.add(hit, line=line, timestamp=timestamp, host=host, message=message)
            return
        pair.successes += 1
        failures = self._failures_by_address.get(address, 0)
        rule = self.rules.get("login.success-after-failures")
        if rule is not None and address and failures >= self.success_after_failures:
            aggregator.add(
                rule.hit(fields),
                line=line,
                timestamp=timestamp,
                host=host,
                message=f"{message} (after {failures} failures)",
            )
        if len(self._successes) < 100_000:
            self._successes.append((user, address, line, timestamp, host, message))

    def finish(self, aggregator: HitAggregator, product: str) -> Iterator[Section]:
        """Add the end-of-file detections to ``aggregator`` and yield the logins section."""
        # Exploit requests and the like; password guessing has its own findings above.
        attackers = aggregator.attacker_addresses(exclude_prefix="login.")
        from_attacker = self.rules.get("login.from-attack-source")
        if from_attacker is not None:
            for user, address, line, stamp, host, message in self._successes:
                if address in attackers:
                    aggregator.add(
                        from_attacker.hit({"src_ip": address, "user": user}),
                        line=line,
                        timestamp=stamp,
                        host=host,
                        message=message,
                    )
        many = self.rules.get("login.many-addresses")
        if many is not None:
            by_user: dict[str, list[_Pair]] = {}
            for pair in self._pairs.values():
                if pair.successes and ip_type(pair.address):
                    by_user.setdefault(pair.user, []).append(pair)
            for user, pairs in by_user.items():
                networks = {_network(p.address) for p in pairs}
                if len(networks) >= MANY_ADDRESSES:
                    for pair in pairs:
                        aggregator.add(
                            many.hit({"user": user, "src_ip": pair.address}),
                            line=pair.first_line,
                            timestamp=pair.first_seen,
                            message=f"{user} from {pair.address}",
                        )
        if self._pairs:
            yield Section(f"{product}_logins", {"rows": self._rows()})

    def _rows(self) -> list[dict[str, Any]]:
        rows = sorted(self._pairs.values(), key=lambda p: p.first_line or 0)
        return [
            {
                "user": p.user,
                "source_ip": p.address,
                "successes": p.successes,
                "failures": p.failures,
                "first_seen": p.first_seen.isoformat() if p.first_seen else None,
                "last_seen": p.last_seen.isoformat() if p.last_seen else None,
                "first_line": p.first_line,
            }
            for p in rows[:SECTION_ROWS]
        ]


def _network(address: str) -> str:
    """A coarse network (IPv4 /16, IPv6 /32) so one ISP's addresses count once."""
    if ":" in address:
        return ":".join(address.split(":")[:2])
    return ".".join(address.split(".")[:2])
