"""The words of /find in English and Spanish: labels, plain-language errors, hours and language
names, so every message a family reads is in the page's language."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

import langcodes

from geo.near import NearProblem
from geo.states import state_name

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Find services near you", "skip": "Skip to results", "skip_form": "Skip to the search form",
        "language": "Language",
        "near": "ZIP code, town or address", "near_help": "For example 65201, Kansas City or 1600 Main St, Kansas City, MO.",
        "filters": "Filters", "category": "Kind of help", "stage": "Stage", "spoken": "Language spoken",
        "cost": "Cost", "age": "Age of the person", "open_now": "Open now", "radius": "Distance",
        "any": "Any", "free": "Free", "sliding scale": "Sliding scale", "insurance": "Insurance",
        "search": "Search", "results_one": "1 service found", "results": "{n} services found",
        "results_more": "More than {n} services found",
        "no_results": "No services found within {km} km. Try a larger distance or fewer filters.",
        "print": "Print these results", "map": "Map of results",
        "phone": "Phone", "how": "How to get help", "hours": "Hours", "languages": "Languages",
        "eligibility": "Who can use it", "ages": "Ages {lo} to {hi}", "address": "Address",
        "withheld": "Address kept confidential for safety. Call to get help.", "county": "County",
        "court": "Court region", "open": "Open now", "closed": "Closed now",
        "previous": "Previous page", "next": "Next page", "page": "Page {n} of {total}",
        "privacy": "Your search is not stored or logged, and this page sets no cookies.",
        "sample": "Services shown are SAMPLE DATA generated for demonstration, not real services.",
        "km": "km", "mi": "mi", "within": "Distance",
        "away_exact": "{km} km ({mi} mi) away", "away_about": "about {km} km ({mi} mi) away",
        "from_centre": "Distances are measured from the centre of {label}, not from a street address, "
                       "so they are approximate.",
        "street_ignored": "The street address was not looked up: distances are measured from the centre "
                          "of {label}, so they are approximate.",
        "from_address": "Distances are measured from the address you entered.",
        "from_point": "Distances are measured from the point you entered.",
        "open24": "Open 24 hours", "days24": "{days}: open 24 hours",
        "searched": "Searched", "on_date": "Printed on {date}",
        "pick": "Add to my list", "my_list": "Show my list ({n})", "list_help":
            "Tick services to make a list to print or send. The list link holds only the services, never "
            "where you searched.",
        "list_title": "My list of services", "list_empty": "This list has no services that we know. "
        "They may have closed.", "list_link": "Link to this list", "copy_link": "Copy link",
        "copied": "Link copied.", "qr": "Scan to open this list on a phone.",
        "new_search": "New search", "print_list": "Print this list", "list_count_one": "1 service",
        "list_count": "{n} services", "choose": "Which one do you mean?", "home": "Upstream Atlas home",
    },
    "es": {
        "title": "Encuentre servicios cerca de usted", "skip": "Ir a los resultados",
        "skip_form": "Ir al formulario de búsqueda", "language": "Idioma",
        "near": "Código postal, ciudad o dirección",
        "near_help": "Por ejemplo 65201, Kansas City o 1600 Main St, Kansas City, MO.",
        "filters": "Filtros", "category": "Tipo de ayuda", "stage": "Etapa", "spoken": "Idioma hablado",
        "cost": "Costo", "age": "Edad de la persona", "open_now": "Abierto ahora", "radius": "Distancia",
        "any": "Cualquiera", "free": "Gratis", "sliding scale": "Escala móvil", "insurance": "Seguro",
        "search": "Buscar", "results_one": "1 servicio encontrado", "results": "{n} servicios encontrados",
        "results_more": "Más de {n} servicios encontrados",
        "no_results": "No se encontraron servicios a menos de {km} km. Pruebe una distancia mayor o "
                      "menos filtros.",
        "print": "Imprimir estos resultados", "map": "Mapa de resultados", "phone": "Teléfono",
        "how": "Cómo obtener ayuda", "hours": "Horario", "languages": "Idiomas",
        "eligibility": "Quién puede usarlo", "ages": "Edades de {lo} a {hi}", "address": "Dirección",
        "withheld": "Dirección confidencial por seguridad. Llame para recibir ayuda.",
        "county": "Condado", "court": "Región judicial", "open": "Abierto ahora", "closed": "Cerrado ahora",
        "previous": "Página anterior", "next": "Página siguiente", "page": "Página {n} de {total}",
        "privacy": "Su búsqueda no se guarda ni se registra, y esta página no usa cookies.",
        "sample": "Los servicios mostrados son DATOS DE MUESTRA generados para demostración, no servicios reales.",
        "km": "km", "mi": "mi", "within": "Distancia",
        "away_exact": "a {km} km ({mi} mi)", "away_about": "a unos {km} km ({mi} mi)",
        "from_centre": "Las distancias se miden desde el centro de {label}, no desde una dirección, así "
                       "que son aproximadas.",
        "street_ignored": "No se buscó la dirección: las distancias se miden desde el centro de "
                          "{label}, así que son aproximadas.",
        "from_address": "Las distancias se miden desde la dirección que escribió.",
        "from_point": "Las distancias se miden desde el punto que escribió.",
        "open24": "Abierto las 24 horas", "days24": "{days}: abierto las 24 horas",
        "searched": "Búsqueda", "on_date": "Impreso el {date}",
        "pick": "Agregar a mi lista", "my_list": "Ver mi lista ({n})", "list_help":
            "Marque servicios para hacer una lista para imprimir o enviar. El enlace de la lista solo "
            "lleva los servicios, nunca dónde buscó.",
        "list_title": "Mi lista de servicios", "list_empty": "Esta lista no tiene servicios que conozcamos. "
        "Puede que hayan cerrado.", "list_link": "Enlace a esta lista", "copy_link": "Copiar enlace",
        "copied": "Enlace copiado.", "qr": "Escanee para abrir esta lista en un teléfono.",
        "new_search": "Nueva búsqueda", "print_list": "Imprimir esta lista", "list_count_one": "1 servicio",
        "list_count": "{n} servicios", "choose": "¿Cuál quiere decir?", "home": "Inicio de Upstream Atlas",
    },
}

# What /find says when a place cannot be used, by NearProblem.reason; {text}, {state}, {covered}.
PROBLEMS: dict[str, dict[str, str]] = {
    "en": {
        "empty": "Type a ZIP code, a town or an address to search near.",
        "too_long": "That is too long. Type a ZIP code, a town or an address.",
        "coordinates": "Those coordinates are not on the map. Type a ZIP code or a town instead.",
        "unknown_zip": "We do not know the ZIP code {text}. Check the number, or type a town.",
        "street_only": "Add the town and state or the ZIP code to the street address, for example "
                       "“1600 Main St, Kansas City, MO” or “64108”.",
        "unknown_place": "We could not find “{text}”. Try a ZIP code (like 65201) or a town and state "
                         "(like Columbia, MO).",
        "choose": "There is more than one “{text}”. Choose one below, or add the state.",
        "outside": "We cover {covered}. “{text}” is in {state}. Try a ZIP code or a town in {covered}.",
        "outside_zip": "We cover {covered}. ZIP {text} is in {state}, where this atlas has no services.",
        "age": "Type the age as a whole number of years, like 7.",
        "radius": "Choose one of the distances in the list.",
        "filter": "One of the filters is not one we know. Choose again from the lists.",
    },
    "es": {
        "empty": "Escriba un código postal, una ciudad o una dirección para buscar cerca.",
        "too_long": "Es demasiado largo. Escriba un código postal, una ciudad o una dirección.",
        "coordinates": "Esas coordenadas no están en el mapa. Escriba un código postal o una ciudad.",
        "unknown_zip": "No conocemos el código postal {text}. Revise el número o escriba una ciudad.",
        "street_only": "Agregue la ciudad y el estado o el código postal a la dirección, por ejemplo "
                       "«1600 Main St, Kansas City, MO» o «64108».",
        "unknown_place": "No encontramos «{text}». Pruebe un código postal (como 65201) o una ciudad y "
                         "estado (como Columbia, MO).",
        "choose": "Hay más de un lugar llamado «{text}». Elija uno abajo o agregue el estado.",
        "outside": "Cubrimos {covered}. «{text}» está en {state}. Pruebe un código postal o una ciudad "
                   "de {covered}.",
        "outside_zip": "Cubrimos {covered}. El código postal {text} está en {state}, donde este atlas no "
                       "tiene servicios.",
        "age": "Escriba la edad como un número entero de años, por ejemplo 7.",
        "radius": "Elija una de las distancias de la lista.",
        "filter": "Uno de los filtros no es conocido. Elija de nuevo en las listas.",
    },
}
AND = {"en": " and ", "es": " y "}
STATE_NAMES_ES = {"Missouri": "Misuri", "Massachusetts": "Massachusetts"}

DAYS = {"en": dict(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                       ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], strict=True)),
        "es": dict(zip(["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
                       ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"], strict=True))}
WEEK = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ORDINALS = {"en": {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"},
            "es": {1: "1.er", 2: "2.º", 3: "3.er", 4: "4.º", 5: "5.º", -1: "último"}}
MONTH_DAYS = {"en": ("days {} of the month", "the last day of the month"),
              "es": ("días {} del mes", "el último día del mes")}
MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
          "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")}
# Names CLDR (through langcodes) does not give in Spanish.
LANGUAGE_NAMES_ES = {"ase": "lengua de señas americana"}


def state_label(abbr: str, lang: str) -> str:
    name = state_name(abbr)
    return STATE_NAMES_ES.get(name, name) if lang == "es" else name


def covered_label(covered: Collection[str], lang: str) -> str:
    """'Missouri and Massachusetts' / 'Misuri y Massachusetts'."""
    names = [state_label(s, lang) for s in covered]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + AND[lang] + names[-1]


def problem_text(problem: NearProblem, lang: str, covered: Collection[str]) -> str:
    """A NearProblem in plain words in the page's language."""
    return PROBLEMS[lang].get(problem.reason, PROBLEMS[lang]["unknown_place"]).format(
        text=problem.text, state=state_label(problem.state or "", lang), covered=covered_label(covered, lang))


