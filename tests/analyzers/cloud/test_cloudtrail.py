import json

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.cloud.aws_cloudtrail import CloudTrailAnalyzer
from madoguchi.domain.findings import Severity, Stage


def event(
    name: str,
    *,
    ip: str = "203.0.113.99",
    key: str = "AKIAEXAMPLEKEY000001",
    params: dict | None = None,
    extra: dict | None = None,
    error: str | None = None,
    source: str = "s3.amazonaws.com",
    minute: int = 0,
) -> dict:
    record = {
        "eventVersion": "1.09",
        "eventTime": f"2025-01-12T16:{minute:02d}:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "ap-northeast-1",
        "sourceIPAddress": ip,
        "userAgent": "python-requests/2.32",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/app",
            "accessKeyId": key,
            "userName": "app",
        },
        "requestParameters": params or {"bucketName": "data", "key": "a.csv"},
        "additionalEventData": extra or {},
    }
    if error:
        record["errorCode"] = error
    return record


SSEC = event(
    "CopyObject",
    params={
        "bucketName": "data",
        "key": "a.csv",
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
    },
    extra={"SSEApplied": "SSE_C"},
)


def test_records_file_with_sse_c_and_lifecycle(write, analyze) -> None:
    lifecycle = event(
        "PutBucketLifecycle",
        params={
            "bucketName": "data",
            "LifecycleConfiguration": {
                "Rule": [{"ID": "x", "Status": "Enabled", "Expiration": {"Days": 7}}]
            },
        },
    )
    path = write(
        "111122223333_CloudTrail_ap-northeast-1_20250112T1640Z_x.json.gz",
        json.dumps({"Records": [SSEC, SSEC, lifecycle]}),
        gzipped=True,
    )
    out = analyze(CloudTrailAnalyzer(), path)
    assert out.accepted
    [ssec] = out.rule("cloudtrail.s3-sse-c-encryption")
    assert ssec.stage is Stage.IMPACT and ssec.severity is Severity.CRITICAL
    assert ssec.details["count"] == 2 and ssec.details["access_key"] == ["AKIAEXAMPLEKEY000001"]
    assert ssec.evidence is not None and ssec.evidence.record_id == 1
    [life] = out.rule("cloudtrail.s3-lifecycle-expiration")
    assert life.details["requestParameters.LifecycleConfiguration.Rule.Expiration.Days"] == ["7"]


def test_default_encryption_and_failed_calls_are_not_findings(write, analyze) -> None:
    normal = event("PutObject", extra={"SSEApplied": "Default_SSE_S3"})
    failed = dict(SSEC, errorCode="AccessDenied")
    enabled = event(
        "PutBucketVersioning",
        params={"bucketName": "data", "VersioningConfiguration": {"Status": "Enabled"}},
    )
    out = analyze(CloudTrailAnalyzer(), write("t.json", json.dumps([normal, failed, enabled])))
    assert out.findings == []


def test_versioning_suspended_trail_stopped_guardduty(write, analyze) -> None:
    lines = [
        event(
            "PutBucketVersioning",
            params={"bucketName": "data", "VersioningConfiguration": {"Status": "Suspended"}},
        ),
        event("StopLogging", source="cloudtrail.amazonaws.com", params={"name": "main"}),
        event("DeleteDetector", source="guardduty.amazonaws.com", params={"detectorId": "d"}),
    ]
    path = write("events.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    out = analyze(CloudTrailAnalyzer(), path)
    assert out.rule_ids == {
        "cloudtrail.s3-versioning-suspended",
        "cloudtrail.trail-stopped",
        "cloudtrail.guardduty-disabled",
    }
    assert out.rule("cloudtrail.trail-stopped")[0].evidence.line == 2


def test_lookup_events_export_and_mass_deletion(write, analyze) -> None:
    deletes = [
        event(
            "DeleteObjects",
            minute=i,
            params={
                "bucketName": "data",
                "delete": {"Object": [{"Key": f"k{i}-{j}"} for j in range(10)]},
            },
        )
        for i in range(5)
    ]
    lookup = {
        "Events": [
            {"EventName": "DeleteObjects", "CloudTrailEvent": json.dumps(d)} for d in deletes
        ]
    }
    out = analyze(CloudTrailAnalyzer(), write("lookup.json", json.dumps(lookup)))
    [mass] = out.rule("cloudtrail.mass-deletion")
    assert mass.details["count"] == 50 and mass.source_ip == "203.0.113.99"
    assert mass.first_seen < mass.last_seen


def test_new_address_for_a_key_across_files_of_one_run(write, analyze) -> None:
    analyzer = CloudTrailAnalyzer()
    ctx = AnalysisContext(analyzer=analyzer.name)
    analyzer.prepare(ctx)
    first = write(
        "a.json",
        json.dumps(event("GetCallerIdentity", ip="192.0.2.20", source="sts.amazonaws.com")),
    )
    second = write("b.json", json.dumps(event("ListBuckets", ip="203.0.113.99")))

    def evidence(path):
        return EvidenceFile(path.name, path, "json", path.stat().st_size)

    outputs = list(analyzer.analyze(evidence(first), ctx)) + list(
        analyzer.analyze(evidence(second), ctx)
    )
    rules = [o.rule_id for o in outputs if hasattr(o, "rule_id")]
    assert rules == ["cloudtrail.key-new-address"]


def test_broken_json_lines_warn(write, analyze) -> None:
    path = write("x.jsonl", json.dumps(SSEC) + "\n{not json\n" + json.dumps(SSEC) + "\n")
    out = analyze(CloudTrailAnalyzer(), path)
    assert out.rule("cloudtrail.s3-sse-c-encryption")[0].details["count"] == 2
    assert [w.line for w in out.ctx.warnings] == [2]
