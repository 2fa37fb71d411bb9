"""Writes to the registry: registering versions and moving them through the workflow.

The rules (who may take which step from which state, gates) are in `workflow.py`.
Every action runs in one transaction that locks the registered model (so two actions on
one model never interleave; the loser gets a 409) and the version, checks role, four-eyes
independence and gates, writes the new state with a simple-history change reason, and
appends a `Transition`. A refused action changes nothing and is recorded as refused.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max
from django.utils import timezone
from rest_framework.authtoken.models import Token

from loanportal.history import history_stamp
from loanportal.roles import STAFF_ROLES, Role, roles_forget, user_roles

from .errors import WorkflowConflict, WorkflowError, WorkflowRefused
from .ml.artifact import write_artifact
from .ml.dataset import load_dataset
from .ml.search import DEFAULT_SEARCH, SearchBudget
from .ml.training import TrainingResult, train
from .models import (
    Action,
    EventKind,
    GovernanceEvent,
    ModelVersion,
    RegisteredModel,
    RiskTier,
    Transition,
    VersionState,
)
from .workflow import CHALLENGER_EVIDENCE, STEPS, actor_refusal, fairness_gate_ids, promotion_refusal

if TYPE_CHECKING:
    from monitoring.evidence import ChallengerEvidence

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE for a NOWAIT lock that is held elsewhere

DEFAULT_MODEL_SETTINGS: dict[str, Any] = {
    "purpose": "Probability that a mortgage application defaults, used to approve or decline it.",
    "owner": "Retail Credit Risk",
    "risk_tier": RiskTier.TIER_1,
}


# --- Registration ------------------------------------------------------------


def registered_model_get_or_create(*, name: str) -> RegisteredModel:
    model, _ = RegisteredModel.objects.get_or_create(name=name, defaults=DEFAULT_MODEL_SETTINGS)
    return model


def model_version_register(
    *,
    registered_model: RegisteredModel,
    result: TrainingResult,
    author: User,
    request_id: str = "",
    parent_version: ModelVersion | None = None,
    comment: str = "",
) -> ModelVersion:
    """Store the artifact and register it as the model's next version, in `draft`
    (`parent_version`: the production version a retraining trained it to replace)."""
    path, sha256, size = write_artifact(settings.MODEL_ARTIFACT_DIR, registered_model.name, result.document)
    with transaction.atomic():
        RegisteredModel.objects.select_for_update(no_key=True).get(pk=registered_model.pk)  # serialises numbering
        latest = registered_model.versions.aggregate(latest=Max("version"))["latest"] or 0
        version = ModelVersion(
            registered_model=registered_model,
            version=latest + 1,
            artifact_path=path,
            artifact_sha256=sha256,
            artifact_size=size,
            library_versions=result.library_versions,
            feature_schema=result.feature_schema,
            training_data=result.training_data,
            metrics=result.metrics,
            threshold=result.threshold,
            baseline=result.baseline,
            fairness=result.fairness,
            findings=result.findings,
            experiment=result.experiment,
            calibration=result.calibration,
            parent_version=parent_version,
            created_by=author,
        )
        history_stamp(version, reason="Registered by the training pipeline", user=author)
        version.save()
        _record_transition(
            version,
            Action.REGISTER,
            "",
            VersionState.DRAFT,
            author,
            comment=comment or f"Trained on {result.training_data['file']} ({result.training_data['rows']} rows)",
            request_id=request_id,
        )
    return version


def model_version_train(
    *, data_path: str, model_name: str, seed: int, author: User, search: SearchBudget = DEFAULT_SEARCH
) -> ModelVersion:
    """Train on a labelled CSV with the registered model's policy and register the result."""
    registered_model = registered_model_get_or_create(name=model_name)
    result = train(
        load_dataset(data_path),
        seed=seed,
        search=search,
        protected_attributes=list(registered_model.protected_attributes),
        threshold_policy=registered_model.threshold_policy,
        fixed_threshold=registered_model.fixed_threshold,
        min_auc=registered_model.min_auc,
        fairness_min_group_size=registered_model.fairness_min_group_size,
    )
    return model_version_register(registered_model=registered_model, result=result, author=author)


