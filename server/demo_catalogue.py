"""The demo catalogue for ``make run``: about 200 products from ten fictional publishers.

Everything here is made up for the demo: publisher names (each ends in "(demo)"), CVR numbers
(valid by the modulus-11 rule, but no real company's), e-mail addresses and URLs (all on the
reserved ``.invalid`` top-level domain, which never resolves). The products are realistic
Danish listings: what the pupil does, for which grades, how the teacher uses it; Matematik and
Dansk products are tagged to real goals of the shipped Fælles Mål frameworks
(``learning_goals.faelles_maal.load_shipped_frameworks``), and their grades lie within the
grades of the goals they are tagged to.

``demo_products()`` gives one dict per product, in the shape of a line of
``skolehylde catalogue import FILE.jsonl``: the listing fields exactly as
``catalogue.validation.validate_product`` reads them (``PRODUCT_FIELDS``), plus
``"offers"`` (dicts as ``validate_offer`` reads them), ``"external_id"`` (a stable key, unique
across the demo) and ``"publisher_cvr"``. The data is written out in code and varied by a hash
of each product's key, never by a random generator, so every call returns the same list and
adding a product does not change the others. ``python -m server.demo_catalogue`` prints the
lines as JSONL.

``EXPECTED`` documents what a search of the demo catalogue must return (the acceptance check of
``make run``): for typo'd Danish queries ("brøkker", "læsnig") the products that contain the
meant word, and for a goal-subtree filter (the Matematik competence area "Statistik og
sandsynlighed", tagged only through goals below it) the products and their facet counts. It is
computed from the data by ``expected_results``, so it cannot drift from it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, TypeVar

from catalogue.vocabulary import LICENCE_TYPES, MEDIA_TYPES, PLATFORMS, price_band
from learning_goals.faelles_maal import load_shipped_frameworks
from learning_goals.model import Goal, GoalKind, ancestors_of, parent_map

T = TypeVar("T")

#: The LTI demo tool a later issue ships listens here (plain http is allowed on 127.0.0.1).
LTI_DEMO_TOOL: Final = "http://127.0.0.1:8001"


# --------------------------------------------------------------------------- publishers


@dataclass(frozen=True, slots=True)
class DemoPublisher:
    """A fictional publisher. ``domain`` is under ``.invalid``: nothing there ever answers."""

    key: str
    name: str
    cvr: str
    domain: str

    @property
    def contact_email(self) -> str:
        return f"kontakt@{self.domain}"

    @property
    def data_processing_agreement_url(self) -> str:
        return f"https://{self.domain}/databehandleraftale"

    @property
    def accessibility_statement_url(self) -> str:
        return f"https://{self.domain}/tilgaengelighedserklaering"


#: Forlaget Lærkereden is the publisher ``server.demo`` already creates (its admin is the demo
#: account "forlag"); it also owns the products launched through the LTI demo tool.
DEMO_PUBLISHERS: Final[tuple[DemoPublisher, ...]] = (
    DemoPublisher("laerkereden", "Forlaget Lærkereden (demo)", "10000009", "laerkereden.invalid"),
    DemoPublisher("tavlehuset", "Tavlehuset (demo)", "11000002", "tavlehuset.invalid"),
    DemoPublisher("kridtstreg", "Kridtstreg Læremidler (demo)", "11001378", "kridtstreg.invalid"),
    DemoPublisher("ordbroen", "Ordbroen Sprogforlag (demo)", "11002749", "ordbroen.invalid"),
    DemoPublisher("ugleoejet", "Ugleøjet Forlag (demo)", "11004113", "ugleoejet.invalid"),
    DemoPublisher("fjordlys", "Fjordlys Læring (demo)", "11005489", "fjordlys.invalid"),
    DemoPublisher("spiretid", "Spiretid Undervisning (demo)", "11008224", "spiretid.invalid"),
    DemoPublisher(
        "regnestokken", "Regnestokken Digital (demo)", "11010962", "regnestokken.invalid"
    ),
    DemoPublisher(
        "nordkompasset", "Nordkompasset Læremidler (demo)", "11012337", "nordkompasset.invalid"
    ),
    DemoPublisher("kloeverstien", "Kløverstien Forlag (demo)", "11013708", "kloeverstien.invalid"),
)
_PUBLISHERS: Final = {publisher.key: publisher for publisher in DEMO_PUBLISHERS}


def demo_publisher_id(cvr: str) -> uuid.UUID:
    """The id ``server.demo`` gives the publisher row of ``cvr`` (imported late: no cycle)."""
    from server.demo import demo_id

    return demo_id("publisher", cvr)


# --------------------------------------------------------------------------- product specs


@dataclass(frozen=True, slots=True)
class _Spec:
    """One product as written below; ``demo_products`` fills in the rest deterministically."""

    key: str
    publisher: str
    title: str
    subjects: tuple[str, ...]
    grades: tuple[int, ...]
    media: tuple[str, ...]
    text: str
    goals: tuple[str, ...] = ()  # Fælles Mål human codes
    platforms: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    accessibility: tuple[str, ...] | None = None
    offline: str | None = None
    free: bool = False
    lti: bool = False


def _grades(text: str) -> tuple[int, ...]:
    low, _, high = text.partition("-")
    return tuple(range(int(low), int(high or low) + 1))


def _p(
    key: str,
    publisher: str,
    title: str,
    subjects: str,
    grades: str,
    media: str,
    text: str,
    goals: str = "",
    **options: Any,
) -> _Spec:
    return _Spec(
        key=key,
        publisher=publisher,
        title=title,
        subjects=tuple(subjects.split()),
        grades=_grades(grades),
        media=tuple(media.split()),
        text=text,
        goals=tuple(goals.split()),
        **options,
    )


def _series(
    key: str,
    publisher: str,
    title: str,
    subjects: str,
    media: str,
    text: str,
    levels: Sequence[tuple[str, str, str, str]],
    **options: Any,
) -> list[_Spec]:
    """A series by level: ``levels`` are (number, grades, goal codes, what this level adds)."""
    return [
        _p(f"{key}-{number}", publisher, f"{title} {number}", subjects, grades, media,
           f"{text} {focus}", goals, **options)
        for number, grades, goals, focus in levels
    ]  # fmt: skip


_A11Y_DYSLEXIA: Final = ("text_to_speech", "dyslexia_friendly")

# fmt: off
_MATEMATIK: Final[list[_Spec]] = [
    # --- indskoling (1.–3.)
    *_series(
        "regnehuset", "tavlehuset", "Regnehuset", "matematik", "interactive exercises",
        "Eleverne går på opdagelse i Regnehusets rum og løser små regneopgaver med tal, "
        "tælleklodser og tallinjer.",
        [
            ("1", "1", "MAT.TA.3 MAT.TA.3.TAL.F1.FM1",
             "I 1. klasse tæller de, sammenligner antal og lærer tallene til 20 at kende."),
            ("2", "2", "MAT.TA.3 MAT.TA.3.TAL.F1.VM1",
             "I 2. klasse arbejder de med titalssystemet, plus og minus med tal til 100."),
            ("3", "3", "MAT.TA.3 MAT.MK.3",
             "I 3. klasse regner de med trecifrede tal og begynder på gange og division."),
        ],
    ),
    _p("talraketten", "regnestokken", "Talraketten", "matematik", "1-2", "game",
       "Eleverne styrer en raket gennem rummet ved at finde det rigtige tal, tælle antal og "
       "sætte tal i rækkefølge. Hver bane bliver lidt sværere.",
       "MAT.TA.3.TAL.F1.FM1 MAT.TA.3.TAL.F1.VM1", offline="full"),
    _p("taelle-tegne-tabel", "kridtstreg", "Tælle, tegne, tabel", "matematik", "1-2",
       "course exercises",
       "Eleverne tæller ting i klassen og skolegården, laver tabeller og tegner deres første "
       "søjlediagrammer. Til sidst præsenterer de, hvad de har fundet ud af.",
       "MAT.SS.3.STA.F1.FM1 MAT.SS.3.STA.F1.VM1"),
    _p("vores-klasse-i-tal", "tavlehuset", "Vores klasse i tal", "matematik", "2-3",
       "course interactive",
       "Klassen laver sin egen statistiske undersøgelse: eleverne finder på et spørgsmål, "
       "indsamler svar fra hinanden, ordner data og viser resultatet i et diagram.",
       "MAT.SS.3.STA.F2.FM1 MAT.SS.3.STA.F2.VM1 MAT.SS.3.STA.F3.FM1"),
    _p("terninger-og-chancer", "regnestokken", "Terninger og chancer", "matematik", "2-3",
       "game simulation",
       "Eleverne kaster digitale og rigtige terninger, gætter på udfaldet og taler om, hvad "
       "der er sikkert, muligt og umuligt.",
       "MAT.SS.3 MAT.MK.3"),
    _p("figurjagt", "kridtstreg", "Figurjagt", "matematik", "1-3", "game interactive",
       "Eleverne leder efter trekanter, firkanter og cirkler i billeder fra hverdagen og "
       "sorterer figurerne efter antal sider og hjørner.",
       "MAT.GM.3.GES.F1.FM1 MAT.GM.3"),
    _p("maal-og-vej", "laerkereden", "Mål og vej", "matematik", "2-3", "exercises",
       "Eleverne måler længder med skridt, snor og lineal, vejer ting fra køkkenet og "
       "sammenligner resultaterne.",
       "MAT.GM.3"),
    _p("matematik-i-skolegaarden", "spiretid", "Matematik i skolegården", "matematik",
       "1-3", "course teacher_guide",
       "Tolv udendørs aktiviteter, hvor eleverne bruger kridt, pinde og kroppen til at tælle, "
       "måle og bygge figurer.",
       "MAT.MK.3 MAT.GM.3", offline="full"),
    _p("regnestrategier-tallinjen", "tavlehuset", "Regnestrategier med tallinjen",
       "matematik", "2-3", "video exercises",
       "Korte videoer viser, hvordan man hopper på tallinjen, deler tal op og regner videre "
       "fra tiere. Eleverne prøver selv bagefter.",
       "MAT.TA.3"),
    _p("plus-minus-traeneren", "regnestokken", "Plus og minus-træneren", "matematik", "1-3",
       "exercises game",
       "Eleverne øver plus og minus i korte runder med øjeblikkelig respons og samler "
       "stjerner for hver ny talgrænse.",
       "MAT.TA.3", offline="partial"),
    _p("matematikmakkeren-1-3", "tavlehuset", "Matematikmakkeren 1.–3. klasse",
       "matematik", "1-3", "teacher_guide",
       "En lærervejledning til de første skoleår med samtaleøvelser, matematikspil og "
       "idéer til at lade eleverne forklare, hvordan de tænker.",
       "MAT.MK.3"),
    _p("indskolingens-matematiktest", "kridtstreg", "Indskolingens matematiktest",
       "matematik", "1-3", "assessment",
       "Tre korte test om året, hvor eleverne viser, hvad de kan med tal, figurer og "
       "enkle tabeller.",
       "MAT.TA.3 MAT.GM.3 MAT.SS.3"),
    # --- mellemtrin (4.–6.): brøker
    *_series(
        "broekvaerkstedet", "tavlehuset", "Brøkværkstedet", "matematik",
        "interactive exercises",
        "Eleverne arbejder med brøker gennem tegninger, brøkstave og tallinjer og forklarer "
        "deres løsninger for hinanden.",
        [
            ("4", "4", "MAT.TA.6 MAT.MK.6",
             "I 4. klasse handler det om at forstå brøker som dele af en helhed."),
            ("5", "5", "MAT.TA.6 MAT.MK.6",
             "I 5. klasse sammenligner eleverne brøker og finder brøker med samme værdi."),
            ("6", "6", "MAT.TA.6 MAT.MK.6",
             "I 6. klasse regner de med brøker og omsætter dem til decimaltal og procent."),
        ],
    ),
    _p("broekbanen", "regnestokken", "Brøkbanen", "matematik", "4-5", "game",
       "Eleverne kører et løb, hvor de skal placere brøker på tallinjen og vælge den største "
       "brøk for at komme først i mål.",
       "MAT.TA.6", offline="full"),
    _p("pizza-plader-og-broeker", "kridtstreg", "Pizza, plader og brøker", "matematik", "4-5",
       "video exercises",
       "Korte film om at dele pizzaer, chokoladeplader og kager retfærdigt, så eleverne ser "
       "brøker i hverdagen. Til hver film hører opgaver.",
       "MAT.TA.6"),
    _p("broeker-decimaltal-traeningsbank", "laerkereden", "Brøker og decimaltal – træningsbank",
       "matematik", "5-6", "exercises assessment",
       "Over 600 opgaver med brøker, decimaltal og procent i tre sværhedsgrader, så alle "
       "elever kan arbejde på deres eget niveau.",
       "MAT.TA.6 MAT.MK.6"),
    _p("broeker-i-praksis", "tavlehuset", "Brøker i praksis – lærervejledning", "matematik",
       "4-6", "teacher_guide",
       "Lærervejledning med undersøgende aktiviteter om brøker: fra foldede papirstrimler "
       "til opskrifter, der skal ganges op og ned.",
       "MAT.TA.6 MAT.MK.6"),
    _p("decimaltal-i-hverdagen", "regnestokken", "Decimaltal i hverdagen", "matematik", "5-6",
       "interactive",
       "Eleverne handler ind i en digital butik, sammenligner priser og regner med "
       "decimaltal for at få mest for pengene.",
       "MAT.TA.6"),
    _p("negative-tal-og-temperatur", "kridtstreg", "Negative tal og temperatur", "matematik",
       "5-6", "interactive exercises",
       "Eleverne aflæser termometre fra hele verden og regner med temperaturforskelle over "
       "og under frysepunktet.",
       "MAT.TA.6"),
    _p("ligninger-med-vaegtskaal", "regnestokken", "Ligninger med vægtskål", "matematik", "6",
       "simulation exercises",
       "En digital vægtskål hjælper eleverne med at forstå, at en ligning skal være i balance, "
       "og de løser deres første ligninger med en ubekendt.",
       "MAT.TA.6"),
    _p("moenstre-og-formler", "tavlehuset", "Mønstre og formler", "matematik", "5-6",
       "course interactive",
       "Eleverne bygger figurmønstre med tændstikker og klodser, beskriver dem med ord og "
       "skriver til sidst en formel med en variabel.",
       "MAT.TA.6 MAT.MK.6"),
    *_series(
        "geometrilab", "kridtstreg", "Geometrilab", "matematik", "simulation tool",
        "I Geometrilab konstruerer eleverne figurer på skærmen, flytter hjørner og ser, hvad "
        "der sker med vinkler, omkreds og areal.",
        [
            ("4", "4", "MAT.GM.6", "Niveau 4 handler om vinkler, linjer og symmetri."),
            ("5", "5", "MAT.GM.6", "Niveau 5 handler om omkreds og areal af firkanter."),
            ("6", "6", "MAT.GM.6", "Niveau 6 handler om trekanter, cirkler og målestoksforhold."),
        ],
    ),
    _p("areal-og-omkreds-byggeprojekt", "spiretid", "Areal og omkreds i byggeprojektet",
       "matematik", "5-6", "course",
       "Klassen tegner og bygger et drivhus i skolegården og regner selv areal, omkreds og "
       "materialeforbrug ud.",
       "MAT.GM.6 MAT.MK.6"),
    _p("vinkelmaaleren", "regnestokken", "Vinkelmåleren", "matematik", "4-6", "tool",
       "En digital vinkelmåler og lineal, som eleverne bruger til at måle og tegne vinkler i "
       "billeder og på skærmen.",
       "MAT.GM.6", offline="full"),
    _p("datadetektiverne", "tavlehuset", "Datadetektiverne", "matematik", "4-6",
       "course interactive",
       "Eleverne løser sager som datadetektiver: de indsamler data om skolens affald, "
       "trafikken eller klassens vaner og præsenterer deres konklusioner.",
       "MAT.SS.6.STA.F2.FM1 MAT.SS.6.STA.F2.VM1"),
    _p("diagrammer-der-taler", "kridtstreg", "Diagrammer der taler", "matematik", "4-5",
       "interactive exercises",
       "Eleverne aflæser og tegner søjle-, linje- og cirkeldiagrammer og diskuterer, hvad et "
       "diagram kan vise, og hvad det skjuler.",
       "MAT.SS.6.STA.F1.FM1 MAT.SS.6.STA.F1.VM1"),
    _p("chancespillet", "regnestokken", "Chancespillet", "matematik", "5-6",
       "game simulation",
       "Eleverne spiller med terninger, mønter og lykkehjul, noterer udfaldene og sammenligner "
       "deres gæt med de statistiske sandsynligheder.",
       "MAT.SS.6"),
    _p("regneark-i-matematik", "nordkompasset", "Regneark i matematik", "matematik", "5-6",
       "tool course",
       "Eleverne lærer at bruge regneark til at ordne data, lave beregninger med formler og "
       "sammenligne datasæt med hyppighed og frekvens.",
       "MAT.SS.6.STA.F2.VM1 MAT.SS.6.STA.F3.FM1 MAT.TA.6"),
    _p("mellemtrinnets-matematiktest", "kridtstreg", "Mellemtrinnets matematiktest",
       "matematik", "4-6", "assessment",
       "Test i tal og algebra, geometri og statistik, som viser elevens styrker og de "
       "områder, der skal arbejdes mere med.",
       "MAT.TA.6 MAT.GM.6 MAT.SS.6"),
    _p("matematisk-problemloesning", "laerkereden", "Matematisk problemløsning 4.–6. klasse",
       "matematik", "4-6", "course teacher_guide",
       "Åbne problemer, hvor eleverne skal vælge en metode, prøve sig frem og argumentere for "
       "deres løsning i grupper.",
       "MAT.MK.6", lti=True),
    _p("tabeltraeneren", "regnestokken", "Tabeltræneren", "matematik", "3-5",
       "exercises game",
       "Eleverne øver den lille tabel i korte daglige runder, og programmet gentager de "
       "tabeller, den enkelte elev har sværest ved.",
       "MAT.TA.3 MAT.TA.6", offline="full"),
    # --- udskoling (7.–9.) og 10. klasse
    *_series(
        "algebra-fra-bunden", "tavlehuset", "Algebra fra bunden", "matematik",
        "interactive exercises video",
        "Et gennemgående forløb i algebra med korte videoer, interaktive eksempler og opgaver "
        "i tre niveauer.",
        [
            ("7", "7", "MAT.MK.9", "I 7. klasse: variable, reduktion og parenteser."),
            ("8", "8", "MAT.MK.9", "I 8. klasse: ligninger, formler og lineære sammenhænge."),
            ("9", "9", "MAT.MK.9", "I 9. klasse: andengradsudtryk og ligningssystemer."),
        ],
    ),
    _p("funktioner-og-grafer", "regnestokken", "Funktioner og grafer", "matematik", "8-9",
       "simulation interactive",
       "Eleverne trækker i skydere og ser grafen ændre sig, mens de undersøger lineære "
       "funktioner, hældning og skæring med andenaksen.",
       "MAT.MK.9"),
    _p("broeker-procent-og-forhold", "kridtstreg", "Brøker, procent og forhold", "matematik",
       "7", "interactive exercises",
       "Repetition og udbygning af brøker, procent og forhold med opgaver om rabatter, "
       "opskrifter og målestoksforhold.",
       "MAT.MK.9"),
    _p("pythagoras-i-praksis", "nordkompasset", "Pythagoras i praksis", "matematik", "8-9",
       "video course",
       "Eleverne opdager Pythagoras' sætning med snore og målebånd og bruger den til at "
       "beregne afstande i skolegården og på kort.",
       "MAT.MK.9"),
    _p("statistik-i-medierne", "tavlehuset", "Statistik i medierne", "matematik", "8-9",
       "course",
       "Eleverne undersøger meningsmålinger, reklamer og nyheder og vurderer, om tallene "
       "bliver brugt på en fair måde.",
       "MAT.SS.9 MAT.MK.9"),
    _p("sandsynlighed-og-spil", "regnestokken", "Sandsynlighed og spil", "matematik", "7-9",
       "simulation",
       "Eleverne simulerer tusindvis af kast og træk, sammenligner med beregnede "
       "sandsynligheder og diskuterer, hvorfor casinoet altid vinder.",
       "MAT.SS.9"),
    _p("proevetraening-matematik-9", "kridtstreg", "Prøvetræning matematik 9. klasse",
       "matematik", "9", "assessment exercises",
       "Prøvelignende opgavesæt med og uden hjælpemidler, tidtagning og vejledende "
       "karakterer, så eleverne kan øve sig til folkeskolens afgangsprøve.",
       "MAT.MK.9 MAT.SS.9"),
    _p("privatoekonomi-matematik", "nordkompasset", "Løn, skat og lån – matematik i økonomi",
       "matematik", "8-9", "course interactive",
       "Eleverne regner på løn, fradrag, renter og afbetaling og sammenligner, hvad et lån til "
       "en knallert eller en telefon koster i alt.",
       "MAT.MK.9"),
    _p("fp10-matematik", "kridtstreg", "Matematik i 10. klasse – prøvetræning",
       "matematik", "10", "assessment exercises",
       "Opgavesæt i samme form som 10.-klasseprøven med reelle tal, algebra og "
       "matematisk modellering.",
       "MAT.MK.10 MAT.TA.10"),
    _p("statistik-sandsynlighed-10", "tavlehuset",
       "Statistik og sandsynlighed på 10. klassetrin", "matematik", "10", "course",
       "Eleverne vurderer, hvordan medier og myndigheder bruger statistik, og regner på "
       "sandsynligheder i spil, forsikring og sundhed.",
       "MAT.SS.10.STA.F1.FM1 MAT.SS.10.STA.F1.VM1 MAT.SS.10.SAN.F1.FM1"),
    _p("geometri-i-omverdenen-10", "nordkompasset", "Geometri og måling i omverdenen",
       "matematik", "10", "course video",
       "Eleverne opmåler rum og bygninger, laver arbejdstegninger og beregner materialer til "
       "et rigtigt byggeprojekt.",
       "MAT.GM.10"),
    _p("reelle-tal-og-algebra-10", "regnestokken", "Reelle tal og algebra", "matematik", "10",
       "interactive exercises",
       "Kvadratrødder, potenser og algebraiske udtryk med interaktive eksempler og opgaver, "
       "der forbereder eleverne til ungdomsuddannelsen.",
       "MAT.TA.10"),
]

_DANSK: Final[list[_Spec]] = [
    # --- 1.–2. klasse
    *_series(
        "laeseloeven", "laerkereden", "Læseløven", "dansk", "ebook exercises",
        "Læseløven er små digitale bøger med opgaver til den første læsning: eleverne læser "
        "højt, lytter og svarer på spørgsmål til teksten.",
        [
            ("1", "1", "DAN.LÆS.2.FM1 DAN.LÆS.2.VM1",
             "Bog 1 har lydrette ord, korte sætninger og mange billeder."),
            ("2", "2", "DAN.LÆS.2.FM1 DAN.LÆS.2.FM2",
             "Bog 2 har længere tekster og de første ikke-lydrette ord."),
            ("3", "3", "DAN.LÆS.4.FM3 DAN.LÆS.4.VM2",
             "Bog 3 øver hurtig og sikker læsning og enkle læseforståelsesstrategier."),
            ("4", "4", "DAN.LÆS.4.FM3 DAN.LÆS.4.FM1",
             "Bog 4 har fagtekster, hvor eleverne bruger deres baggrundsviden."),
        ],
        lti=True, accessibility=("text_to_speech", "dyslexia_friendly", "keyboard_navigation"),
    ),
    _p("bogstavbyen", "laerkereden", "Bogstavbyen", "dansk", "1", "game",
       "Eleverne bygger en by af bogstaver: hvert hus åbner, når de har lyttet til lyden, "
       "fundet bogstavet og lagt det første ord sammen.",
       "DAN.LÆS.2.FM1", lti=True, offline="partial"),
    _p("lydret-laesning-smaa-boeger", "kloeverstien", "Lydret læsning – små bøger", "dansk",
       "1-2", "ebook audio",
       "Fyrre små bøger med lydrette ord, som eleverne kan læse selv og få læst op. Bøgerne "
       "passer til læsning i makkerpar og læsebånd.",
       "DAN.LÆS.2.FM1", accessibility=_A11Y_DYSLEXIA),
    _p("ordjagten", "ugleoejet", "Ordjagten", "dansk", "1-2", "interactive game",
       "Eleverne jagter ord i korte tekster, finder ord, der rimer, og gætter, hvad nye ord "
       "betyder ud fra billeder og sammenhæng.",
       "DAN.LÆS.2.FM2 DAN.LÆS.2.VM1"),
    _p("billedboeger-og-samtale", "laerkereden", "Billedbøger og samtale", "dansk", "1-2",
       "ebook teacher_guide",
       "Otte billedbøger med samtalekort, hvor eleverne kobler det, de ser og læser, med "
       "deres egne erfaringer.",
       "DAN.LÆS.2.FM3"),
    _p("laesetraening-med-lydboeger", "kloeverstien", "Læsetræning med lydbøger", "dansk",
       "1-2", "audio ebook",
       "Eleverne lytter til en tekst, læser med og læser til sidst selv højt. Optagelserne "
       "kan deles med læreren.",
       "DAN.LÆS.2.FM1", accessibility=_A11Y_DYSLEXIA, offline="full"),
    _p("foerste-laesetest", "ugleoejet", "Første læsetest", "dansk", "1-2", "assessment",
       "En kort test af ordlæsning og forståelse af indholdsord, som viser, hvem der er godt "
       "i gang, og hvem der har brug for ekstra støtte.",
       "DAN.LÆS.2.FM1 DAN.LÆS.2.FM2"),
    _p("laeremappe-1-2", "laerkereden", "Lærerens læsemappe 1.–2. klasse", "dansk", "1-2",
       "teacher_guide",
       "Årsplan, lektionsforslag og kopiark til den første læseundervisning, med idéer til "
       "læsebånd, makkerlæsning og samarbejde med forældrene.",
       "DAN.LÆS.2"),
    # --- 3.–4. klasse
    _p("laeseforstaaelse-faglige-tekster", "ugleoejet", "Læseforståelse med faglige tekster",
       "dansk", "3-4", "ebook exercises",
       "Korte fagtekster om dyr, rummet og kroppen med opgaver før, under og efter læsningen, "
       "så eleverne øver læseforståelse i faglige sammenhænge.",
       "DAN.LÆS.4.VM1 DAN.LÆS.4.VM2"),
    _p("foer-under-efter", "laerkereden", "Før, under og efter læsning", "dansk", "3-4",
       "course",
       "Et forløb om læseformål og læsestrategier: eleverne lærer at aktivere baggrundsviden, "
       "stille spørgsmål til teksten og opsummere bagefter.",
       "DAN.LÆS.4.FM1 DAN.LÆS.4.FM2 DAN.LÆS.4.VM2", lti=True),
    _p("over-og-underbegreber", "kloeverstien", "Over- og underbegreber", "dansk", "3-4",
       "exercises game",
       "Eleverne sorterer ord i kategorier som dyr, pattedyr og hunde og bruger begreberne "
       "til at forstå sammenhænge i tekster.",
       "DAN.LÆS.4.FM4"),
    _p("skrivestuen", "laerkereden", "Skrivestuen", "dansk", "3-4", "tool",
       "Et skriveværktøj med skabeloner til fortællinger, breve og beskrivelser, hvor eleverne "
       "kan indsætte billeder og indtale lyd.",
       "DAN.FRE.4", accessibility=("text_to_speech", "keyboard_navigation")),
    _p("min-foerste-fagtekst", "ugleoejet", "Min første fagtekst", "dansk", "3-4", "course",
       "Eleverne vælger et emne, læser om det og skriver en kort fagtekst med overskrifter, "
       "billeder og faktabokse.",
       "DAN.FRE.4 DAN.LÆS.4.VM1"),
    _p("lyd-og-billedfortaellinger", "regnestokken", "Lyd- og billedfortællinger", "dansk",
       "3-4", "tool",
       "Eleverne fortæller en historie med egne tegninger, fotos og indtalt lyd og deler den "
       "med klassen.",
       "DAN.FRE.4", platforms=("ios", "android", "chromebook")),
    _p("laesehastighed-120", "ugleoejet", "Læsehastighed 120", "dansk", "3-4",
       "assessment exercises",
       "Eleverne læser korte tekster på tid, og programmet måler, hvor mange ord de læser i "
       "minuttet, og hvor sikkert de læser.",
       "DAN.LÆS.4.FM3"),
    _p("hoejtlaesningsboeger-3-4", "kloeverstien", "Højtlæsningsbøger til 3.–4. klasse",
       "dansk", "3-4", "ebook audio",
       "Tolv spændende kapitelbøger til højtlæsning og selvlæsning, indlæst af skuespillere "
       "og med samtalespørgsmål til hvert kapitel.",
       "DAN.LÆS.4.VM1", accessibility=_A11Y_DYSLEXIA),
    # --- 5.–6. klasse
    *_series(
        "ordkraft", "ugleoejet", "Ordkraft", "dansk", "exercises interactive",
        "Ordkraft styrker ordforrådet: eleverne arbejder med orddele, synonymer og fagord og "
        "bruger dem i egne sætninger.",
        [
            ("5", "5", "DAN.LÆS.6.FM2 DAN.LÆS.6.VM1",
             "Niveau 5 handler om forstavelser, endelser og sammensatte ord."),
            ("6", "6", "DAN.LÆS.6.FM2 DAN.LÆS.6.VM1",
             "Niveau 6 handler om fagord, faste udtryk og ord med flere betydninger."),
        ],
    ),
    _p("fagtekster-paa-mellemtrinnet", "laerkereden", "Fagtekster på mellemtrinnet", "dansk",
       "5-6", "course ebook",
       "Eleverne læser fagtekster om natur, samfund og teknik, gengiver hovedindholdet og "
       "undersøger, hvordan teksterne er bygget op.",
       "DAN.LÆS.6.FM3 DAN.LÆS.6.VM2"),
    _p("hvem-siger-hvad", "ugleoejet", "Hvem siger hvad? Perspektiv i tekster", "dansk", "6",
       "course",
       "Eleverne sammenligner artikler, reklamer og debatindlæg om samme emne og vurderer, "
       "hvis perspektiv teksten er skrevet fra.",
       "DAN.LÆS.6.FM4"),
    _p("laeseforstaaelsestest-5-6", "kridtstreg", "Læseforståelsestest 5.–6. klasse", "dansk",
       "5-6", "assessment",
       "En digital test af læseforståelse i skøn- og faglitteratur, som viser, hvordan "
       "eleven sammenholder læseformål og indhold.",
       "DAN.LÆS.6.FM1 DAN.LÆS.6.FM3"),
    _p("debatindlaeg-og-formelle-tekster", "laerkereden", "Debatindlæg og formelle tekster",
       "dansk", "6", "course",
       "Eleverne skriver læserbreve, klager og debatindlæg og øver sig i at skrive til en "
       "modtager, de ikke kender.",
       "DAN.FRE.6"),
    _p("podcastvaerkstedet", "regnestokken", "Podcastværkstedet", "dansk", "5-6", "tool",
       "Eleverne planlægger, optager og klipper deres egen podcast med interview, speak og "
       "lydeffekter.",
       "DAN.FRE.6", platforms=("web", "ios", "chromebook")),
    _p("novellebogen-5-6", "ugleoejet", "Novellebogen 5.–6. klasse", "dansk", "5-6",
       "ebook teacher_guide",
       "Femten noveller af nye danske forfattere med opgaver, der hjælper eleverne med at "
       "læse med et formål og tale om teksternes tema.",
       "DAN.LÆS.6.FM1", accessibility=_A11Y_DYSLEXIA),
    _p("stavevejen", "kloeverstien", "Stavevejen", "dansk", "5-6", "exercises game",
       "Eleverne øver stavning i korte daglige forløb med diktat, ordbilleder og stavestrategier "
       "og ser deres fremskridt i en kurve.",
       "DAN.FRE.6", accessibility=_A11Y_DYSLEXIA),
    _p("ordblindevenlig-laesning", "kloeverstien", "Ordblindevenlig læsning 4.–6. klasse",
       "dansk", "4-6", "ebook exercises",
       "Tekster og opgaver med ordblindevenlig skrift, oplæsning og ordforklaringer, så elever "
       "med læsevanskeligheder kan følge klassens undervisning.",
       "DAN.LÆS.4.FM3 DAN.LÆS.6.FM2",
       accessibility=("text_to_speech", "dyslexia_friendly", "screen_reader", "high_contrast")),
    _p("laeseband-20-minutter", "ugleoejet", "Læsebånd – 20 minutter om dagen", "dansk", "3-6",
       "ebook",
       "Et digitalt bibliotek med over 300 bøger sorteret efter sværhedsgrad, så hver elev "
       "altid har en bog til dagens læsebånd.",
       "DAN.LÆS.4.FM3 DAN.LÆS.6.FM2", offline="partial"),
    _p("skriv-med-ordforslag", "kloeverstien", "Skriv med ordforslag", "dansk", "3-6", "tool",
       "Et skriveværktøj, der foreslår ord, læser teksten op og hjælper eleven med at stave, "
       "mens de skriver.",
       "DAN.FRE.4 DAN.FRE.6", accessibility=("text_to_speech", "dyslexia_friendly")),
    _p("grammatik-gymnastik", "ugleoejet", "Grammatik-gymnastik", "dansk", "5-6",
       "exercises game",
       "Eleverne leger med ordklasser, sætningsled og tegnsætning i korte, sjove øvelser, der "
       "kan bruges som opvarmning i timen.",
       "DAN.FRE.6"),
    # --- 7.–9. klasse
    *_series(
        "tekstrum", "ugleoejet", "Tekstrum", "dansk", "course ebook",
        "Tekstrum er et grundsystem til udskolingen med tekster, opgaver og forløb om genrer, "
        "medier og sprog.",
        [
            ("7", "7", "DAN.LÆS.9.VM1 DAN.LÆS.9.FM1",
             "Bind 7 har forløb om eventyr, nyheder og multimodale tekster."),
            ("8", "8", "DAN.LÆS.9.VM1 DAN.LÆS.9.FM2",
             "Bind 8 har forløb om noveller, dokumentar og reklamer."),
            ("9", "9", "DAN.LÆS.9.VM1 DAN.LÆS.9.FM6",
             "Bind 9 har forløb om litteraturhistorie, debat og afgangsprøven."),
        ],
    ),
    _p("multimodale-tekster", "laerkereden", "Multimodale tekster", "dansk", "8-9",
       "course interactive",
       "Eleverne analyserer hjemmesider, spil og sociale medier og undersøger, hvordan tekst, "
       "billede og lyd arbejder sammen.",
       "DAN.LÆS.9.FM1 DAN.LÆS.9.VM1"),
    _p("laesestrategier-udskolingen", "ugleoejet", "Læsestrategier i udskolingen", "dansk",
       "7-8", "course exercises",
       "Eleverne lærer at skimme, skanne og nærlæse og vælger bevidst læsehastighed efter "
       "formålet med teksten.",
       "DAN.LÆS.9.VM2 DAN.LÆS.9.FM3"),
    _p("argumenterende-skrivning", "laerkereden", "Argumenterende skrivning", "dansk", "8-9",
       "course tool",
       "Eleverne skriver essays, kronikker og debatindlæg med tydelig påstand, belæg og "
       "modargumenter og giver hinanden respons.",
       "DAN.FRE.9"),
    _p("proevetraening-dansk-9", "kridtstreg", "Prøvetræning dansk – læsning og retskrivning",
       "dansk", "9", "assessment exercises",
       "Prøvelignende opgaver i læsning og retskrivning med automatisk retning og forklaringer "
       "til hvert svar.",
       "DAN.LÆS.9.FM5 DAN.FRE.9"),
    _p("kortfilm-og-analyse", "fjordlys", "Kortfilm og analyse", "dansk filmkundskab", "8-9",
       "video course",
       "Seks danske kortfilm med analyseopgaver om fortælling, virkemidler og tema, så "
       "eleverne ser filmene i deres sammenhæng.",
       "DAN.LÆS.9.VM3", accessibility=("captions", "screen_reader")),
    _p("romanlaesning-8", "ugleoejet", "Romanlæsning i 8. klasse", "dansk", "8",
       "ebook course",
       "Et forløb om en ungdomsroman med læselog, samtalespørgsmål og skriveopgaver, der "
       "kobler romanen til elevernes egen tid.",
       "DAN.LÆS.9.FM5 DAN.LÆS.9.VM3", accessibility=_A11Y_DYSLEXIA),
    _p("sprog-og-laaneord", "kloeverstien", "Sprog og låneord", "dansk", "7-9",
       "exercises interactive",
       "Eleverne undersøger ord, dansk har lånt fra engelsk, tysk og fransk, og øver sig i at "
       "læse og stave dem sikkert.",
       "DAN.LÆS.9.FM4"),
    _p("synopsis-og-projektopgave", "laerkereden", "Synopsis og projektopgave", "dansk", "9",
       "teacher_guide tool",
       "Vejledning og skabeloner til projektopgaven: eleverne formulerer en problemstilling, "
       "samler kilder og skriver en synopsis.",
       "DAN.FRE.9 DAN.LÆS.9.FM6"),
    _p("nyheder-og-kildekritik", "fjordlys", "Nyheder og kildekritik", "dansk samfundsfag",
       "8-9", "course",
       "Eleverne sammenligner, hvordan forskellige medier dækker samme nyhed, og tjekker "
       "kilder, billeder og tal.",
       "DAN.LÆS.9.FM6 DAN.LÆS.9.VM3"),
    _p("digte-for-udskolingen", "kloeverstien", "Digte for udskolingen", "dansk", "7-9",
       "audio ebook",
       "Halvtreds digte fra Kingo til i dag, læst op af digtere og skuespillere, med korte "
       "introduktioner til perioder og genretræk.",
       "DAN.LÆS.9.VM1", accessibility=("text_to_speech", "screen_reader")),
    _p("mundtlighed-og-fremlaeggelse", "ugleoejet", "Mundtlighed og fremlæggelse", "dansk",
       "7-9", "course video",
       "Eleverne øver oplæg, diskussion og præsentation og filmer sig selv for at give "
       "hinanden respons.",
       "DAN.FRE.9"),
]

_OTHER_SUBJECTS: Final[list[_Spec]] = [
    # --- dansk som andetsprog
    _p("dansk-fra-dag-et", "ordbroen", "Dansk fra dag ét", "dansk-som-andetsprog", "1-3",
       "interactive audio",
       "Nyankomne elever lærer de første 500 ord om skole, familie og hverdag med billeder, "
       "lyd og små samtaler.",
       languages=("da", "uk", "ar", "so"), accessibility=("text_to_speech",)),
    _p("fagord-mat-og-nt", "ordbroen", "Fagord i matematik og natur/teknologi",
       "dansk-som-andetsprog", "4-6", "exercises",
       "Eleverne lærer fagordene, de har brug for i matematik og natur/teknologi, med "
       "forklaringer på deres modersmål.",
       languages=("da", "ar", "uk", "tr", "pl")),
    _p("hverdagsdansk-nyankomne", "ordbroen", "Hverdagsdansk for nyankomne",
       "dansk-som-andetsprog", "7-9", "course video",
       "Korte film fra hverdagen i skole og fritid med ordlister og samtaleøvelser for elever, "
       "der lige er kommet til Danmark.",
       languages=("da", "uk", "ar"), accessibility=("captions", "text_to_speech")),
    _p("billedordbogen", "ordbroen", "Billedordbogen", "dansk-som-andetsprog", "0-6", "tool",
       "En billedordbog med 2.000 ord, hvor eleverne kan høre ordet på dansk og på deres "
       "modersmål.",
       languages=("da", "ar", "uk", "so", "tr", "pl"), offline="full"),
    _p("ordforraad-udskolingen-dsa", "ordbroen", "Ordforråd i udskolingen",
       "dansk-som-andetsprog", "7-9", "exercises interactive",
       "Eleverne opbygger et fagligt ordforråd til historie, samfundsfag og naturfag med "
       "øvelser i ordforbindelser og faste udtryk.",
       languages=("da", "en")),
    # --- engelsk
    *_series(
        "sprogstigen-engelsk", "ordbroen", "Sprogstigen Engelsk", "engelsk",
        "interactive audio",
        "Sprogstigen er engelsk for begyndere med sange, lege og små dialoger.",
        [
            ("1", "1", "", "I 1. klasse lærer eleverne at hilse, tælle og sige farver."),
            ("2", "2", "", "I 2. klasse taler de om familie, dyr og mad."),
            ("3", "3", "", "I 3. klasse læser og skriver de de første korte tekster."),
        ],
        languages=("en", "da"),
    ),
    _p("sange-og-rim-engelsk", "kloeverstien", "Sange og rim på engelsk", "engelsk", "1-3",
       "audio video",
       "Tredive sange og rim med bevægelser, som eleverne synger med på, mens de lærer "
       "engelske ord og udtale.",
       languages=("en", "da")),
    _p("engelske-ord-med-billeder", "regnestokken", "Engelske ord med billeder", "engelsk",
       "1-4", "game",
       "Eleverne matcher ord, billeder og lyd i små spil og bygger et ordforråd på over "
       "600 engelske ord.",
       languages=("en", "da"), offline="full"),
    _p("storytime", "ordbroen", "Storytime – engelske billedbøger", "engelsk", "2-4",
       "ebook audio",
       "Tyve billedbøger på let engelsk, indlæst af engelsktalende oplæsere, med ordlister og "
       "forslag til samtale.",
       languages=("en",), accessibility=("text_to_speech",)),
    _p("talk-together", "ordbroen", "Talk Together – samtalekort", "engelsk", "4-6",
       "interactive",
       "Digitale samtalekort, der får eleverne til at tale engelsk sammen i par om hobbyer, "
       "skole og drømme.",
       languages=("en", "da")),
    _p("engelsk-grammatik-smaa-bidder", "kridtstreg", "Engelsk grammatik i små bidder",
       "engelsk", "5-7", "exercises",
       "Korte øvelser i verber, ordstilling og spørgsmål på engelsk med forklaringer på dansk.",
       languages=("en", "da")),
    _p("reading-club", "ordbroen", "Reading Club – letlæste bøger", "engelsk", "4-6",
       "ebook",
       "Et bibliotek med letlæste engelske bøger i seks niveauer, så eleverne kan læse "
       "selv og tale om bøgerne i læseklubber.",
       languages=("en",), offline="partial"),
    _p("engelsk-skrivning-modeltekster", "ugleoejet", "Engelsk skrivning med modeltekster",
       "engelsk", "6-8", "course tool",
       "Eleverne skriver breve, beskrivelser og fortællinger på engelsk ud fra modeltekster "
       "og skrivestøtte.",
       languages=("en", "da")),
    _p("film-paa-engelsk", "fjordlys", "Film på engelsk – undertekster og samtale", "engelsk",
       "7-9", "video",
       "Korte film fra hele den engelsktalende verden med engelske undertekster og "
       "spørgsmål til samtale og skrivning.",
       languages=("en",), accessibility=("captions",)),
    _p("engelsk-proevetraening-9", "kridtstreg", "Engelsk prøvetræning 9. klasse", "engelsk",
       "9", "assessment",
       "Prøvelignende opgaver i lytning, ordforråd og grammatik, som rettes automatisk.",
       languages=("en", "da")),
    _p("countries-and-cultures", "fjordlys", "Countries and Cultures", "engelsk", "7-9",
       "course video",
       "Et forløb om kultur og samfund i Storbritannien, USA, Indien og Australien med film, "
       "tekster og projektopgaver.",
       languages=("en",)),
    _p("podcast-paa-engelsk", "ordbroen", "Podcasts på engelsk", "engelsk", "8-10", "audio",
       "Korte podcasts med unge fra hele verden, som eleverne lytter til og diskuterer.",
       languages=("en",), offline="full"),
    _p("engelsk-for-ordblinde", "kloeverstien", "Engelsk for ordblinde", "engelsk", "4-9",
       "exercises audio",
       "Engelske tekster og opgaver med oplæsning, ordforklaringer og ordblindevenlig skrift.",
       languages=("en", "da"), accessibility=_A11Y_DYSLEXIA),
    _p("udtaletraeneren", "regnestokken", "Udtaletræneren", "engelsk", "5-9", "tool",
       "Eleverne indtaler ord og sætninger og får respons på udtalen, så de tør tale mere.",
       languages=("en",), platforms=("ios", "android")),
    _p("engelsk-ordforraad-10", "ordbroen", "Engelsk ordforråd i 10. klasse", "engelsk",
       "10", "exercises",
       "Ordforråd til uddannelse, arbejde og samfund, der forbereder eleverne til "
       "ungdomsuddannelsen.",
       languages=("en", "da")),
    _p("shakespeare-udskolingen", "fjordlys", "Shakespeare i udskolingen", "engelsk", "9-10",
       "course video",
       "Eleverne møder Romeo og Julie gennem film, forenklede scener og drama på engelsk.",
       languages=("en",)),
    # --- tyske, franske og spanske materialer
    *_series(
        "tysk-fra-start", "ordbroen", "Tysk fra start", "tysk", "interactive audio",
        "Tysk for begyndere med dialoger, sange og små opgaver.",
        [
            ("5", "5", "", "I 5. klasse om familie, skole og fritid."),
            ("6", "6", "", "I 6. klasse om mad, tøj og rejser."),
        ],
        languages=("de", "da"),
    ),
    _p("deutsch-im-alltag", "ordbroen", "Deutsch im Alltag", "tysk", "7-9", "course video",
       "Korte film fra Tyskland, Østrig og Schweiz, hvor eleverne lærer at klare sig i "
       "hverdagen på tysk.",
       languages=("de", "da")),
    _p("tyske-ord-og-vendinger", "regnestokken", "Tyske ord og vendinger", "tysk", "5-7",
       "game",
       "Eleverne øver tyske gloser og faste vendinger i et spil, der gentager de ord, de har "
       "sværest ved.",
       languages=("de", "da"), offline="full"),
    _p("tysk-grammatik-traener", "kridtstreg", "Tysk grammatik-træner", "tysk", "7-9",
       "exercises",
       "Øvelser i kasus, verber og ordstilling med forklaringer på dansk.",
       languages=("de", "da")),
    _p("tysk-proevetraening", "kridtstreg", "Tysk prøvetræning", "tysk", "9", "assessment",
       "Opgaver i læsning, lytning og skriftlig fremstilling som til prøven i tysk.",
       languages=("de", "da")),
    _p("fransk-for-begyndere", "ordbroen", "Fransk for begyndere", "fransk", "5-7",
       "interactive audio",
       "Eleverne lærer at præsentere sig selv, bestille mad og spørge om vej på fransk.",
       languages=("fr", "da")),
    _p("bonjour-lyttetraening", "ordbroen", "Bonjour – fransk lyttetræning", "fransk", "6-9",
       "audio exercises",
       "Dialoger og små hørespil på fransk med opgaver til lytning og udtale.",
       languages=("fr",)),
    _p("spansk-for-begyndere", "ordbroen", "Spansk for begyndere", "spansk", "5-7",
       "interactive audio",
       "Spansk med sange, dialoger og billeder fra Spanien og Latinamerika.",
       languages=("es", "da")),
    _p("hola-spanske-samtaler", "ordbroen", "Hola – spanske samtaler", "spansk", "7-9",
       "video",
       "Korte film med unge fra den spansktalende verden, som eleverne taler om og "
       "genfortæller.",
       languages=("es",), accessibility=("captions",)),
    # --- natur/teknologi
    _p("naturens-kredsloeb", "spiretid", "Naturens kredsløb", "natur-teknologi", "3-4",
       "course",
       "Eleverne følger et blad fra træet til jorden og undersøger, hvordan naturen genbruger "
       "alt.",
       offline="partial"),
    _p("vejret-og-aarstiderne", "spiretid", "Vejret og årstiderne", "natur-teknologi", "1-3",
       "interactive",
       "Klassen bygger en vejrstation, måler temperatur og nedbør og følger årstiderne i "
       "skolegården."),
    _p("dyr-i-skov-og-soe", "kridtstreg", "Dyr i skov og sø", "natur-teknologi", "1-3",
       "video",
       "Korte naturfilm om dyr i Danmark, der viser, hvordan de lever, spiser og får unger.",
       accessibility=("captions",)),
    _p("kroppen-indefra", "spiretid", "Kroppen indefra", "natur-teknologi", "3-6",
       "interactive simulation",
       "Eleverne zoomer ind på hjertet, lungerne og fordøjelsen og ser, hvad der sker, når "
       "man løber, spiser og sover."),
    _p("enkle-maskiner", "kridtstreg", "Enkle maskiner", "natur-teknologi", "4-6",
       "simulation",
       "Eleverne bygger digitale vægtstænger, trisser og tandhjul og undersøger, hvordan "
       "maskiner gør arbejdet lettere."),
    _p("elektricitet-kredsloeb", "kridtstreg", "Elektricitet med kredsløb", "natur-teknologi",
       "5-6", "simulation exercises",
       "Eleverne forbinder batterier, pærer og kontakter i en simulering og afprøver det "
       "bagefter med rigtige komponenter."),
    _p("vandets-kredsloeb", "spiretid", "Vand og vandets kredsløb", "natur-teknologi", "3-5",
       "course video",
       "Eleverne undersøger fordampning, skyer og grundvand og finder ud af, hvor vandet i "
       "hanen kommer fra."),
    _p("planter-fra-froe-til-frugt", "spiretid", "Planter fra frø til frugt",
       "natur-teknologi", "1-4", "course teacher_guide",
       "Klassen sår, passer og høster planter og fører logbog over, hvad planterne har brug "
       "for.",
       offline="full"),
    _p("naturfagsrapporten", "nordkompasset", "Naturfagsrapporten", "natur-teknologi", "4-6",
       "tool",
       "Et værktøj, hvor eleverne skriver forsøgsrapporter med hypotese, fotos, målinger og "
       "konklusion."),
    _p("teknologi-og-design", "kridtstreg", "Teknologi og design i natur/teknologi",
       "natur-teknologi teknologiforstaaelse", "5-6", "course",
       "Eleverne designer og bygger en løsning på et problem fra hverdagen og tester den i "
       "flere omgange."),
    _p("udeskole-i-naturen", "spiretid", "Udeskole i naturen", "natur-teknologi", "1-6",
       "teacher_guide",
       "Tredive udeskoleaktiviteter til skov, strand og skolegård med materialelister og "
       "sikkerhedsråd.",
       offline="full"),
    _p("solsystemet-i-3d", "nordkompasset", "Solsystemet i 3D", "natur-teknologi", "4-6",
       "simulation",
       "Eleverne rejser gennem solsystemet, sammenligner planeternes størrelse og afstand og "
       "ser, hvorfor vi har dag, nat og årstider."),
    _p("genbrug-og-affald", "spiretid", "Genbrug og affald", "natur-teknologi", "2-4",
       "course game",
       "Eleverne sorterer skolens affald, undersøger, hvad der kan genbruges, og laver en plan "
       "for mindre spild."),
    _p("natur-teknologi-test-6", "kridtstreg", "Natur/teknologi-test 6. klasse",
       "natur-teknologi", "6", "assessment",
       "En digital test af undersøgelse, modellering og perspektivering, som viser, hvad "
       "eleverne har med sig til udskolingen."),
    # --- biologi, fysik/kemi, geografi
    _p("cellen-og-livet", "spiretid", "Cellen og livet", "biologi", "7-8",
       "interactive video",
       "Eleverne undersøger celler i mikroskop og i 3D-modeller og lærer, hvordan celler "
       "vokser og deler sig."),
    _p("oekosystemer-i-danmark", "spiretid", "Økosystemer i Danmark", "biologi", "7-9",
       "course",
       "Et forløb om skov, hede, sø og hav, hvor eleverne måler og registrerer i felten."),
    _p("genetik-og-arv", "nordkompasset", "Genetik og arv", "biologi", "9", "video exercises",
       "Film og opgaver om DNA, gener og arv med eksempler fra planter, dyr og mennesker.",
       accessibility=("captions",)),
    _p("biologi-forsoeg-i-felten", "spiretid", "Biologiforsøg i felten", "biologi", "7-9",
       "teacher_guide",
       "Vejledning til tyve feltforsøg med vandprøver, plantebestemmelse og dyreliv.",
       offline="full"),
    _p("atomer-og-molekyler", "nordkompasset", "Atomer og molekyler", "fysik-kemi", "7-8",
       "simulation",
       "Eleverne bygger molekyler i en simulering og ser, hvad der sker med stofferne, når "
       "de opvarmes."),
    _p("energi-og-klima", "nordkompasset", "Energi og klima", "fysik-kemi", "8-9", "course",
       "Et forløb om energiformer, vedvarende energi og klimaforandringer med egne målinger "
       "af skolens energiforbrug."),
    _p("kemi-i-koekkenet", "spiretid", "Kemi i køkkenet", "fysik-kemi", "7-8",
       "course video",
       "Eleverne laver forsøg med syrer, baser og hævemidler i skolekøkkenet og forklarer "
       "resultaterne kemisk."),
    _p("fysik-kemi-proeven", "kridtstreg", "Fysik/kemi-prøven", "fysik-kemi", "9",
       "assessment",
       "Prøvelignende opgaver til den fælles prøve i fysik/kemi, biologi og geografi."),
    _p("danmarks-landskaber", "nordkompasset", "Danmarks landskaber", "geografi", "7-8",
       "video interactive",
       "Eleverne flyver over Danmark i 3D og finder spor efter istiden i landskabet."),
    _p("pladetektonik-og-vulkaner", "nordkompasset", "Pladetektonik og vulkaner", "geografi",
       "7-9", "simulation",
       "Eleverne flytter kontinentalplader i en simulering og ser, hvordan bjerge, vulkaner "
       "og jordskælv opstår."),
    _p("befolkning-og-byer", "nordkompasset", "Befolkning og byer", "geografi", "8-9",
       "course",
       "Et forløb om befolkningsudvikling, urbanisering og levevilkår med data fra hele "
       "verden."),
    _p("kortlaesning-digitale-kort", "nordkompasset", "Kortlæsning med digitale kort",
       "geografi", "7-9", "tool",
       "Eleverne tegner og læser digitale kort med lag for højde, vejr og befolkning."),
    # --- historie
    _p("vikingetiden", "fjordlys", "Vikingetiden", "historie", "3-5", "course video",
       "Eleverne følger en vikingefamilie gennem et år og undersøger fund fra vikingetiden."),
    _p("middelalderen-i-danmark", "fjordlys", "Middelalderen i Danmark", "historie", "4-6",
       "course interactive",
       "Et forløb om borge, klostre og købstæder, hvor eleverne går på opdagelse i en "
       "digital middelalderby."),
    _p("reformationen", "fjordlys", "Reformationen", "historie kristendomskundskab", "5-7",
       "course",
       "Eleverne undersøger, hvorfor Danmark blev luthersk i 1536, og hvad det betød for "
       "almindelige mennesker."),
    _p("enevaelde-og-oplysningstid", "fjordlys", "Enevælde og oplysningstid", "historie",
       "7-8", "course ebook",
       "Et forløb om kongemagt, landboreformer og nye idéer om frihed og lighed."),
    _p("danmark-under-besaettelsen", "fjordlys", "Danmark under besættelsen", "historie",
       "7-9", "video course",
       "Film, kilder og vidneberetninger fra 1940–45, som eleverne bruger til at diskutere "
       "samarbejde og modstand.",
       accessibility=("captions", "screen_reader")),
    _p("den-kolde-krig", "fjordlys", "Den kolde krig", "historie", "8-9", "course",
       "Eleverne undersøger Berlinmuren, atomkapløbet og Danmarks rolle i NATO gennem kilder "
       "og rollespil."),
    _p("kildekritik-for-begyndere", "fjordlys", "Kildekritik for begyndere", "historie",
       "4-6", "interactive",
       "Eleverne lærer at spørge, hvem der har lavet en kilde, hvornår og hvorfor, med "
       "eksempler fra fotos, breve og hjemmesider."),
    _p("historiske-kort-og-tidslinjer", "nordkompasset", "Historiske kort og tidslinjer",
       "historie", "3-9", "tool",
       "Et værktøj, hvor eleverne laver egne tidslinjer og historiske kort med billeder og "
       "kilder."),
    _p("dansk-vestindien", "fjordlys", "Slaveri og kolonier: Dansk Vestindien", "historie",
       "8-9", "course video",
       "Et forløb om den danske kolonitid i Vestindien, slavehandel og frigørelse, med kilder "
       "fra arkiverne."),
    _p("industrialiseringen", "fjordlys", "Industrialiseringen", "historie", "7-8",
       "course interactive",
       "Eleverne følger en arbejderfamilie i 1890'ernes København og undersøger fabrikker, "
       "boliger og fagforeninger."),
    # --- kristendomskundskab
    _p("bibelens-fortaellinger", "fjordlys", "Bibelens fortællinger", "kristendomskundskab",
       "1-3", "audio video",
       "Kendte fortællinger fra Det Gamle og Det Nye Testamente fortalt for børn, med tegninger "
       "og samtalespørgsmål."),
    _p("verdens-religioner", "fjordlys", "Verdens religioner", "kristendomskundskab", "4-6",
       "course video",
       "Eleverne møder børn fra kristendom, islam, jødedom, hinduisme og buddhisme og "
       "sammenligner højtider og ritualer."),
    _p("etik-og-filosofi-for-boern", "kloeverstien", "Etik og filosofi for børn",
       "kristendomskundskab", "4-6", "teacher_guide",
       "Samtaler om retfærdighed, venskab og sandhed ud fra korte fortællinger og dilemmaer."),
    _p("livsfilosofi-og-religionskritik", "fjordlys", "Livsfilosofi og religionskritik",
       "kristendomskundskab", "7-9", "course",
       "Et forløb om store spørgsmål om liv og død, tro og tvivl med tekster fra filosoffer og "
       "forfattere."),
    # --- samfundsfag
    _p("demokrati-og-valg", "fjordlys", "Demokrati og valg", "samfundsfag", "8-9",
       "course interactive",
       "Eleverne holder deres eget valg, stifter partier og undersøger, hvordan Folketinget "
       "arbejder."),
    _p("privatoekonomi-for-unge", "nordkompasset", "Privatøkonomi for unge", "samfundsfag",
       "9-10", "course",
       "Et forløb om budget, forbrug, lån og skat, hvor eleverne planlægger deres første år "
       "efter skolen."),
    _p("medier-og-magt", "fjordlys", "Medier og magt", "samfundsfag medier", "8-9", "course",
       "Eleverne undersøger, hvordan medier og sociale netværk påvirker politik og meninger."),
    _p("eu-og-danmark", "fjordlys", "EU og Danmark", "samfundsfag", "9", "course video",
       "Et forløb om EU's institutioner, forbehold og indflydelse på danskernes hverdag."),
    # --- teknologiforståelse
    _p("programmering-med-blokke", "regnestokken", "Programmering med blokke",
       "teknologiforstaaelse", "1-3", "game tool",
       "Eleverne styrer en figur gennem baner med kodeblokke og lærer om rækkefølge, løkker og "
       "betingelser.",
       platforms=("web", "ios", "chromebook"), offline="full"),
    _p("algoritmer-uden-skaerm", "kloeverstien", "Algoritmer uden skærm",
       "teknologiforstaaelse", "2-4", "teacher_guide",
       "Aktiviteter med kort, kridt og kroppen, hvor eleverne opdager, hvad en algoritme er.",
       free=True),
    _p("digital-dannelse", "kridtstreg", "Digital dannelse", "teknologiforstaaelse", "5-7",
       "course video",
       "Et forløb om data, algoritmer og fællesskaber på nettet, hvor eleverne undersøger "
       "deres egne apps."),
    _p("byg-en-app", "regnestokken", "Byg en app", "teknologiforstaaelse", "7-9",
       "course tool",
       "Eleverne designer, programmerer og tester en app, der løser et problem på skolen."),
    _p("kunstig-intelligens-i-skolen", "nordkompasset", "Kunstig intelligens i skolen",
       "teknologiforstaaelse", "7-9", "course interactive",
       "Eleverne træner en simpel billedgenkender og diskuterer, hvordan kunstig intelligens "
       "kan tage fejl."),
    # --- praktisk-musiske fag og andet
    _p("rytmevaerkstedet", "kloeverstien", "Rytmeværkstedet", "musik", "1-3",
       "interactive audio",
       "Eleverne klapper, tromme og komponerer små rytmer på skærmen og i klassen."),
    _p("sammenspil-i-klassen", "kloeverstien", "Sammenspil i klassen", "musik", "4-6",
       "video teacher_guide",
       "Videoer og arrangementer til sammenspil på keyboard, bas, guitar og trommer."),
    _p("musikproduktion-paa-ipad", "regnestokken", "Musikproduktion på iPad", "musik", "6-9",
       "tool course",
       "Eleverne producerer deres egne numre med beats, optagelser og effekter.",
       platforms=("ios",)),
    _p("farvelaere-og-maleri", "kloeverstien", "Farvelære og maleri", "billedkunst", "2-5",
       "video course",
       "Korte film om farver, pensler og teknikker, som eleverne prøver af i deres egne "
       "malerier."),
    _p("digital-billedkunst", "regnestokken", "Digital billedkunst", "billedkunst", "5-8",
       "tool",
       "Eleverne tegner, maler og laver animationer på tablet og udstiller dem i et digitalt "
       "galleri.",
       platforms=("ios", "android", "windows")),
    _p("lege-i-skolegaarden", "kloeverstien", "Lege i skolegården", "idraet", "0-3",
       "video teacher_guide",
       "Halvtreds lege til idræt og frikvarter med videoer, der viser reglerne.",
       free=True),
    _p("idraet-teori-9", "nordkompasset", "Idræt – teori til prøven", "idraet", "9",
       "ebook exercises",
       "Teori om træning, krop og sundhed til prøven i idræt."),
    _p("fra-raavare-til-ret", "spiretid", "Madkundskab – fra råvare til ret", "madkundskab",
       "4-6", "video course",
       "Eleverne laver mad fra bunden med opskrifter, film og opgaver om smag og hygiejne."),
    _p("smag-og-sundhed", "spiretid", "Smag og sundhed", "madkundskab", "5-7",
       "interactive",
       "Eleverne undersøger grundsmage, madvaner og måltider og laver deres egen madplan."),
    _p("designprocessen-i-sloejd", "kloeverstien", "Designprocessen i sløjd og tekstil",
       "haandvaerk-og-design", "4-6", "course",
       "Eleverne går fra idé til færdigt produkt med skitser, prototyper og afprøvning."),
    _p("sikkerhed-i-vaerkstedet", "kloeverstien", "Sikkerhed i værkstedet",
       "haandvaerk-og-design", "4-7", "video assessment",
       "Film og quiz om sikker brug af værktøj og maskiner, før eleverne går i gang.",
       accessibility=("captions",)),
    _p("sikker-skolevej", "kloeverstien", "Sikker skolevej", "faerdselslaere", "0-3",
       "interactive video",
       "Eleverne øver sig i at krydse vejen, se efter biler og forstå de vigtigste "
       "færdselstavler.",
       free=True, accessibility=("captions", "text_to_speech")),
    _p("cyklistproeven", "kloeverstien", "Cyklistprøven", "faerdselslaere", "5-6",
       "interactive assessment",
       "Teori og øvelsesprøver til cyklistprøven med film fra rigtige trafiksituationer.",
       free=True),
    _p("krop-foelelser-og-graenser", "spiretid", "Krop, følelser og grænser",
       "sundheds-og-seksualundervisning-og-familiekundskab", "4-6", "course video",
       "Et forløb om pubertet, følelser og grænser med film og samtaleøvelser.",
       accessibility=("captions",)),
    _p("trivsel-og-venskaber", "kloeverstien", "Trivsel og venskaber",
       "sundheds-og-seksualundervisning-og-familiekundskab", "1-3", "teacher_guide",
       "Samtalekort og lege, der styrker fællesskabet og venskaberne i klassen.",
       free=True),
    _p("min-vej-efter-9", "nordkompasset", "Min vej efter 9. klasse", "uddannelse-og-job",
       "8-9", "interactive",
       "Eleverne undersøger uddannelser og job, møder unge i praktik og laver deres egen "
       "uddannelsesplan.",
       free=True),
    _p("reklamer-og-paavirkning", "fjordlys", "Reklamer og påvirkning", "medier", "6-8",
       "course video",
       "Eleverne analyserer reklamer, influencere og skjult markedsføring og laver deres egen "
       "kampagne."),
    _p("fortaelling-i-film", "fjordlys", "Fortælling i film", "filmkundskab", "7-9",
       "video tool",
       "Eleverne lærer om klipning, billedbeskæring og lyd og laver deres egen kortfilm."),
    _p("drama-i-klassen", "kloeverstien", "Drama i klassen", "drama", "3-6",
       "teacher_guide video",
       "Øvelser i improvisation, stemme og krop og små forestillinger til hele klassen."),
]
# fmt: on

_SPECS: Final[tuple[_Spec, ...]] = (*_MATEMATIK, *_DANSK, *_OTHER_SUBJECTS)


# --------------------------------------------------------------------------- variation


def _hash(*parts: str) -> int:
    """A stable number from ``parts`` (sha256; never Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


def _pick(options: Sequence[T], *parts: str) -> T:
    return options[_hash(*parts) % len(options)]


def _chance(percent: int, *parts: str) -> bool:
    return _hash(*parts) % 100 < percent


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} og {items[-1]}"


