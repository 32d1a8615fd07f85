"""Settings: defaults < YAML < environment, and one clear line for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from industryos.cli import main
from industryos.config import ConfigError, load_settings, resolve_jwt_secret


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PORT", "MQTT_PORT", "COAP_PORT", "DATA_DIR", "DB_URL", "DEMO"):
        monkeypatch.delenv(f"INDUSTRYOS_{name}", raising=False)
    settings = load_settings()
    assert settings.http_port == 8080
    assert settings.mqtt_port == 1883
    assert settings.coap_port == 5683
    assert settings.data_dir == Path("./data")
    assert settings.demo is True
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("data/industryos.db")


def test_yaml_overrides_defaults_and_env_overrides_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "node.yaml"
    config.write_text("http_port: 9090\nmqtt_port: 2883\ndemo: false\n")
    monkeypatch.setenv("INDUSTRYOS_MQTT_PORT", "3883")
    settings = load_settings(config)
    assert settings.http_port == 9090
    assert settings.mqtt_port == 3883
    assert settings.demo is False


def test_postgresql_url_selects_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDUSTRYOS_DB_URL", "postgresql://postgres@127.0.0.1/x")
    settings = load_settings()
    assert settings.is_postgresql
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/x"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "eighty"),
        ("HTTP_PORT", "70000"),
        ("DB_URL", "mysql://x"),
        ("DEMO", "maybe"),
        ("JWT_SECRET", "short"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"INDUSTRYOS_{name}", value)
    with pytest.raises(ConfigError, match=f"INDUSTRYOS_{name}"):
        load_settings()


def test_a_field_rule_reads_without_pydantics_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDUSTRYOS_DB_URL", "mysql://x")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == (
        "invalid setting INDUSTRYOS_DB_URL (db_url): must start with sqlite:// or postgresql://"
    )


@pytest.mark.parametrize("given", ["MQTT_TLS_CERT", "MQTT_TLS_KEY"])
def test_a_tls_certificate_without_its_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: str
) -> None:
    """Before, one without the other was ignored and a self-signed pair served instead."""
    files = {"MQTT_TLS_CERT": tmp_path / "server.pem", "MQTT_TLS_KEY": tmp_path / "server.key"}
    monkeypatch.setenv(f"INDUSTRYOS_{given}", str(files.pop(given)))
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == (
        "invalid settings: mqtt_tls_cert and mqtt_tls_key are set together, or neither"
    )
    ((other, path),) = files.items()
    monkeypatch.setenv(f"INDUSTRYOS_{other}", str(path))
    settings = load_settings()
    assert (settings.mqtt_tls_cert, settings.mqtt_tls_key) == (
        tmp_path / "server.pem",
        tmp_path / "server.key",
    )


def test_a_cluster_node_needs_the_shared_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each node would otherwise sign with a secret of its own data dir: a token from one
    node would be refused by every other."""
    monkeypatch.delenv("INDUSTRYOS_JWT_SECRET", raising=False)
    monkeypatch.setenv("INDUSTRYOS_BUS_URL", "nats://127.0.0.1:4222")
    with pytest.raises(ConfigError, match=r"set jwt_secret \(INDUSTRYOS_JWT_SECRET\) to the same"):
        load_settings()
    monkeypatch.setenv("INDUSTRYOS_JWT_SECRET", "cluster-" + "s" * 60)
    assert load_settings().bus_url == "nats://127.0.0.1:4222"


def test_the_queue_is_embedded_or_jetstream(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().queue_url == ""
    monkeypatch.setenv("INDUSTRYOS_QUEUE_URL", "redis://127.0.0.1:6379")
    with pytest.raises(ConfigError, match="INDUSTRYOS_QUEUE_URL"):
        load_settings()
    monkeypatch.setenv("INDUSTRYOS_QUEUE_URL", "nats://127.0.0.1:4222")
    monkeypatch.setenv("INDUSTRYOS_QUEUE_PREFIX", "a.b")  # a dot would split stream names
    with pytest.raises(ConfigError, match="INDUSTRYOS_QUEUE_PREFIX"):
        load_settings()
    monkeypatch.setenv("INDUSTRYOS_QUEUE_PREFIX", "plant-7")
    assert load_settings().queue_prefix == "plant-7"


def test_unknown_yaml_key_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text("http_prot: 9090\n")
    with pytest.raises(ConfigError, match="HTTP_PROT"):
        load_settings(config)


def test_cli_prints_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INDUSTRYOS_HTTP_PORT", "-1")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "INDUSTRYOS_HTTP_PORT" in err[0]


def test_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    first = resolve_jwt_secret(settings)
    assert len(first) >= 64
    assert resolve_jwt_secret(settings) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("industryos ")