@cache
def language_name(code: str, lang: str) -> str:
    """A language's name in the page's language ('es' → 'Spanish' or 'español')."""
    if lang == "es" and code in LANGUAGE_NAMES_ES:
        return LANGUAGE_NAMES_ES[code]
    try:
        return langcodes.Language.make(language=code).display_name(lang)
    except (LookupError, ValueError):
        return code


def results_heading(total: int, lang: str, lower_bound: bool = False) -> str:
    """How many were found; a search counts only so far (geo.search.TOTAL_ITEMS_CAP), then says more than that."""
    t = LABELS[lang]
    if lower_bound:
        return t["results_more"].format(n=f"{total:,}")
    return t["results_one"] if total == 1 else t["results"].format(n=f"{total:,}")


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


def _days_text(tokens: list[str], lang: str) -> str:
    """Plain weekdays in a row read as a span ('Mon–Fri'); anything else is listed."""
    if len(tokens) >= 3 and all(t in WEEK for t in tokens):
        at = [WEEK.index(t) for t in tokens]
        if at == list(range(at[0], at[0] + len(at))):
            return f"{DAYS[lang][tokens[0]]}–{DAYS[lang][tokens[-1]]}"
    return ", ".join(_day_label(t, lang) for t in tokens)


def _all_day(opens: str, closes: str) -> bool:
    return opens == "00:00" and closes in ("23:59", "24:00", "00:00")


