"""Reading the app's log for leaks: what a request carried in, not what the server made up."""

from __future__ import annotations

import json
import re


def without_generated_values(text: str) -> str:
    """Drop what the server makes up itself (timestamps, random request ids, durations), keeping all else.

    Thousands of random hex ids and millisecond timestamps will, now and then, contain a digit run such
    as 63101 or 38.627 by chance; the leak scan is about what a request carried in, not about those.
    """
    kept = []
    for line in text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            for generated in ("time", "duration_ms"):
                record.pop(generated, None)
            if re.fullmatch(r"[0-9a-f]{32}", str(record.get("request_id", ""))):
                record.pop("request_id")
            line = json.dumps(record, ensure_ascii=False)
        kept.append(line)
    return "\n".join(kept)
