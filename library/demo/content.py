"""The demo festival: people, themes and short talk scripts that load_demo renders to
speech. Written for the demo; every fresh clone can build it offline. The real recordings
of ../shared/data are described in programme.csv beside this file."""

EVENT = {"name": "Kennismaand", "year": 2026, "description": "Een maand online sessies voor ambtenaren."}

# The site is Dutch first: the home page (made by a migration as "Session Library") gets a
# Dutch title and intro, unless an editor has changed them.
HOME = {
    "title": "Sessiebibliotheek",
    "intro": "Alle sessies van de Kennismaand: bekijk ze terug en zoek tot op de minuut in wat er gezegd is.",
}
THEME_INDEX_TITLE = "Thema's"

ORGANISATIONS = [
    "Rijksdienst voor Digitale Dienstverlening",
    "Gemeente Zandvoorde",
    "Open Government Lab",
]

SPEAKERS = [
    {"name": "Anouk de Vries", "role": "Programmamanager innovatie", "organisation": ORGANISATIONS[0]},
    {"name": "Pieter Jansen", "role": "Data-adviseur", "organisation": ORGANISATIONS[1]},
    {"name": "Sarah Mitchell", "role": "Accessibility lead", "organisation": ORGANISATIONS[2]},
    {"name": "Daan Bakker", "role": "Inkoopadviseur", "organisation": ORGANISATIONS[1]},
    {"name": "Emily Carter", "role": "Open source advocate", "organisation": ORGANISATIONS[2]},
]

THEMES = [
    {
        "title": "Digitale overheid",
        "slug": "digitale-overheid",
        "intro": "Hoe de overheid digitaal beter werkt voor iedereen.",
    },
    {
        "title": "Working in the open",
        "slug": "working-in-the-open",
        "intro": "Openness, transparency and sharing what we learn.",
    },
]

# Each talk: rendered with espeak-ng in its language; "video" talks get a title card.
TALKS = [
    {
        "slug": "innovatie-in-de-publieke-sector",
        "title": "Innovatie in de publieke sector",
        "date": "2026-03-03",
        "language": "nl",
        "kind": "video",
        "speakers": ["Anouk de Vries"],
        "organisations": [ORGANISATIONS[0]],
        "themes": ["digitale-overheid"],
        "summary": "Waarom innovatie bij de overheid klein begint en hoe je experimenten opschaalt.",
        "script": (
            "Welkom bij deze sessie over innovatie in de publieke sector. "
            "Innovatie begint bij een probleem van een burger, niet bij een nieuwe technologie. "
            "Wij zijn vorig jaar gestart met kleine experimenten in drie gemeenten. "
            "Elk experiment duurde zes weken en had één duidelijke vraag. "
            "Wat werkte, hebben we opgeschaald. Wat niet werkte, hebben we eerlijk gedeeld. "
            "Zo leren we samen sneller, en besteden we belastinggeld verstandig. "
            "Mijn belangrijkste les: maak ruimte voor fouten, en vier wat je ervan leert."
        ),
    },
    {
        "slug": "open-data-en-de-burger",
        "title": "Open data en de burger",
        "date": "2026-03-05",
        "language": "nl",
        "kind": "audio",
        "speakers": ["Pieter Jansen"],
        "organisations": [ORGANISATIONS[1]],
        "themes": ["digitale-overheid", "working-in-the-open"],
        "summary": "Een gemeente publiceert haar data open; wat levert dat op?",
        "script": (
            "In onze gemeente publiceren we sinds twee jaar al onze data als open data. "
            "Denk aan de dienstregeling van de pont, de afvalkalender en de begroting. "
            "Bewoners bouwen er zelf apps mee, en journalisten controleren ons beter. "
            "Het kostte ons vooral tijd om de kwaliteit van de gegevens op orde te krijgen. "
            "Mijn advies: begin met de data waar de meeste vragen over binnenkomen."
        ),
    },
    {
        "slug": "accessible-government-websites",
        "title": "Accessible government websites",
        "date": "2026-03-10",
        "language": "en",
        "kind": "video",
        "speakers": ["Sarah Mitchell"],
        "organisations": [ORGANISATIONS[2]],
        "themes": ["digitale-overheid"],
        "summary": "What it takes to meet accessibility standards on every public service.",
        "script": (
            "Good afternoon, and thank you for joining this session on accessible government websites. "
            "One in five people lives with a disability, and every one of them needs public services. "
            "Accessibility is not a feature you add at the end of a project. "
            "Start with captions for every video, clear headings, and forms that work with a keyboard. "
            "Test with real users, including people who use screen readers. "
            "When we did this, our contact centre received fewer calls, and everyone benefited."
        ),
    },
    {
        "slug": "working-in-the-open",
        "title": "Working in the open",
        "date": "2026-03-12",
        "language": "en",
        "kind": "audio",
        "speakers": ["Emily Carter"],
        "organisations": [ORGANISATIONS[2]],
        "themes": ["working-in-the-open"],
        "summary": "Publishing code and decisions in the open builds trust and saves money.",
        "script": (
            "Working in the open means publishing our code, our plans and our decisions. "
            "Other departments can reuse what we build instead of paying for it twice. "
            "Citizens can see how decisions are made, and that builds trust. "
            "The hardest part is culture, not technology. "
            "Start small: write a weekly note about what your team learned."
        ),
    },
    {
        "slug": "duurzaam-inkopen",
        "title": "Duurzaam inkopen",
        "date": "2026-03-17",
        "language": "nl",
        "kind": "audio",
        "speakers": ["Daan Bakker"],
        "organisations": [ORGANISATIONS[1]],
        "themes": [],
        "summary": "Hoe inkoop bijdraagt aan een duurzame overheid.",
        "script": (
            "De overheid koopt elk jaar voor miljarden euro's in. "
            "Als we daarbij op duurzaamheid letten, maken we echt verschil. "
            "Wij vragen leveranciers nu naar de levensduur en de reparatie van producten. "
            "Zo kochten we meubels die twintig jaar meegaan in plaats van vijf."
        ),
    },
]

# Clips on theme pages: (theme slug, session title, start, end, note). Added when the session
# exists (the real recordings of programme.csv only where ../shared/data is present).
CLIPS = [
    {
        "theme": "working-in-the-open",
        "session": "Ask not what your country can do for you",
        "start": 3,
        "end": 11,
        "note": "“Ask not what your country can do for you”: the public servant's question.",
    },
    {
        "theme": "digitale-overheid",
        "session": "Two speakers in conversation",
        "start": 0,
        "end": 5,
        "note": "Twee sprekers, één per kanaal: zo klinkt een gesprek in de bibliotheek.",
    },
    {
        "theme": "digitale-overheid",
        "session": "Innovatie in de publieke sector",
        "start": 4,
        "end": 12,
        "note": "Innovatie begint bij een probleem van een burger, niet bij een nieuwe technologie.",
    },
]

# Themes the home page features, in order.
FEATURED_THEMES = ["digitale-overheid", "working-in-the-open"]
