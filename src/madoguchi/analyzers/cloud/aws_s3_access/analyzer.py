"""Amazon S3 server access logs (the fallback when CloudTrail data events were off).

Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html — space
separated, with ``[time]`` and ``"quoted"`` fields. Delivery is best effort, so counts
are lower bounds. SSE-C headers are not recorded here: re-encryption with customer keys
is only visible in CloudTrail data events.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from madoguchi.analyzers import kinds
from madoguchi.analyzers.base import EvidenceFile

from ...devices.engine import FileState, LineRuleAnalyzer, Record
from ...devices.lines import any_line, parse_timestamp

EXAMPLES = (Path(__file__).parent / "examples" / "s3-access.log",)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')
_SNIFF = re.compile(
    r"^\S+ [a-z0-9][a-z0-9.\-]{1,62} \[\d\d/\w{3}/\d{4}:[^\]]+\] \S+ \S+ \S+ "
    r"(?:REST|BATCH|S3|WEBSITE)\.[A-Z_]+"
)
_NAMES = (
    "bucket_owner",
    "bucket",
    "time",
    "src_ip",
    "user",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "status",
    "error",
    "bytes_sent",
    "object_size",
    "total_time",
    "turnaround",
    "referer",
    "ua",
    "version_id",
    "host_id",
    "signature",
    "cipher",
    "auth_type",
    "host_header",
    "tls",
)


class S3AccessLogAnalyzer(LineRuleAnalyzer):
    name: ClassVar[str] = "aws_s3_access"
    version: ClassVar[str] = "1"
    accepts: ClassVar[frozenset[str]] = frozenset({kinds.TEXT, kinds.GZIP})
    rules_file: ClassVar[Path] = Path(__file__).with_name("rules.yml")
    timeline_source: ClassVar[str] = "aws:s3:access"

    def sniff(self, evidence: EvidenceFile) -> bool:
        return evidence.kind in self.accepts and any_line(evidence, _SNIFF)

    def parse(self, line: str, number: int, state: FileState) -> Record | None:
        tokens = _TOKEN.findall(line)
        if len(tokens) < 10 or not tokens[2].startswith("["):
            return None
        fields: dict[str, str] = {}
        for name, token in zip(_NAMES, tokens, strict=False):
            value = token.strip('"') if token.startswith('"') else token.strip("[]")
            if value and value != "-":
                fields[name] = value
        fields["message"] = (
            f"{fields.get('operation', '')} {fields.get('bucket', '')}/{fields.get('key', '')} "
            f"{fields.get('status', '')}"
        )
        return Record(fields, parse_timestamp(fields.get("time", "")))