_TEACHER: Final[dict[str, tuple[str, ...]]] = {
    "interactive": (
        "Læreren følger hver elevs fremskridt i et klasseoverblik og kan tildele aktiviteter "
        "til hele klassen eller til enkelte elever.",
        "I lærerens overblik ses, hvor langt klassen er, og der kan gives ekstra udfordringer "
        "til de elever, der er klar.",
    ),
    "video": (
        "Hver video varer 3–8 minutter og har spørgsmål til klassesamtalen, så læreren kan "
        "bruge den som oplæg til en lektion.",
        "Videoerne kan vises på tavlen som fælles oplæg eller ses af eleverne hver for sig, og "
        "til hver video hører et opgaveark.",
    ),
    "audio": (
        "Lydfilerne kan afspilles på tavlen eller på elevens egen enhed, og læreren får forslag "
        "til samtale før og efter lytningen.",
    ),
    "ebook": (
        "Teksterne er inddelt i sværhedsgrader, så læreren kan give hver elev en tekst på det "
        "rette niveau.",
        "Til hver tekst hører spørgsmål og samtaleforslag, som læreren kan bruge i klassen "
        "eller i små grupper.",
    ),
    "game": (
        "Spillet tilpasser sværhedsgraden til eleven, og læreren kan se i et overblik, hvad "
        "hver elev har øvet.",
        "Læreren kan sætte en fælles konkurrence op for klassen eller lade eleverne øve hver "
        "for sig.",
    ),
    "exercises": (
        "Opgaverne rettes automatisk, og læreren ser med det samme, hvilke opgavetyper klassen "
        "har svært ved.",
        "Læreren kan sammensætte opgavesæt til lektier eller til undervisningsdifferentiering "
        "med få klik.",
    ),
    "simulation": (
        "Simuleringerne kan styres fra tavlen i en fælles gennemgang eller bruges af eleverne i "
        "par med tilhørende undersøgelsesark.",
    ),
    "course": (
        "Forløbet er delt op i lektioner med mål, aktiviteter og forslag til evaluering, så "
        "læreren kan planlægge undervisningen på få minutter.",
        "Hvert forløb varer 4–6 uger og har en lærervejledning med tidsplan, differentiering og "
        "forslag til evaluering.",
    ),
    "tool": (
        "Læreren kan oprette opgaver i værktøjet, dele dem med klassen og give feedback direkte "
        "i elevens produkt.",
        "Værktøjet kræver ingen forberedelse: eleverne logger ind med skolens login og kan gå i "
        "gang med det samme.",
    ),
    "assessment": (
        "Testen rettes automatisk, og læreren får et klasseoverblik med forslag til, hvad den "
        "enkelte elev skal arbejde videre med.",
        "Resultaterne kan bruges i elevplanen og til samtalen med forældrene, og testen kan "
        "tages igen senere på året.",
    ),
    "teacher_guide": (
        "Vejledningen har færdige lektionsplaner, kopiark og forslag til differentiering og "
        "evaluering.",
        "Vejledningen kan bruges alene eller sammen med elevmaterialet og har forslag til både "
        "fælles og individuelt arbejde.",
    ),
}
_DEVICE_NAMES: Final = {
    "chromebook": "Chromebook",
    "ios": "iPad",
    "android": "Android-tablets",
    "windows": "Windows-pc",
    "macos": "Mac",
}
_APP_PLATFORMS: Final = frozenset({"ios", "android", "windows", "macos"})
_A11Y_PHRASES: Final = {
    "text_to_speech": "oplæsning af alle tekster",
    "screen_reader": "understøttelse af skærmlæser",
    "captions": "undertekster på alle videoer",
    "dyslexia_friendly": "ordblindevenlig skrift og layout",
    "keyboard_navigation": "betjening med tastatur",
    "high_contrast": "visning med høj kontrast",
}


