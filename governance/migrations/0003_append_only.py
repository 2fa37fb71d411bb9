from django.db import migrations

from loanportal.audit import append_only_trigger_operations


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_roles")]
    operations = append_only_trigger_operations(
        "governance_transition",
        "governance_governanceevent",
        "governance_historicalmodelversion",
        "governance_historicalregisteredmodel",
    )
