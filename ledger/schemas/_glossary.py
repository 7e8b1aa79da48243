"""What every event, field and enum value means, in plain English for people outside the team.

The schema generator takes every description from here and refuses to write a schema with a
field, event or enum value this glossary does not explain. Lookups, most specific first:

1. ``OVERRIDES["<type>.<field>"]`` (e.g. ``decision.made.confidence``), or for a field of a
   value object ``OVERRIDES["<Class>.<field>"]`` (e.g. ``Option.title``);
2. ``FIELDS["<field>"]``: the meaning a name has wherever it is used;
3. ``ENVELOPE["<field>"]``: the fields every event carries.

``INTEGER_RANGES`` bounds whole-number fields (same keys, same order of lookup);
``ENUM_VALUES`` explains each value of an enumeration (keyed by the enum's class name).
"""

from __future__ import annotations

__all__ = [
    "DATACLASSES",
    "ENUM_VALUES",
    "ENVELOPE",
    "EVENTS",
    "FIELDS",
    "INTEGER_RANGES",
    "OVERRIDES",
]

#: The fields every event carries (the aggregate id and version are in the message headers).
ENVELOPE: dict[str, str] = {
    "timestamp": (
        "When the event was recorded (recorded time, not necessarily when it happened in the "
        "world), as an RFC 3339 date-time with its UTC offset."
    ),
    "actor": "The person who caused the event: a handle such as 'ann' or 'ann@example.org'.",
    "command_id": (
        "The idempotency key of the command that caused the event, chosen by the client so "
        "that a retried command takes effect once; an empty string when none was given."
    ),
    "credential": (
        "How the actor proved who they are when the event was recorded: 'token:<id>' (an API "
        "token; 'token:<id> by <handle>' when a service token acted for the actor), "
        "'oidc:<issuer>#<subject>' (single sign-on), 'session:<id>' (the web page), "
        "'local:<user>' (the command line on the machine holding the data), "
        "'service:<name>' (Koers's own workers); empty when not recorded (the demo, tests)."
    ),
    "originator_topic": (
        "Only on the first event of an aggregate: the technical name (Python module and "
        "class, 'module:Class') of the kind of record this event creates."
    ),
    "class_version": (
        "The schema version of this payload, written only from version 2 on; it equals the "
        "message's Koers-Schema header."
    ),
}