def _grade_phrase(grades: Sequence[int]) -> str:
    low, high = grades[0], grades[-1]
    if high == 0:
        return "Til børnehaveklassen."
    if low == 0:
        rest = "1. klasse" if high == 1 else f"1.–{high}. klasse"
        return f"Til børnehaveklassen og {rest}."
    return f"Til {low}. klasse." if low == high else f"Til {low}.–{high}. klasse."


def _platforms(spec: _Spec) -> tuple[str, ...]:
    if spec.platforms is not None:
        return PLATFORMS.in_order(spec.platforms)
    chosen = {"web", "chromebook"}
    for code, percent in (("ios", 70), ("android", 40), ("windows", 20), ("macos", 15)):
        if _chance(percent, spec.key, "platform", code):
            chosen.add(code)
    if spec.offline in {"partial", "full"} and not _APP_PLATFORMS & chosen:
        chosen |= {"ios", "android"}  # working offline needs an app
    return PLATFORMS.in_order(chosen)


def _languages(spec: _Spec) -> tuple[str, ...]:
    if spec.languages is not None:
        return spec.languages
    if _chance(8, spec.key, "language"):
        return ("da", _pick(("uk", "en", "ar"), spec.key, "second language"))
    return ("da",)


def _offline(spec: _Spec, platforms: Sequence[str]) -> str:
    if spec.offline is not None:
        return spec.offline
    if not _APP_PLATFORMS & set(platforms):
        return "none"
    return _pick(("none", "none", "none", "partial", "full"), spec.key, "offline")


