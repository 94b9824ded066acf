"""/find: a public, phone-first page where a family or caseworker finds nearby services.

The search is a POST, so the place typed never lands in the address bar, browser history, a
Referer header or any log; the page sets no cookies. Results are rendered by Jinja2 with
autoescape, and the map gets its points as escaped JSON drawn by static/find.js with textContent.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from geo.errors import BadRequest
from geo.near import geocode_near
from geo.search import MAX_PER_PAGE, make_filter, nearby_services_json
from service.deps import Conn

router = APIRouter(tags=["pages"])
import service.pages_problem as problem_pages

PER_PAGE = 20
RADII_KM = (10, 25, 40, 80, 160)
DEFAULT_RADIUS_KM = 40
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Find services near you", "skip": "Skip to results", "language": "Language",
        "near": "ZIP code, town or address", "near_help": "For example 65201 or Columbia, MO.",
        "filters": "Filters", "category": "Kind of help", "stage": "Stage", "spoken": "Language spoken",
        "cost": "Cost", "age": "Age of the person", "open_now": "Open now", "radius": "Distance",
        "any": "Any", "free": "Free", "sliding scale": "Sliding scale", "insurance": "Insurance",
        "search": "Search", "results": "{n} services found", "no_results": "No services found. "
        "Try a larger distance or fewer filters.", "print": "Print these results", "map": "Map of results",
        "phone": "Phone", "how": "How to get help", "hours": "Hours", "languages": "Languages",
        "eligibility": "Who can use it", "ages": "Ages {lo} to {hi}", "address": "Address",
        "withheld": "Address kept confidential for safety. Call to get help.", "county": "County",
        "court": "Court region", "open": "Open now", "closed": "Closed now", "away": "away",
        "previous": "Previous page", "next": "Next page", "page": "Page {n} of {total}",
        "privacy": "Your search is not stored or logged, and this page sets no cookies.",
        "sample": "Services shown are SAMPLE DATA generated for demonstration, not real services.",
        "km": "km", "mi": "mi", "within": "Distance",
    },
    "es": {
        "title": "Encuentre servicios cerca de usted", "skip": "Ir a los resultados", "language": "Idioma",
        "near": "Código postal, ciudad o dirección", "near_help": "Por ejemplo 65201 o Columbia, MO.",
        "filters": "Filtros", "category": "Tipo de ayuda", "stage": "Etapa", "spoken": "Idioma hablado",
        "cost": "Costo", "age": "Edad de la persona", "open_now": "Abierto ahora", "radius": "Distancia",
        "any": "Cualquiera", "free": "Gratis", "sliding scale": "Escala móvil", "insurance": "Seguro",
        "search": "Buscar", "results": "{n} servicios encontrados", "no_results": "No se encontraron "
        "servicios. Pruebe una distancia mayor o menos filtros.", "print": "Imprimir estos resultados",
        "map": "Mapa de resultados", "phone": "Teléfono", "how": "Cómo obtener ayuda", "hours": "Horario",
        "languages": "Idiomas", "eligibility": "Quién puede usarlo", "ages": "Edades de {lo} a {hi}",
        "address": "Dirección", "withheld": "Dirección confidencial por seguridad. Llame para recibir ayuda.",
        "county": "Condado", "court": "Región judicial", "open": "Abierto ahora", "closed": "Cerrado ahora",
        "away": "de distancia", "previous": "Página anterior", "next": "Página siguiente",
        "page": "Página {n} de {total}",
        "privacy": "Su búsqueda no se guarda ni se registra, y esta página no usa cookies.",
        "sample": "Los servicios mostrados son DATOS DE MUESTRA generados para demostración, no servicios reales.",
        "km": "km", "mi": "mi", "within": "Distancia",
    },
}
DAYS = {"en": dict(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                       ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True)),
        "es": dict(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                       ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"], strict=True))}


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
        """SELECT lower(code) AS code, min(name) AS label FROM language
           WHERE code IS NOT NULL GROUP BY lower(code) ORDER BY count(*) DESC, 1 LIMIT 30"""
    ).fetchall()
    return {"categories": categories, "stages": stages, "languages": languages}


ORDINALS = {"en": {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"},
            "es": {1: "1.er", 2: "2.º", 3: "3.er", 4: "4.º", 5: "5.º", -1: "último"}}
MONTH_DAYS = {"en": ("days {} of the month", "the last day of the month"),
              "es": ("días {} del mes", "el último día del mes")}
MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
          "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")}


def _day_label(token: str, lang: str) -> str:
    """'MO' → 'Mon'; a monthly '2SA' → '2nd Sat', '-1FR' → 'last Fri'."""
    code, nth = token[-2:], token[:-2]
    day = DAYS[lang].get(code, token)
    if not nth.lstrip("-").isdigit():
        return day
    return f"{ORDINALS[lang].get(int(nth), nth)} {day}"


def _date_label(iso: str, lang: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{MONTHS[lang][int(month) - 1]} {int(day)}" if lang == "en" else f"{int(day)} {MONTHS[lang][int(month) - 1]}"


def _hours(item: dict, lang: str) -> list[str]:
    """'Mon–Fri 09:00–17:00' style lines for one result, with monthly rules, seasons and notes."""
    lines = []
    for h in item.get("hours") or []:
        days = [_day_label(d.strip(), lang) for d in (h.get("byday") or "").split(",") if d.strip()]
        month_days = [d.strip() for d in (h.get("bymonthday") or "").split(",") if d.strip()]
        if month_days == ["-1"]:
            days.append(MONTH_DAYS[lang][1])
        elif month_days:
            days.append(MONTH_DAYS[lang][0].format(", ".join(month_days)))
        opens, closes = (h.get("opens_at") or "")[:5], (h.get("closes_at") or "")[:5]
        if not (days and opens and closes):
            continue
        line = f"{', '.join(days)} {opens}–{closes}"
        if h.get("valid_from") or h.get("valid_to"):
            span = " – ".join(_date_label(d, lang) if d else "…" for d in (h.get("valid_from"), h.get("valid_to")))
            line += f" ({span})"
        if h.get("description"):
            line += f" · {h['description']}"
        lines.append(line)
    return lines


def _render(conn: Conn, lang: str, form: dict[str, str], *, page: dict | None = None,
            error: str | None = None, status: int = 200) -> HTMLResponse:
    t = LABELS[lang]
    points = []
    if page:
        for n, item in enumerate(page["contents"], start=1):
            item["hours_text"] = _hours(item, lang)
            help_text = item.get("how_to_get_help") or ""
            if lang == "es" and help_text.startswith("Call "):  # the default made from the phone
                item["how_to_get_help"] = "Llame al " + help_text[len("Call "):]
            if item.get("location"):
                points.append({"n": n, "name": item["name"], "lat": item["location"]["latitude"],
                               "lon": item["location"]["longitude"]})
    html = _templates().get_template("find.html").render(
        lang=lang, t=t, form=form, page=page, error=error, points=points, radii=RADII_KM,
        per_page=PER_PAGE, costs=("free", "sliding scale", "insurance"), **_options(conn, lang),
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _lang(lang: str | None) -> str:
    return "es" if (lang or "").lower().startswith("es") else "en"


@router.get("/find", response_class=HTMLResponse)
def find_page(conn: Conn, lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """The empty search form."""
    return _render(conn, _lang(lang), {"radius_km": str(DEFAULT_RADIUS_KM)})


@router.post("/find", response_class=HTMLResponse)
async def find_results(request: Request, conn: Conn,
                       lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """Results for the posted search; the place typed is used for this response only."""
    language = _lang(lang)
    raw = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form = {k: v[0][:200] for k, v in raw.items() if v}
    try:
        radius_km = int(form.get("radius_km") or DEFAULT_RADIUS_KM)
        if radius_km not in RADII_KM:
            raise BadRequest(f"Choose a distance of {', '.join(map(str, RADII_KM))} km.")
        age_text = (form.get("age") or "").strip()
        if age_text and not age_text.isdigit():
            raise BadRequest("Age must be a whole number of years.")
        page_text = (form.get("page") or "1").strip()
        page_number = int(page_text) if page_text.isdigit() else 1
        filters = make_filter(category=form.get("category"), stage=form.get("stage"),
                              language=form.get("language"), cost=form.get("cost"),
                              age=int(age_text) if age_text else None, open_now=form.get("open_now") == "1")
        point = geocode_near(form.get("near", ""))
        body = nearby_services_json(conn, lat=point.latitude, lon=point.longitude, radius_m=radius_km * 1000,
                                    filters=filters, page=page_number, per_page=min(PER_PAGE, MAX_PER_PAGE))
    except BadRequest as e:
        return _render(conn, language, form, error=str(e), status=400)
    return _render(conn, language, form, page=json.loads(body))
