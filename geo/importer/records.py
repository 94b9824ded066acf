"""The one shape every import format is read into, and the checks that turn a cell into a value
or into a reason a person can act on."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache

import orjson
import phonenumbers

from geo.errors import RowError

MULTI_SEPARATOR = ";"
PRECISIONS = ("rooftop", "street", "zip", "place", "county")
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_NANP = re.compile(r"^\s*(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?([2-9]\d{2})[\s.-]?(\d{4})\s*$")


class FieldProblem(ValueError):
    """A cell that cannot be used; the message is the reason shown to the user."""

    def __init__(self, field_name: str, reason: str):
        self.field_name = field_name
        self.reason = reason
        super().__init__(f"{field_name}: {reason}")


@dataclass(frozen=True)
class Hours:
    byday: str  # "MO,TU,WE,TH,FR"
    opens_at: str  # "09:00"
    closes_at: str  # "17:00"


@dataclass
class Place:
    """A location with its address; `latitude`/`longitude` as given or as geocoded."""

    source_id: str
    name: str | None = None
    address_1: str | None = None
    city: str | None = None
    state: str | None = None  # postal abbreviation
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    precision: str | None = None
    geocode_source: str | None = None
    confidential: bool = False
    tz_name: str | None = None
    origin: tuple[str, int] | None = None  # (file, line) of the location row, when not the record's

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass
class ServiceArea:
    source_id: str
    name: str | None
    extent: str | None  # GeoJSON text
    extent_type: str | None = "geojson"
    description: str | None = None


@dataclass
class Phone:
    number: str
    extension: str | None = None
    type: str | None = "voice"


@dataclass
class Record:
    """One service as the source describes it, with its organization, places and details."""

    file: str
    line: int
    source_id: str
    name: str
    organization: str
    organization_id: str
    description: str | None = None
    url: str | None = None
    email: str | None = None
    capacity: int | None = None
    confidential: bool = False
    status: str = "active"
    categories: list[str] = field(default_factory=list)  # taxonomy codes
    stages: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    hours: list[Hours] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    areas: list[ServiceArea] = field(default_factory=list)
    raw: object = None  # what the input held, written back to the rejects file
    errors: list[RowError] = field(default_factory=list)
    import_hash: str | None = None  # set by readers from the input as given

    def reject(self, field_name: str, reason: str, at: tuple[str, int] | None = None) -> None:
        file, line = at or (self.file, self.line)
        self.errors.append(RowError(file, line, field_name, reason))

    def fingerprint(self) -> str:
        """Hash of everything the source said (not of what we derived), so an unchanged row is
        recognised on re-import even when geocoding would now answer differently."""
        if self.import_hash:
            return self.import_hash
        data = {
            k: v for k, v in _plain(self).items()
            if k not in ("file", "line", "raw", "errors", "import_hash")
        }
        for p in data["places"]:
            p.pop("origin", None)
            if p["geocode_source"] != "source":
                p.update(latitude=None, longitude=None, precision=None, geocode_source=None)
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _plain(record: Record) -> dict:
    from dataclasses import asdict

    return asdict(record)


def split_multi(value: str | None) -> list[str]:
    """Several values in one cell are separated by `;`."""
    if not value:
        return []
    return [s for v in value.split(MULTI_SEPARATOR) if (s := v.strip())]


def parse_bool(field_name: str, value: str | None) -> bool:
    v = (value or "").strip().lower()
    if v in ("", "0", "no", "n", "false", "f"):
        return False
    if v in ("1", "yes", "y", "true", "t"):
        return True
    raise FieldProblem(field_name, f"{value!r} is not yes/no (use yes, no, true, false, 1 or 0)")


def parse_capacity(value: str | None) -> int | None:
    v = (value or "").strip().replace(",", "")
    if not v:
        return None
    try:
        n = int(float(v))
    except ValueError:
        raise FieldProblem("capacity", f"{value!r} is not a whole number") from None
    if n < 0 or float(v) != n:
        raise FieldProblem("capacity", f"{value!r} is not a whole number of places (0 or more)")
    return n


@cache
def _nanp_exchange_valid(area: str, exchange: str) -> bool:
    """libphonenumber's verdict for one area code + exchange: its US patterns never look at the
    last four digits, so one call per exchange keeps a 100,000-row import fast."""
    return phonenumbers.is_valid_number(phonenumbers.parse(f"{area}{exchange}0100", "US"))


def parse_phone(value: str) -> Phone:
    """A US phone number, checked with libphonenumber (`phonenumbers`); kept in national format."""
    text, extension = value.strip(), None
    m = re.search(r"\s*(?:x|ext\.?|extension)\s*(\d+)\s*$", text, re.IGNORECASE)
    if m:
        text, extension = text[: m.start()], m.group(1)
    fast = _NANP.match(text)
    if fast:
        area, exchange, line = fast.groups()
        if _nanp_exchange_valid(area, exchange):
            return Phone(f"({area}) {exchange}-{line}", extension)
        raise FieldProblem("phone", f"{value!r} is not a valid phone number")
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise FieldProblem("phone", f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise FieldProblem("phone", f"{value!r} is not a valid phone number")
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 1
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return Phone(phonenumbers.format_number(parsed, fmt), extension or parsed.extension)


_DAY_ALIASES = {d[:2].lower(): code for d, code in zip(
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), DAY_CODES, strict=True)}
_HOURS_PART = re.compile(
    r"^(?P<days>[A-Za-z]{2,9}(?:\s*[-,]\s*[A-Za-z]{2,9})*)\s+"
    r"(?P<opens>\d{1,2}(?::\d{2})?)\s*-\s*(?P<closes>\d{1,2}(?::\d{2})?)$"
)


def _day(token: str) -> str:
    code = _DAY_ALIASES.get(token.strip().lower()[:2])
    if code is None:
        raise FieldProblem("hours", f"{token.strip()!r} is not a day (use Mo Tu We Th Fr Sa Su)")
    return code


def _clock(token: str, whole: str) -> str:
    h, _, m = token.partition(":")
    hour, minute = int(h), int(m or 0)
    if hour == 24 and minute == 0:
        return "23:59"
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise FieldProblem("hours", f"{whole!r}: {token} is not a time of day")
    return f"{hour:02d}:{minute:02d}"


def parse_hours(value: str | None) -> list[Hours]:
    """Opening hours such as `Mo-Fr 09:00-17:00; Sa 10:00-14:00`, or `24/7`."""
    result: list[Hours] = []
    for part in split_multi(value):
        if part.replace(" ", "") == "24/7":
            result.append(Hours(",".join(DAY_CODES), "00:00", "23:59"))
            continue
        m = _HOURS_PART.match(part)
        if not m:
            raise FieldProblem("hours", f"{part!r} is not like 'Mo-Fr 09:00-17:00' or '24/7'")
        days: list[str] = []
        for chunk in m["days"].split(","):
            first, _, last = chunk.partition("-")
            a = DAY_CODES.index(_day(first))
            b = DAY_CODES.index(_day(last)) if last else a
            days.extend(DAY_CODES[i % 7] for i in range(a, (b if b >= a else b + 7) + 1))
        opens, closes = _clock(m["opens"], part), _clock(m["closes"], part)
        if closes <= opens:
            raise FieldProblem("hours", f"{part!r} closes before it opens")
        result.append(Hours(",".join(dict.fromkeys(days)), opens, closes))
    return result


def format_hours(hours: list[Hours]) -> str:
    """The inverse of parse_hours, for exports."""
    parts = []
    for h in hours:
        if h.byday == ",".join(DAY_CODES) and (h.opens_at, h.closes_at) == ("00:00", "23:59"):
            parts.append("24/7")
            continue
        days = h.byday.split(",")
        idx = [DAY_CODES.index(d) for d in days]
        if len(idx) > 2 and idx == list(range(idx[0], idx[0] + len(idx))):
            label = f"{days[0].title()}-{days[-1].title()}"
        else:
            label = ",".join(d.title() for d in days)
        parts.append(f"{label} {h.opens_at}-{h.closes_at}")
    return "; ".join(parts)


def parse_coordinate(field_name: str, value: str | None) -> float | None:
    v = (value or "").strip()
    if not v:
        return None
    try:
        number = float(v)
    except ValueError:
        raise FieldProblem(field_name, f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise FieldProblem(field_name, f"{value!r} is not a number")
    return number


def check_coordinates(lat: float | None, lon: float | None) -> None:
    """Coordinates that cannot be anywhere real; a point outside its state is checked later."""
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise FieldProblem(missing, "is empty while the other coordinate is given")
    if lat is None or lon is None:
        return
    if lat == 0 and lon == 0:
        raise FieldProblem("latitude", "0,0 is not a real location (an empty value stored as zero?)")
    if not -90 <= lat <= 90:
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            raise FieldProblem("latitude", f"{lat} is out of range (-90..90); latitude and longitude look swapped")
        raise FieldProblem("latitude", f"{lat} is out of range (-90..90)")
    if not -180 <= lon <= 180:
        raise FieldProblem("longitude", f"{lon} is out of range (-180..180)")