def _accessibility(spec: _Spec) -> tuple[str, ...]:
    if spec.accessibility is not None:
        return spec.accessibility
    if not _chance(60, spec.key, "accessibility"):
        return ()
    wanted: list[str] = []
    if "video" in spec.media:
        wanted.append("captions")
    text_heavy = {"ebook", "exercises", "interactive", "course", "assessment"} & set(spec.media)
    for code, percent, needs_text in (
        ("text_to_speech", 70, True),
        ("screen_reader", 45, False),
        ("keyboard_navigation", 45, False),
        ("dyslexia_friendly", 30, True),
        ("high_contrast", 25, False),
    ):
        if (text_heavy or not needs_text) and _chance(percent, spec.key, "a11y", code):
            wanted.append(code)
    return tuple(code for code in _A11Y_PHRASES if code in wanted) or ("keyboard_navigation",)


def _trial_days(spec: _Spec) -> int:
    if spec.free:
        return 0
    return _pick((0, 0, 0, 0, 14, 14, 30, 30, 30, 60), spec.key, "trial")


def _description(
    spec: _Spec,
    platforms: Sequence[str],
    offline: str,
    accessibility: Sequence[str],
    trial_days: int,
) -> str:
    sentences = [spec.text, _grade_phrase(spec.grades)]
    sentences.append(_pick(_TEACHER[spec.media[0]], spec.key, "teacher"))
    devices = [_DEVICE_NAMES[code] for code in platforms if code != "web"]
    if "web" in platforms:
        where = "i browseren" + (f" og på {_and(devices)}" if devices else "")
    else:
        where = f"som app på {_and(devices)}"
    sentences.append(f"Virker {where}.")
    if offline == "full":
        sentences.append(
            "Det virker også uden internet, og elevens arbejde gemmes, når enheden er online igen."
        )
    elif offline == "partial":
        sentences.append("Indholdet kan hentes ned på forhånd og bruges uden internet.")
    if accessibility:
        phrases = [_A11Y_PHRASES[code] for code in accessibility]
        sentences.append(f"Tilgængelighed: {_and(phrases)}.")
    if spec.free:
        sentences.append("Materialet er gratis for alle skoler.")
    elif trial_days:
        sentences.append(f"Prøv det gratis i {trial_days} dage med hele klassen.")
    return " ".join(sentences)


