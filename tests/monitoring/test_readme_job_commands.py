"""The README's job command examples ("for operations scripts") run as printed (optional
`[...]` parts left out) and print the JSON object the README describes."""

import json
import re
import shlex
from io import StringIO

import pytest
from django.core.management import call_command

from tests.support import readme_block

pytestmark = pytest.mark.django_db


def readme_job_commands() -> list[list[str]]:
    block = readme_block("sh", "for operations scripts:")
    lines = [re.sub(r"\s*\[[^\]]*\]", "", line) for line in block.splitlines()]
    return [shlex.split(line)[2:] for line in lines if line.startswith("python manage.py run_")]


def test_the_readme_lists_every_job_command():
    assert [args[0] for args in readme_job_commands()] == ["run_drift", "run_fairness", "run_performance"]


@pytest.mark.parametrize("args", readme_job_commands(), ids=lambda args: args[0])
def test_each_readme_job_command_prints_its_runs_as_json(production_version, args):
    out = StringIO()
    call_command(*args, stdout=out)
    printed = json.loads(out.getvalue())
    assert set(printed) == {"job", "model", "window_start", "window_end", "runs"}
    assert (printed["job"], printed["model"]) == (args[0].removeprefix("run_"), "loan-default")
    (run,) = printed["runs"]
    assert run["status"] == "insufficient_data"  # no decisions in the window
