"""AWS CloudTrail: S3 ransomware (SSE-C re-encryption, expiring lifecycle rules,
versioning suspended, mass deletion), defence evasion (trail stopped, GuardDuty and
Config disabled), bucket exposure, IAM persistence and stolen-key signals (an access key
used from a new address within the files of one run, bursts of AccessDenied, GetObject
bursts).

Object-level S3 actions are CloudTrail *data events*: without data-event logging the
object findings cannot appear, which the guide explains.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import AnalysisContext, BaseAnalyzer, EvidenceFile
from madoguchi.domain.findings import AnalyzerOutput

from ...devices.hits import HitAggregator, ip_type
from ...devices.lines import parse_timestamp, peek_text
from ...devices.rulebook import Rule, RuleFileError, load_rules, match_rules
from .events import Problem, flatten, read_events

EXAMPLES = (Path(__file__).parent / "examples" / "cloudtrail-records.json",)
RULES_FILE = Path(__file__).with_name("rules.yml")

_SNIFF = re.compile(r'"eventName"\s*:|\\"eventName\\"\s*:')
_SNIFF_SOURCE = re.compile(r'"eventSource"\s*:|"eventVersion"\s*:|\\"eventSource\\"')
_DELETES = re.compile(r"^(?:DeleteObject|DeleteObjects)$")
MAX_WARNINGS = 20


@dataclass
class _Burst:
    count: int = 0
    bytes: int = 0
    first: tuple[int | None, int | None, datetime | None] = (None, None, None)
    last: tuple[int | None, int | None, datetime | None] = (None, None, None)
    fields: dict[str, str] = field(default_factory=dict)

    def add(
        self,
        weight: int,
        where: tuple[int | None, int | None, datetime | None],
        fields: dict[str, str],
        size: int = 0,
    ) -> None:
        if self.count == 0:
            self.first, self.fields = where, fields
        self.count += weight
        self.bytes += size
        self.last = where


class CloudTrailAnalyzer(BaseAnalyzer):
    name: ClassVar[str] = "aws_cloudtrail"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.JSON, kinds.JSONL, kinds.GZIP})

    def sniff(self, evidence: EvidenceFile) -> bool:
        if evidence.kind not in self.accepts:
            return False
        text = peek_text(evidence, 16 * 1024)
        return bool(_SNIFF.search(text) and _SNIFF_SOURCE.search(text))

    def prepare(self, ctx: AnalysisContext) -> None:
        self._rules(ctx)

    def _rules(self, ctx: AnalysisContext) -> dict[str, Rule]:
        def build() -> dict[str, Rule]:
            try:
                rules, problems = load_rules(RULES_FILE)
            except RuleFileError as error:
                ctx.rule_not_loaded(RULES_FILE.name, error.message)
                return {}
            for problem in problems:
                ctx.rule_not_loaded(RULES_FILE.name, problem)
            return {rule.id: rule for rule in rules}

        return ctx.cached("cloudtrail-rules", build)

    def analyze(self, evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[AnalyzerOutput]:
        rules = self._rules(ctx)
        line_rules = list(rules.values())
        aggregator = HitAggregator(self.name, evidence, "aws:cloudtrail")
        # Addresses seen per long-term access key, across every file of this run.
        key_addresses: dict[str, set[str]] = ctx.cached("cloudtrail-key-addresses", dict)
        settings = ctx.options.settings
        delete_threshold = int(settings.get("s3_delete_threshold", 50))
        get_threshold = int(settings.get("s3_get_threshold", 100))
        get_bytes = int(settings.get("s3_get_bytes", 1024**3))
        deletes: dict[str, _Burst] = {}
        gets: dict[str, _Burst] = {}
        problems = 0
        try:
            for item in read_events(evidence.local_path):
                if isinstance(item, Problem):
                    problems += 1
                    if problems <= MAX_WARNINGS:
                        ctx.skipped(
                            f"aws_cloudtrail: {item.message}",
                            path=evidence.path,
                            line=item.line,
                            record_id=item.record,
                        )
                    else:
                        ctx.skipped_records += 1
                    continue
                fields = flatten(item.event)
                stamp = parse_timestamp(fields.get("eventTime", ""))
                if not ctx.in_window(stamp):
                    continue
                ctx.count_events()
                where = (item.line, None if item.line else item.record, stamp)
                for hit in match_rules(line_rules, fields):
                    aggregator.add(
                        hit,
                        line=where[0],
                        record_id=where[1],
                        timestamp=stamp,
                        message=fields["message"],
                    )
                self._observe(fields, where, rules, aggregator, key_addresses, deletes, gets)
        except (OSError, EOFError) as error:
            ctx.warn(f"aws_cloudtrail: file could not be read: {error}", path=evidence.path)
        if problems > MAX_WARNINGS:
            ctx.warn(
                f"aws_cloudtrail: {problems - MAX_WARNINGS} more unreadable parts were "
                "skipped without a warning each",
                path=evidence.path,
            )
        self._bursts(
            rules.get("cloudtrail.mass-deletion"),
            deletes,
            aggregator,
            lambda b: b.count >= delete_threshold,
        )
        self._bursts(
            rules.get("cloudtrail.getobject-burst"),
            gets,
            aggregator,
            lambda b: b.count >= get_threshold or b.bytes >= get_bytes,
        )
        yield from aggregator.outputs()

    @staticmethod
    def _observe(
        fields: dict[str, str],
        where: tuple[int | None, int | None, datetime | None],
        rules: dict[str, Rule],
        aggregator: HitAggregator,
        key_addresses: dict[str, set[str]],
        deletes: dict[str, _Burst],
        gets: dict[str, _Burst],
    ) -> None:
        name = fields.get("eventName", "")
        source = fields.get("src_ip", "")
        ok = fields.get("succeeded") == "yes"
        if ok and fields.get("eventSource") == "s3.amazonaws.com":
            if _DELETES.match(name):
                keys = fields.get("requestParameters.delete.Object.Key", "")
                weight = max(1, keys.count("\n") + 1) if keys else 1
                deletes.setdefault(source, _Burst()).add(weight, where, fields)
            elif name == "GetObject":
                size = fields.get("additionalEventData.bytesTransferredOut", "0")
                amount = int(float(size)) if size.replace(".", "", 1).isdigit() else 0
                gets.setdefault(source, _Burst()).add(1, where, fields, amount)
        key = fields.get("access_key", "")
        rule = rules.get("cloudtrail.key-new-address")
        if rule is None or not key.startswith("AKIA") or ip_type(source) is None:
            return
        seen = key_addresses.setdefault(key, set())
        if seen and source not in seen:
            hit = rule.hit({**fields, "known_addresses": ", ".join(sorted(seen)[:10])})
            aggregator.add(
                hit,
                line=where[0],
                record_id=where[1],
                timestamp=where[2],
                message=fields.get("message", ""),
            )
        seen.add(source)

    @staticmethod
    def _bursts(
        rule: Rule | None, bursts: dict[str, _Burst], aggregator: HitAggregator, qualifies: object
    ) -> None:
        if rule is None:
            return
        for burst in bursts.values():
            if not callable(qualifies) or not qualifies(burst):
                continue
            fields = {**burst.fields, "bytes_out": str(burst.bytes)}
            first_line, first_record, first_time = burst.first
            aggregator.add(
                rule.hit(fields),
                line=first_line,
                record_id=first_record,
                timestamp=first_time,
                message=fields.get("message", ""),
                weight=burst.count,
            )
            last_line, last_record, last_time = burst.last
            if last_time is not None:
                aggregator.add(
                    rule.hit(fields),
                    line=last_line,
                    record_id=last_record,
                    timestamp=last_time,
                    message=fields.get("message", ""),
                    weight=0,
                )
