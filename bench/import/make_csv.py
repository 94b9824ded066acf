"""Write the benchmark sheet: N rows in the import template, every row with coordinates.

Rows are the SAMPLE generator's services (real towns in Missouri and Massachusetts, fictional
555-01xx phones), so every row is valid and lands inside its state.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from geo.importer.sheet import TEMPLATE
from geo.sample import generate
from geo.settings import Settings

AREA_CODES = {"MO": "(573)", "MA": "(617)"}  # real area codes: the generator's are random


def write(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(TEMPLATE)
        for it in generate(count, Settings().data_dir):
            place = it["place"]
            hours = "24/7" if it["always_open"] else "Mo-Fr 09:00-17:00" + ("; Sa 10:00-14:00" if it["saturday"] else "")
            out.writerow([
                f"bench-{it['index']:06d}", it["name"].removeprefix("Sample: "), "", it["address_1"], place.name,
                place.state, place.zip_code or "", AREA_CODES[place.state] + it["phone"][5:], "", it["category"], "; ".join(it["stages"]),
                "; ".join(name for _, name in it["languages"]), it["capacity"], hours,
                it["lat"], it["lon"], "yes" if it["confidential"] else "no", "Benchmark row (sample data).",
            ])


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