def _launch(spec: _Spec, publisher: DemoPublisher) -> dict[str, str]:
    target = "iframe" if _chance(20, spec.key, "target") else "window"
    if spec.lti:
        return {"kind": "lti", "url": f"{LTI_DEMO_TOOL}/lti/launch/{spec.key}", "target": target}
    return {"kind": "url", "url": f"https://app.{publisher.domain}/{spec.key}", "target": target}


# --------------------------------------------------------------------------- offers

_PUPIL_PRICES: Final = (4900, 5900, 6900, 7900, 8900, 9900, 12500, 14900, 17500, 19900)
_CLASS_PRICES: Final = (50000, 69500, 79500, 99500, 125000, 149500, 189500, 249500)
_CLASS_3Y_PRICES: Final = (125000, 175000, 249500, 349500, 495000)
_SCHOOL_PRICES: Final = (
    500000, 750000, 995000, 1250000, 1495000, 1995000, 2495000, 2995000, 3495000, 3995000
)  # fmt: skip
_SCHOOL_3Y_PRICES: Final = (1495000, 2495000, 3995000, 5995000, 7495000)
_MUNICIPALITY_PRICES: Final = (4950000, 7500000, 9950000, 14950000, 19950000)
_MUNICIPALITY_3Y_PRICES: Final = (12500000, 24950000, 39950000)