# --- Workflow ----------------------------------------------------------------


def _waivers_given(
    version: ModelVersion, waivers: dict[str, str], allowed: set[str], actor: AbstractBaseUser
) -> dict[str, dict[str, Any]]:
    """Check the waivers given in this action and stamp them with who gave them and when."""
    given = {}
    for key, justification in waivers.items():
        if key not in allowed:
            raise WorkflowRefused(f"There is nothing to waive under {key!r} for {version}.")
        if not isinstance(justification, str) or not justification.strip():
            raise WorkflowRefused(f"The waiver of {key} needs a written justification.")
        given[key] = {
            "justification": justification.strip(),
            "by": actor.get_username(),
            "at": timezone.now().isoformat(),
        }
    return given


def _set_state(version: ModelVersion, state: VersionState | str, actor: User, reason: str) -> None:
    version.state = state
    history_stamp(version, reason=reason, user=actor)
    version.save(update_fields=["state", "waivers", "shadow_since"])


def _apply(
    version: ModelVersion,
    action: Action,
    actor: User,
    comment: str,
    waivers: dict[str, str],
    request_id: str,
) -> ModelVersion:
    step = STEPS[action]
    if version.state not in step.from_states:
        allowed = ", ".join(step.from_states)
        raise WorkflowConflict(f"{version} is {version.state}; {action} needs it to be {allowed}.")
    refusal = actor_refusal(version, action, actor)
    if refusal:
        raise WorkflowRefused(refusal)
    if step.comment_required and not comment.strip():
        raise WorkflowRefused(f"To {action} {version} a comment saying why is required.")
    details: dict[str, Any] = {}
    given: dict[str, dict[str, Any]] = {}
    current = None
    evidence: ChallengerEvidence | None = None
    if step.to_state == VersionState.PRODUCTION:
        current = (
            ModelVersion.objects.select_for_update(no_key=True)
            .filter(registered_model=version.registered_model, state=VersionState.PRODUCTION)
            .first()
        )
        if action == Action.PROMOTE and current is not None:
            # A first promotion and a rollback need no comparison with the version in production.
            evidence = _challenger_evidence(version, current)

    if action == Action.START_SHADOW:
        if version.shadow_since is not None:
            raise WorkflowConflict(f"{version} is already in shadow (since {version.shadow_since:%Y-%m-%d %H:%M} UTC).")
        version.shadow_since = timezone.now()
        details["shadow_since"] = version.shadow_since.isoformat()
    if action == Action.STOP_SHADOW:
        if version.shadow_since is None:
            raise WorkflowConflict(f"{version} is not in shadow.")
        details["shadow_since"] = version.shadow_since.isoformat()
        version.shadow_since = None
    if action == Action.SUBMIT and not version.findings:
        raise WorkflowRefused(f"{version} has no automated validation findings yet; it cannot be submitted.")
    if action == Action.VALIDATE:
        # Only this validation's own waivers count: an earlier round's ended with its rejection.
        given = _waivers_given(version, waivers, {f["id"] for f in version.findings}, actor)
        open_high = [f["id"] for f in version.findings if f["severity"] == "high" and f["id"] not in given]
        if open_high:
            raise WorkflowRefused(
                f"{version} has high-severity findings without a waiver in this validation: {', '.join(open_high)}. "
                "Waive each with a written justification to validate (an earlier review round's waivers do not carry "
                "over)."
            )
    elif waivers and action in (Action.PROMOTE, Action.ROLLBACK):
        waivable = set(fairness_gate_ids(version))
        if evidence is not None and not evidence.met:
            waivable.add(CHALLENGER_EVIDENCE)
        given = _waivers_given(version, waivers, waivable, actor)
    elif waivers:
        raise WorkflowRefused(f"Waivers are given when validating or promoting, not to {action}.")
    if given:
        details["waivers"] = given
        version.waivers = {**version.waivers, **given}
    if action == Action.REJECT:
        # A rejection ends the review round: its findings' waivers belong to that round and
        # stay in its validation's transition record, not on the version.
        finding_ids = {f["id"] for f in version.findings}
        withdrawn = sorted(key for key in version.waivers if key in finding_ids)
        if withdrawn:
            details["waivers_withdrawn"] = withdrawn
            version.waivers = {k: v for k, v in version.waivers.items() if k not in finding_ids}

    if step.to_state == VersionState.PRODUCTION:
        refusal = promotion_refusal(version)
        if refusal:
            raise WorkflowRefused(refusal)
        if evidence is not None:
            waived = CHALLENGER_EVIDENCE in version.waivers
            if not evidence.met and not waived:
                raise WorkflowRefused(
                    f"{version} cannot go to production: the gate {CHALLENGER_EVIDENCE} is not met: "
                    f"{evidence.refusal}. "
                    f"Compare it with {current} (run_comparison, or POST /api/v1/monitoring/comparisons/run/), or "
                    f"waive as {CHALLENGER_EVIDENCE!r} with a written justification."
                )
            details["challenger_evidence"] = {**evidence.as_json(), "waived": waived}
        if version.shadow_since is not None:
            # Promotion ends the version's shadow: it now decides the traffic it shadowed.
            details["shadow_ended"] = {"shadow_since": version.shadow_since.isoformat()}
            version.shadow_since = None
        if current is not None:
            _set_state(current, VersionState.RETIRED, actor, f"retire: superseded by v{version.version}")
            _record_transition(
                current,
                Action.RETIRE,
                VersionState.PRODUCTION,
                VersionState.RETIRED,
                actor,
                comment=f"Superseded by v{version.version} ({action})",
                details={"superseded_by": version.pk},
                request_id=request_id,
            )
            details["retired_version"] = current.pk

    from_state = version.state
    to_state = step.to_state or from_state
    transition = _record_transition(
        version, action, from_state, to_state, actor, comment=comment, details=details, request_id=request_id
    )
    # Each stored waiver names the transition that gave it (the validation, or the promotion).
    version.waivers = {
        **version.waivers,
        **{key: {**waiver, "transition": transition.pk} for key, waiver in given.items()},
    }
    _set_state(version, to_state, actor, f"{action}: {comment}" if comment else action)
    return version