def hours_lines(item: dict, lang: str) -> list[str]:
    """'Mon–Fri 09:00–17:00' style lines for one result, 'Open 24 hours', monthly rules, seasons, notes."""
    lines = []
    for h in item.get("hours") or []:
        tokens = [d.strip() for d in (h.get("byday") or "").split(",") if d.strip()]
        days = [_days_text(tokens, lang)] if tokens else []
        month_days = [d.strip() for d in (h.get("bymonthday") or "").split(",") if d.strip()]
        if month_days == ["-1"]:
            days.append(MONTH_DAYS[lang][1])
        elif month_days:
            days.append(MONTH_DAYS[lang][0].format(", ".join(month_days)))
        opens, closes = (h.get("opens_at") or "")[:5], (h.get("closes_at") or "")[:5]
        if not (days and opens and closes):
            continue
        if _all_day(opens, closes):
            every_day = sorted(tokens, key=lambda t: WEEK.index(t) if t in WEEK else 9) == WEEK
            line = LABELS[lang]["open24"] if every_day and not month_days else LABELS[lang]["days24"].format(
                days=", ".join(days))
        else:
            line = f"{', '.join(days)} {opens}–{closes}"
        if h.get("valid_from") or h.get("valid_to"):
            span = " – ".join(_date_label(d, lang) if d else "…" for d in (h.get("valid_from"), h.get("valid_to")))
            line += f" ({span})"
        if h.get("description"):
            line += f" · {h['description']}"
        lines.append(line)
    return lines