#: One sentence or two per event type, keyed "<kind>.<type>" (the Koers-Type header).
EVENTS: dict[str, str] = {
    "objective.set": (
        "A team set an objective for a quarter: what it wants to achieve and why. The "
        "aggregate id (Koers-Originator-Id header) is the objective's id."
    ),
    "objective.realigned": (
        "An objective was aligned under another parent objective, or made a top-level objective."
    ),
    "objective.scored": (
        "At the end of its period an objective was scored (0.0–1.0) and its learnings recorded; it "
        "is closed."
    ),
    "objective.dropped": "An objective was dropped before the end of its period.",
    "objective.weighed": (
        "How much an objective counts in its parent's roll-up was set (every child starts at 1)."
    ),
    "key_result.weighed": (
        "How much a key result counts in its objective's roll-up was set (every one starts at 1)."
    ),
    "key_result.added": (
        "A measurable key result was added to an objective, with one owner, a start value "
        "and a target. The aggregate id is the key result's id."
    ),
    "key_result.checked_in": (
        "The owner reported where a key result stands: its value at a moment (as_of), how "
        "confident they are it will be reached, and what blocks it."
    ),
    "key_result.check_in_corrected": (
        "An earlier check-in of a key result was corrected (check-ins are never edited: the "
        "correction is a new event naming the check-in it corrects)."
    ),
    "key_result.retargeted": (
        "A key result's target was changed, with a reason. The original target stays in "
        "key_result.added, so attainment can be measured against both."
    ),
    "key_result.dropped": "A key result was dropped: it takes no more check-ins.",
    "key_result.closed": (
        "A key result was closed at the end of its period with a score (0.0–1.0) and learnings."
    ),
    "kpi.defined": "A team defined one of its 3–5 key performance indicators (KPIs).",
    "kpi.measured": "A KPI was measured: its value at a moment.",
    "kpi.next_step_set": "The next step to move a KPI was set or changed.",
    "kpi.retired": "A KPI was retired: the team no longer tracks it.",
    "decision.opened": (
        "A decision was put on the record: the question, the options, the criteria, the "
        "risk and reversibility, how well informed the team is, and who decides by when."
    ),
    "decision.option_added": "An option was added to an open decision.",
    "decision.information_updated": (
        "The information level of an open decision changed (e.g. after research)."
    ),
    "decision.made": (
        "The decider made the decision: the chosen option, why, the expected outcome, the "
        "stated confidence (a probability) and when to review it."
    ),
    "decision.reviewed": (
        "A decision was reviewed after the fact. Outcome quality and process quality are "
        "rated separately: a good decision can have a bad outcome, and the reverse."
    ),
    "decision.reversed": "A decision was reversed: it no longer holds.",
    "decision.superseded": "A decision was replaced by a later decision.",
    "decision.scored": (
        "Someone taking part in a decision (its decider, a person consulted, its recommender "
        "or approver) scored one option against one criterion; a later score of the same "
        "option and criterion by the same person replaces it in the weighted totals."
    ),
    "decision.position_taken": (
        "A person consulted on a decision recorded their position on it: agree, "
        "disagree-and-commit or object; a later position of the same person replaces it."
    ),
    "decision.roles_named": (
        "The recommender and the approver of an open decision were named; a new approver "
        "must approve before the decision can be made."
    ),
    "decision.approved": (
        "The approver of an open decision approved it: the decider may now make the decision."
    ),
    "decision.linked": (
        "A decision was linked to something it concerns: an objective, a key result, a delegation, "
        "a retro item, a retro action item or another decision (what led to it)."
    ),
    "delegation.delegated": (
        "Work was delegated to one owner: why, the desired result, the boundaries, how much "
        "decision right the owner has, the check-in rhythm and the due date."
    ),
    "delegation.checked_in": "The owner of a delegation reported progress.",
    "delegation.check_in_acknowledged": "The delegator acknowledged a check-in of a delegation.",
    "delegation.renegotiated": (
        "The terms of a delegation were renegotiated (due date, boundaries or decision rights), "
        "with a reason."
    ),
    "delegation.completed": (
        "The delegator marked a delegation done, with feedback (on what happened) and feedforward "
        "(for next time)."
    ),
    "delegation.revoked": "A delegation was taken back before it was done.",
    "retro.held": "A team held a retrospective. The aggregate id is the retro's id.",
    "retro.item_added": (
        "An item was raised in a retro: something that went well, something to improve, or an idea."
    ),
    "retro.pulse_recorded": (
        "A team-health pulse was recorded in a retro: the team's average score on one dimension."
    ),
    "retro.pulse_scored": (
        "A member of the retro's team gave their own team-health pulse score on one dimension "
        "(replacing their earlier one), with the dimension's mean and count of scores after it. "
        "The score is one person's answer: no read, view, export or webhook of Koers shows it "
        "(docs/security.md)."
    ),
    "retro.action_item_added": (
        "An action item was agreed in a retro, with one owner and a due date (or carried "
        "over into this retro from an earlier one)."
    ),
    "retro.action_item_completed": "An action item of a retro was done.",
    "retro.action_item_dropped": "An action item of a retro was dropped without being done.",
    "retro.action_item_carried_over": (
        "An action item ended in this retro and continues in a later one (where a "
        "retro.action_item_added with the same item_id follows)."
    ),
    "prompt.issued": (
        "A reflection prompt (a question) was put to one person, with links to what triggered it."
    ),
    "prompt.answered": (
        "The person answered a reflection prompt; answers form their reflection journal."
    ),
    "prompt.snoozed": "The person put a reflection prompt off until a later moment.",
    "prompt.dismissed": "The person dismissed a reflection prompt without answering it.",
    "person.added": (
        "A person was added to the directory; the aggregate id derives from their handle."
    ),
    "person.granted": "A person was given an org-wide role (auditor or admin).",
    "person.revoked": "An org-wide role was taken from a person.",
    "team.added": "A team was added to the org tree; the aggregate id derives from the slug.",
    "team.member_set": "A person became a member of a team with a role, or their role changed.",
    "team.member_removed": "A person left a team.",
    "person.notifications_set": (
        "A person's notification channels and preferences were set (e-mail, Slack, Microsoft "
        "Teams, digest, quiet hours, kinds): the event holds all of them, not only the changes."
    ),
    "team.notifications_set": (
        "A team's chat channels were set (Slack, Microsoft Teams), for notices to the whole team."
    ),
    "token.issued": (
        "An API token was made for a person. Its secret is not recorded, only its SHA-256; the "
        "secret was shown once to whoever made the token."
    ),
    "token.revoked": "An API token was revoked: it stopped working.",
    "login_link.issued": (
        "A one-time login link for the web page was issued to a person (its secret is not "
        "recorded, only its SHA-256)."
    ),
    "login_link.used": "A login link was used to sign in; it cannot be used again.",
    "calendar_link.issued": (
        "A person's first calendar-feed link was made (its secret is not recorded, only its "
        "SHA-256); the aggregate id derives from the handle."
    ),
    "calendar_link.replaced": (
        "A person's calendar-feed link was replaced by a new one: the old address stopped working."
    ),
    "calendar_link.revoked": "A person's calendar-feed link was revoked: it stopped working.",
    "webhook.added": (
        "A person registered a webhook: the events they may read whose type matches one of "
        "its globs are POSTed to its URL, signed (Standard Webhooks). Its signing secret is "
        "recorded sealed (AES-GCM under a key kept outside the ledger), never in clear."
    ),
    "webhook.removed": "A webhook was removed: nothing more is sent to it.",
    "command_key.used": (
        "An idempotency key was used for the first time, bound to its command; written in the "
        "same atomic write as the command's events. The aggregate id derives from the key."
    ),
}

