"""The rules a value must meet to go into the directory, shared by every way in: a spreadsheet
cell, an HSDS field, an edit through the API. Each rule turns text into a value or raises
FieldProblem with a reason a person can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

import phonenumbers

MULTI_SEPARATOR = ";"
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
    """One opening rule, as HSDS 3 schedules say it. The defaults are the plain weekly case a sheet's
    `hours` cell gives; HSDS feeds add monthly rules ("2SA": the second Saturday; "-1FR": the last
    Friday; or days of the month), seasons (valid_from/valid_to, ISO dates, inclusive) and notes."""

    byday: str  # "MO,TU,WE,TH,FR"; monthly: "2SA", "-1FR,1MO" or "" with bymonthday
    opens_at: str  # "09:00"
    closes_at: str  # "17:00"
    freq: str = "WEEKLY"  # or "MONTHLY"
    bymonthday: str | None = None  # monthly: "1,15" or "-1" (the last day)
    valid_from: str | None = None
    valid_to: str | None = None
    description: str | None = None
    # The source id of the one location these hours are for (HSDS: a schedule of a service at a
    # location, or of a location); None: the service's own, for every location without its own.
    site: str | None = None



@dataclass
class Phone:
    number: str
    extension: str | None = None
    type: str | None = "voice"


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
_NTH = {"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "last": -1}
_NTH_NAMES = {n: name for name, n in _NTH.items()}
_MONTHLY_DAY = re.compile(r"^(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")  # HSDS byday: "SA", "2SA", "-1FR"
_HOURS_PART = re.compile(
    r"^(?:(?P<nth>(?:1st|2nd|3rd|4th|5th|last)(?:\s*,\s*(?:1st|2nd|3rd|4th|5th|last))*)\s+)?"
    r"(?P<days>[A-Za-z]{2,9}(?:\s*[-,]\s*[A-Za-z]{2,9})*)\s+"
    r"(?P<opens>\d{1,2}(?::\d{2})?)\s*-\s*(?P<closes>\d{1,2}(?::\d{2})?)$",
    re.IGNORECASE,
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
    """Opening hours such as `Mo-Fr 09:00-17:00; Sa 10:00-14:00`, or `24/7`; monthly ones name the
    week of the month first: `2nd,4th Sa 10:00-12:00`, `last Fr 13:00-15:00`."""
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
        days = list(dict.fromkeys(days))
        if m["nth"]:
            weeks = dict.fromkeys(_NTH[n.strip().lower()] for n in m["nth"].split(","))
            result.append(Hours(",".join(f"{n}{d}" for n in weeks for d in days), opens, closes, "MONTHLY"))
        else:
            result.append(Hours(",".join(days), opens, closes))
    return result


def _monthly_label(byday: str) -> str | None:
    """'2SA,4SA' → '2nd,4th Sa': the sheet's words for a monthly rule, when it has them."""
    tokens = [_MONTHLY_DAY.match(t) for t in byday.split(",")]
    if not tokens or not all(t and t[1] for t in tokens):
        return None
    weeks = list(dict.fromkeys(int(t[1]) for t in tokens if t))
    days = list(dict.fromkeys(t[2] for t in tokens if t))
    if [f"{n}{d}" for n in weeks for d in days] != byday.split(",") or any(n not in _NTH_NAMES for n in weeks):
        return None
    return f"{','.join(_NTH_NAMES[n] for n in weeks)} {','.join(d.title() for d in days)}"


def day_list(value: str) -> str:
    """A byday or bymonthday list as stored: 'mo, we' → 'MO,WE'."""
    return ",".join(t.strip().upper() for t in value.split(",") if t.strip())


def check_schedule_days(freq: str, byday: str, bymonthday: str | None) -> None:
    """HSDS's recurrence: weekly days, or for monthly rules which weekday of the month or which days."""
    if freq not in ("WEEKLY", "MONTHLY"):
        raise FieldProblem("freq", f"{freq!r} is not WEEKLY or MONTHLY")
    for token in filter(None, byday.split(",")):
        m = _MONTHLY_DAY.match(token)
        if not m or (m[1] and freq == "WEEKLY"):
            example = "2SA, -1FR" if freq == "MONTHLY" else "MO, TU"
            raise FieldProblem("byday", f"{token!r} is not a {freq.lower()} day (like {example})")
    for token in filter(None, (bymonthday or "").split(",")):
        if freq != "MONTHLY":
            raise FieldProblem("bymonthday", f"{bymonthday!r} are days of the month, which need freq MONTHLY "
                                             f"(this rule is {freq}): drop bymonthday or make the rule MONTHLY")
        if not re.fullmatch(r"-?\d{1,2}", token) or not (1 <= abs(int(token)) <= 31):
            raise FieldProblem("bymonthday", f"{token!r} is not a day of the month (1 to 31, or -1 for the last)")
    if not byday and not bymonthday:
        raise FieldProblem("byday", "no days: give byday (or bymonthday for a monthly rule)")


def check_season(valid_from: date | None, valid_to: date | None) -> None:
    """A schedule's season (inclusive dates) must not end before it starts."""
    if valid_from and valid_to and valid_to < valid_from:
        raise FieldProblem("valid_to", f"{valid_to.isoformat()} is before valid_from {valid_from.isoformat()}")


def format_hours(hours: list[Hours]) -> str:
    """The inverse of parse_hours, for exports: what a sheet's cell can say (weekly hours, and
    monthly ones by week of the month, all year); other rules are left to the HSDS export."""
    parts: list[str] = []
    for h in hours:
        if h.bymonthday or h.valid_from or h.valid_to:  # days of the month, seasons: not a sheet's words
            continue
        if h.freq == "MONTHLY":
            # One part when the rule is weeks × days (as a sheet writes it), else one per day.
            whole = _monthly_label(h.byday)
            labels = [whole] if whole else [_monthly_label(token) for token in h.byday.split(",")]
            if all(labels):
                parts.extend(f"{label} {h.opens_at}-{h.closes_at}" for label in labels)
            continue
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


_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")


def parse_assured_date(field_name: str, value: str | None) -> str | None:
    """When a listing was last confirmed (HSDS `assured_date`): YYYY-MM-DD (an HSDS timestamp's date
    part too) or M/D/YYYY as US sheets write it; never in the future. Returned as YYYY-MM-DD."""
    text = (value or "").strip()
    if not text:
        return None
    us = _US_DATE.match(text)
    try:
        day = date(int(us[3]), int(us[1]), int(us[2])) if us else date.fromisoformat(text[:10])
    except ValueError:
        raise FieldProblem(field_name, f"{text!r} is not a date (use YYYY-MM-DD)") from None
    if day > date.today():
        raise FieldProblem(field_name, f"{text!r} is in the future")
    return day.isoformat()


def parse_assurer_email(field_name: str, value: str | None) -> str | None:
    """Who confirmed it (HSDS `assurer_email`): an e-mail address, or nothing."""
    text = (value or "").strip()
    if text and (len(text) > 254 or not _EMAIL.match(text)):
        raise FieldProblem(field_name, f"{text[:80]!r} is not an e-mail address")
    return text or None
