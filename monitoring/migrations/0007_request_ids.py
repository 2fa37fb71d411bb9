from django.db import migrations, models


class Migration(migrations.Migration):
    """Monitoring actions taken through the API or the admin carry the request's id: runs
    asked for by the API, and the history rows of incidents and policies."""

    dependencies = [("monitoring", "0006_refuse_truncate")]
    operations = [
        migrations.AddField(
            model_name="historicalincident",
            name="request_id",
            field=models.CharField(blank=True, help_text="Empty for jobs and commands.", max_length=64),
        ),
        migrations.AddField(
            model_name="historicalmonitoringpolicy",
            name="request_id",
            field=models.CharField(blank=True, help_text="Empty for jobs and commands.", max_length=64),
        ),
        migrations.AddField(
            model_name="monitoringrun",
            name="request_id",
            field=models.CharField(blank=True, help_text="The API request that asked for the run.", max_length=64),
        ),
    ]