#: The meaning of a field name wherever it is used (unless an override says otherwise).
FIELDS: dict[str, str] = {
    "slack_url": (
        "A Slack incoming-webhook URL to post to (a secret: shown only to its owner and "
        "admins); empty when there is none."
    ),
    "teams_url": (
        "A Microsoft Teams incoming-webhook URL to post to (a secret: shown only to its owner "
        "and admins); empty when there is none."
    ),
    "digest": "Whether prompts are sent each at once or gathered into a daily or weekly digest.",
    "quiet": (
        "Quiet hours, 'HH:MM-HH:MM' in the person's time zone (may run across midnight), in "
        "which nothing is sent; empty when there are none."
    ),
    "kinds": "The kinds of prompts sent (e.g. 'weekly_review'); empty: every kind.",
    "team": "The team, by name (up to 80 characters), e.g. 'platform'.",
    "title": "A short title (up to 200 characters).",
    "why": "Why this matters: the purpose, in the words of whoever recorded it.",
    "owner": "The one person accountable, by handle (never two people).",
    "reason": "Why this happened, in a few words.",
    "note": "A free-text note; an empty string when none was given.",
    "learnings": "What was learned, in free text.",
    "score": (
        "The score, a decimal number from 0.0 (nothing achieved) to 1.0 (fully achieved), written "
        "as a string."
    ),
    "parent_id": (
        "The id (UUID) of the parent objective this objective is aligned under, or null for a "
        "top-level objective."
    ),
    "period": "The quarter, written YYYY-Qn, e.g. '2026-Q4'.",
    "objective_id": (
        "The id (UUID) of the objective this key result belongs to (the aggregate id of its "
        "objective.set event)."
    ),
    "metric": "How progress is measured.",
    "start": "The value at the start of the period, a decimal number written as a string.",
    "target": "The value to reach, a decimal number written as a string, in the key result's unit.",
    "unit": (
        "The unit of the values, e.g. '%', 'EUR', 'customers'; an empty string when there is none."
    ),
    "cadence_days": "How often a check-in is expected, in days (1–92).",
    "check_in_id": "The id (UUID) of the check-in, unique within its key result or delegation.",
    "value": "The measured value, a decimal number written as a string (every digit kept).",
    "confidence": (
        "How confident the owner is that the key result will be reached, a whole number from "
        "0 (no chance) to 10 (certain)."
    ),
    "as_of": (
        "The moment the value describes (valid time), as an RFC 3339 date-time with offset; "
        "never later than the event's timestamp (recorded time)."
    ),
    "blockers": "What stands in the way, one entry per blocker; an empty array when nothing does.",
    "name": "The indicator's name (up to 120 characters).",
    "direction": "Which way is better for this indicator.",
    "next_step": (
        "The next step the team will take to move the indicator; an empty string when none is set."
    ),
    "question": "The question to answer (up to 500 characters).",
    "context": "Background the decision is taken in; an empty string when none was given.",
    "options": "The options on the table (at least one); option keys are unique.",
    "option": "The option added.",
    "criteria": "The criteria the options are weighed against, each with a weight; may be empty.",
    "risk": "The risk of the decision, as likelihood and impact.",
    "reversibility": "How hard the decision is to undo.",
    "cost_to_reverse": (
        "What undoing the decision would cost, in free text; an empty string when not stated."
    ),
    "information_level": (
        "How much of the information the team would want it has, in percent (0–100); the "
        "rule of thumb is to decide at about 80."
    ),
    "decider": "The one person who makes the decision, by handle.",
    "consulted": "People whose input is sought before deciding, by handle; may be empty.",
    "recommender": (
        "The person who recommends an option to the decider, by handle, or null when the "
        "decision has none."
    ),
    "approver": (
        "The person who must approve the decision before it is made, by handle, or null when "
        "the decision has none."
    ),
    "informed": "People told about the decision once it is made, by handle; may be empty.",
    "decide_by": "The day the decision should be made by (YYYY-MM-DD).",
    "chosen": "The key of the chosen option (one of the keys in the decision's options).",
    "rationale": "Why this option was chosen.",
    "expected_outcome": (
        "What the decider expects to happen; compared with what happened at the review."
    ),
    "review_on": (
        "The day the decision is to be reviewed (YYYY-MM-DD), on or after the day it was made."
    ),
    "outcome_quality": (
        "How good the outcome turned out, from 1 (poor) to 5 (excellent), rated apart from the "
        "process."
    ),
    "process_quality": (
        "How good the decision process was, from 1 (poor) to 5 (excellent), rated apart from the "
        "outcome."
    ),
    "as_expected": "Whether the outcome matched the expected outcome stated when deciding.",
    "what_happened": "What actually happened.",
    "lessons": "What to do differently next time; an empty string when none were recorded.",
    "by_decision_id": "The id (UUID) of the decision that replaces this one.",
    "link": "What the decision is linked to.",
    "delegator": "The person handing the work over, by handle.",
    "desired_result": "What done looks like: the result the delegator wants.",
    "boundaries": (
        "The limits the owner works within (budget, people, what not to touch); an empty string "
        "when none."
    ),
    "level": "How much decision right the owner has: one of the seven levels of delegation.",
    "due": "The day the work is due (YYYY-MM-DD).",
    "status": "How the work stands, in the owner's view.",
    "progress": "What progress was made since the last check-in.",
    "feedback": "Feedback on how the delegated work went.",
    "feedforward": "Advice for next time (feedforward).",
    "format": "The format of the retro, e.g. 'start-stop-continue'.",
    "held_on": "The day the retro was held (YYYY-MM-DD).",
    "facilitator": "The person who facilitated the retro, by handle.",
    "kind": "The kind of item.",
    "text": "The text (up to 2000 characters).",
    "dimension": (
        "The team-health dimension, e.g. 'psychological safety' or 'workload' (up to 60 "
        "characters)."
    ),
    "responses": "How many people answered (at least 1).",
    "item_id": (
        "The id (UUID) of the action item, kept when the item is carried over to a later retro."
    ),
    "carried_from": (
        "The id (UUID) of the earlier retro this action item was carried over from, or null "
        "for an item agreed in this retro."
    ),
    "to_retro_id": "The id (UUID) of the later retro the action item continues in.",
    "cites": (
        "The id (UUID) of what led to this change, or null: a retro item, a retro action "
        "item, a decision or a key result (it existed when the change was recorded)."
    ),
    "from_item": (
        "The id (UUID) of the retro item (of the same retro) this action item came from, or null."
    ),
    "retro.item_added.item_id": (
        "The id (UUID) of the item, unique within its retro. Items recorded before version 3 "
        "read with uuid5(retro id, 'retro-item/<the event's originator_version>')."
    ),
    "to": "The person the prompt is for, by handle; only they answer it.",
    "triggered_by": (
        "References to what triggered the prompt (e.g. 'decision:<uuid>'); may be empty."
    ),
    "answer": "The person's answer, in free text.",
    "until": "The moment the prompt comes back, as an RFC 3339 date-time with offset.",
}

