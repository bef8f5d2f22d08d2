from madoguchi.analyzers.cloud.aws_s3_access import S3AccessLogAnalyzer
from madoguchi.domain.findings import Stage

LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be finance "
    "[06/Feb/2025:03:{m:02d}:{s:02d} +0000] {ip} arn:aws:iam::123456789012:user/x "
    '3E57427F3EX{m}{s} {op} {key} "{verb} /finance/{key} HTTP/1.1" {status} - 0 - 7 - '
    '"-" "aws-cli/2.15.0" - hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader '
    "finance.s3.amazonaws.com TLSv1.2 - -"
)


def s3(
    m: int, s: int, op: str, status: int = 204, ip: str = "203.0.113.200", key: str = "doc.pdf"
) -> str:
    verb = op.split(".")[1]
    return LINE.format(m=m, s=s, ip=ip, op=op, key=key, verb=verb, status=status)


def test_mass_deletion_needs_fifty_successful_deletes(write, analyze) -> None:
    many = [s3(i // 60, i % 60, "REST.DELETE.OBJECT", key=f"k{i}") for i in range(50)]
    out = analyze(S3AccessLogAnalyzer(), write("2025-02-06-03-00-00-ABC", "\n".join(many)))
    [mass] = out.rule("s3log.mass-deletion")
    assert mass.stage is Stage.IMPACT and mass.details["count"] == 50
    few = analyze(S3AccessLogAnalyzer(), write("b", "\n".join(many[:49])))
    assert few.findings == []


def test_denied_lifecycle_is_not_a_change_and_reads_are_fine(write, analyze) -> None:
    text = "\n".join(
        [s3(1, 1, "REST.PUT.LIFECYCLE", status=403), s3(1, 2, "REST.GET.OBJECT", status=200)]
    )
    out = analyze(S3AccessLogAnalyzer(), write("log", text + "\n"))
    assert out.accepted and out.findings == []


def test_lifecycle_and_versioning_changes(write, analyze) -> None:
    text = "\n".join(
        [
            s3(1, 1, "REST.PUT.LIFECYCLE", status=200),
            s3(1, 2, "REST.PUT.VERSIONING", status=200),
            "garbage line",
        ]
    )
    out = analyze(S3AccessLogAnalyzer(), write("log.gz", text + "\n", gzipped=True))
    assert out.rule_ids == {"s3log.lifecycle-changed", "s3log.protection-changed"}
    assert [w.line for w in out.ctx.warnings] == [3]
