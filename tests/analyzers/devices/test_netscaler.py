from madoguchi.analyzers.devices.netscaler import NetscalerAnalyzer
from madoguchi.domain.findings import Stage

L = (
    "Oct 25 {t} <local0.info> 10.0.0.1 10/25/2023:{t} GMT ns01 0-PPE-0 : default SSLVPN "
    "{ev} 100{n} 0 : Context alice@{ctx} - SessionId: {sid} - User alice - Client_ip {ip} - "
    "Nat_ip 10.0.0.100 - Vserver 10.0.0.10:443 - Source {ip}:50211 - Destination "
    "10.1.1.20:3389"
)


def ns(t: str, ev: str, n: int, sid: str, ctx: str, ip: str) -> str:
    return L.format(t=t, ev=ev, n=n, sid=sid, ctx=ctx, ip=ip)


def test_same_client_for_a_whole_session_is_benign(write, analyze) -> None:
    text = "\n".join(
        [
            ns("09:01:12", "LOGIN", 1, "77", "192.0.2.10", "192.0.2.10"),
            ns("09:20:40", "TCPCONNSTAT", 2, "77", "192.0.2.10", "192.0.2.10"),
        ]
    )
    out = analyze(NetscalerAnalyzer(), write("ns.log", text + "\n"))
    assert out.accepted and out.findings == []


def test_session_reused_from_another_address_is_reported_once(write, analyze) -> None:
    text = "\n".join(
        [
            ns("09:01:12", "LOGIN", 1, "77", "192.0.2.10", "192.0.2.10"),
            ns("11:45:03", "TCPCONNSTAT", 2, "77", "192.0.2.10", "203.0.113.66"),
            ns("11:46:03", "TCPCONNSTAT", 3, "77", "192.0.2.10", "203.0.113.66"),
        ]
    )
    out = analyze(NetscalerAnalyzer(), write("ns.log", text + "\n"))
    [reuse] = out.rule("netscaler.session-reuse")
    assert reuse.stage is Stage.EXPLOITED
    assert reuse.source_ip == "203.0.113.66"
    assert reuse.details["first_ip"] == ["192.0.2.10"]
    assert "CVE-2023-4966" in reuse.cve
    [mismatch] = out.rule("netscaler.context-client-mismatch")
    assert mismatch.details["count"] == 2
    assert "203.0.113.66" in {o.value for o in out.observables}


def test_failed_logins_and_foreign_lines(write, analyze) -> None:
    fail = (
        "Oct 25 12:00:{s:02d} <local0.info> 10.0.0.1 10/25/2023:12:00:{s:02d} GMT ns01 "
        "0-PPE-0 : default AAA LOGIN_FAILED 2{s} 0 : User bob - Client_ip 198.51.100.3 - "
        'Failure_reason "Invalid credentials"'
    )
    text = "\n".join(fail.format(s=i) for i in range(10)) + "\n"
    out = analyze(NetscalerAnalyzer(), write("ns.log.0.gz", text, gzipped=True))
    assert out.rule("login.brute-force")[0].source_ip == "198.51.100.3"