#: Meanings specific to one event ("<type>.<field>") or value object ("<Class>.<field>").
OVERRIDES: dict[str, str] = {
    "token.issued.handle": "Whose token it is: a person's handle.",
    "token.issued.label": "What the token is for, as its maker wrote it (may be empty).",
    "token.issued.expires_at": "When the token stops working (RFC 3339 date-time with offset).",
    "token.issued.read_only": "True when the token may read but never write.",
    "token.issued.on_behalf": (
        "True for a service's token that may act for another person, who must be allowed "
        "the command; the events then record both."
    ),
    "token.issued.secret_sha256": "The SHA-256 (hex) of the token's secret.",
    "webhook.added.owner": "Who registered the webhook; it is sent what they may read.",
    "webhook.added.url": "Where each delivery is POSTed (http or https).",
    "webhook.added.events": "Event types as globs (e.g. 'decision.*'); '*' matches all.",
    "webhook.added.team": "Only the things of this team and the teams below it (null: any).",
    "webhook.added.label": "What the webhook is for, as its owner wrote it (may be empty).",
    "webhook.added.sealed_secret": (
        "The signing secret, sealed: 'v1:' and base64 of a 12-byte nonce and the AES-256-GCM "
        "ciphertext, with the webhook's id as associated data."
    ),
    "webhook.removed.reason": "Why the webhook was removed, in a few words.",
    "login_link.issued.handle": "Whom the link signs in: a person's handle.",
    "login_link.issued.expires_at": "When the link stops working (RFC 3339 date-time).",
    "login_link.issued.secret_sha256": "The SHA-256 (hex) of the link's secret.",
    "calendar_link.issued.handle": "Whose calendar feed the link opens: a person's handle.",
    "calendar_link.issued.secret_sha256": "The SHA-256 (hex) of the link's secret.",
    "calendar_link.replaced.secret_sha256": "The SHA-256 (hex) of the new link's secret.",
    "person.added.handle": "The person's handle, unique in the ledger (e.g. 'ann').",
    "person.added.name": "The person's name as people know it (up to 120 characters).",
    "person.added.email": "The person's e-mail address.",
    "person.added.time_zone": "The person's time zone (IANA name, e.g. 'Europe/Amsterdam').",
    "person.granted.role": "The org-wide role given.",
    "person.revoked.role": "The org-wide role taken away.",
    "team.added.slug": "The team's short name, unique in the ledger (lower-case, digits, dashes).",
    "team.added.name": "The team's name (up to 120 characters).",
    "team.added.parent": "The slug of the team it belongs to, or null for a top team.",
    "team.member_set.handle": "The member's handle.",
    "team.member_set.role": "The member's role in the team.",
    "team.member_removed.handle": "The handle of the person who left the team.",
    "person.notifications_set.email": "True when prompts are e-mailed to the person's address.",
    "team.notifications_set.email": "Always false: a team has no e-mail channel.",
    "command_key.used.command": "The command the key was used for, e.g. 'key_result.check_in'.",
    "command_key.used.target_id": "The id (UUID) of what the command created or changed.",
    "command_key.used.version": "That aggregate's version right after the command.",
    "command_key.used.fingerprint": (
        "SHA-256 (hex) of the command's name, target, actor and given values: the same key "
        "with another fingerprint is refused."
    ),
    "objective.set.title": "What the team wants to achieve (up to 200 characters).",
    "objective.set.owner": "The one person accountable for the objective, by handle.",
    "objective.realigned.parent_id": (
        "The id (UUID) of the new parent objective, or null to make it a top-level objective."
    ),
    "objective.scored.learnings": "What the team learned over the period.",
    "objective.weighed.weight": (
        "The objective's weight among its siblings in its parent's roll-up: above 0, at most "
        "100, a decimal number written as a string."
    ),
    "key_result.weighed.weight": (
        "The key result's weight among its objective's key results and child objectives: above "
        "0, at most 100, a decimal number written as a string."
    ),
    "key_result.added.title": (
        "What is measured, e.g. 'weekly active teams' (up to 200 characters)."
    ),
    "key_result.added.owner": "The one person accountable for the key result, by handle.",
    "key_result.added.target": (
        "The value to reach by the end of the period, a decimal number written as a string."
    ),
    "key_result.checked_in.check_in_id": "The id (UUID) of this check-in; a correction names it.",
    "key_result.checked_in.value": (
        "The key result's value at as_of, a decimal number written as a string, in the key "
        "result's unit."
    ),
    "key_result.checked_in.note": "A comment on the check-in; an empty string when none was given.",
    "key_result.check_in_corrected.check_in_id": (
        "The id (UUID) of the check-in being corrected (from an earlier key_result.checked_in)."
    ),
    "key_result.check_in_corrected.value": (
        "The corrected value, a decimal number written as a string."
    ),
    "key_result.check_in_corrected.confidence": (
        "The corrected confidence, a whole number from 0 (no chance) to 10 (certain)."
    ),
    "key_result.check_in_corrected.reason": "Why the check-in was wrong.",
    "key_result.retargeted.target": "The new target, a decimal number written as a string.",
    "key_result.closed.score": (
        "How far the key result was achieved, a decimal number from 0.0 to 1.0, written as a "
        "string."
    ),
    "kpi.defined.owner": "The one person accountable for the indicator, by handle.",
    "kpi.defined.target": (
        "The value the team aims for, a decimal number written as a string, in the indicator's "
        "unit."
    ),
    "kpi.defined.kind": (
        "Whether the indicator predicts results (leading) or reports them (lagging)."
    ),
    "kpi.measured.value": (
        "The measured value of the indicator, a decimal number written as a string, in its unit."
    ),
    "kpi.next_step_set.next_step": "The new next step the team will take to move the indicator.",
    "decision.information_updated.information_level": (
        "The new information level, in percent (0–100)."
    ),
    "decision.information_updated.note": (
        "What changed the information level; an empty string when not said."
    ),
    "decision.made.confidence": (
        "The decider's stated probability that the expected outcome happens, a decimal "
        "number from 0 to 1 written as a string (e.g. '0.7'). Used to check calibration "
        "against reviews; not the 0–10 confidence of key-result check-ins."
    ),
    "decision.made.information_level": (
        "The information level when the decision was made, in percent (0–100)."
    ),
    "decision.superseded.reason": "Why the decision was replaced.",
    "decision.scored.option": "The key of the option scored (an option on the table).",
    "decision.scored.criterion": "The name of the criterion the option was scored against.",
    "decision.scored.score": (
        "How well the option meets the criterion, a whole number from 1 (poorly) to 5 (very "
        "well); weighted by the criterion's weight in the decision's totals."
    ),
    "decision.position_taken.position": "The position the consulted person takes.",
    "delegation.delegated.title": "What is delegated, in short (up to 200 characters).",
    "delegation.delegated.owner": (
        "The one person who takes the work on, by handle (not the delegator)."
    ),
    "delegation.delegated.why": "Why the work matters and why it is delegated.",
    "delegation.checked_in.check_in_id": "The id (UUID) of this check-in, used to acknowledge it.",
    "delegation.check_in_acknowledged.check_in_id": (
        "The id (UUID) of the check-in acknowledged (from an earlier delegation.checked_in)."
    ),
    "delegation.check_in_acknowledged.note": (
        "The delegator's response to the check-in; an empty string when none."
    ),
    "delegation.renegotiated.due": (
        "The due date after renegotiation (YYYY-MM-DD); the same as before when unchanged."
    ),
    "delegation.renegotiated.boundaries": (
        "The boundaries after renegotiation; the same as before when unchanged."
    ),
    "delegation.renegotiated.level": (
        "The decision-rights level after renegotiation; the same as before when unchanged."
    ),
    "retro.held.team": "The team that held the retro, by name (up to 80 characters).",
    "retro.held.period": (
        "The period the retro looks back on, in free text (up to 40 characters), e.g. 'sprint 42' "
        "or '2026-Q4'."
    ),
    "retro.item_added.text": "The item, in the team's words (up to 2000 characters).",
    "retro.pulse_recorded.score": (
        "The team's average score on the dimension, a decimal number from 1 (poor) to 5 (great), "
        "written as a string."
    ),
    "retro.pulse_scored.score": (
        "This person's own score, a whole number from 1 (poor) to 5 (great)."
    ),
    "retro.pulse_scored.mean": (
        "The mean of the dimension's scores after this one (each person's last), to 2 places "
        "half up, written as a string."
    ),
    "retro.pulse_scored.responses": (
        "How many people have scored the dimension, this one included (at least 1)."
    ),
    "retro.action_item_added.text": "What is to be done (up to 2000 characters).",
    "retro.action_item_added.owner": "The one person who does it, by handle.",
    "retro.action_item_added.due": (
        "The day it is due (YYYY-MM-DD), not before the day the retro was held."
    ),
    "retro.action_item_completed.note": "How it was done; an empty string when not said.",
    "retro.action_item_carried_over.item_id": (
        "The id (UUID) of the action item; the later retro continues it under the same id."
    ),
    "prompt.issued.question": "The question put to the person (up to 1000 characters).",
    "prompt.issued.kind": (
        "What sort of prompt this is, a short code (up to 60 characters) set by whoever "
        "issued it, e.g. 'weekly_review' or 'decision_review_due'."
    ),
    "prompt.dismissed.reason": (
        "Why the person dismissed the prompt; an empty string when not said."
    ),
    "Option.key": (
        "A short key for the option, unique within the decision (what decision.made names as "
        "chosen)."
    ),
    "Option.title": "The option in a few words.",
    "Option.description": "More about the option; an empty string when there is nothing more.",
    "Criterion.name": "What the options are weighed on, e.g. 'cost' or 'time to market'.",
    "Criterion.weight": (
        "How much the criterion counts, a decimal number above 0 written as a string (weights are "
        "relative)."
    ),
    "Risk.likelihood": "How likely things go wrong, from 1 (rare) to 5 (almost certain).",
    "Risk.impact": "How bad it would be if they do, from 1 (minor) to 5 (severe).",
    "Link.kind": "What kind of thing the decision is linked to.",
    "Link.target_id": (
        "The id (UUID) of the linked objective, key result, delegation or decision, or (for a "
        "retro item or an action item) the retro that holds it."
    ),
    "Link.item_id": (
        "For a retro item or an action item: the item's id (UUID) within the retro; null otherwise."
    ),
}

