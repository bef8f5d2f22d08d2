from madoguchi.analyzers.devices.sonicwall import SonicwallAnalyzer
from madoguchi.domain.findings import Stage

LINE = (
    '<134>id=firewall sn=0040103AAAAA time="2024-09-02 02:00:{s:02d} UTC" fw=192.0.2.1 '
    'pri=6 c=0 m={m} msg="{msg}" src={ip}:4000{s}:X1 dst=192.0.2.1:4433:X1 '
    'proto=tcp/4433 user="{user}"'
)
DENIED = "User login denied due to bad credentials"
ALLOWED = "SSL VPN zone remote user login allowed"


def sw(s: int, msg: str, ip: str, user: str = "backup") -> str:
    return LINE.format(s=s, m=1080, msg=msg, ip=ip, user=user)


def test_normal_logins_are_only_listed(write, analyze) -> None:
    out = analyze(SonicwallAnalyzer(), write("sw.log", sw(1, ALLOWED, "10.20.0.5") + "\n"))
    assert out.accepted and out.findings == []
    assert out.sections[0].data["rows"][0]["source_ip"] == "10.20.0.5"


def test_success_after_guessing_is_exploitation(write, analyze) -> None:
    lines = [sw(i, DENIED, "203.0.113.90") for i in range(12)] + [sw(40, ALLOWED, "203.0.113.90")]
    out = analyze(SonicwallAnalyzer(), write("sw.log", "\n".join(lines) + "\n"))
    assert out.rule("login.brute-force")[0].details["count"] == 12
    [success] = out.rule("login.success-after-failures")
    assert success.stage is Stage.EXPLOITED and success.account == "backup"
    assert out.rule("login.from-attack-source") == []


def test_one_account_from_many_networks(write, analyze) -> None:
    lines = [
        sw(i, ALLOWED, ip, "jdoe")
        for i, ip in enumerate(["192.0.2.7", "198.51.100.7", "203.0.113.7"])
    ]
    out = analyze(SonicwallAnalyzer(), write("sw.log", "\n".join(lines) + "\n"))
    [many] = out.rule("login.many-addresses")
    assert many.account == "jdoe" and len(many.details["src_ip"]) == 3


def test_csv_export(write, analyze) -> None:
    text = (
        '"Time","ID","Category","Priority","Src. IP","Dst. IP","User Name","Message"\n'
        + "".join(
            f'"2024-09-02 02:00:{i:02d}","1081","Users","Alert","203.0.113.9",'
            f'"192.0.2.1","admin","{DENIED}"\n'
            for i in range(10)
        )
    )
    out = analyze(SonicwallAnalyzer(), write("export.csv", text))
    assert out.accepted
    assert out.rule("login.brute-force")[0].source_ip == "203.0.113.9"
