"""/problem/{service_id}: report a problem with a listing, without an account and without
JavaScript (a plain form POST), in English or Spanish; and the words /find uses for a listing's
verification and its inline report form (service/templates/problem_form.html).

Nothing about the reporter is kept but what they type: no address, no location, no cookie. The
listing is named by its name only, never by where it is (a confidential site stays unlocated)."""

from __future__ import annotations

import calendar
from datetime import date
from functools import cache
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from geo.errors import NotFound, TooManyRequests
from geo.review.flood import Limits
from geo.review.reports import KINDS, ReportIn, create_report
from geo.settings import Settings
from service.api.edit import RecordIdPath
from service.api.review import client_address
from service.deps import AppSettings, Conn

router = APIRouter(tags=["pages"])

PROBLEM_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Report a problem", "open": "Report a problem with this listing",
        "intro": "Tell us what is wrong. We do not ask who you are, and we keep no record of where you "
                 "are or of your internet address.",
        "what": "What is the problem?", "wrong_phone": "The phone number is wrong", "closed": "It has closed",
        "moved": "It has moved", "wrong_hours": "The hours are wrong",
        "not_served": "It does not offer this service", "other": "Something else",
        "text": "What is wrong? (optional)", "contact": "How can we reach you? (optional: only if you want an answer)",
        "send": "Send report", "thanks": "Thank you. An editor for this area will check this listing.",
        "you_wrote": "You wrote:", "back": "Back to search", "too_many": "Too many reports were sent in the last "
        "hour. Please try again later.", "invalid": "Please choose what the problem is (and keep the text under "
        "1,000 characters).", "missing": "This listing is no longer in the directory.",
        "verified": "Verified {when}", "stale": "Not verified in over {months} months (last: {when})",
        "never": "Not yet verified",
    },
    "es": {
        "title": "Informar un problema", "open": "Informar un problema con este servicio",
        "intro": "Díganos qué está mal. No le preguntamos quién es, y no guardamos dónde está usted ni su "
                 "dirección de internet.",
        "what": "¿Cuál es el problema?", "wrong_phone": "El número de teléfono es incorrecto",
        "closed": "Ha cerrado", "moved": "Se ha mudado", "wrong_hours": "El horario es incorrecto",
        "not_served": "No ofrece este servicio", "other": "Otra cosa",
        "text": "¿Qué está mal? (opcional)",
        "contact": "¿Cómo podemos contactarle? (opcional: solo si desea una respuesta)",
        "send": "Enviar informe", "thanks": "Gracias. Un editor de esta zona revisará este servicio.",
        "you_wrote": "Usted escribió:", "back": "Volver a la búsqueda", "too_many": "Se enviaron demasiados "
        "informes en la última hora. Inténtelo más tarde.", "invalid": "Elija cuál es el problema (y escriba "
        "menos de 1000 caracteres).", "missing": "Este servicio ya no está en el directorio.",
        "verified": "Verificado en {when}", "stale": "Sin verificar desde hace más de {months} meses "
        "(última vez: {when})", "never": "Aún no verificado",
    },
}
MONTH_NAMES = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}


@cache
def _max_age_months() -> int:
    """The verification age pages judge by (ATLAS_VERIFY_MAX_AGE_MONTHS), read once per process."""
    return Settings().verify_max_age_months


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the month's last day when it has fewer), as PostgreSQL's
    `date - interval 'N months'` counts, so pages and the review queue agree on what is stale."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def verification(assured_date: str | None, lang: str, months: int | None = None,
                 today: date | None = None) -> dict[str, object]:
    """What a page says of a listing's verification: 'Verified March 2026', or that it is older than
    the age (ATLAS_VERIFY_MAX_AGE_MONTHS), or never verified."""
    t = PROBLEM_LABELS[lang]
    limit = months or _max_age_months()
    if not assured_date:
        return {"text": t["never"], "stale": True}
    day = date.fromisoformat(assured_date[:10])
    month = MONTH_NAMES[lang][day.month - 1]
    when = f"{month} {day.year}" if lang == "en" else f"{month} de {day.year}"
    stale = day < months_before(today or date.today(), limit)
    return {"text": t["stale" if stale else "verified"].format(when=when, months=limit), "stale": stale}


def install(env: Environment) -> Environment:
    """Give a page's templates the words and the verification note that problem_form.html uses."""
    env.globals["problem_labels"] = PROBLEM_LABELS
    env.globals["problem_kinds"] = KINDS
    env.globals["verification"] = verification
    return env


@cache
def _templates() -> Environment:
    return install(Environment(loader=PackageLoader("service", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True)))


def _lang(lang: str | None) -> str:
    return "es" if (lang or "").lower().startswith("es") else "en"


def _service_name(conn: Conn, service_id: str) -> str | None:
    row = conn.execute("SELECT name FROM service WHERE id = %s AND retired_at IS NULL", [service_id]).fetchone()
    return row["name"] if row else None


def _page(lang: str, service_id: str, name: str | None, *, status: int = 200, sent: dict | None = None,
          error: str | None = None, form: dict | None = None) -> HTMLResponse:
    html = _templates().get_template("problem.html").render(
        lang=lang, t=PROBLEM_LABELS[lang], service_id=service_id, name=name, sent=sent, error=error,
        form=form or {})
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/problem/{record_id}", response_class=HTMLResponse)
def problem_form(conn: Conn, record_id: RecordIdPath,
                 lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """The report form for one listing (works without JavaScript)."""
    language = _lang(lang)
    name = _service_name(conn, record_id)
    if name is None:
        return _page(language, record_id, None, status=404, error=PROBLEM_LABELS[language]["missing"])
    return _page(language, record_id, name)


@router.post("/problem/{record_id}", response_class=HTMLResponse)
async def send_problem(request: Request, conn: Conn, settings: AppSettings, record_id: RecordIdPath,
                       lang: Annotated[str | None, Query(max_length=8)] = None) -> HTMLResponse:
    """A report posted by the form; the answer page shows what was sent, as text."""
    language = _lang(lang)
    t = PROBLEM_LABELS[language]
    raw = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form = {k: v[0] for k, v in raw.items() if v and k in ("kind", "text", "contact")}
    name = _service_name(conn, record_id)
    if name is None:
        return _page(language, record_id, None, status=404, error=t["missing"])
    try:
        report = ReportIn(kind=form.get("kind", ""), text=form.get("text") or None,  # type: ignore[arg-type]
                          contact=form.get("contact") or None, lang=language)  # type: ignore[arg-type]
    except ValidationError:
        return _page(language, record_id, name, status=422, error=t["invalid"], form=form)
    try:
        create_report(conn, Limits.from_settings(settings), record_id, report, client_address(request, settings))
    except TooManyRequests as e:
        response = _page(language, record_id, name, status=429, error=t["too_many"], form=form)
        response.headers["Retry-After"] = str(e.retry_after_s)
        return response
    except NotFound:
        return _page(language, record_id, None, status=404, error=t["missing"])
    return _page(language, record_id, name, status=201, sent=report.model_dump())