#: Which licences a product is sold under: (licence type, period) per offer.
_OFFER_PATTERNS: Final[tuple[tuple[tuple[str, str], ...], ...]] = (
    (("pupil", "school_year"),),
    (("pupil", "school_year"), ("school", "school_year")),
    (("class", "school_year"), ("school", "school_year")),
    (("pupil", "school_year"), ("class", "school_year"), ("school", "school_year")),
    (("school", "school_year"),),
    (("school", "school_year"), ("municipality", "school_year")),
    (("pupil", "months_12"), ("municipality", "school_years_3")),
    (("class", "school_years_3"), ("school", "school_years_3")),
    (("pupil", "school_year"), ("school", "school_years_3")),
    (("class", "school_year"), ("school", "school_year"), ("municipality", "school_years_3")),
)
_TEACHER_GUIDE_PATTERNS: Final = (2, 4, 7)


def _price(spec: _Spec, licence_type: str, period: str) -> int:
    three_years = period == "school_years_3"
    table = {
        "pupil": _PUPIL_PRICES,
        "class": _CLASS_3Y_PRICES if three_years else _CLASS_PRICES,
        "school": _SCHOOL_3Y_PRICES if three_years else _SCHOOL_PRICES,
        "municipality": _MUNICIPALITY_3Y_PRICES if three_years else _MUNICIPALITY_PRICES,
    }[licence_type]
    return _pick(table, spec.key, "price", licence_type, period)


