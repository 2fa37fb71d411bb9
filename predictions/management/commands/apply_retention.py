import json
from typing import Any

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from predictions.services import decision_log_retention_apply


class Command(BaseCommand):
    help = (
        "Remove applicant inputs from decision-log rows older than DECISION_LOG_RETENTION_DAYS, keeping "
        "decision, score and version; records a governance event and prints it as JSON."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        event = decision_log_retention_apply()
        result = {"event_id": event.pk, "summary": event.summary, **event.details}
        self.stdout.write(json.dumps(result, cls=DjangoJSONEncoder, indent=2))
