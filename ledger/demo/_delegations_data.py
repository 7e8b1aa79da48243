"""The quarter's delegations, at different levels: one completed with feedback and
feedforward, one whose check-ins stopped, one renegotiated, one revoked, one running."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.demo._plan import Week

__all__ = ["DELEGATIONS", "DelegationCheckIn", "DelegationSpec", "Renegotiation"]


@dataclass(frozen=True)
class DelegationCheckIn:
    when: Week
    status: str
    progress: str
    acknowledged: Week | None = None
    note: str = ""


@dataclass(frozen=True)
class Renegotiation:
    when: Week
    reason: str
    boundaries: str


@dataclass(frozen=True)
class DelegationSpec:
    slug: str
    delegator: str
    owner: str
    title: str
    why: str
    desired_result: str
    boundaries: str
    level: str
    cadence_days: int
    delegated: Week
    due: Week
    check_ins: tuple[DelegationCheckIn, ...]
    renegotiated: Renegotiation | None = None
    completed: tuple[Week, str, str] | None = None  # when, feedback, feedforward
    revoked: tuple[Week, str] | None = None


def _weekly(
    weeks: range, day: int, hour: int, progress: dict[int, tuple[str, str]], ack_hour: int
) -> tuple[DelegationCheckIn, ...]:
    """Check-ins in ``weeks``, each acknowledged the same day at ``ack_hour``; ``progress``
    gives a week its own status and text (default: on track, as planned)."""
    return tuple(
        DelegationCheckIn(
            Week(w, day, hour),
            *progress.get(w, ("on_track", "On track: reviews held within the week.")),
            acknowledged=Week(w, day, ack_hour),
        )
        for w in weeks
    )


DELEGATIONS: tuple[DelegationSpec, ...] = (
    DelegationSpec(
        "incident-reviews",
        "ann",
        "bram",
        "Own the blameless incident review process",
        "Reviews stall while they wait for me; you run on-call and see the patterns first.",
        "Every incident with customer impact reviewed within 5 working days, with actions "
        "that get done.",
        "No new tools without asking. Reviews stay blameless: no names in the summary.",
        "inquire",
        7,
        Week(0, 2, 10),
        Week(11, 4),
        _weekly(
            range(1, 12),
            4,
            11,
            {
                5: ("at_risk", "Two reviews late: the database work ate the week."),
                6: ("on_track", "Caught up; started a shared actions board."),
            },
            16,
        ),
        completed=(
            Week(11, 4, 17),
            "All nine incidents reviewed within five days, and the actions board was your "
            "idea: people now close their review actions.",
            "Next quarter, teach dewi to facilitate so the process does not depend on you, "
            "and try one cross-team review with sales for customer-facing incidents.",
        ),
    ),
    DelegationSpec(
        "db-migration",
        "ann",
        "chen",
        "Run the managed Postgres migration",
        "You know the database best, and the migration was decided with your input.",
        "Production on managed Postgres with under 5 minutes of downtime; rollback rehearsed.",
        "Cutover outside business hours only; budget as decided; customers hear it from gijs.",
        "agree",
        7,
        Week(3, 4, 13),
        Week(15, 0),
        (
            DelegationCheckIn(
                Week(4, 4, 12),
                "on_track",
                "Replica running at the provider; lag under a second.",
                Week(5, 0, 9),
            ),
            DelegationCheckIn(
                Week(5, 4, 12),
                "at_risk",
                "Two extensions differ between versions; testing workarounds.",
                Week(6, 0, 9),
                "Shall we ask the provider's support? I can set up the call.",
            ),
            DelegationCheckIn(
                Week(6, 4, 12),
                "blocked",
                "No staging copy of production data to rehearse the cutover on.",
            ),
        ),
    ),
    DelegationSpec(
        "discounts",
        "gijs",
        "hanna",
        "Approve discounts up to 15 % on mid-market deals",
        "Deals stall while they wait for me; you know these customers.",
        "Approvals within 2 hours; the average discount stays under 10 %.",
        "Up to 15 % off list on deals under €60k ARR; anything above comes to me.",
        "delegate",
        14,
        Week(1, 2, 10),
        Week(12, 4),
        (
            DelegationCheckIn(
                Week(3, 0, 10), "on_track", "Eight approvals, average 7 %.", Week(3, 0, 14)
            ),
            DelegationCheckIn(
                Week(5, 0, 10), "on_track", "Eleven approvals, average 9 %.", Week(5, 0, 14)
            ),
            DelegationCheckIn(
                Week(7, 0, 10),
                "at_risk",
                "Average discount crept to 11 % since the price rise.",
                Week(7, 0, 14),
                "Thanks for flagging it early. Let's look at the bounds together.",
            ),
            DelegationCheckIn(Week(9, 0, 10), "on_track", "Average back to 9 %.", Week(9, 0, 14)),
            DelegationCheckIn(
                Week(11, 0, 10), "on_track", "Average 8 %; approvals in an hour.", Week(11, 0, 14)
            ),
        ),
        renegotiated=Renegotiation(
            Week(8, 0, 11),
            "The average discount crept above 10 % after the price rise: tighter bounds, "
            "the same trust.",
            "Up to 12 % off list on deals under €60k ARR; above that, a second opinion from "
            "joost, then it comes to me.",
        ),
    ),
    DelegationSpec(
        "webinars",
        "gijs",
        "ines",
        "Organise the partner webinar series",
        "Partners bring our best leads; a regular webinar keeps us on their minds.",
        "Three webinars with at least 40 registrations each.",
        "Budget €3k; partners approve their own slides.",
        "agree",
        7,
        Week(0, 3, 10),
        Week(10, 0),
        (
            DelegationCheckIn(
                Week(1, 4, 10), "on_track", "Two partners signed up.", Week(1, 4, 15)
            ),
            DelegationCheckIn(Week(2, 4, 10), "on_track", "First date set.", Week(2, 4, 15)),
            DelegationCheckIn(
                Week(3, 4, 10), "at_risk", "Pilot calls take my afternoons.", Week(3, 4, 15)
            ),
            DelegationCheckIn(Week(4, 4, 10), "blocked", "No time left for the webinars."),
        ),
        revoked=(
            Week(5, 2, 10),
            "Priorities moved to the pilot programme, which needs Inês's time. Taking this "
            "back is my call about focus, not about her work.",
        ),
    ),
    DelegationSpec(
        "onboarding-guides",
        "emre",
        "fleur",
        "Write the self-serve onboarding guides",
        "Security questions block trials, and you answer them better than anyone.",
        "Guides for the five most-asked security questions, linked from the signup flow.",
        "Reuse the trust-centre texts; legal reviews anything about certifications.",
        "advise",
        14,
        Week(4, 3, 10),
        Week(12, 3),
        (
            DelegationCheckIn(Week(6, 3, 10), "on_track", "Two guides drafted.", Week(6, 3, 16)),
            DelegationCheckIn(
                Week(8, 3, 10), "at_risk", "Legal review takes a week per guide.", Week(8, 4, 9)
            ),
            DelegationCheckIn(Week(10, 3, 10), "on_track", "Four guides live.", Week(10, 3, 16)),
        ),
    ),
)
