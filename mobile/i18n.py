"""Every string the app shows, Danish first, English available.

``translator.t(key, **values)`` gives the text in the current language. Kv rules bind to the
language by passing it: ``text: tr.t("search", tr.lang)``, so a change of language
re-renders every label at once.
"""

from __future__ import annotations

from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import StringProperty

LANGUAGES = ("da", "en")

TEXT: dict[str, tuple[str, str]] = {
    # shell and navigation
    "app_title": ("Skolehylde", "Skolehylde"),
    "nav_home": ("Mine", "Mine"),
    "nav_search": ("Søg", "Search"),
    "nav_goals": ("Mål", "Goals"),
    "nav_approvals": ("Godkend", "Approve"),
    "nav_settings": ("Indstillinger", "Settings"),
    "back": ("Tilbage", "Back"),
    "retry": ("Prøv igen", "Try again"),
    "close": ("Luk", "Close"),
    "loading": ("Henter …", "Loading …"),
    "offline_banner": (
        "Du er offline. Du ser det, der er gemt på enheden.",
        "You are offline. You see what is saved on this device.",
    ),
    "back_online": ("Forbundet igen – opdateret.", "Back online – updated."),
    # sign-in
    "signin_title": ("Log ind på Skolehylde", "Sign in to Skolehylde"),
    "signin_school": ("Log ind med skolelogin", "Sign in with school login"),
    "signin_local": ("Log ind med brugernavn", "Sign in with user name"),
    "signin_browser_hint": (
        "Login åbner i din browser. Skolehylde ser aldrig din adgangskode.",
        "Sign-in opens in your browser. Skolehylde never sees your password.",
    ),
    "signin_badge": ("Scan mit QR-kort", "Scan my QR badge"),
    "signin_badge_code": ("Eller skriv koden fra kortet", "Or type the code from the badge"),
    "signin_badge_go": ("Log ind med koden", "Sign in with the code"),
    "signin_waiting": ("Venter på login i browseren …", "Waiting for sign-in in the browser …"),
    "signin_no_camera": (
        "Denne enhed har intet kamera. Skriv koden fra kortet.",
        "This device has no camera. Type the code from the badge.",
    ),
    "signin_badge_empty": ("Skriv koden fra dit QR-kort.", "Type the code from your QR badge."),
    "sign_out": ("Log ud", "Sign out"),
    "signin_done_page": (
        "<!doctype html><meta charset=utf-8><title>Skolehylde</title>"
        "<h1>Du er logget ind.</h1><p>Gå tilbage til Skolehylde-appen.</p>",
        "<!doctype html><meta charset=utf-8><title>Skolehylde</title>"
        "<h1>You are signed in.</h1><p>Go back to the Skolehylde app.</p>",
    ),
    "signed_in_as": ("Logget ind som {name}", "Signed in as {name}"),
    # pupil home
    "home_title": ("Mine materialer", "My materials"),
    "home_hello": ("Hej {name}!", "Hi {name}!"),
    "home_assigned": ("Fra din lærer", "From your teacher"),
    "home_mine": ("Må åbnes", "You may open"),
    "home_empty": (
        "Du har ingen materialer endnu. Din lærer kan give dig nogle.",
        "You have no materials yet. Your teacher can give you some.",
    ),
    "open": ("Åbn", "Open"),
    "opening": ("Åbner {title} …", "Opening {title} …"),
    "opened": ("{title} er åbnet i browseren.", "{title} has opened in the browser."),
    # search
    "search_title": ("Find materialer", "Find materials"),
    "search_hint": ("Søg fx brøker, læsning, engelsk …", "Search e.g. fractions, reading …"),
    "search_results": ("{count} materialer", "{count} materials"),
    "search_one_result": ("1 materiale", "1 material"),
    "search_none": (
        "Ingen materialer passer. Prøv et andet ord eller færre filtre.",
        "No materials match. Try another word or fewer filters.",
    ),
    "filters": ("Filtre", "Filters"),
    "filters_clear": ("Ryd filtre", "Clear filters"),
    "filter_goal": ("Mål: {code}", "Goal: {code}"),
    "facet_subject": ("Fag", "Subject"),
    "facet_grade": ("Klassetrin", "Grade"),
    "facet_competence_area": ("Kompetenceområde", "Goal area"),
    "facet_media_type": ("Medietype", "Media type"),
    "facet_platform": ("Platform", "Platform"),
    "facet_accessibility": ("Tilgængelighed", "Accessibility"),
    "facet_price_band": ("Pris", "Price"),
    "facet_trial": ("Prøveperiode", "Trial"),
    "load_more": ("Vis flere", "Show more"),
    "grade_one": ("{grade}. klasse", "grade {grade}"),
    "grade_range": ("{low}.–{high}. klasse", "grades {low}–{high}"),
    "free": ("Gratis", "Free"),
    "from_price": ("fra {price}", "from {price}"),
    "no_price": ("Ingen pris", "No price"),
    "trial_badge": ("Kan prøves gratis", "Free trial"),
    "rating_none": ("Ingen anmeldelser", "No reviews"),
    "rating_line": ("{mean} ud af 5 ({count})", "{mean} of 5 ({count})"),
    # goals
    "goals_title": ("Fælles Mål", "Common Objectives"),
    "goals_subject": ("Fag", "Subject"),
    "goals_band": ("Klassetrin", "Grades"),
    "goals_band_all": ("Alle", "All"),
    "goal_materials": ("Materialer til målet", "Materials for the goal"),
    "goal_children": ("Under dette mål", "Below this goal"),
    "goal_find": ("Find materialer til målet", "Find materials for the goal"),
    "goal_none": ("Ingen materialer er knyttet til målet endnu.", "No materials for it yet."),
    # product
    "product_title": ("Materiale", "Material"),
    "by_publisher": ("fra {name}", "by {name}"),
    "description": ("Beskrivelse", "Description"),
    "screenshots": ("Skærmbilleder", "Screenshots"),
    "goals": ("Læringsmål", "Learning goals"),
    "offers": ("Priser", "Prices"),
    "offer_line": (
        "{licence}, {period}: {price} ekskl. moms ({gross} inkl.)",
        "{licence}, {period}: {price} excl. VAT ({gross} incl.)",
    ),
    "subsidy": ("Tilskudsberettiget", "Subsidy eligible"),
    "reviews": ("Anmeldelser", "Reviews"),
    "trial_days": ("Gratis prøveperiode: {days} dage", "Free trial: {days} days"),
    "no_trial": ("Ingen prøveperiode", "No free trial"),
    "start_trial": ("Start prøveperiode", "Start trial"),
    "request_purchase": ("Bed om køb", "Request purchase"),
    "assign_class": ("Giv til klasse", "Assign to class"),
    "rate": ("Giv bedømmelse", "Rate"),
    "open_material": ("Åbn materialet", "Open the material"),
    "choose_class": ("Klasse", "Class"),
    "quantity": ("Antal", "Quantity"),
    "reason_hint": ("Hvorfor? (kort)", "Why? (briefly)"),
    "trial_started": (
        "Prøveperioden er startet og slutter {date}.",
        "The trial has started and ends {date}.",
    ),
    "purchase_requested": (
        "Din anmodning er sendt til godkendelse ({total}).",
        "Your request has been sent for approval ({total}).",
    ),
    "rated": (
        "Tak! Din bedømmelse vises, når den er godkendt.",
        "Thank you! Your rating shows once it is approved.",
    ),
    "needs_class": ("Vælg en klasse først.", "Choose a class first."),
    "needs_offer": ("Materialet har ingen pris at købe.", "The material has no price to buy."),
    "assign_in_tool": (
        "Vælg lektionen i materialet i browseren – så får {name} den.",
        "Pick the lesson in the material in the browser – then {name} gets it.",
    ),
    # approvals and budget
    "approvals_title": ("Anmodninger og budget", "Requests and budget"),
    "approvals_pending": ("Venter på godkendelse", "Awaiting approval"),
    "approvals_none": ("Ingen anmodninger venter.", "No requests are waiting."),
    "approve": ("Godkend", "Approve"),
    "reject": ("Afvis", "Reject"),
    "approved": ("Godkendt.", "Approved."),
    "rejected": ("Afvist.", "Rejected."),
    "reject_reason": ("Afvist i appen", "Rejected in the app"),
    "request_line": ("{title} · {quantity} stk. · {total}", "{title} · {quantity} pcs · {total}"),
    "budget": ("Budget", "Budget"),
    "budget_allocated": ("Tildelt", "Allocated"),
    "budget_spent": ("Brugt", "Spent"),
    "budget_reserved": ("Reserveret", "Reserved"),
    "budget_remaining": ("Tilbage", "Remaining"),
    "budget_subsidy": ("Tilskud brugt", "Subsidy used"),
    # settings
    "settings_title": ("Indstillinger", "Settings"),
    "settings_language": ("Sprog", "Language"),
    "settings_text_size": ("Tekststørrelse", "Text size"),
    "settings_contrast": ("Høj kontrast", "High contrast"),
    "settings_server": ("Server", "Server"),
    "settings_screen_reader": (
        "Skærmlæsere understøttes ikke af appen endnu. Brug webudgaven med skærmlæser.",
        "Screen readers are not supported by the app yet. Use the web version with one.",
    ),
    "lang_da": ("Dansk", "Danish"),
    "lang_en": ("Engelsk", "English"),
    "size_normal": ("Normal", "Normal"),
    "size_large": ("Stor", "Large"),
    "size_larger": ("Større", "Larger"),
    "on": ("Til", "On"),
    "off": ("Fra", "Off"),
    # errors
    "err_offline": (
        "Ingen forbindelse til Skolehylde. Tjek netværket og prøv igen.",
        "No connection to Skolehylde. Check the network and try again.",
    ),
    "err_timeout": (
        "Skolehylde svarer ikke lige nu. Prøv igen om lidt.",
        "Skolehylde is not answering right now. Try again shortly.",
    ),
    "err_server": (
        "Der skete en fejl hos Skolehylde. Prøv igen om lidt.",
        "Something went wrong at Skolehylde. Try again shortly.",
    ),
    "err_search_unavailable": (
        "Søgningen er ikke tilgængelig lige nu. Prøv igen om lidt.",
        "Search is not available right now. Try again shortly.",
    ),
    "err_rate_limited": (
        "For mange forsøg. Vent et øjeblik og prøv igen.",
        "Too many attempts. Wait a moment and try again.",
    ),
    "err_signed_out": (
        "Du er blevet logget ud. Log ind igen.",
        "You have been signed out. Please sign in again.",
    ),
    "err_sign_in_refused": (
        "Login lykkedes ikke. Tjek koden og prøv igen.",
        "Sign-in did not work. Check the code and try again.",
    ),
    "err_sign_in_cancelled": (
        "Login blev afbrudt. Prøv igen.",
        "Sign-in was cancelled. Try again.",
    ),
    "err_not_found": ("Det findes ikke (længere).", "It does not exist (any more)."),
    "err_forbidden": ("Det har du ikke adgang til.", "You do not have access to that."),
    "err_rejected": (
        "Det kunne ikke lade sig gøre. Tjek det indtastede.",
        "That did not work. Check what you entered.",
    ),
    "err_not_cached": (
        "Det er ikke gemt på enheden, og du er offline.",
        "It is not saved on this device, and you are offline.",
    ),
    "err_unexpected": (
        "Noget gik galt i appen. Prøv igen.",
        "Something went wrong in the app. Try again.",
    ),
}


class Translator(EventDispatcher):  # type: ignore[misc]
    lang = StringProperty("da")

    def t(self, key: str, lang: str | None = None, **values: Any) -> str:
        pair = TEXT.get(key)
        if pair is None:
            return key
        text = pair[1] if (lang or self.lang) == "en" else pair[0]
        return text.format(**values) if values else text


translator = Translator()
