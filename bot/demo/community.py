"""The demo community: its configuration file, its calendar, and the words its people use.

Everything here is fixed or drawn from the seeded `random.Random`, so one seed gives one community.
The calendar is fixed too: the demo always ends on the same Monday, whenever it is run, so the
digest it prints can be printed again later with `townsquare digest --week`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

COMMUNITY_ID = "demo"
COMMUNITY_NAME = "Orbit Community"
TIMEZONE = "Europe/Berlin"  # the default run crosses the spring DST change (29 March 2026)
ZONE = ZoneInfo(TIMEZONE)
END_MONDAY = date(2026, 6, 1)  # the demo's last morning; the digest is that of the week before
FIRST_MORNING = time(9, 0)  # the founders arrive on the first Monday at nine
LAST_MORNING = time(10, 0)  # the simulation stops after the Monday digest (09:00) is out

LEAD = ("1001", "Lena Ortiz")
MODERATORS = (("1002", "Moritz Becker"), ("1003", "Sam Okafor"))


def start_of(weeks: int) -> datetime:
    """The first morning of a run of `weeks` weeks (aware UTC)."""
    day = END_MONDAY - timedelta(weeks=weeks)
    return local(day, FIRST_MORNING)


def local(day: date, wall: time) -> datetime:
    """A wall time on a local date in the community's zone, as an aware UTC datetime."""
    return datetime.combine(day, wall, ZONE).astimezone(UTC)


def config_toml(url: str, config: Path) -> str:
    """The demo's configuration: also what `townsquare digest --config` reads afterwards."""
    lead = LEAD[0]
    return f"""# Written by `townsquare demo` for its simulated community; replaced on every run.
# Read the demo database with it, e.g.: townsquare digest --config {config.name}

[database]
url = "{url}"

[[communities]]
id = "{COMMUNITY_ID}"
name = "{COMMUNITY_NAME}"
platform = "fake"
timezone = "{TIMEZONE}"

[communities.gate]
mode = "referral"                 # referral-only at first; the lead opens applications later
application_sla_hours = 48
founding_member_limit = 15          # the founders; later arrivals onboard in cohorts, buddied by them

[communities.cohorts]
min_size = 10                     # a cohort launches when 20 are waiting, or on Mondays at 16:00
max_size = 20
window_weekday = 0
window_time = 16:00:00

[communities.reengagement]
active_weeks = 2                  # a small, young community: members active 2 of the 8 weeks, then silent 3

[communities.digest]
weekday = 0
time = 09:00:00

[communities.ideas]
areas = ["editor", "plugins", "docs", "sync"]

[communities.business]
nps_sample = 120                  # one community NPS survey in the 12 weeks, to 120 members
cql_threshold = 10.0

[[communities.business.signal_channels]]
channel = "pricing"
label = "pricing"
weight = 3.0

[communities.programming]
announcement_lead_days = 7
reminder_offsets_minutes = [1440, 60]

[[communities.programming.series]]
key = "weekly-ama"
kind = "ama"
title = "Ask the Orbit maintainers anything"
recurrence = "weekly on Thursday 18:00"
duration_minutes = 60
host = "{lead}"

[[communities.programming.series]]
key = "monthly-showcase"
kind = "showcase"
title = "Built with Orbit"
recurrence = "monthly on the last Friday 17:00"
duration_minutes = 90
"""


FIRST_NAMES = (
    "Ada", "Aiko", "Alba", "Amara", "Anouk", "Arjun", "Aylin", "Bao", "Bea", "Bilal", "Bruno", "Carla",
    "Chen", "Dara", "Diego", "Dmitri", "Elif", "Emeka", "Esme", "Farah", "Felix", "Femi", "Greta",
    "Hana", "Hugo", "Idris", "Ines", "Ivo", "Jae", "Jonas", "Kai", "Kavya", "Kofi", "Lars", "Leila",
    "Lior", "Luca", "Maeve", "Malik", "Mara", "Mateo", "Mei", "Nadia", "Nico", "Noor", "Oren", "Otto",
    "Pia", "Priya", "Quinn", "Rafa", "Rania", "Rhea", "Rui", "Sana", "Selin", "Soren", "Tariq", "Tess",
    "Theo", "Uma", "Vera", "Wen", "Yara", "Yusuf", "Zoe", "Zeynep", "Ilse", "Marek", "Nell",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Bauer", "Castro", "Dahl", "Eze", "Fischer", "Garcia", "Haas", "Ito", "Jansen", "Kaya",
    "Lindqvist", "Moreau", "Novak", "Oyelaran", "Park", "Quist", "Rossi", "Sato", "Tan", "Urban",
    "Varga", "Weber", "Xu", "Yilmaz", "Zimmer", "Alves", "Brennan", "Costa", "Duarte", "Engel",
    "Fontaine", "Gupta", "Horvat", "Iqbal", "Kowalski", "Larsen", "Mensah", "Nakamura", "Olsen",
)  # fmt: skip

