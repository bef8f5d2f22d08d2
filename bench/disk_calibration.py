"""Measure the disk analyzers: event-log handoff parity and file-system walk throughput.

Usage::

    MADOGUCHI_CALIBRATION_DATA=/path/to/data .venv/bin/python bench/disk_calibration.py
    .venv/bin/python bench/disk_calibration.py --files 20000     # throughput only

(1) Handoff parity (needs ``MADOGUCHI_CALIBRATION_DATA``): every CC0 event log of
    ``evtx/mdecrevoisier-evtx-to-mitre-attack/`` is analysed on its own by the event
    log analyzer, then all of them are planted in one NTFS image (mkntfs + libntfs-3g,
    as the tests do) under ``Windows/System32/winevt/Logs`` and the image analysed by
    the disk-image analyzer. The rule ids found both ways are compared: the handoff
    should lose nothing. The data stays outside the repository.
(2) Throughput: an NTFS image with ``--files`` small files spread over staging and
    program folders (a few planted tools among them) is analysed; seconds, files/s,
    peak RSS and the planted tools found are printed.

Needs the Debian packages of ``tools/system-deps.sh`` (ntfs-3g). Results are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.analyzers.disk import ntfs_builder

from madoguchi.analysis.runner import AnalysisRequest, run_analysis
from madoguchi.analyzers.disk import DiskImageAnalyzer
from madoguchi.analyzers.registry import Registry, load_registry

CC0_EVTX = "evtx/mdecrevoisier-evtx-to-mitre-attack"


def _registry(*names: str) -> Registry:
    full = load_registry(plugins=False)
    registry = Registry()
    for name in names:
        registry.add(full.get(name))
    return registry


def handoff_parity(data: Path, workdir: Path) -> None:
    samples = sorted((data / CC0_EVTX).rglob("*.evtx"))
    if not samples:
        print(f"no event logs under {data / CC0_EVTX}")
        return
    direct = run_analysis(AnalysisRequest(paths=tuple(samples)), registry=_registry("windows-evtx"))
    total = sum(p.stat().st_size for p in samples)
    image = workdir / "evtx.img"
    size_mb = max(64, total * 2 // (1024 * 1024) + 32)
    with ntfs_builder.NtfsImage(image, size_mb=size_mb) as ntfs:
        for index, sample in enumerate(samples):
            ntfs.write(f"/Windows/System32/winevt/Logs/s{index:03d}.evtx", sample.read_bytes())
    started = time.monotonic()
    via_image = run_analysis(AnalysisRequest(paths=(image,)), registry=_registry("disk-image"))
    seconds = time.monotonic() - started
    ours = Counter(f.rule_id for f in direct.findings)
    theirs = Counter(f.rule_id for f in via_image.findings if f.analyzer == "windows-evtx")
    missing = ours - theirs
    print(f"[handoff] {len(samples)} event logs, {total / 1e6:.1f} MB")
    print(
        f"[handoff] findings direct={sum(ours.values())} via image={sum(theirs.values())} "
        f"rule ids direct={len(ours)} via image={len(theirs)}"
    )
    print(f"[handoff] rule hits lost through the image: {sum(missing.values())} {dict(missing)}")
    print(f"[handoff] image analysed in {seconds:.1f} s")


def throughput(files: int, workdir: Path) -> None:
    image = workdir / "many.img"
    size_mb = max(64, files * 6 // 1024 + 64)
    folders = (
        "ProgramData/Vendor",
        "Users/alice/AppData/Local/Temp",
        "Program Files/App",
        "Windows/Logs",
        "Users/Public/Documents",
    )
    with ntfs_builder.NtfsImage(image, size_mb=size_mb) as ntfs:
        for index in range(files):
            folder = folders[index % len(folders)]
            name = f"f{index:06d}." + ("exe" if index % 7 == 0 else "txt")
            ntfs.write(f"/{folder}/d{index // 500:03d}/{name}", b"MZ" + os.urandom(256))
        ntfs.write("/Windows/System32/drivers/etc/hosts", b"127.0.0.1 localhost\n")
        for planted in ("ProgramData/rclone.exe", "PerfLogs/7za.exe", "Users/Public/PsExec.exe"):
            ntfs.write("/" + planted, b"MZ" + os.urandom(512))
    registry = Registry()
    registry.add(DiskImageAnalyzer)
    started = time.monotonic()
    doc = run_analysis(AnalysisRequest(paths=(image,)), registry=registry)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tools = sorted(f.title for f in doc.findings if f.rule_id == "disk-tool-in-staging-folder")
    print(f"[scan] {files} files + 3 planted tools, image {image.stat().st_size / 1e6:.0f} MB")
    print(
        f"[scan] {seconds:.1f} s ({files / seconds:.0f} files/s), peak RSS of the process "
        f"{peak / 1e6:.1f} MB, timeline {len(doc.timeline)}, findings {len(doc.findings)}"
    )
    print(f"[scan] planted tools found: {len(tools)} {tools}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    if reason := ntfs_builder.available():
        print(f"cannot build NTFS images: {reason}")
        return
    with tempfile.TemporaryDirectory(prefix="madoguchi-disk-bench-") as tmp:
        data = os.environ.get("MADOGUCHI_CALIBRATION_DATA")
        if data:
            handoff_parity(Path(data), Path(tmp))
        else:
            print("[handoff] skipped: MADOGUCHI_CALIBRATION_DATA is not set")
        throughput(args.files, Path(tmp))


if __name__ == "__main__":
    main()
