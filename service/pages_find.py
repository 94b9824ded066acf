"""/find: a public, phone-first page where a family or caseworker finds nearby services, and
/find/list: a list of chosen services to print or send.

No trace: the search is a POST, so the place typed never lands in the address bar, browser
history, a Referer header or any log; the page sets no cookies. With JavaScript, static/find.js
posts the form with fetch and swaps the results into the page (history entries hold only a page
number), so Back after "Next page" shows the earlier results without a resubmission prompt. A
shared list is a GET link that holds service ids only. Results are rendered by Jinja2 with
autoescape, and the map gets its points as escaped JSON drawn by static/find.js with textContent.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Annotated
from urllib.parse import parse_qs, urlencode

import segno
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

import service.pages_problem as problem_pages
from geo.errors import BadRequest
from geo.near import NearProblem, Origin
from geo.search import MAX_PER_PAGE, make_filter, nearby_services_json, services_at_locations
from service.deps import Conn, NearPlacer
from service.find_words import (
    LABELS,
    MONTHS,
    PROBLEMS,
    hours_lines,
    language_name,
    problem_text,
    results_heading,
)

router = APIRouter(tags=["pages"])

PER_PAGE = 20
RADII_KM = (10, 25, 40, 80, 160)
DEFAULT_RADIUS_KM = 40
MAX_LIST = 50
COSTS = ("free", "sliding scale", "insurance")
US_PHONE = re.compile(r"\((\d{3})\) (\d{3})-(\d{4})")


@cache
def _templates() -> Environment:
    return problem_pages.install(Environment(loader=PackageLoader("service", "templates"),
                                             autoescape=select_autoescape(default=True, default_for_string=True)))


def _options(conn: Conn, lang: str) -> dict[str, list[dict[str, str]]]:
    """Choices for the filters, named in the page's language."""
    label = {"es": lang == "es"}
    categories = conn.execute(
        """SELECT code, CASE WHEN %(es)s THEN coalesce(name_es, name) ELSE name END AS label
           FROM taxonomy_term ORDER BY 2""", label).fetchall()
    stages = conn.execute(
        """SELECT code, CASE WHEN %(es)s THEN coalesce(name_es, name) ELSE name END AS label
           FROM landscape_stage ORDER BY position""", label).fetchall()
    languages = conn.execute(
        """SELECT lower(code) AS code FROM language
           WHERE code IS NOT NULL GROUP BY lower(code) ORDER BY count(*) DESC, 1 LIMIT 30"""
    ).fetchall()
    spoken = [{"code": r["code"], "label": _capitalised(language_name(r["code"], lang))} for r in languages]
    return {"categories": categories, "stages": stages, "languages": spoken}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _today(lang: str) -> str:
    d = date.today()
    month = MONTHS[lang][d.month - 1]
    return f"{month} {d.day}, {d.year}" if lang == "en" else f"{d.day} {month} {d.year}"


def _prepare(item: dict, lang: str) -> dict:
    """One result's words in the page's language."""
    item["hours_text"] = hours_lines(item, lang)
    item["language_names"] = [language_name(x["code"], lang) if x.get("code") else x.get("name")
                              for x in item.get("languages") or []]
    band = item.get("distance_band") or ""
    item["distance_band_text"] = _band_es(band) if lang == "es" else band
    help_text = item.get("how_to_get_help") or ""
    if lang == "es" and help_text.startswith("Call "):  # the default made from the phone
        help_text = "Llame al " + help_text[len("Call "):]
    # A phone number in running text never breaks across lines: no-break space and hyphen.
    item["how_to_get_help"] = US_PHONE.sub("(\\1)\u00a0\\2\u2011\\3", help_text) or None
    return item


def _band_es(band: str) -> str:
    """'within 25 km (county-level)' in Spanish."""
    return (band.replace("more than", "más de").replace("within", "a menos de")
            .replace("(county-level)", "(según el condado)"))


def _origin_note(origin: Origin | None, lang: str) -> str:
    """What the distances are measured from, in plain words."""
    if origin is None:
        return ""
    t = LABELS[lang]
    if origin.kind == "street":
        return t["from_address"]
    if origin.kind == "point":
        return t["from_point"]
    label = origin.label.replace("ZIP ", "código postal ", 1) if lang == "es" else origin.label
    return t["street_ignored" if origin.street_ignored else "from_centre"].format(label=label)


def _criteria(form: dict[str, str], lang: str, options: dict) -> list[tuple[str, str]]:
    """The search as printed on the handout: place, distance and each filter chosen."""
    t = LABELS[lang]
    names = {key: {o["code"]: o["label"] for o in options[key]} for key in ("categories", "stages", "languages")}
    rows = [(t["near"], form.get("near", "")), (t["radius"], f"{form.get('radius_km') or DEFAULT_RADIUS_KM} km")]
    for field, key in (("category", "categories"), ("stage", "stages"), ("language", "languages")):
        if form.get(field):
            rows.append((t[{"category": "category", "stage": "stage", "language": "spoken"}[field]],
                         names[key].get(form[field], form[field])))
    if form.get("cost") in COSTS:
        rows.append((t["cost"], t[form["cost"]]))
    if form.get("age"):
        rows.append((t["age"], form["age"]))
    if form.get("open_now") == "1":
        rows.append((t["open_now"], "✓"))
    return rows


