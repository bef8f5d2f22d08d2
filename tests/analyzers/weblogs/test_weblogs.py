from madoguchi.analyzers.weblogs import WebAccessLogAnalyzer
from madoguchi.domain.findings import Stage

CLF = '{ip} - - [15/Jan/2024:11:42:{s:02d} +0900] "{req} HTTP/1.1" {status} 112 "-" "{ua}"'


def web(
    req: str,
    status: int = 200,
    ip: str = "198.51.100.9",
    s: int = 0,
    ua: str = "python-requests/2.31.0",
) -> str:
    return CLF.format(ip=ip, s=s, req=req, status=status, ua=ua)


def test_ivanti_injection_attempt_vs_success(write, analyze) -> None:
    req = "GET /api/v1/totp/user-backup-code/../../license/keys-status/%3bid"
    out = analyze(WebAccessLogAnalyzer(), write("access.log", web(req, 403) + "\n"))
    [denied] = out.rule("web.ivanti.cve-2024-21887")
    assert denied.stage is Stage.ATTEMPT
    ok = analyze(WebAccessLogAnalyzer(), write("access.log.1", web(req, 200) + "\n"))
    assert ok.rule("web.ivanti.cve-2024-21887")[0].stage is Stage.EXPLOITED


def test_benign_lookalikes(write, analyze) -> None:
    text = "\n".join(
        [
            web("GET /dana-na/auth/url_default/welcome.cgi", ip="192.0.2.10"),
            web("GET /api/v1/totp/user-backup-code", ip="192.0.2.10", s=1),
            web("GET /oauth/idp/login", ip="192.0.2.10", s=2),
            web("GET /index.php?page=cmdline", ip="192.0.2.10", s=3),
        ]
    )
    out = analyze(WebAccessLogAnalyzer(), write("access.log", text + "\n"))
    assert out.accepted and out.findings == []


def test_iis_w3c_with_fields_header(write, analyze) -> None:
    text = (
        "#Software: Microsoft Internet Information Services 10.0\n"
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username "
        "c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
        "2024-01-15 03:05:09 10.0.0.20 GET /SetupWizard.aspx/x - 443 - 198.51.100.44 "
        "curl/8.0 - 200 0 0 31\n"
    )
    out = analyze(WebAccessLogAnalyzer(), write("u_ex240115.log", text))
    [finding] = out.rule("web.screenconnect.cve-2024-1709")
    assert finding.stage is Stage.EXPLOITED and finding.source_ip == "198.51.100.44"


def test_unparsable_lines_warn_and_nginx_vhost_prefix(write, analyze) -> None:
    text = (
        "vpn.example.jp:443 " + web("GET /vpns/portal/scripts/newbm.pl", 200) + "\n"
        "this is not an access log line\n"
    )
    out = analyze(WebAccessLogAnalyzer(), write("access.log", text))
    assert out.rule("web.citrix.cve-2019-19781")[0].stage is Stage.EXPLOITED
    assert [w.line for w in out.ctx.warnings] == [2]
