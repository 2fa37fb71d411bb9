from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.ml.demo_data import generate, write_csv
from governance.models import Action, ModelVersion, VersionState
from governance.retraining_demo import retraining_demo_run
from governance.selectors import production_version
from governance.services import api_token_issue, model_version_train, model_version_transition, portal_user_provision
from governance.workflow import fairness_gate_ids
from loanportal.roles import Role
from monitoring.challenger_demo import demo_comparison_create
from monitoring.demo import DEMO_SEARCH, DemoContext, demo_history_build

DEMO_ROLES = {
    "author": Role.DATA_SCIENTIST,
    "validator": Role.MODEL_VALIDATOR,
    "approver": Role.MODEL_APPROVER,
    "compliance": Role.COMPLIANCE_OFFICER,
    "api-client": Role.API_CLIENT,
}
DEMO_ROWS = 20000
DEMO_WAIVER = (
    "Demo bootstrap: reviewed and accepted for demonstration only; the segment is a known "
    "artifact of the public Loan Default data set."
)


def demo_password(username: str) -> str:
    return f"{username}-demo-password"


# The demo's past already holds outcomes to replay over; a little live traffic shows shadow
# scoring's input too.
DEMO_CHALLENGER_TRAFFIC = 1000


class Command(BaseCommand):
    help = (
        "Set up a demo portal (idempotent): roles and demo users, a trained version taken to "
        "production through the workflow by distinct users, a month of its decisions with a shift "
        "at the end and the monitoring jobs run over them (monitoring.demo), a candidate version "
        "waiting for validation, and an API client token."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", help="Labelled CSV to train on (default: generated demo data).")
        parser.add_argument(
            "--history-days",
            type=int,
            default=30,
            help="Days of demo decisions before today (monitoring.demo), the shift in the last three (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("bootstrap_demo creates users with published passwords; it runs only with DEMO_MODE on.")
        users = {
            name: portal_user_provision(username=name, role=role, password=demo_password(name), check_password=False)
            for name, role in DEMO_ROLES.items()
        }
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", demo_password("admin"))

        model_name = settings.DEFAULT_MODEL_NAME
        version = production_version(model_name=model_name)
        if version is None:
            version = self._take_to_production(model_name, users, options["data"])
        context = DemoContext(
            version=version,
            client=users["api-client"],
            author=users["author"],
            data_path=options["data"] or self._demo_csv(),
            days=options["history_days"],
        )
        for line in demo_history_build(context=context):
            self.stdout.write(line)
        # A filled comparison page with the promotion gate on the model card, and a finished
        # retraining run with its draft candidate (README "Challenger evaluation", "Retraining").
        comparison = demo_comparison_create(
            model_name=model_name, data_path=context.data_path, users=users, applications=DEMO_CHALLENGER_TRAFFIC
        )
        self.stdout.write(
            f"Challenger comparison: {comparison.challenger} against {comparison.champion} "
            f"over {comparison.n_decisions:,} decisions, {comparison.n_outcomes:,} with outcomes."
        )
        run = retraining_demo_run(model_name=model_name, client=users["api-client"])
        self.stdout.write(f"Retraining run {run.pk}: {run.state}, draft candidate {run.candidate}.")
        tokens = {name: api_token_issue(user=user) for name, user in users.items()}

        self.stdout.write(
            f"Production model: {version} (version id {version.pk}, holdout ROC-AUC {version.metrics['roc_auc']:.4f})"
        )
        self.stdout.write("Demo users (username / password / role):")
        self.stdout.write(f"  admin / {demo_password('admin')} / superuser (no workflow role)")
        for name, role in DEMO_ROLES.items():
            self.stdout.write(f"  {name} / {demo_password(name)} / {role}")
        self.stdout.write("API tokens (Authorization: Token <token>):")
        for name, token in tokens.items():
            self.stdout.write(f"  API token of {name}: {token}")

    def _demo_csv(self) -> str:
        """The generated training data, written on first use."""
        path = settings.VAR_DIR / "demo" / "loan_default_demo.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_csv(generate(DEMO_ROWS, seed=42), path)
        return str(path)

    def _take_to_production(self, model_name: str, users: dict[str, Any], data: str | None) -> ModelVersion:
        version = ModelVersion.objects.filter(registered_model__name=model_name).order_by("-version").first()
        if version is None or version.state in (VersionState.REJECTED, VersionState.RETIRED):
            data = data or self._demo_csv()
            self.stdout.write(f"Training {model_name} on {data} ...")
            version = model_version_train(
                data_path=data, model_name=model_name, seed=42, author=users["author"], search=DEMO_SEARCH
            )
        steps: dict[str, tuple[Action, str, dict[str, str]]] = {
            VersionState.DRAFT: (Action.SUBMIT, "author", {}),
            VersionState.SUBMITTED: (
                Action.VALIDATE,
                "validator",
                {f["id"]: DEMO_WAIVER for f in version.findings if f["severity"] == "high"},
            ),
            VersionState.VALIDATED: (Action.APPROVE, "approver", {}),
            VersionState.APPROVED: (Action.PROMOTE, "approver", {k: DEMO_WAIVER for k in fairness_gate_ids(version)}),
        }
        while version.state != VersionState.PRODUCTION:
            action, who, waivers = steps[version.state]
            version = model_version_transition(
                version_id=version.pk,
                action=action,
                actor=users[who],
                comment=f"Demo bootstrap: {action} by the demo {who}.",
                waivers=waivers,
            )
            self.stdout.write(f"  {who} {action}: {version} is now {version.state}")
        return version
