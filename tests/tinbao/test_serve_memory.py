"""What `tinbao serve` leaves out of its memory until it needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.db import Database
from migrations.revision import HEAD_REVISION
from migrations.runner import upgrade_to_head


def test_serve_starts_on_a_migrated_database_without_alembic_or_pillow(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tinbao.db'}")
    upgrade_to_head(database)
    database.dispose()
    # What `serve` imports and checks before it serves, in a fresh interpreter: Alembic
    # (10 MB) only migrates, Pillow (5 MB) only reads photos.
    script = (
        "import sys; import tinbao.cli, tinbao.service; from core.db import Database; "
        "from tinbao.startup import check_schema; "
        f"print(check_schema(Database({database.url!r}))); "
        "print('alembic' in sys.modules, 'PIL' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == [HEAD_REVISION, "False", "False"]
