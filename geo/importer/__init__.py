"""Importing service directories: HSDS 3 packages and JSON, and plain spreadsheets.

`import_path` reads any of them into one shape (records.Record), checks every row, places it
(geo.geocode) and writes it in one transaction (apply.py); exports go the other way (export.py).
"""

from geo.importer.run import ImportOptions, ImportReport, import_path

__all__ = ["ImportOptions", "ImportReport", "import_path"]
