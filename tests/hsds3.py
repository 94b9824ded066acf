"""The official HSDS 3.0 schemas as validators: JSON objects against schema/<name>.json, and tabular
packages through their datapackage.json (Table Schema types, formats, required fields, primary and
foreign keys, then each row as JSON against its table's schema). Schemas and examples are vendored
in tests/geo/fixtures/hsds3 (Open Referral, CC BY-SA 4.0; SOURCE.md there says from where)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Iterable
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HSDS3 = Path(__file__).parent / "geo" / "fixtures" / "hsds3"
SCHEMAS = HSDS3 / "schema"
EXAMPLES = HSDS3 / "examples"


@functools.cache
def _registry() -> Registry:
    """Every schema file by its name, which is how the schemas `$ref` each other."""
    return Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()), default_specification=DRAFT202012))
        for p in SCHEMAS.glob("*.json"))


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """schema/<name>.json (service, organization, service_at_location, taxonomy_term, …), with
    formats (uuid, uri, email, date-time) checked."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(name: str, instance: object, where: str = "") -> list[str]:
    """Each way `instance` fails schema/<name>.json, as `where/path: message`."""
    return [f"{where}/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in validator(name).iter_errors(instance)]


def _cell(value: str, field: dict) -> object:
    """A CSV cell as Table Schema reads it: numbers as numbers; dates and times checked."""
    kind = field.get("type", "string")
    if kind in ("number", "integer"):
        number = float(value)
        return int(number) if kind == "integer" or number.is_integer() else number
    if kind == "date":
        return dt.date.fromisoformat(value).isoformat()
    if kind == "time":
        if len(value) != 8:
            raise ValueError(f"{value!r} is not HH:MM:SS")
        return dt.time.fromisoformat(value).isoformat()
    if kind == "datetime":
        return dt.datetime.fromisoformat(value).isoformat()
    return value


def tabular_errors(files: dict[str, str]) -> list[str]:
    """Everything wrong with a tabular package (file name → text, datapackage.json among them)."""
    if "datapackage.json" not in files:
        return ["datapackage.json is missing"]
    package = json.loads(files["datapackage.json"])
    errors: list[str] = []
    resources = {r["path"]: r for r in package["resources"]}
    errors += [f"{name}: not described in datapackage.json" for name in files
               if name.endswith(".csv") and name not in resources]
    ids: dict[str, set[str]] = {}
    rows_by_file: dict[str, list[tuple[int, dict]]] = {}
    for path, resource in resources.items():
        if path not in files:
            errors.append(f"{path}: listed in datapackage.json but not in the package")
            continue
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        missing = resource["schema"].get("missingValues", [""])
        reader = csv.DictReader(io.StringIO(files[path], newline=""))
        errors += [f"{path}: column {c!r} is not a field of {resource['name']}"
                   for c in reader.fieldnames or [] if c not in fields]
        rows_by_file[path] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            obj: dict[str, object] = {}
            for name, value in row.items():
                if value in missing:
                    continue
                try:
                    obj[name] = _cell(value, fields[name])
                except (ValueError, KeyError) as e:
                    errors.append(f"{path}:{line}: {name}: {e}")
            for name, f in fields.items():
                if f.get("constraints", {}).get("required") and name in row and name not in obj:
                    errors.append(f"{path}:{line}: {name}: is required and missing")
            key = str(obj.get(resource["schema"].get("primaryKey", "id"), ""))
            if key in seen:
                errors.append(f"{path}:{line}: duplicate primary key {key!r}")
            seen.add(key)
            errors += schema_errors(resource["name"], obj, f"{path}:{line}")
            rows_by_file[path].append((line, obj))
        ids[resource["name"]] = seen
    for path, resource in resources.items():
        for fk in resource["schema"].get("foreignKeys", []):
            targets = ids.get(fk["reference"]["resource"], set())
            for line, obj in rows_by_file.get(path, []):
                value = obj.get(fk["fields"])
                if value is not None and value not in targets:
                    errors.append(f"{path}:{line}: {fk['fields']}: {value!r} is not an id of "
                                  f"{fk['reference']['resource']}")
    return errors


def package_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}


def all_errors(name: str, instances: Iterable[dict]) -> list[str]:
    return [e for i in instances for e in schema_errors(name, i, str(i.get("id")))]
