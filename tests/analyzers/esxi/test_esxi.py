from madoguchi.analyzers.esxi import EsxiAnalyzer
from madoguchi.domain.findings import Severity, Stage


def shell(clock: str, command: str) -> str:
    return f"2024-05-20T01:{clock}.000Z In(14) shell[2100020]: [root]: {command}"


def test_routine_host_client_login_is_not_a_finding(write, analyze) -> None:
    text = (
        "2023-12-05T14:31:48.557Z In(166) Hostd[1050748]: [Originator@6876 "
        "sub=Vimsvc.HaSessionManager opID=esxui-8c02 sid=52f0e556] Accepted password for "
        "user root from 192.168.127.10 - session=52f0e556\n"
    )
    out = analyze(EsxiAnalyzer(), write("hostd.log", text))
    assert out.accepted and out.findings == []
    assert out.sections[0].data["rows"][0]["user"] == "root"


def test_ssh_enable_root_login_and_vm_kills(write, analyze) -> None:
    text = (
        "\n".join(
            [
                "2024-05-20T01:02:03.100Z In(166) Hostd[2100001]: [Originator@6876 "
                "sub=Vimsvc.ha-eventmgr] Event 130 : SSH for the host esx01 has been enabled",
                "2024-05-20T01:02:40.200Z In(38) sshd[2100010]: Accepted password for root from "
                "10.0.10.25 port 50122 ssh2",
                *(
                    shell(f"04:{i:02d}", f"esxcli vm process kill --type=force --world-id=10500{i}")
                    for i in range(6)
                ),
                shell("05:00", "vim-cmd vmsvc/snapshot.removeall 12"),
            ]
        )
        + "\n"
    )
    out = analyze(EsxiAnalyzer(), write("shell.log", text))
    assert {
        "esxi.ssh-enabled",
        "esxi.root-ssh-login",
        "esxi.vm-killed",
        "esxi.mass-vm-power-off",
        "esxi.snapshots-removed",
    } <= out.rule_ids
    [kills] = out.rule("esxi.vm-killed")
    assert kills.details["count"] == 6 and kills.stage is Stage.IMPACT
    assert kills.account == "root"
    [mass] = out.rule("esxi.mass-vm-power-off")
    assert mass.severity is Severity.CRITICAL


def test_a_single_power_off_is_not_mass(write, analyze) -> None:
    out = analyze(EsxiAnalyzer(), write("shell.log", shell("04:00", "vim-cmd vmsvc/power.off 3")))
    assert out.rule_ids == {"esxi.vm-killed"}


def test_esx_admins_firewall_and_log_deletion(write, analyze) -> None:
    text = (
        "\n".join(
            [
                "2024-06-02T21:19:01.386Z In(166) Hostd[1050738]: [Originator@6876 "
                "sub=Hostsvc.AppConfigOptionsProvider] Set called with key "
                "'Config.HostAgent.plugins.hostsvc.esxAdminsGroup' value '\"ESX Admins new\"'",
                shell("06:00", "esxcli network firewall set --enabled false"),
                shell("07:00", "rm -rf /var/log/*.log"),
                shell("08:00", "ls -la /vmfs/volumes/datastore1/vm01/vm01-flat.vmdk.args"),
            ]
        )
        + "\n"
    )
    out = analyze(EsxiAnalyzer(), write("hostd.log.1", text, gzipped=True))
    assert out.rule("esxi.esx-admins-group")[0].cve == ("CVE-2024-37085",)
    assert out.rule("esxi.firewall-changed")[0].severity is Severity.HIGH
    assert out.rule("esxi.log-deletion")
    assert out.rule("esxi.encrypted-vm-files")[0].stage is Stage.IMPACT


def test_discovery_command_in_shell_log(write, analyze) -> None:
    out = analyze(EsxiAnalyzer(), write("shell.log", shell("01:00", "uname -a") + "\n"))
    assert out.rule("esxi.discovery-command")
