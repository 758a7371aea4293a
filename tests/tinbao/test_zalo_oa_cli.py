"""`tinbao zalo-oa groups` as an operator runs it against the (fake) Zalo OA."""

from __future__ import annotations

import time
from pathlib import Path

from core.db import Database
from tests.bot.reporting_support import link
from tests.factories import make_area
from tests.fakes import FakeZaloOa
from tests.fakes.zalo_oa_api import APP_SECRET, REFRESH_TOKEN
from tests.fakes.zalo_oa_events import APP_ID, OA_SECRET_KEY
from tests.fakes.zalo_oa_groups import DAY_MS
from tests.tinbao.test_cli import run


def test_zalo_oa_groups_lists_link_state_size_and_expiry_with_warnings(tmp_path: Path) -> None:
    database = tmp_path / "tinbao.db"
    env = {"TINBAO_DATABASE_URL": f"sqlite:///{database}"}
    assert run(["migrate"], tmp_path, env).returncode == 0
    db = Database(env["TINBAO_DATABASE_URL"])
    with db.session() as session:
        make_area(session, code="SL-CA", name="Chiềng An", kind="ward")
        link(session, channel="zalo-oa", chat_id="gmf_1", area="SL-CA", role="community")
    db.dispose()
    now = int(time.time() * 1000)
    with FakeZaloOa() as oa:
        oa.add_group("gmf_1", "Tổ 5 Chiềng An", total_member=180, max_member=200)
        oa.add_group("gmf_2", "Tổ 6 Chiềng An", members=["1", "2"], expires_at=now + 5 * DAY_MS)
        oa.add_group("gmf_3", "Tổ 7 Chiềng An", expires_at=now - DAY_MS)
        for n in range(4, 60):  # more than one page
            oa.add_group(f"gmf_{n}", f"Nhóm {n}")
        env |= {
            "TINBAO_ZALO_OA_APP_ID": APP_ID,
            "TINBAO_ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
            "TINBAO_ZALO_OA_APP_SECRET": APP_SECRET,
            "TINBAO_ZALO_OA_REFRESH_TOKEN": REFRESH_TOKEN,
            "TINBAO_ZALO_OA_API_URL": oa.url,
            "TINBAO_ZALO_OAUTH_URL": oa.url,
        }
        result = run(["zalo-oa", "groups"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 59
    assert lines[0].startswith("gmf_1  Tổ 5 Chiềng An  [community SL-CA]  members 180/200")
    assert "!" not in lines[0]
    assert lines[1].startswith("gmf_2  Tổ 6 Chiềng An  [not linked]  members 2/100")
    assert lines[1].endswith("! package expires in 4 days") or lines[1].endswith(
        "! package expires in 5 days"
    )
    assert lines[2].endswith("! package expired: the group receives nothing")
    assert "59 groups; 2 expired or expiring within 14 days" in result.stderr
    assert APP_SECRET not in result.stderr + result.stdout


def test_zalo_oa_groups_says_plainly_when_the_oa_is_off(tmp_path: Path) -> None:
    env = {"TINBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'tinbao.db'}"}
    result = run(["zalo-oa", "groups"], tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("tinbao: the Zalo OA is off: set TINBAO_ZALO_OA_APP_ID")


def test_zalo_oa_help_describes_the_groups_command(tmp_path: Path) -> None:
    result = run(["zalo-oa", "--help"], tmp_path)
    assert result.returncode == 0 and "groups" in result.stdout
    assert "expiring within 14 days" in run(["zalo-oa", "groups", "--help"], tmp_path).stdout