def _challenger_evidence(version: ModelVersion, current: ModelVersion) -> "ChallengerEvidence":
    # Imported here: monitoring builds on the registry, so governance does not import it at
    # module level; the gate reads monitoring's comparisons.
    from monitoring.evidence import challenger_evidence

    return challenger_evidence(version=version, champion=current)


def model_version_transition(
    *,
    version_id: int,
    action: Action | str,
    actor: User,
    comment: str = "",
    waivers: dict[str, str] | None = None,
    request_id: str = "",
) -> ModelVersion:
    """Take one workflow action on a version; raise a `WorkflowError` if it is not allowed.

    `ModelVersion.DoesNotExist` propagates for an unknown id.
    """
    action = Action(action)
    if action not in STEPS:
        raise WorkflowRefused(f"{action} is not a workflow action.")
    model_id = ModelVersion.objects.values_list("registered_model_id", flat=True).get(pk=version_id)
    try:
        with transaction.atomic():
            # NO KEY UPDATE: workflow changes no keys, so rows that merely reference these
            # (a refusal record) need not wait for the lock holder.
            RegisteredModel.objects.select_for_update(nowait=True, no_key=True).get(pk=model_id)
            version = (
                ModelVersion.objects.select_for_update(no_key=True)
                .select_related("registered_model")
                .get(pk=version_id)
            )
            return _apply(version, action, actor, comment, waivers or {}, request_id)
    except WorkflowError as refusal:
        _record_refusal(version_id, action, actor, comment, refusal.message, request_id)
        raise
    except (OperationalError, IntegrityError) as exc:
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        conflict = WorkflowConflict(
            "Another workflow action on this model is in progress or just changed it; nothing was changed. "
            "Reload the version and try again."
        )
        _record_refusal(version_id, action, actor, comment, conflict.message, request_id)
        raise conflict from exc


