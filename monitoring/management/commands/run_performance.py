from monitoring.management.job_command import JOB_HELP, JobCommand
from monitoring.models import JobKind


class Command(JobCommand):
    help = "Realized performance per application cohort from recorded outcomes. " + JOB_HELP
    kind = JobKind.PERFORMANCE