def _offers(spec: _Spec) -> list[dict[str, Any]]:
    if spec.free:
        terms: tuple[tuple[str, str], ...] = (("school", "school_year"),)
    elif spec.media[0] == "teacher_guide":
        terms = _OFFER_PATTERNS[_pick(_TEACHER_GUIDE_PATTERNS, spec.key, "offers")]
    else:
        terms = _pick(_OFFER_PATTERNS, spec.key, "offers")
    subsidy = not spec.free and _chance(88, spec.key, "subsidy")
    return [
        {
            "licence_type": licence_type,
            "period": period,
            "price_ore": 0 if spec.free else _price(spec, licence_type, period),
            "vat_percent": 25,
            "subsidy_eligible": subsidy,
            "min_quantity": (
                _pick((1, 1, 1, 10, 20), spec.key, "minimum") if licence_type == "pupil" else 1
            ),
            "max_quantity": None,
        }
        for licence_type, period in terms
    ]


# --------------------------------------------------------------------------- goals


@dataclass(frozen=True, slots=True)
class DemoGoal:
    """A shipped goal as the demo needs it: where it sits in its framework."""

    goal: Goal
    subject: str  # framework subject code ("matematik")
    ancestor_ids: frozenset[uuid.UUID]  # strictly above the goal
    competence_area: str | None  # the name of the competence area it sits in


