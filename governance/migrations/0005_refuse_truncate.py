from django.db import migrations

from loanportal.audit import truncate_refusal_operations


class Migration(migrations.Migration):
    """TRUNCATE fires no row-level trigger: refuse it on the audit tables too."""

    dependencies = [("governance", "0004_transition_actor_roles")]
    operations = truncate_refusal_operations(
        "governance_transition",
        "governance_governanceevent",
        "governance_historicalmodelversion",
        "governance_historicalregisteredmodel",
    )
