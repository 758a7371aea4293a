"""Types the admin API shares: times always with an explicit offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

# ISO 8601 with "+00:00" rather than pydantic's "Z": the contract promises an offset.
Timestamp = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]
