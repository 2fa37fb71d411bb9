from monitoring.management.job_command import JOB_HELP, JobCommand
from monitoring.models import JobKind


class Command(JobCommand):
    help = "Group fairness of decisions per protected attribute. " + JOB_HELP
    kind = JobKind.FAIRNESS