#: What each value object is, keyed by its class name.
DATACLASSES: dict[str, str] = {
    "Option": "An option on the table for a decision.",
    "Criterion": "A criterion the options of a decision are weighed against.",
    "Risk": "The risk of a decision: likelihood and impact, each on a 1–5 scale.",
    "Link": "A link from a decision to something it concerns.",
}

#: Inclusive (minimum, maximum) of whole-number fields; ``None`` is unbounded.
INTEGER_RANGES: dict[str, tuple[int, int | None]] = {
    "cadence_days": (1, 92),
    "information_level": (0, 100),
    "key_result.checked_in.confidence": (0, 10),
    "key_result.check_in_corrected.confidence": (0, 10),
    "outcome_quality": (1, 5),
    "decision.scored.score": (1, 5),
    "process_quality": (1, 5),
    "responses": (1, None),
    "retro.pulse_scored.score": (1, 5),
    "Risk.likelihood": (1, 5),
    "Risk.impact": (1, 5),
}

#: The meaning of each value of an enumeration, keyed by the enum's class name.
ENUM_VALUES: dict[str, dict[str, str]] = {
    "Role": {
        "viewer": "reads the team's items and views",
        "member": "reads, and records check-ins, retro items and the like",
        "lead": "also sets the team's objectives, decisions and delegations",
    },
    "Digest": {
        "off": "each prompt is sent at once (quiet hours permitting)",
        "daily": "prompts are gathered into one message a day",
        "weekly": "prompts are gathered into one message a week",
    },
    "OrgRole": {
        "auditor": "reads everything a verification needs, writes nothing",
        "admin": "manages the directory and credentials",
    },
    "MetricKind": {
        "increase": "the value should rise from start to target",
        "decrease": "the value should fall from start to target",
        "keep_above": "the value should stay at or above the target",
        "keep_below": "the value should stay at or below the target",
        "milestone": "done or not done (e.g. 0 = not done, 1 = done)",
    },
    "Direction": {
        "higher_is_better": "a higher value is better",
        "lower_is_better": "a lower value is better",
    },
    "KpiKind": {
        "leading": "predicts future results (an input the team can steer)",
        "lagging": "reports results after the fact",
    },
    "Position": {
        "agree": "agrees with the decision",
        "disagree_and_commit": "would decide otherwise, and commits to the decision anyway",
        "object": "objects to the decision",
    },
    "Reversibility": {
        "two_way": "a two-way door: cheap to undo, so decide fast",
        "one_way": "a one-way door: expensive or impossible to undo, so decide with care",
    },
    "LinkKind": {
        "objective": "an objective",
        "key_result": "a key result",
        "delegation": "a delegation",
        "action_item": "an action item of a retro",
        "retro_item": "an item of a retro (went well, to improve, an idea)",
        "decision": "another decision",
    },
    "DelegationLevel": {
        "tell": "the delegator decides and tells",
        "sell": "the delegator decides and explains why",
        "consult": "the delegator decides after hearing the owner",
        "agree": "they decide together",
        "advise": "the owner decides after hearing the delegator's advice",
        "inquire": "the owner decides and informs the delegator afterwards",
        "delegate": "the owner decides; the delegator need not be told",
    },
    "CheckInStatus": {
        "on_track": "on track",
        "at_risk": "at risk of missing the desired result or the due date",
        "blocked": "cannot go on without help",
    },
    "ItemKind": {
        "went_well": "something that went well",
        "to_improve": "something to improve",
        "idea": "an idea to try",
    },
}