ANSWERS_WORKING_ON = (
    "A small plugin that syncs Orbit notes with my calendar.",
    "Migrating our team's docs from a wiki to Orbit.",
    "My thesis notes, and a template other students could reuse.",
    "A theme with better contrast for low-vision readers.",
    "An importer for old Markdown archives.",
    "Learning Rust by writing an Orbit extension.",
    "A reading log that links books, quotes and people.",
    "Our open-source project's contributor handbook.",
)
ANSWERS_HOPING_FOR = (
    "Learn how others structure big knowledge bases, and share my importer.",
    "Find people to review my plugin before I publish it.",
    "Help with sync conflicts, and help others with themes.",
    "Meet other maintainers and learn from their workflows.",
    "Ask questions at the AMAs and maybe show my project at a showcase.",
    "Get better at writing docs by helping with Orbit's.",
)
SPAM_ANSWERS = (
    ("Growth marketing for crypto projects.", "Promote my services to your members."),
    ("SEO backlinks, cheap and fast.", "Post my links in your channels."),
    ("I sell followers.", "Find customers here."),
)
REJECTION_REASONS = (
    "This community is for people using or building on Orbit; promotion isn't a fit.",
    "Your answers read like an advertisement. If we misread you, apply again with more about your work.",
    "We couldn't tell what you'd like to do here. Tell us more about your project next time.",
)
AMA_QUESTIONS = (
    "How do you decide which plugin APIs become stable?",
    "What is the plan for offline sync on mobile?",
    "How can a first-time contributor find a good first issue?",
    "Will the editor support real-time collaboration?",
    "How do you test the sync engine against conflicts?",
    "What does the release process look like from the inside?",
    "Which part of Orbit would you rewrite if you could?",
    "How do you keep the docs in step with new features?",
    "What's the story for accessibility in themes?",
    "How are feature requests from the ideas board prioritised?",
    "Is there a roadmap for the plugin marketplace?",
    "What hardware do you test performance on?",
)
SHOWCASE_ENTRIES = (
    ("Calendar bridge", "Two-way sync between Orbit notes and CalDAV calendars."),
    ("High-contrast theme", "A theme tested with screen readers and low-vision users."),
    ("Markdown archive importer", "Brings ten years of notes into Orbit, links intact."),
    ("Reading log template", "Books, quotes and people, linked."),
    ("Orbit for lab notebooks", "How our lab replaced paper notebooks."),
    ("Graph view in 3D", "An experiment with WebGL and a lot of coffee."),
    ("Team handbook starter", "A template for onboarding new contributors."),
    ("Spaced repetition plugin", "Flashcards from highlighted notes."),
    ("Voice notes transcriber", "Record, transcribe locally, link."),
)
IDEAS = (
    ("Offline mode for the mobile app", "Edit notes on a plane and sync when back online.", "sync"),
    ("Vim key bindings in the editor", "Modal editing for those of us who can't stop.", "editor"),
    ("A plugin starter template", "A repo to fork with tests and CI set up.", "plugins"),
    ("Searchable docs for the plugin API", "Every function with an example.", "docs"),
    ("Conflict view when sync disagrees", "Show both versions side by side.", "sync"),
    ("Word count goals per note", "Handy for writers with deadlines.", "editor"),
    ("Plugin ratings in the marketplace", "So good plugins are easier to find.", "plugins"),
    ("A getting-started video series", "Five short videos for new users.", "docs"),
    ("Selective sync per folder", "Keep work notes off my personal laptop.", "sync"),
    ("Tables that don't fight me", "Editing Markdown tables is painful.", "editor"),
)
SHOWCASE_LINK = "https://example.org/orbit/{slug}"
