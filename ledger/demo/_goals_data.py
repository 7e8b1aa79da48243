"""The quarter's goals: four objectives (one aligned under another team's) and ten key
results with their weekly check-ins.

Key results tell different stories: deploys and opportunities on track; change failure rate
and new ARR slipping (values lag, confidence drops week by week); time-to-restore retargeted
with a reason; SSO dropped when a decision superseded it; retention dipping and recovering;
one check-in recorded late (bi-temporal) and one corrected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["KEY_RESULTS", "OBJECTIVES", "KeyResultSpec", "ObjectiveSpec", "levels", "series"]


@dataclass(frozen=True)
class ObjectiveSpec:
    slug: str
    team: str
    title: str
    why: str
    owner: str
    parent: str | None
    score: str
    learnings: str


@dataclass(frozen=True)
class KeyResultSpec:
    """A key result; ``values``/``confidence`` hold one check-in per ``every`` weeks."""

    slug: str
    objective: str
    title: str
    metric: str
    start: str
    target: str
    unit: str
    owner: str
    values: tuple[str, ...]
    confidence: tuple[int, ...]
    every: int = 1
    cadence_days: int = 7
    notes: dict[int, str] = field(default_factory=dict)
    blockers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    late: tuple[int, ...] = ()  # weeks whose check-in was recorded the next Monday
    correction: tuple[int, str, int, str] | None = None  # week, value, confidence, reason
    retarget: tuple[int, str, str] | None = None  # week, new target, reason
    dropped: tuple[int, str] | None = None  # week, reason
    score: str = ""
    learnings: str = ""


def series(text: str) -> tuple[str, ...]:
    """``"3 4 5.5"`` -> ``("3", "4", "5.5")``: measured values, kept exact as text."""
    return tuple(text.split())


def levels(text: str) -> tuple[int, ...]:
    """``"7 6 4"`` -> ``(7, 6, 4)``: confidence levels (0–10)."""
    return tuple(int(v) for v in text.split())


OBJECTIVES: tuple[ObjectiveSpec, ...] = (
    ObjectiveSpec(
        "mid-market",
        "sales",
        "Become the obvious choice for mid-market logistics firms",
        "Mid-market logistics customers stay longest and expand most; we win them when the "
        "offer is clear and onboarding is fast.",
        "gijs",
        None,
        "0.6",
        "Pipeline was healthy, conversion was not: the price rise cost us deals we had "
        "counted on. Next quarter: fewer, better-qualified pilots.",
    ),
    ObjectiveSpec(
        "retention",
        "sales",
        "Keep and grow the customers we already have",
        "Winning a customer costs five times more than keeping one.",
        "joost",
        None,
        "0.8",
        "Health checks worked; the churn scare in week 6 came from two accounts we had not "
        "spoken to in months.",
    ),
    ObjectiveSpec(
        "boring-releases",
        "platform",
        "Make releases boring",
        "Every failed release costs customers trust and us a weekend; small, frequent, "
        "reversible changes are safer than big ones.",
        "ann",
        None,
        "0.7",
        "Deploy frequency came easily; quality did not follow by itself. Invest in test data "
        "and staging before pushing speed further.",
    ),
    ObjectiveSpec(
        "self-serve-onboarding",
        "platform",
        "Self-serve onboarding in under a day",
        "Sales loses mid-market deals when a trial takes three days to set up.",
        "emre",
        "mid-market",
        "0.8",
        "Dropping SSO freed two people for the onboarding flow; that trade paid off.",
    ),
)

KEY_RESULTS: tuple[KeyResultSpec, ...] = (
    KeyResultSpec(
        "deploys",
        "boring-releases",
        "Deploy to production 15 times a week",
        "increase",
        "3",
        "15",
        "deploys/week",
        "bram",
        series("3 4 5 7 8 9 10 11 12 13 14 15"),
        levels("6 6 7 7 7 8 8 8 8 9 9 9"),
        notes={3: "Self-hosted runners halved the pipeline time.", 11: "Target reached."},
        score="1.0",
        learnings="Shorter pipelines made small changes the easy path.",
    ),
    KeyResultSpec(
        "change-failure-rate",
        "boring-releases",
        "Bring the change failure rate under 8 %",
        "decrease",
        "18",
        "8",
        "%",
        "chen",
        series("18 17 17 16 16 15 15 15 14 14 14 13"),
        levels("7 7 6 6 5 5 4 4 3 3 3 3"),
        notes={4: "The Friday freeze moved risky deploys to Monday.", 8: "Stuck at 14-15 %."},
        blockers={
            5: ("flaky integration tests",),
            6: ("flaky integration tests", "no staging copy of production data"),
            8: ("no staging copy of production data",),
        },
        score="0.5",
        learnings="We measured failures without fixing their cause: test data.",
    ),
    KeyResultSpec(
        "time-to-restore",
        "boring-releases",
        "Restore service within 60 minutes (median)",
        "decrease",
        "240",
        "60",
        "minutes",
        "dewi",
        series("240 220 200 180 170 160 150 130 120 110 100 95"),
        levels("5 5 5 4 4 3 6 6 7 7 7 8"),
        retarget=(
            6,
            "90",
            "60 minutes assumed a second on-call rotation; hiring for it moved to next "
            "quarter. 90 minutes with one rotation is still ambitious, and honest.",
        ),
        score="0.9",
        learnings="Runbooks for the top alerts did more than any tool.",
    ),
    KeyResultSpec(
        "signup-to-workspace",
        "self-serve-onboarding",
        "Median signup-to-first-workspace under 8 hours",
        "decrease",
        "72",
        "8",
        "hours",
        "emre",
        series("72 70 66 60 52 48 40 30 24 18 14 12"),
        levels("6 5 5 5 6 6 7 7 7 8 8 8"),
        notes={5: "Two more people on the flow since SSO was dropped."},
        score="0.9",
        learnings="Watching five customers sign up taught us more than the funnel data.",
    ),
    KeyResultSpec(
        "sso",
        "self-serve-onboarding",
        "Ship SSO (SAML) for enterprise trials",
        "milestone",
        "0",
        "1",
        "",
        "fleur",
        series("0 0 0 0"),
        levels("5 4 3 3"),
        blockers={2: ("no test tenant at the identity provider",)},
        dropped=(
            4,
            "Superseded by the decision to offer SSO through the identity partner: building "
            "it ourselves no longer serves the objective.",
        ),
    ),
    KeyResultSpec(
        "new-arr",
        "mid-market",
        "Win €450k new mid-market ARR",
        "increase",
        "0",
        "450",
        "k€",
        "hanna",
        series("0 15 30 40 55 60 70 98 95 110 120 135"),
        levels("7 7 6 6 5 5 4 4 4 3 3 3"),
        notes={5: "Two deals lost on price this week.", 9: "Pilots convert slower than hoped."},
        blockers={6: ("price objections",), 9: ("price objections", "long legal reviews")},
        correction=(7, "80", 4, "Counted the Bakkerij Loos deal twice: signed ARR is €80k."),
        score="0.3",
        learnings="We planned on last year's win rate after raising the price.",
    ),
    KeyResultSpec(
        "qualified-opportunities",
        "mid-market",
        "Create 60 qualified mid-market opportunities",
        "increase",
        "0",
        "60",
        "opportunities",
        "ines",
        series("0 4 9 14 19 24 29 34 39 45 51 56"),
        levels("6 7 7 7 8 8 8 8 8 8 8 8"),
        score="0.9",
        learnings="The Monday pipeline review kept qualification honest.",
    ),
    KeyResultSpec(
        "gross-retention",
        "retention",
        "Keep gross revenue retention above 92 %",
        "keep_above",
        "93",
        "92",
        "%",
        "joost",
        series("93.1 93.0 92.8 92.6 92.4 92.1 91.8 91.9 92.2 92.4 92.6 92.7"),
        levels("8 8 7 7 6 5 4 5 6 7 7 8"),
        notes={6: "Two silent accounts gave notice.", 9: "Recorded Monday: was at a customer."},
        late=(9,),
        score="0.8",
        learnings="Silence is the earliest churn signal we have.",
    ),
    KeyResultSpec(
        "ticket-response",
        "retention",
        "Answer support tickets within 4 hours (median)",
        "keep_below",
        "3.5",
        "4",
        "hours",
        "kim",
        series("3.5 3.8 4.2 3.9 3.6 3.4"),
        levels("7 6 5 6 7 8"),
        every=2,
        cadence_days=14,
        blockers={4: ("one support engineer on leave",)},
        score="0.8",
        learnings="A rota beats heroics.",
    ),
    KeyResultSpec(
        "health-checks",
        "retention",
        "Hold a health check with all top-20 accounts",
        "increase",
        "0",
        "20",
        "accounts",
        "lotte",
        series("0 1 2 4 6 8 10 11 13 15 17 19"),
        levels("6 6 6 7 7 7 7 7 8 8 8 8"),
        score="0.95",
        learnings="Customers liked being asked; two asked for a quarterly rhythm.",
    ),
)
