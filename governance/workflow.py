"""The approval workflow's rules: which step goes from which state to which, who may take
it, and the gates a version must pass to reach production.

    draft -> submitted -> validated -> approved -> production -> retired
    submitted | validated -> rejected -> submitted      (the author re-submits)
    retired -> production                               (rollback)

Four-eyes, over the version's whole history (every review round, not only the current one):

- Its authors - whoever registered it and everyone who ever submitted it - may never
  validate, reject, approve, promote or roll it back.
- Everyone who ever validated it, in any review round, may never approve, promote or roll
  it back. A rejection starts a new review round; it does not make an earlier validator
  independent of the version they signed off.
- "The validator" of the version as it stands is the actor of the accepted validation since
  its last submission; the waivers that validation gave are the ones that count
  (`current_validation`).

Roles come from group membership only, so superusers get no bypass.
`services.model_version_transition` enforces these rules inside its transaction; the admin
uses `available_actions` to show only the buttons a user may press.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from loanportal.roles import Role, user_roles

from .models import Action, ModelVersion, Transition, VersionState


@dataclass(frozen=True)
class Step:
    roles: tuple[Role, ...]
    from_states: tuple[VersionState, ...]
    # None: the step leaves the state as it is (shadow scoring starts or stops).
    to_state: VersionState | None
    comment_required: bool = False
    # Four-eyes: the version's authors (creator, submitters) may not take this step.
    independent: bool = True


STEPS: dict[Action, Step] = {
    Action.SUBMIT: Step(
        (Role.DATA_SCIENTIST,), (VersionState.DRAFT, VersionState.REJECTED), VersionState.SUBMITTED, independent=False
    ),
    Action.VALIDATE: Step((Role.MODEL_VALIDATOR,), (VersionState.SUBMITTED,), VersionState.VALIDATED),
    Action.REJECT: Step(
        (Role.MODEL_VALIDATOR, Role.MODEL_APPROVER),
        (VersionState.SUBMITTED, VersionState.VALIDATED),
        VersionState.REJECTED,
        comment_required=True,
    ),
    Action.APPROVE: Step((Role.MODEL_APPROVER,), (VersionState.VALIDATED,), VersionState.APPROVED),
    Action.PROMOTE: Step((Role.MODEL_APPROVER,), (VersionState.APPROVED,), VersionState.PRODUCTION),
    Action.RETIRE: Step(
        (Role.MODEL_APPROVER,),
        (VersionState.PRODUCTION, VersionState.APPROVED),
        VersionState.RETIRED,
        independent=False,
    ),
    Action.ROLLBACK: Step(
        (Role.MODEL_APPROVER,), (VersionState.RETIRED,), VersionState.PRODUCTION, comment_required=True
    ),
    # Shadow scoring: a validated or approved version scores production traffic on the side
    # (`monitoring.shadow`); it never changes a decision. Promotion ends it.
    Action.START_SHADOW: Step((Role.MODEL_APPROVER,), (VersionState.VALIDATED, VersionState.APPROVED), None),
    Action.STOP_SHADOW: Step(
        (Role.MODEL_APPROVER,), (VersionState.VALIDATED, VersionState.APPROVED), None, comment_required=True
    ),
}
# Steps that, like approval, nobody who validated the version may take.
INDEPENDENT_OF_VALIDATORS = (Action.APPROVE, Action.PROMOTE, Action.ROLLBACK, Action.START_SHADOW, Action.STOP_SHADOW)
WORKFLOW_ACTIONS = tuple(STEPS)
# The gate a promotion over a production version needs (`monitoring.evidence`), or its waiver.
CHALLENGER_EVIDENCE = "CHALLENGER_EVIDENCE"


def _accepted_actors(version: ModelVersion, action: Action) -> set[int]:
    """Everyone who ever took `action` on `version` and was not refused."""
    return set(version.transitions.filter(action=action, accepted=True).values_list("actor_id", flat=True))


def current_validation(version: ModelVersion) -> Transition | None:
    """The accepted validation since the version's last submission: the review round in
    progress. None before validation, and after a rejection (which ends the round)."""
    accepted = version.transitions.filter(accepted=True).order_by("-created_at", "-id")
    for transition in accepted.only("action", "actor_id", "created_at"):
        if transition.action == Action.VALIDATE:
            return transition
        if transition.action in (Action.SUBMIT, Action.REJECT, Action.REGISTER):
            return None
    return None


def actor_refusal(version: ModelVersion, action: Action, actor: AbstractBaseUser) -> str | None:
    """Why `actor` may not take `action` on `version` (role, four-eyes), or None if they may."""
    step = STEPS[action]
    if not user_roles(actor).intersection(step.roles):
        needed = " or ".join(step.roles)
        return f"Only a {needed} may {action} a version; {actor} is not one."
    someone_else = f"four-eyes review requires someone else to {_verb(action)} it"
    if step.independent and actor.pk in {version.created_by_id, *_accepted_actors(version, Action.SUBMIT)}:
        return f"{actor} authored or submitted {version}; {someone_else}."
    if action in INDEPENDENT_OF_VALIDATORS and actor.pk in _accepted_actors(version, Action.VALIDATE):
        return f"{actor} validated {version}; {someone_else}."
    return None


def review_refusal(version: ModelVersion, actor: AbstractBaseUser) -> str | None:
    """Why `actor` may not review `version` periodically, or None: only a Model Validator
    who did not author, submit or approve it (whoever validated it may; the periodic
    review is second line's, as the validation was)."""
    if Role.MODEL_VALIDATOR not in user_roles(actor):
        return f"Only a {Role.MODEL_VALIDATOR} may review a version; {actor} is not one."
    if actor.pk in {version.created_by_id, *_accepted_actors(version, Action.SUBMIT)}:
        return f"{actor} authored or submitted {version}; four-eyes review requires someone else to review it."
    if actor.pk in _accepted_actors(version, Action.APPROVE) | _accepted_actors(version, Action.PROMOTE):
        return f"{actor} approved {version}; four-eyes review requires someone else to review it."
    return None


VERBS = {Action.ROLLBACK: "roll back", Action.START_SHADOW: "start its shadow", Action.STOP_SHADOW: "stop its shadow"}


def _verb(action: Action) -> str:
    return VERBS.get(action, str(action))


def available_actions(version: ModelVersion, actor: AbstractBaseUser) -> list[Action]:
    """The actions `actor` may take on `version` now (gates and waivers are checked on submit)."""
    in_shadow = version.shadow_since is not None
    return [
        action
        for action, step in STEPS.items()
        if version.state in step.from_states
        and not (action == Action.START_SHADOW and in_shadow)
        and not (action == Action.STOP_SHADOW and not in_shadow)
        and actor_refusal(version, action, actor) is None
    ]


def fairness_gate_ids(version: ModelVersion) -> dict[str, str]:
    """Gate id -> why the training-time fairness screen fails for that attribute."""
    failing = {}
    for attribute, result in version.fairness.items():
        if not result["passes_four_fifths"]:
            worst = min(
                (g for g, row in result["groups"].items() if row["sufficient"]),
                key=lambda g: result["groups"][g]["adverse_impact_ratio"],
            )
            ratio = result["groups"][worst]["adverse_impact_ratio"]
            failing[f"FAIRNESS:{attribute}"] = f"adverse impact ratio {ratio:.3f} for {attribute} = {worst}"
    return failing


def promotion_refusal(version: ModelVersion) -> str | None:
    """Why `version` may not go to production (AUC floor, unwaived fairness gate), or None."""
    floor = version.registered_model.min_auc
    auc = version.metrics.get("roc_auc")
    if auc is None or auc < floor:
        return f"{version} cannot go to production: holdout ROC-AUC {auc} is below the floor {floor}."
    unwaived = {k: why for k, why in fairness_gate_ids(version).items() if k not in version.waivers}
    if unwaived:
        listing = "; ".join(f"{why} (waive as {key!r})" for key, why in unwaived.items())
        return f"{version} cannot go to production: the fairness screen fails the four-fifths rule: {listing}."
    return None
