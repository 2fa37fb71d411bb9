from monitoring.management.job_command import JOB_HELP, JobCommand
from monitoring.models import JobKind


class Command(JobCommand):
    help = "PSI drift of every input field and the score against the frozen baseline. " + JOB_HELP
    kind = JobKind.DRIFT
