"""The quarter's retros: two per team (mid-quarter and end of quarter), with items, a
health pulse and action items that are done, dropped or carried over."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.demo._plan import Week

__all__ = ["RETROS", "ActionSpec", "RetroSpec"]


@dataclass(frozen=True)
class ActionSpec:
    """An action item. ``done``/``dropped``: when and why; ``carried``: when, and into which
    later retro; ``done_there``: when it was then finished in that retro, and how."""

    slug: str
    text: str
    owner: str
    due: Week
    done: tuple[Week, str] | None = None
    dropped: tuple[Week, str] | None = None
    carried: tuple[Week, str] | None = None
    done_there: tuple[Week, str] | None = None


@dataclass(frozen=True)
class RetroSpec:
    slug: str
    team: str
    format: str
    facilitator: str
    held: Week
    items: tuple[tuple[str, str], ...]  # kind, text
    pulse: tuple[tuple[str, str], ...]  # dimension, score 1–5 (5 = best)
    responses: int
    actions: tuple[ActionSpec, ...]


RETROS: tuple[RetroSpec, ...] = (
    RetroSpec(
        "platform-mid",
        "platform",
        "start-stop-continue",
        "dewi",
        Week(5, 4, 14),
        (
            ("went_well", "Deploys went from 3 to 9 a week without drama."),
            ("went_well", "Self-hosted runners: pipelines under 15 minutes."),
            ("to_improve", "The Friday freeze only moved the risk to Monday."),
            ("to_improve", "Incident reviews slip when the database work peaks."),
            ("idea", "Rotate who facilitates incident reviews."),
        ),
        (
            ("psychological safety", "4.2"),
            ("workload", "2.6"),
            ("clarity", "3.8"),
            ("energy", "3.4"),
        ),
        6,
        (
            ActionSpec(
                "runbooks",
                "Write runbooks for the five noisiest alerts",
                "dewi",
                Week(8, 0),
                done=(Week(8, 2, 11), "Five runbooks in the wiki, linked from the alerts."),
            ),
            ActionSpec(
                "pair-on-db",
                "Pair on every database change",
                "chen",
                Week(7, 0),
                dropped=(
                    Week(7, 0, 10),
                    "The migration work pairs anyway; a rule adds nothing.",
                ),
            ),
            ActionSpec(
                "review-definition-of-done",
                "Agree a definition of done for incident reviews",
                "bram",
                Week(9, 0),
                carried=(Week(12, 2, 11), "platform-end"),
            ),
            ActionSpec(
                "focus-time",
                "No meetings on Tuesday mornings",
                "ann",
                Week(6, 1),
                done=(Week(6, 1, 9), "Blocked in everyone's calendar."),
            ),
        ),
    ),
    RetroSpec(
        "sales-mid",
        "sales",
        "4Ls",
        "lotte",
        Week(5, 4, 15, 30),
        (
            ("went_well", "Pilots fill the pipeline."),
            ("went_well", "Discount approvals in hours instead of days."),
            ("to_improve", "We lost deals on price and did not talk about it."),
            ("to_improve", "Three spreadsheets, three pipeline numbers."),
            ("idea", "Ask every lost prospect why."),
        ),
        (
            ("psychological safety", "3.9"),
            ("workload", "3.2"),
            ("clarity", "3.5"),
            ("energy", "3.6"),
        ),
        6,
        (
            ActionSpec(
                "pipeline-review",
                "A shared pipeline review every Monday",
                "ines",
                Week(6, 0),
                done=(Week(6, 0, 12), "Running since Monday; twenty minutes."),
            ),
            ActionSpec(
                "pricing-one-pager",
                "Update the pricing one-pager after the price rise",
                "hanna",
                Week(7, 0),
                carried=(Week(12, 2, 15), "sales-end"),
                done_there=(Week(12, 3, 11), "New one-pager explains the staged price."),
            ),
            ActionSpec(
                "shadow-support",
                "Shadow two support calls a month",
                "kim",
                Week(9, 0),
                dropped=(
                    Week(9, 1, 10),
                    "Support moves into customer success; we will sit together anyway.",
                ),
            ),
        ),
    ),
    RetroSpec(
        "platform-end",
        "platform",
        "sailboat",
        "bram",
        Week(12, 2, 10),
        (
            ("went_well", "Deploys reached 15 a week."),
            ("went_well", "Onboarding down from 72 to 12 hours once SSO was dropped."),
            ("to_improve", "Change failure rate barely moved: we never fixed test data."),
            ("to_improve", "The migration stalled for weeks and nobody said so out loud."),
            ("idea", "A staging copy of production data, refreshed weekly."),
        ),
        (
            ("psychological safety", "3.6"),
            ("workload", "2.2"),
            ("clarity", "3.9"),
            ("energy", "3.1"),
        ),
        6,
        (
            ActionSpec(
                "staging-data",
                "Build an anonymised staging copy of production, refreshed weekly",
                "chen",
                Week(15, 0),
            ),
            ActionSpec(
                "restart-migration",
                "Restart the migration with a rehearsed cutover date",
                "ann",
                Week(14, 0),
            ),
            ActionSpec(
                "anything-stuck",
                "Open every stand-up with 'is anything stuck?'",
                "dewi",
                Week(13, 0),
            ),
        ),
    ),
    RetroSpec(
        "sales-end",
        "sales",
        "4Ls",
        "joost",
        Week(12, 2, 14),
        (
            ("went_well", "Six of ten pilots converted."),
            ("to_improve", "New ARR at a third of target."),
            ("to_improve", "We let the price rise speak for itself instead of explaining it."),
            ("idea", "Stage price changes over two quarters."),
        ),
        (
            ("psychological safety", "4.1"),
            ("workload", "3.0"),
            ("clarity", "3.8"),
            ("energy", "3.3"),
        ),
        6,
        (
            ActionSpec(
                "replan-arr",
                "Re-plan new ARR with a realistic ramp for the new account executive",
                "gijs",
                Week(13, 3),
            ),
            ActionSpec(
                "lost-deal-calls",
                "Call every lost prospect within a week",
                "hanna",
                Week(14, 0),
            ),
        ),
    ),
)