@cache
def shipped_goals() -> dict[str, DemoGoal]:
    """Every goal of the shipped Fælles Mål frameworks by human code ("MAT.SS.6")."""
    goals: dict[str, DemoGoal] = {}
    for package in load_shipped_frameworks():
        parents = parent_map(package)
        by_id = {goal.id: goal for goal in package.goals}
        subject = (package.framework.subject or "").casefold()
        for goal in package.goals:
            if goal.human_code is None:
                continue
            above = {g for g in ancestors_of(goal.id, parents) if g != goal.id}
            area = next(
                (
                    by_id[g].full_statement
                    for g in [goal.id, *above]
                    if by_id[g].kind is GoalKind.COMPETENCE_AREA
                ),
                None,
            )
            goals[goal.human_code] = DemoGoal(goal, subject, frozenset(above), area)
    return goals


def _goals_by_id() -> dict[uuid.UUID, DemoGoal]:
    return {info.goal.id: info for info in shipped_goals().values()}


# --------------------------------------------------------------------------- products


def _line(spec: _Spec) -> dict[str, Any]:
    publisher = _PUBLISHERS[spec.publisher]
    goals = shipped_goals()
    platforms = _platforms(spec)
    offline = _offline(spec, platforms)
    accessibility = _accessibility(spec)
    trial_days = _trial_days(spec)
    return {
        "title": spec.title,
        "description": _description(spec, platforms, offline, accessibility, trial_days),
        "subjects": list(spec.subjects),
        "grades": list(spec.grades),
        "languages": list(_languages(spec)),
        "media_types": list(MEDIA_TYPES.in_order(spec.media)),
        "platforms": list(platforms),
        "accessibility": list(accessibility),
        "accessibility_statement_url": (
            publisher.accessibility_statement_url if accessibility else None
        ),
        "offline": offline,
        "trial_days": trial_days,
        "launch": _launch(spec, publisher),
        "data_processing_agreement_url": publisher.data_processing_agreement_url,
        "screenshots": [],
        "goal_ids": [str(goals[code].goal.id) for code in spec.goals],
        "offers": _offers(spec),
        "external_id": f"demo-{spec.key}",
        "publisher_cvr": publisher.cvr,
    }


def demo_products() -> list[dict[str, Any]]:
    """The demo catalogue: one import line per product (a fresh list each call, always equal)."""
    return [_line(spec) for spec in _SPECS]


def listing_fields(line: dict[str, Any]) -> dict[str, Any]:
    """The part of a line that ``validate_product`` reads (without offers and ids)."""
    return {key: value for key, value in line.items() if key not in _LINE_EXTRAS}


_LINE_EXTRAS: Final = frozenset({"offers", "external_id", "publisher_cvr"})


def demo_catalogue_jsonl(lines: Iterable[dict[str, Any]] | None = None) -> str:
    """The demo catalogue as JSONL, the input of ``skolehylde catalogue import``."""
    return "".join(
        json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n"
        for line in (demo_products() if lines is None else lines)
    )


# --------------------------------------------------------------------------- expectations

#: Typo'd queries and the word family each must find. A product is expected when its title,
#: description, tagged goals' statements or their competence areas contain a word of the
#: family (what the search indexes as the product's text).
TYPO_QUERIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("brøkker", "brøker", r"\bbrøk(?:en|er|erne|ernes|ens|s)?\b"),
    ("læsnig", "læsning", r"\blæsning\w*"),
)
#: The goal-subtree filter: a Matematik competence area no demo product is tagged to directly,
#: so everything it finds comes through goals below it; and one competence goal whose
#: products are tagged to it and to its phase goals.
GOAL_FILTERS: Final[tuple[str, ...]] = ("MAT.SS", "MAT.SS.6")
#: Facets whose counts under a goal filter are part of the expectation.
EXPECTED_FACETS: Final[tuple[str, ...]] = (
    "subject",
    "grade",
    "media_type",
    "licence_type",
    "price_band",
    "competence_area",
)


def _searchable_text(line: dict[str, Any], goals: dict[uuid.UUID, DemoGoal]) -> str:
    tagged = [goals[uuid.UUID(goal_id)] for goal_id in line["goal_ids"]]
    return "\n".join(
        [
            line["title"],
            line["description"],
            *(info.goal.full_statement for info in tagged),
            *sorted({info.competence_area for info in tagged if info.competence_area}),
        ]
    )


def facet_values(line: dict[str, Any], facet: str) -> list[str]:
    """The values a product counts under ``facet``, spelt as the search port spells them."""
    goals = _goals_by_id()
    if facet == "subject":
        return list(line["subjects"])
    if facet == "grade":
        return [str(grade) for grade in line["grades"]]
    if facet == "media_type":
        return list(line["media_types"])
    if facet == "licence_type":
        return [str(c) for c in LICENCE_TYPES.in_order(o["licence_type"] for o in line["offers"])]
    if facet == "price_band":
        return [price_band(min(offer["price_ore"] for offer in line["offers"])).code]
    if facet == "competence_area":
        areas = {goals[uuid.UUID(g)].competence_area for g in line["goal_ids"]}
        return sorted(area for area in areas if area)
    raise ValueError(f"no expectation for facet {facet!r}")


def facet_counts(lines: Iterable[dict[str, Any]], facet: str) -> dict[str, int]:
    """How many of ``lines`` count under each value of ``facet``, by count then value."""
    counts = Counter(value for line in lines for value in set(facet_values(line, facet)))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _summary(lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "external_ids": [line["external_id"] for line in lines],
        "titles": [line["title"] for line in lines],
    }


def expected_results(lines: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What searches of the demo catalogue must return, computed from ``lines``."""
    lines = demo_products() if lines is None else lines
    goals = _goals_by_id()
    typo_queries = []
    for query, meant, pattern in TYPO_QUERIES:
        family = re.compile(pattern, re.IGNORECASE)
        found = [line for line in lines if family.search(_searchable_text(line, goals))]
        typo_queries.append({"query": query, "meant": meant, **_summary(found)})
    goal_filters = []
    for code in GOAL_FILTERS:
        target = shipped_goals()[code].goal
        found = [
            line
            for line in lines
            if any(
                goal_id == target.id or target.id in goals[goal_id].ancestor_ids
                for goal_id in map(uuid.UUID, line["goal_ids"])
            )
        ]
        goal_filters.append(
            {
                "goal_id": str(target.id),
                "human_code": code,
                "goal": target.full_statement,
                "tagged_directly": sum(str(target.id) in line["goal_ids"] for line in found),
                **_summary(found),
                "facets": {facet: facet_counts(found, facet) for facet in EXPECTED_FACETS},
            }
        )
    return {"typo_queries": typo_queries, "goal_filters": goal_filters}


EXPECTED: Final[dict[str, Any]] = expected_results()


if __name__ == "__main__":  # python -m server.demo_catalogue > demo.jsonl
    print(demo_catalogue_jsonl(), end="")
