"""/find's words: hours read as people say them, counts agree, languages named in the page's language."""

from __future__ import annotations

from service.find_words import hours_lines, language_name, results_heading


def _weekly(days: str, opens: str, closes: str) -> dict:
    return {"freq": "WEEKLY", "byday": days, "opens_at": opens, "closes_at": closes}


def test_24_hour_services_say_open_24_hours_in_both_languages():
    every_day = {"hours": [_weekly("MO,TU,WE,TH,FR,SA,SU", "00:00:00", "23:59:59")]}
    assert hours_lines(every_day, "en") == ["Open 24 hours"]
    assert hours_lines(every_day, "es") == ["Abierto las 24 horas"]
    weekdays = {"hours": [_weekly("MO,TU,WE,TH,FR", "00:00:00", "23:59:00")]}
    assert hours_lines(weekdays, "en") == ["Mon–Fri: open 24 hours"]


def test_weekdays_in_a_row_read_as_a_span_and_others_as_a_list():
    item = {"hours": [_weekly("MO,TU,WE,TH,FR", "09:00:00", "17:00:00"), _weekly("SA,SU", "10:00:00", "14:00:00"),
                      _weekly("MO,WE,FR", "18:00:00", "20:00:00")]}
    assert hours_lines(item, "en") == ["Mon–Fri 09:00–17:00", "Sat, Sun 10:00–14:00", "Mon, Wed, Fri 18:00–20:00"]
    assert hours_lines(item, "es")[0] == "lun–vie 09:00–17:00"


def test_one_service_is_singular():
    assert results_heading(1, "en") == "1 service found" and results_heading(1, "es") == "1 servicio encontrado"
    assert results_heading(1234, "en") == "1,234 services found"


def test_a_count_that_stopped_at_the_cap_says_more_than():
    assert results_heading(500, "en", lower_bound=True) == "More than 500 services found"
    assert results_heading(500, "es", lower_bound=True) == "Más de 500 servicios encontrados"


def test_language_names_follow_the_page():
    assert (language_name("es", "en"), language_name("es", "es")) == ("Spanish", "español")
    assert language_name("en", "es") == "inglés" and language_name("ase", "es") == "lengua de señas americana"
