from madoguchi.analyzers.devices.ivanti import IvantiAnalyzer
from madoguchi.domain.findings import Stage

PREFIX = (
    "Jan 10 {t} ics01 1 2024-01-10T{t}+09:00 10.1.1.5 PulseSecure: - - - 2024-01-10 {t} - ics01 - "
)


def line(clock: str, rest: str) -> str:
    return PREFIX.format(t=clock) + rest


LOGIN = line(
    "09:00:02",
    "[192.0.2.77] user.one(Users)[Staff] - Agent login succeeded for "
    "user.one/Users (session:sid0011aa) from 192.0.2.77 with Pulse-Secure/22.3.1",
)
TRAVERSAL = line(
    "11:42:15",
    "[127.0.0.1] System()[] - WEB20174: Unauthenticated request url "
    "/api/v1/totp/user-backup-code/../../system/maintenance/archiving/"
    "cloud-server-test-connection came from IP 198.51.100.9.",
)
INJECTION = line(
    "11:42:10",
    "[127.0.0.1] System()[] - WEB20174: Unauthenticated request url "
    "/api/v1/totp/user-backup-code/../../license/keys-status/%3bcurl%20x came "
    "from IP 198.51.100.9.",
)
ICT_BAD = line(
    "12:05:00", "[127.0.0.1] System()[] - SYS32039: Integrity Scan Completed: Detected 2 new files"
)
ICT_CLEAN = line(
    "12:05:00", "[127.0.0.1] System()[] - SYS32039: Integrity Scan Completed: Detected 0 new files"
)
ATTACKER_LOGIN = line(
    "13:10:00",
    "[198.51.100.9] svc-ldap(Users)[Staff] - Agent login "
    "succeeded for svc-ldap/Users (session:sid0022bb) from 198.51.100.9",
)
CLEARED = line(
    "14:00:00", "[10.1.1.9] admin(Admins)[.Administrators] - ADM20599: Logs were cleared by admin"
)


def test_normal_logins_raise_nothing_but_are_listed(write, analyze) -> None:
    out = analyze(IvantiAnalyzer(), write("event.log", LOGIN + "\n" + ICT_CLEAN + "\n"))
    assert out.accepted and out.findings == []
    [section] = out.sections
    assert section.data["rows"][0]["user"] == "user.one"


def test_exploit_requests_are_attempts_with_the_attacker_address(write, analyze) -> None:
    out = analyze(IvantiAnalyzer(), write("event.log", f"{INJECTION}\n{TRAVERSAL}\n"))
    [inj] = out.rule("ivanti.cve-2024-21887.command-injection")
    [trav] = out.rule("ivanti.cve-2023-46805.auth-bypass-path")
    assert inj.stage is Stage.ATTEMPT and trav.stage is Stage.ATTEMPT
    assert inj.source_ip == "198.51.100.9"
    assert set(inj.cve) == {"CVE-2023-46805", "CVE-2024-21887"}
    assert {o.value for o in out.observables} == {"198.51.100.9"}


def test_integrity_checker_and_attacker_session_show_success(write, analyze) -> None:
    text = "\n".join([INJECTION, ICT_BAD, ATTACKER_LOGIN, CLEARED]) + "\n"
    out = analyze(IvantiAnalyzer(), write("event.log", text))
    [ict] = out.rule("ivanti.ict.files-changed")
    assert ict.stage is Stage.EXPLOITED and ict.details["files"] == ["2"]
    [session] = out.rule("login.from-attack-source")
    assert session.account == "svc-ldap" and session.stage is Stage.POST_EXPLOITATION
    assert out.rule("ivanti.log-tampering")


def test_unrelated_lines_warn_with_line_numbers(write, analyze) -> None:
    out = analyze(IvantiAnalyzer(), write("event.log", LOGIN + "\n\x00\x01garbage\n"))
    assert out.findings == []
    assert out.ctx.warnings == [] or all(w.line for w in out.ctx.warnings)
