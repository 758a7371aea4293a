"""`tinbao demo` from the command line: starts, serves the page, keeps or resets, stops on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.demo_process import demo_process


def test_demo_starts_serves_the_page_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    with demo_process(data, cwd=tmp_path) as demo:
        page = httpx.get(demo.url + "/")
        assert page.status_code == 200
        assert "Công an phường Tô Hiệu" in page.text  # Vietnamese by default
        assert "Tinbao demo" in httpx.get(demo.url + "/?lang=en").text
        assert httpx.get(demo.url + "/playground/static/playground.js").status_code == 200
        assert httpx.get(demo.url + "/healthz").json()["status"] == "ok"
        assert f"open {demo.url}/" in demo.output()
        assert demo.stop()
    assert (data / "tinbao.db").is_file()  # --data is kept


def test_demo_reads_no_stray_settings(tmp_path: Path) -> None:
    # A .env and TINBAO_* variables that would turn Telegram on and point the database elsewhere.
    (tmp_path / ".env").write_text("TINBAO_TELEGRAM_TOKEN=123:FROMDOTENV\n")
    env = {
        "TINBAO_TELEGRAM_TOKEN": "123:FROMENV",
        "TINBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}",
    }
    with demo_process(tmp_path / "demo", cwd=tmp_path, env=env) as demo:
        assert httpx.post(demo.url + "/webhooks/telegram", json={"update_id": 1}).status_code == 404
        assert demo.stop()
    assert not (tmp_path / "elsewhere.db").exists()
    assert (tmp_path / "demo" / "tinbao.db").is_file()


def test_demo_reset_flag_starts_over(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    with demo_process(data, cwd=tmp_path) as demo:
        assert demo.stop()
    (data / "playground.jsonl").write_text('{"type": "message", "chat": "lan", "seq": 1}\n')
    (data / "media").mkdir(exist_ok=True)
    (data / "media" / "left-over.png").write_bytes(b"x")
    with demo_process(data, cwd=tmp_path, args=("--reset",)) as demo:
        assert not (data / "media" / "left-over.png").exists()
        feed = data / "playground.jsonl"
        assert not feed.exists() or '"chat": "lan"' not in feed.read_text()
        assert demo.stop()


def test_demo_without_data_removes_its_temporary_folder(tmp_path: Path) -> None:
    with demo_process(None, cwd=tmp_path) as demo:
        [line] = [x for x in demo.output().splitlines() if x.startswith("Demo data in ")]
        folder = Path(line.removeprefix("Demo data in "))
        assert (folder / "tinbao.db").is_file()
        assert demo.stop()
    assert not folder.exists()
