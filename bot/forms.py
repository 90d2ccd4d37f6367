"""Form submissions as the commands someone could have typed.

Both platforms show the same small forms (Slack modals, Teams card inputs);
a submission becomes the command line that would have done the same, so the
grammar stays the one way in. People arrive already written as the platform
names them (``<@U123>``, ``<@aad-object-id>`` or an email address).
"""

from __future__ import annotations

# The forms, by the id both platforms give them (Slack callback id, Teams card data).
FORMS = (
    "action.show",
    "action.done",
    "action.due",
    "action.reassign",
    "action.update",
    "action.assign",
    "cetr.record",
    "network.review-remove",
    "network.review-keep",
)


def submission_text(form: str, *, number: object, values: dict[str, str]) -> str | None:
    """The command line (without the command) for one form submission.

    Date pickers give ISO dates (2026-12-11), which the grammar reads as typed.
    """
    if form == "action.show":
        return f"show {number}"
    if form in ("network.review-remove", "network.review-keep"):
        return f"review {number} {form.rpartition('-')[2]}"
    if form == "action.done":
        return f"done {number} {values.get('evidence', '')}".strip()
    if form == "action.due":
        return f"due {number} {values.get('due', '')} {values.get('reason', '')}".strip()
    if form == "action.reassign":
        return f"reassign {number} {values.get('owner', '')} {values.get('reason', '')}".strip()
    if form == "action.update":
        return f"update {number} {values.get('note', '')}".strip()
    if form == "cetr.record":
        line = f"record {values.get('kind', '')} {values.get('held', '')}"
        if values.get("chair"):
            line += f" --chair {values['chair']}"
        for name in ("clinical_expert", "expert_by_experience"):
            if values.get(name):
                # Quotes delimit the option's value, so none may be inside it.
                given = values[name].replace('"', "'")
                line += f' --{name.replace("_", "-")} "{given}"'
        for flag in filter(None, values.get("flags", "").split(",")):
            line += f" --{flag}"
        return line
    if form == "action.assign":
        agency = values.get("agency", "")
        text = (
            f"assign {values.get('owner', '')} {values.get('text', '')} by {values.get('due', '')}"
        )
        return f'{text} --agency "{agency}"' if agency else text
    return None
