from monitoring.management.job_command import JOB_HELP, JobCommand
from monitoring.models import JobKind


class Command(JobCommand):
    help = (
        "Input data quality per field: refusals by rule, missing, out-of-range and unseen-category shares. " + JOB_HELP
    )
    kind = JobKind.DATA_QUALITY