def _render(conn: Conn, lang: str, form: dict[str, str], *, page: dict | None = None,
            origin: Origin | None = None, error: str | None = None, choices: tuple = (),
            status: int = 200) -> HTMLResponse:
    t = LABELS[lang]
    points = []
    if page:
        first = (page["page_number"] - 1) * PER_PAGE
        for n, item in enumerate(page["contents"], start=first + 1):
            _prepare(item, lang)
            if item.get("location"):
                points.append({"n": n, "name": item["name"], "lat": item["location"]["latitude"],
                               "lon": item["location"]["longitude"]})
    options = _options(conn, lang)
    html = _templates().get_template("find.html").render(
        lang=lang, t=t, form=form, page=page, error=error, choices=choices, points=points, radii=RADII_KM,
        per_page=PER_PAGE, costs=COSTS, origin=origin, origin_note=_origin_note(origin, lang),
        heading=results_heading(page["total_items"], lang, page["total_items_is_lower_bound"]) if page else "",
        criteria=_criteria(form, lang, options), today=_today(lang), **options,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _lang(lang: str | None) -> str:
    return "es" if (lang or "").lower().startswith("es") else "en"


@router.get("/find", response_class=HTMLResponse)
def find_page(conn: Conn, lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """The empty search form."""
    return _render(conn, _lang(lang), {"radius_km": str(DEFAULT_RADIUS_KM)})


@router.post("/find", response_class=HTMLResponse)
async def find_results(request: Request, conn: Conn, placer: NearPlacer,
                       lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """Results for the posted search; the place typed is used for this response only."""
    language = _lang(lang)
    words = PROBLEMS[language]
    raw = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form = {k: v[0][:200] for k, v in raw.items() if v}
    if form.get("choice"):  # a place picked from "Which one do you mean?"
        form["near"] = form.pop("choice")
    radius_text = form.get("radius_km") or str(DEFAULT_RADIUS_KM)
    radius_km = int(radius_text) if radius_text.isdigit() else 0
    age_text = (form.get("age") or "").strip()
    page_text = (form.get("page") or "1").strip()
    page_number = int(page_text) if page_text.isdigit() and 0 < int(page_text) <= 10_000 else 1
    if radius_km not in RADII_KM:
        return _render(conn, language, form, error=words["radius"], status=400)
    if age_text and not (age_text.isdigit() and int(age_text) <= 130):
        return _render(conn, language, form, error=words["age"], status=400)
    try:
        origin = placer.place(form.get("near", ""))
    except NearProblem as e:
        return _render(conn, language, form, error=problem_text(e, language, placer.covered),
                       choices=e.choices, status=400)
    try:
        filters = make_filter(category=form.get("category"), stage=form.get("stage"),
                              language=form.get("language"), cost=form.get("cost"),
                              age=int(age_text) if age_text else None, open_now=form.get("open_now") == "1")
        body = nearby_services_json(conn, lat=origin.point.latitude, lon=origin.point.longitude,
                                    radius_m=radius_km * 1000, filters=filters, page=page_number,
                                    per_page=min(PER_PAGE, MAX_PER_PAGE))
    except BadRequest:
        return _render(conn, language, form, error=words["filter"], status=400)
    page = json.loads(body)
    if not page["total_items"] and origin.state and placer.covered and origin.state not in placer.covered:
        problem = NearProblem("outside_zip" if origin.kind == "zip" else "outside", "",
                              text=origin.label.removeprefix("ZIP ") if origin.kind == "zip" else form["near"],
                              state=origin.state)
        return _render(conn, language, form, error=problem_text(problem, language, placer.covered), status=400)
    return _render(conn, language, form, page=page, origin=origin)


@router.get("/find/list", response_class=HTMLResponse)
def find_list(request: Request, conn: Conn, lang: Annotated[str | None, Query(max_length=8)] = None,
              id: Annotated[list[str] | None, Query(max_length=64)] = None) -> HTMLResponse:
    """The services a caseworker picked, to print or send: the link holds their ids, nothing else."""
    language = _lang(lang)
    ids = list(dict.fromkeys(id or []))[:MAX_LIST]
    items = [_prepare(item, language) for item in services_at_locations(conn, ids)]
    link = str(request.base_url).rstrip("/") + "/find/list?" + urlencode(
        [("lang", language)] + [("id", item["id"]) for item in items])  # the ones still listed
    qr = segno.make(link, error="m").svg_inline(scale=3, dark="#111827", border=2) if items else ""
    t = LABELS[language]
    count = t["list_count_one"] if len(items) == 1 else t["list_count"].format(n=len(items))
    html = _templates().get_template("find_list.html").render(
        lang=language, t=t, items=items, link=link, qr=qr, count=count, today=_today(language))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
