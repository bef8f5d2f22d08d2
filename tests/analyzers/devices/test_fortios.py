from madoguchi.analyzers.devices.fortios import FortiosAnalyzer
from madoguchi.domain.findings import Stage

HEAD = 'date=2022-12-12 time={t} devname="FGT-HQ" devid="FG100F" tz="+0900" '
CRASH = (
    HEAD + 'logid="0100032546" type="event" subtype="system" level="critical" '
    'logdesc="Application crashed" msg="Application sslvpnd(pid=4211) crashed: Signal 11 '
    'received, Backtrace: [0x01]"'
)
OTHER_CRASH = (
    HEAD + 'logid="0100032546" type="event" subtype="system" level="critical" '
    'logdesc="Application crashed" msg="Application httpsd(pid=99) crashed: Signal 6"'
)
FAIL = (
    HEAD + 'logid="0101039426" type="event" subtype="vpn" logdesc="SSL VPN login fail" '
    'action="ssl-login-fail" remip=192.0.2.44 user="u{n}" reason="sslvpn_login_unknown_user"'
)
JSCONSOLE = (
    HEAD + 'logid="0100032001" type="event" subtype="system" logdesc="Admin login '
    'successful" user="admin" ui="jsconsole(127.0.0.2)" srcip=127.0.0.2 action="login" '
    'status="success"'
)
NEW_ADMIN = (
    HEAD + 'logid="0100044547" type="event" subtype="system" logdesc="Object '
    'attribute configured" user="forti_tmp" ui="jsconsole(127.0.0.1)" action="Add" '
    'cfgpath="system.admin" cfgobj="forti_tmp2"'
)


def test_sslvpnd_crashes_aggregate_per_device_and_other_crashes_do_not(write, analyze) -> None:
    text = (
        "\n".join(
            [
                CRASH.format(t="04:22:17"),
                CRASH.format(t="04:22:49"),
                OTHER_CRASH.format(t="04:30:00"),
            ]
        )
        + "\n"
    )
    out = analyze(FortiosAnalyzer(), write("event.log", text))
    [crash] = out.findings
    assert crash.rule_id == "fortios.sslvpnd-crash"
    assert crash.details["count"] == 2 and crash.stage is Stage.ATTEMPT
    assert crash.first_seen is not None and crash.first_seen.hour == 19  # 04:22 +0900 in UTC
    assert "CVE-2022-42475" in crash.cve


def test_vpn_brute_force_from_one_address(write, analyze) -> None:
    text = "\n".join(FAIL.format(t=f"05:01:{i:02d}", n=i) for i in range(10)) + "\n"
    out = analyze(FortiosAnalyzer(), write("vpn.log", text))
    [brute] = out.rule("login.brute-force")
    assert brute.source_ip == "192.0.2.44" and brute.details["count"] == 10
    fewer = analyze(FortiosAnalyzer(), write("vpn2.log", "\n".join(text.splitlines()[:9])))
    assert fewer.rule("login.brute-force") == []


def test_jsconsole_login_then_new_admin(write, analyze) -> None:
    text = JSCONSOLE.format(t="01:15:00") + "\n" + NEW_ADMIN.format(t="01:15:30") + "\n"
    out = analyze(FortiosAnalyzer(), write("event.log", text))
    assert out.rule_ids == {"fortios.jsconsole-admin-login", "fortios.admin-created"}
    [admin] = out.rule("fortios.admin-created")
    assert admin.details["cfgobj"] == ["forti_tmp2"]


def test_csv_export_is_read(write, analyze) -> None:
    text = (
        "date,time,devname,logid,type,subtype,logdesc,msg\n"
        "2022-12-12,04:22:17,FGT-HQ,0100032546,event,system,Application crashed,"
        '"Application sslvpnd(pid=1) crashed: Signal 11 received"\n'
    )
    out = analyze(FortiosAnalyzer(), write("export.csv", text))
    assert out.accepted
    assert out.rule_ids == {"fortios.sslvpnd-crash"}
