from monitoring.management.job_command import JOB_HELP, JobCommand
from monitoring.models import JobKind


class Command(JobCommand):
    help = (
        "Performance estimated from the window's predicted probabilities alone (no outcomes), with the backtest "
        "on matured cohorts. " + JOB_HELP
    )
    kind = JobKind.ESTIMATED_PERFORMANCE
