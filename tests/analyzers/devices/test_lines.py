from datetime import UTC, datetime

from madoguchi.analyzers.devices.lines import parse_header, parse_kv, parse_timestamp


def test_rfc3164_with_priority_host_and_tag() -> None:
    head = parse_header("<38>Mar  3 02:10:01 web01 sshd[2211]: Failed password", year=2024)
    assert head.timestamp == datetime(2024, 3, 3, 2, 10, 1, tzinfo=UTC)
    assert head.host == "web01"
    assert head.tag == "sshd"
    assert head.message == "Failed password"
    assert not head.has_year


def test_relay_header_in_front_of_rfc5424_keeps_the_zoned_timestamp() -> None:
    line = (
        "Oct 19 09:16:53 pcs-node1 1 2021-10-19T09:16:53+02:00 10.5.2.3 PulseSecure: "
        "- - - 2021-10-19 09:16:53 - pcs-node1 - [89.160.20.156] u(R)[] - msg"
    )
    head = parse_header(line)
    assert head.timestamp == datetime(2021, 10, 19, 7, 16, 53, tzinfo=UTC)
    assert head.host == "pcs-node1"
    assert head.tag == "PulseSecure"
    assert "[89.160.20.156]" in head.message


def test_rfc5424_structured_data_is_removed() -> None:
    head = parse_header(
        "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 "
        '[exampleSDID@32473 iut="3"] An application event'
    )
    assert head.host == "mymachine"
    assert head.tag == "evntslog"
    assert head.message == "An application event"


def test_esxi_line_without_host_and_with_level_token() -> None:
    head = parse_header("2023-12-05T17:36:17.835Z In(14) shell[1053659]: [root]: vim-cmd x")
    assert head.tag == "shell"
    assert head.message == "[root]: vim-cmd x"
    assert head.timestamp == datetime(2023, 12, 5, 17, 36, 17, 835000, tzinfo=UTC)


def test_key_value_pairs_with_quotes() -> None:
    fields = parse_kv('date=2022-12-12 logdesc="Application crashed" msg="a \\"b\\" c" x=')
    assert fields == {
        "date": "2022-12-12",
        "logdesc": "Application crashed",
        "msg": 'a "b" c',
        "x": "",
    }


def test_timestamp_shapes() -> None:
    assert parse_timestamp("2024/04/12 10:15:02") == datetime(2024, 4, 12, 10, 15, 2, tzinfo=UTC)
    assert parse_timestamp("10/25/2023:09:01:12 GMT") == datetime(
        2023, 10, 25, 9, 1, 12, tzinfo=UTC
    )
    assert parse_timestamp("06/Feb/2025:00:00:38 +0900") == datetime(
        2025, 2, 5, 15, 0, 38, tzinfo=UTC
    )
    assert parse_timestamp("not a time") is None
