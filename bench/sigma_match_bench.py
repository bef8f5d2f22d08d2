"""Sigma engine throughput: N synthetic rules against a stream of synthetic Windows events.

Inputs are generated here (seeded, so runs compare): rules follow the detection shapes
common in public Windows rule sets (process creation with image + command-line
fragments and filters, registry, network, image load, file, PowerShell script block,
service install, logon with CIDR, regular expressions, keywords) with values varied
from a vocabulary of Windows executables, paths and arguments; events follow a Sysmon
+ Security + PowerShell + System mix. Only matching is timed (events are already
dicts). Prints numbers; asserts nothing.

    .venv/bin/python bench/sigma_match_bench.py --rules 2500 --events 50000

With ``--calibration`` the events are instead the real records of the EVTX files under
``$MADOGUCHI_CALIBRATION_DATA/evtx`` (flattened here the way the EVTX reader does:
System fields plus EventData/UserData by name), repeated up to ``--events``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from madoguchi.analyzers.sigma import Correlator, load_rules

EXES = [
    "cmd.exe",
    "powershell.exe",
    "pwsh.exe",
    "rundll32.exe",
    "regsvr32.exe",
    "mshta.exe",
    "wscript.exe",
    "cscript.exe",
    "certutil.exe",
    "bitsadmin.exe",
    "wmic.exe",
    "schtasks.exe",
    "reg.exe",
    "net.exe",
    "net1.exe",
    "sc.exe",
    "vssadmin.exe",
    "wbadmin.exe",
    "bcdedit.exe",
    "msiexec.exe",
    "svchost.exe",
    "explorer.exe",
    "winword.exe",
    "excel.exe",
    "outlook.exe",
    "chrome.exe",
    "msedge.exe",
    "taskhostw.exe",
    "conhost.exe",
    "whoami.exe",
    "nltest.exe",
    "ntdsutil.exe",
    "procdump.exe",
    "psexec.exe",
    "psexesvc.exe",
    "wevtutil.exe",
    "curl.exe",
    "tar.exe",
    "7z.exe",
    "rar.exe",
    "adfind.exe",
    "mimikatz.exe",
    "lsass.exe",
    "services.exe",
]
DIRS = [
    "c:\\windows\\system32\\",
    "c:\\windows\\syswow64\\",
    "c:\\program files\\common\\",
    "c:\\users\\public\\",
    "c:\\programdata\\",
    "c:\\users\\alice\\appdata\\local\\temp\\",
    "c:\\windows\\temp\\",
    "c:\\perflogs\\",
]
ARGS = [
    "-enc",
    "-encodedcommand",
    "-nop",
    "-w hidden",
    "/c",
    "/q",
    "delete shadows",
    "/all",
    "-urlcache",
    "-split",
    "-f",
    "http://",
    "https://",
    "create",
    "config",
    "start= auto",
    "/transfer",
    "downloadstring",
    "iex",
    "invoke-expression",
    "bypass",
    "add",
    "/add",
    "localgroup administrators",
    "domain_trusts",
    "/dclist",
    "ifm",
    "-accepteula",
    "-ma",
    "lsass",
    "cl system",
    "clear-log",
    "shadowcopy",
    "resize shadowstorage",
    "recoveryenabled",
    "a -hp",
    "-p",
    "frombase64string",
    "net.webclient",
    "query",
    "/v",
    "/t reg_sz",
]
REG = [
    "\\software\\microsoft\\windows\\currentversion\\run\\",
    "\\system\\currentcontrolset\\services\\",
    "\\software\\policies\\microsoft\\windows defender\\",
    "\\control\\lsa\\",
    "\\software\\classes\\",
    "\\currentversion\\image file execution options\\",
    "\\system\\currentcontrolset\\control\\terminal server\\",
]
DLLS = [
    "ntdll.dll",
    "kernel32.dll",
    "amsi.dll",
    "dbghelp.dll",
    "comsvcs.dll",
    "wininet.dll",
    "samlib.dll",
    "vaultcli.dll",
    "clr.dll",
    "system.management.automation.dll",
]
DOMAINS = [
    "example.com",
    "update.microsoft.com",
    "pastebin.com",
    "ngrok.io",
    "github.com",
    "raw.githubusercontent.com",
    "transfer.sh",
    "anydesk.com",
    "duckdns.org",
]
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _word(rng: random.Random, i: int) -> str:
    """A vocabulary word, made unique for some rules the way real rule sets differ."""
    base = rng.choice(ARGS)
    return base if rng.random() < 0.3 else f"{base}{i % 97}"


def _rule(rng: random.Random, i: int) -> str:
    shape = i % 12
    exe = rng.choice(EXES) if rng.random() < 0.4 else f"tool{i}.exe"
    head = f"title: Synthetic rule {i}\nid: {uuid.UUID(int=rng.getrandbits(128))}\nlevel: medium\n"
    head += "tags: [attack.execution, attack.t1059.001]\n"
    if shape in (0, 1, 2):
        return head + (
            "logsource: {product: windows, category: process_creation}\n"
            "detection:\n  selection_img:\n"
            f"    - Image|endswith: '\\{exe}'\n    - OriginalFileName: '{exe}'\n"
            "  selection_cli:\n    CommandLine|contains|all:\n"
            f"      - '{_word(rng, i)}'\n      - '{_word(rng, i + 1)}'\n"
            f"  filter:\n    ParentImage|startswith: '{rng.choice(DIRS)}'\n"
            "  condition: all of selection_* and not filter\n"
        )
    if shape == 3:
        words = "\n".join(f"      - '{_word(rng, i + k)}'" for k in range(4))
        return head + (
            "logsource: {product: windows, category: process_creation}\n"
            f"detection:\n  selection:\n    CommandLine|contains:\n{words}\n"
            f"    ParentImage|endswith: '\\{exe}'\n  condition: selection\n"
        )
    if shape == 4:
        return head + (
            "logsource: {product: windows, category: registry_set}\n"
            f"detection:\n  selection:\n    TargetObject|contains: '{rng.choice(REG)}val{i}'\n"
            "    Details|startswith: 'c:\\users\\'\n  condition: selection\n"
        )
    if shape == 5:
        return head + (
            "logsource: {product: windows, category: network_connection}\n"
            f"detection:\n  selection:\n    Image|endswith: '\\{exe}'\n"
            f"    DestinationPort: {rng.choice([80, 443, 445, 3389, 4444, 8080]) + i % 3}\n"
            "    Initiated: 'true'\n  condition: selection\n"
        )
    if shape == 6:
        return head + (
            "logsource: {product: windows, category: image_load}\n"
            f"detection:\n  selection:\n    ImageLoaded|endswith: '\\{rng.choice(DLLS)}'\n"
            f"    Image|endswith: '\\{exe}'\n  condition: selection\n"
        )
    if shape == 7:
        return head + (
            "logsource: {product: windows, category: ps_script}\n"
            "detection:\n  selection:\n    ScriptBlockText|contains|all:\n"
            f"      - '{_word(rng, i)}'\n      - 'invoke-{i}'\n  condition: selection\n"
        )
    if shape == 8:
        return head + (
            "logsource: {product: windows, service: system}\n"
            "detection:\n  selection:\n    EventID: 7045\n"
            f"    ImagePath|contains: '{rng.choice(DIRS)}{exe}'\n  condition: selection\n"
        )
    if shape == 9:
        return head + (
            "logsource: {product: windows, service: security}\n"
            "detection:\n  selection:\n    EventID: 4624\n    LogonType: 10\n"
            f"    IpAddress|cidr: '10.{i % 250}.0.0/16'\n"
            f"    TargetUserName|startswith: 'svc{i}'\n  condition: selection\n"
        )
    if shape == 10:
        return head + (
            "logsource: {product: windows, category: process_creation}\n"
            "detection:\n  selection:\n"
            f"    CommandLine|re: '(?i)\\\\{exe[:-4]}\\.exe.*-[a-z]{{{i % 5 + 1}}}x'\n"
            "  condition: selection\n"
        )
    return head + (
        "logsource: {product: windows, category: dns_query}\n"
        f"detection:\n  selection:\n    QueryName|endswith: '.sub{i}.{rng.choice(DOMAINS)}'\n"
        "  condition: selection\n"
    )


def _event(rng: random.Random, n: int) -> dict[str, Any]:
    roll = rng.random()
    exe = rng.choice(EXES)
    image = rng.choice(DIRS) + exe
    base: dict[str, Any] = {
        "Computer": "ws01.corp.local",
        "EventRecordID": n,
        "TimeCreated": "2024-05-01T10:00:00.000Z",
        "Level": 4,
    }
    if roll < 0.40:
        cli = " ".join([image] + [rng.choice(ARGS) for _ in range(rng.randint(1, 8))])
        return base | {
            "Channel": SYSMON,
            "EventID": 1,
            "Image": image,
            "CommandLine": cli,
            "ParentImage": rng.choice(DIRS) + rng.choice(EXES),
            "OriginalFileName": exe,
            "User": "CORP\\alice",
            "IntegrityLevel": "Medium",
            "Hashes": "SHA256=" + "ab" * 32,
            "CurrentDirectory": rng.choice(DIRS),
            "ProcessId": 1000 + n % 5000,
        }
    if roll < 0.50:
        return base | {
            "Channel": SYSMON,
            "EventID": 3,
            "Image": image,
            "Initiated": "true",
            "DestinationIp": f"10.{n % 250}.{n % 7}.{n % 200}",
            "DestinationPort": rng.choice([80, 443, 445, 3389, 8080]),
            "SourceIp": "10.0.0.5",
            "Protocol": "tcp",
        }
    if roll < 0.65:
        return base | {
            "Channel": SYSMON,
            "EventID": 7,
            "Image": image,
            "ImageLoaded": "c:\\windows\\system32\\" + rng.choice(DLLS),
            "Signed": "true",
        }
    if roll < 0.75:
        return base | {
            "Channel": SYSMON,
            "EventID": 11,
            "Image": image,
            "TargetFilename": rng.choice(DIRS) + f"file{n % 100}.tmp",
        }
    if roll < 0.85:
        return base | {
            "Channel": SYSMON,
            "EventID": 13,
            "Image": image,
            "TargetObject": "HKLM" + rng.choice(REG) + f"val{n % 3000}",
            "Details": "c:\\users\\public\\" + exe,
            "EventType": "SetValue",
        }
    if roll < 0.90:
        return base | {
            "Channel": "Security",
            "EventID": 4624,
            "LogonType": 10,
            "TargetUserName": f"svc{n % 3000}",
            "IpAddress": f"10.{n % 250}.1.1",
            "WorkstationName": "WS02",
            "LogonProcessName": "User32",
        }
    if roll < 0.95:
        return base | {
            "Channel": "Security",
            "EventID": 4688,
            "NewProcessName": image,
            "CommandLine": image + " " + rng.choice(ARGS),
            "ParentProcessName": rng.choice(DIRS) + rng.choice(EXES),
            "SubjectUserName": "alice",
        }
    if roll < 0.98:
        body = " ".join(rng.choice(ARGS) for _ in range(30))
        return base | {
            "Channel": "Microsoft-Windows-PowerShell/Operational",
            "EventID": 4104,
            "ScriptBlockText": body,
            "Path": "",
        }
    return base | {
        "Channel": "System",
        "EventID": 7045,
        "ServiceName": f"svc{n}",
        "ImagePath": image,
        "StartType": "auto start",
    }


def _flatten(record: dict[str, Any]) -> dict[str, Any]:
    """System fields and EventData/UserData items by name, as the EVTX reader flattens them."""
    event = record.get("Event", {})
    system = event.get("System", {})
    flat: dict[str, Any] = {}
    for key, value in system.items():
        if isinstance(value, dict):
            attributes = value.get("#attributes", {})
            if key == "Provider":
                flat["Provider_Name"] = attributes.get("Name")
            elif key == "TimeCreated":
                flat["TimeCreated"] = attributes.get("SystemTime")
            elif key == "Security":
                if attributes.get("UserID"):
                    flat["SecurityUserID"] = attributes["UserID"]
            elif key == "EventID":
                flat["EventID"] = value.get("#text")
        elif key != "#attributes":
            flat[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            if section == "UserData" and len(data) == 1:
                (data,) = data.values()
            if isinstance(data, dict):
                for key, value in data.items():
                    if key != "#attributes":
                        flat[key] = value
    return flat


def _calibration_events(limit: int) -> list[dict[str, Any]]:
    import evtx

    root = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
    if not root:
        raise SystemExit("--calibration needs MADOGUCHI_CALIBRATION_DATA (the data folder)")
    events: list[dict[str, Any]] = []
    for path in sorted(Path(root, "evtx").rglob("*.evtx")):
        try:
            for record in evtx.PyEvtxParser(str(path)).records_json():
                events.append(_flatten(json.loads(record["data"])))
        except (OSError, RuntimeError) as error:
            print(f"skipped {path.name}: {error}")
    real = len(events)
    while events and len(events) < limit:
        events.extend(events[: limit - len(events)])
    print(f"real events       {real} from {root}/evtx (repeated to {len(events)})")
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=2500)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="match real events from $MADOGUCHI_CALIBRATION_DATA/evtx",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        rule_file = Path(tmp) / "synthetic.yml"
        rule_file.write_text("\n---\n".join(_rule(rng, i) for i in range(args.rules)))
        started = time.perf_counter()
        ruleset, errors = load_rules([rule_file])
        load_seconds = time.perf_counter() - started
    if args.calibration:
        events = _calibration_events(args.events)
    else:
        events = [_event(rng, n) for n in range(args.events)]
    correlator = Correlator(ruleset)
    ruleset.match(events[0])  # warm the index like a real run's first event does
    started = time.perf_counter()
    matches = 0
    for event in events:
        matches += len(ruleset.match(event))
    seconds = time.perf_counter() - started
    del correlator
    print(f"rules loaded      {len(ruleset.rules)} (not loaded: {len(errors)})")
    print(f"load time         {load_seconds:.2f} s")
    print(f"events            {len(events)}")
    print(f"matches           {matches}")
    print(f"match time        {seconds:.2f} s")
    print(f"events/s          {len(events) / seconds:,.0f}")


if __name__ == "__main__":
    main()
