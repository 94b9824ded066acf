"""Record ids: every id we write or publish is a UUID, as HSDS 3 requires, and a deterministic one,
so an import written twice, or exported and imported again, names the same rows.

- A source's record (service, organization, location, …): `record_id`, a UUID version 5 of the
  source, the kind and the source's own id.
- A record's details (phones, schedules, languages, categories, cost options, …): `child_id`, a
  UUID version 8 (RFC 9562, "custom") whose first 80 bits are a SHA-256 of the parent's id and the
  kind and whose last 48 bits are the detail's position, so `ORDER BY id` lists a service's phones
  (say) in the order the source gave them. geo/migrations/versions/0014_uuid_ids.py computes the
  same ids in SQL: change both together.
"""

from __future__ import annotations

import hashlib
import uuid

_NAMESPACE = uuid.UUID("7f3b8a52-55d4-4c1e-8a7e-2d0f6b1c9e14")
_NAMESPACE_BYTES = _NAMESPACE.bytes
_VARIANT = "89ab"


def record_id(source: str, kind: str, source_id: str) -> str:
    """Our id for a source's record: the same source id always gives the same row. Equal to
    uuid.uuid5(_NAMESPACE, name), formatted from the SHA-1 directly, since an import makes several
    per row (timings: bench/README.md)."""
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{source}\x1f{kind}\x1f{source_id}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def child_prefix(parent_id: str, kind: str) -> str:
    """The first four groups of the ids of a parent's details of one kind."""
    h = hashlib.sha256(f"{parent_id}\x1f{kind}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-8{h[12:15]}-{_VARIANT[int(h[15], 16) & 3]}{h[16:19]}"


def child_id(parent_id: str, kind: str, position: int) -> str:
    """The id of a parent's `position`-th detail of `kind` (0-based): a UUID ordered by position."""
    return f"{child_prefix(parent_id, kind)}-{position:012x}"


def is_uuid(value: str) -> bool:
    """A UUID in its canonical text form (what HSDS 3's `format: uuid` accepts)."""
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except ValueError:
        return False
