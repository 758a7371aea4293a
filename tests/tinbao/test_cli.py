"""The `tinbao` command as an operator runs it: help, settings errors, migrate, codes, import."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.codes import ALPHABET
from tests.harness import free_port

TINBAO = str(Path(sys.executable).with_name("tinbao"))


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command with only TINBAO_* settings from `env`, in a folder of its own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    return subprocess.run(
        [TINBAO, *args],
        cwd=cwd,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    """Settings for a fresh SQLite database in the test's folder."""
    return {"TINBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'tinbao.db'}"}


def test_cli_help_describes_every_command(tmp_path: Path) -> None:
    top = run(["--help"], tmp_path)
    assert top.returncode == 0
    for command in ("migrate", "serve", "areas", "link-code", "demo", "zalo-oa"):
        assert command in top.stdout
        assert run([*command.split(), "--help"], tmp_path).returncode == 0
    assert "import" in run(["areas", "--help"], tmp_path).stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TINBAO_TELEGRAM_TOKEN": "123:SECRETTOKENVALUE"}, "TINBAO_TELEGRAM_WEBHOOK_SECRET"),
        ({"TINBAO_ZALO_TOKEN": "zalo-secret-token-value"}, "TINBAO_ZALO_WEBHOOK_SECRET"),
        ({"TINBAO_TELEGRAM_MODE": "carrier-pigeon"}, "TINBAO_TELEGRAM_MODE"),
        ({"TINBAO_DATABASE_URL": "mysql://x@y/z"}, "TINBAO_DATABASE_URL"),
        ({"TINBAO_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:1/x"}, "TINBAO_SECRET_KEY"),
        ({"TINBAO_TIMEZONE": "Mars/Olympus"}, "TINBAO_TIMEZONE"),
        ({"TINBAO_TELEGRAM_WEBHOOK_SECRET": "short"}, "TINBAO_TELEGRAM_WEBHOOK_SECRET"),
        ({"TINBAO_PLAYGROUND": "true"}, "TINBAO_PLAYGROUND"),
    ],
)
def test_serve_stops_with_one_line_naming_a_bad_setting(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = run(["serve", "--port", str(free_port())], tmp_path, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0]
    for value in env.values():
        if "SECRET" in value or "secret" in value:
            assert value not in result.stderr


def test_settings_are_read_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TINBAO_TELEGRAM_MODE=carrier-pigeon\n")
    result = run(["serve"], tmp_path)
    assert "TINBAO_TELEGRAM_MODE" in result.stderr


def test_migrate_is_safe_to_run_again(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    first, second = run(["migrate"], tmp_path, sqlite_env), run(["migrate"], tmp_path, sqlite_env)
    assert (first.returncode, second.returncode) == (0, 0)


def test_link_code_prints_the_code_alone_on_the_first_line(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    csv = tmp_path / "areas.csv"
    csv.write_text(
        "code,name,kind,parent_code,aliases,lat,lon\nW1,Tô Hiệu,ward,,,,\n", encoding="utf-8"
    )
    assert run(["migrate"], tmp_path, sqlite_env).returncode == 0
    assert run(["areas", "import", str(csv)], tmp_path, sqlite_env).returncode == 0
    result = run(["link-code", "--area", "W1", "--role", "triage"], tmp_path, sqlite_env)
    assert result.returncode == 0
    code = result.stdout.splitlines()[0]
    assert re.fullmatch(f"[{ALPHABET}]{{8}}", code)
    unknown = run(["link-code", "--area", "NOPE", "--role", "triage"], tmp_path, sqlite_env)
    assert unknown.returncode != 0 and "NOPE" in unknown.stderr
    bad_role = run(["link-code", "--area", "W1", "--role", "boss"], tmp_path, sqlite_env)
    assert bad_role.returncode != 0 and "triage or community" in bad_role.stderr


def test_areas_import_reports_each_bad_row_and_imports_nothing(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    csv = tmp_path / "areas.csv"
    csv.write_text(
        "\ufeffcode,name,kind,parent_code,aliases,lat,lon\n"
        "P1,Sơn La,province,,,,\n"
        "W1,Tô Hiệu,ward,P9,,,\n"
        "W2,Chiềng An,village,P1,,,\n",
        encoding="utf-8",
    )
    run(["migrate"], tmp_path, sqlite_env)
    result = run(["areas", "import", str(csv)], tmp_path, sqlite_env)
    assert result.returncode != 0
    assert "line 3" in result.stderr and "P9" in result.stderr
    assert "line 4" in result.stderr and "village" in result.stderr
    assert "nothing was imported" in result.stderr
    listing = run(["link-code", "--area", "P1", "--role", "community"], tmp_path, sqlite_env)
    assert listing.returncode != 0  # P1 was not imported either


def test_areas_import_vietnam_counts_what_it_did_and_is_idempotent(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    run(["migrate"], tmp_path, sqlite_env)

    first = run(["areas", "import-vietnam", "--province", "Sơn La"], tmp_path, sqlite_env)
    again = run(["areas", "import-vietnam", "--province", "14"], tmp_path, sqlite_env)
    unknown = run(["areas", "import-vietnam", "--province", "Atlantis"], tmp_path, sqlite_env)

    assert first.stdout.strip() == "76 areas created, 0 updated, 0 unchanged", first.stderr
    assert again.stdout.strip() == "0 areas created, 0 updated, 76 unchanged", again.stderr
    assert unknown.returncode == 2 and 'no province "Atlantis"' in unknown.stderr
    code = run(["link-code", "--area", "03646", "--role", "triage"], tmp_path, sqlite_env)
    assert code.returncode == 0  # Phường Tô Hiệu, by its official code


def test_serve_migrates_an_empty_sqlite_database_answers_health_and_stops_on_sigterm(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TINBAO_")}
    process = subprocess.Popen(
        [TINBAO, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean | sqlite_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve did not answer")
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        admin = httpx.get(f"http://127.0.0.1:{port}/api/v1/areas", timeout=5)
        assert admin.status_code == 503
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    # uvicorn re-raises the signal once shut down, as init systems expect.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "stopped cleanly" in stderr
    assert f"no database at {tmp_path / 'tinbao.db'}: creating one there" in stderr
    [started] = [line for line in stderr.splitlines() if "channels:" in line]
    assert f"on http://127.0.0.1:{port}; channels: none; admin API: off" in started
    assert f"database: sqlite:///{tmp_path / 'tinbao.db'}; public URL: unset" in started
    assert (tmp_path / "tinbao.key").exists()
    assert "TINBAO_SECRET_KEY" in stderr  # the warning that a key was generated
    key = (tmp_path / "tinbao.key").read_text().strip()
    assert key not in stderr


def test_cli_version_prints_the_version(tmp_path: Path) -> None:
    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert re.fullmatch(r"tinbao \d+\.\d+\.\d+\S*\n", result.stdout)


def test_serve_stops_with_one_line_when_the_port_is_taken(
    tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port)], tmp_path, sqlite_env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"tinbao: --port {port}: 127.0.0.1:{port} is already in use"
    ]


def test_serve_stops_with_the_drivers_reason_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    env = {
        "TINBAO_DATABASE_URL": f"postgresql+psycopg://tinbao:pa55word@127.0.0.1:{free_port()}/x",
        "TINBAO_SECRET_KEY": "a-secret-key-for-tests",
    }
    result = run(["serve", "--port", str(free_port())], tmp_path, env)
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "TINBAO_DATABASE_URL: cannot open the database" in line
    assert "Connection refused" in line  # psycopg's own words
    assert "pa55word" not in result.stderr


@pytest.mark.parametrize(
    ("revision", "says"),
    [("9999", "is newer than this Tinbao"), ("0001", "is older than this Tinbao's")],
)
def test_serve_stops_with_one_line_on_a_schema_it_cannot_run_on(
    tmp_path: Path, sqlite_env: dict[str, str], revision: str, says: str
) -> None:
    assert run(["migrate"], tmp_path, sqlite_env).returncode == 0
    with sqlite3.connect(tmp_path / "tinbao.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()
    result = run(["serve", "--port", str(free_port())], tmp_path, sqlite_env)
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert f"the database schema (revision {revision}) {says}" in line