def _record_refusal(version_id: int, action: Action, actor: User, comment: str, reason: str, request_id: str) -> None:
    version = ModelVersion.objects.only("state").get(pk=version_id)
    _record_transition(
        version,
        action,
        version.state,
        version.state,
        actor,
        accepted=False,
        comment=comment,
        reason=reason,
        request_id=request_id,
    )


def _record_transition(
    version: ModelVersion,
    action: Action,
    from_state: str,
    to_state: str,
    actor: User,
    *,
    accepted: bool = True,
    comment: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    request_id: str = "",
) -> Transition:
    return Transition.objects.create(
        version=version,
        action=action,
        from_state=from_state,
        to_state=to_state,
        accepted=accepted,
        actor=actor,
        actor_roles=sorted(user_roles(actor)),
        comment=comment,
        reason=reason,
        details=details or {},
        request_id=request_id,
    )


# --- Users and tokens ----------------------------------------------------------


def portal_user_provision(
    *,
    username: str,
    role: Role,
    password: str | None = None,
    check_password: bool = True,
    actor: User | None = None,
) -> User:
    """Create the user if needed and give them `role`; staff roles may use the admin.

    Raises `django.core.exceptions.ValidationError` for a password the validators refuse.
    """
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=username)
        if password:
            if check_password:
                validate_password(password, user)
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.is_staff = user.is_staff or role in STAFF_ROLES
        user.save()
        # The roles migration creates every group; get_or_create keeps provisioning working
        # if one was deleted since (or flushed away between transactional tests).
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        roles_forget(user)
        GovernanceEvent.objects.create(
            kind=EventKind.USER_PROVISIONED,
            actor=actor,
            summary=f"{username} {'created' if created else 'updated'} with role {role}",
            details={"username": username, "role": str(role), "created": created, "password_set": bool(password)},
        )
    return user


def api_token_issue(*, user: User) -> str:
    """The user's API token, created on first request."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def audit_export_record(
    *,
    actor: User,
    filters: dict[str, str],
    rows: int,
    registered_model: RegisteredModel | None = None,
    request_id: str = "",
) -> GovernanceEvent:
    """Record that someone exported the audit trail, with which filters, and the model
    when the export was of one model's trail."""
    return GovernanceEvent.objects.create(
        kind=EventKind.AUDIT_EXPORTED,
        actor=actor,
        registered_model=registered_model,
        summary=f"Audit trail exported: {rows} transitions",
        details={"filters": filters, "rows": rows},
        request_id=request_id,
    )


def inventory_export_record(*, actor: User, rows: int, request_id: str = "") -> GovernanceEvent:
    """Record that someone exported the model inventory."""
    return GovernanceEvent.objects.create(
        kind=EventKind.INVENTORY_EXPORTED,
        actor=actor,
        summary=f"Model inventory exported: {rows} models",
        details={"rows": rows},
        request_id=request_id,
    )


def api_token_rotate(*, user: User, actor: User | None = None) -> str:
    """Replace the user's API token; the old one stops working at once."""
    with transaction.atomic():
        had_token = Token.objects.filter(user=user).delete()[0] > 0
        key = Token.objects.create(user=user).key
        GovernanceEvent.objects.create(
            kind=EventKind.TOKEN_ROTATED,
            actor=actor,
            summary=f"API token of {user.get_username()} rotated",
            details={"username": user.get_username(), "replaced_existing": had_token},
        )
    return key


def api_token_revoke(*, user: User, actor: User | None = None) -> bool:
    """Delete the user's API token; returns whether there was one."""
    with transaction.atomic():
        revoked = Token.objects.filter(user=user).delete()[0] > 0
        GovernanceEvent.objects.create(
            kind=EventKind.TOKEN_REVOKED,
            actor=actor,
            summary=f"API token of {user.get_username()} "
            + ("revoked" if revoked else "revoke requested; none existed"),
            details={"username": user.get_username(), "revoked": revoked},
        )
    return revoked
