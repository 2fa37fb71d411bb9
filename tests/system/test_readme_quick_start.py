"""The README's quick start as a newcomer follows it: `make run` on a fresh checkout with
nothing configured (SQLite, no Redis), then the README's curl example with the token
`make run` printed, which must answer what the README shows, the other examples (token
one-liner, validation, the training, evaluation and retention commands) as printed, and
Ctrl-C stops it all.

The checkout is a copy of the tracked files in a temporary folder, so the test's database,
model artifacts and broker files never meet the developer's; it uses the virtualenv the
tests run in (`make -o` marks it installed), since installing is what CI itself does.
"""

import json
import os
import re
import shutil
import signal
import subprocess  # nosec B404
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import README, readme_block

from .support import ROOT, Process, free_port, request, wait_for

pytestmark = pytest.mark.system

START_TIMEOUT = 300.0  # migrations and training the demo model on a fresh SQLite database
STOP_TIMEOUT = 60.0
TOKEN_LINE = re.compile(r"^\s*API token of api-client: (\w+)$", re.MULTILINE)
TOKEN_LINES = re.compile(r"^\s*API token of ([\w-]+): (\w+)$", re.MULTILINE)
# The variables a newcomer's shell has; nothing of the portal's own.
SHELL_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")


def fresh_checkout(destination: Path) -> Path:
    """Copy the files git tracks, which is what a fresh clone holds."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to copy the tracked files from")
    listing = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        if (ROOT / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / name)
    return destination


def curl(command: str, token: str, **variables: str) -> Any:
    """Run a README curl command in bash with `$TOKEN` (and `variables`) set; its output
    parsed as JSON."""
    done = subprocess.run(  # nosec B603 B607
        ["bash", "-c", command],
        env={**os.environ, "TOKEN": token, **variables},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_readme_curl_example_answers_as_documented_on_a_fresh_make_run(tmp_path: Path) -> None:
    if shutil.which("make") is None or shutil.which("curl") is None:
        pytest.skip("needs make and curl, as the README's quick start does")
    checkout = fresh_checkout(tmp_path / "checkout")
    port = free_port()
    venv = Path(sys.prefix)
    portal = Process(
        "make run",
        ["make", "-o", str(venv / ".installed"), "run", f"VENV={venv}", f"PORT={port}"],
        {name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ},
        tmp_path / "make-run.log",
        cwd=checkout,
    )
    try:

        def serving() -> bool:
            portal.expect_alive()
            if not TOKEN_LINE.search(portal.output()):
                return False
            try:
                return request(port, "GET", "/health/", timeout=1).status == 200
            except OSError:
                return False

        wait_for(serving, timeout=START_TIMEOUT, what="make run serving", interval=0.5, log=portal)
        token = TOKEN_LINE.search(portal.output()).group(1)
        address = f"http://127.0.0.1:{port}/"

        score = re.sub(r"^export TOKEN=.*\n", "", readme_block("sh", "score an application:"), flags=re.MULTILINE)
        answer = curl(score.replace("http://127.0.0.1:8000/", address), token)

        documented = json.loads(readme_block("json", "201 Created"))
        assert answer.keys() == documented.keys()
        assert uuid.UUID(answer["prediction_id"]).version == 7
        assert datetime.fromisoformat(answer["timestamp"])
        for field in ("model", "model_version", "prediction", "prediction_label", "decision", "risk_band"):
            assert answer[field] == documented[field], field
        for field in ("probability_default", "probability_no_default", "threshold"):
            assert answer[field] == pytest.approx(documented[field], abs=1e-5), field
        assert answer["reason_codes"] == [
            {**code, "contribution": pytest.approx(code["contribution"], abs=1e-6)}
            for code in documented["reason_codes"]
        ]

        read_back = re.search(r"`(curl -sS http://127\.0\.0\.1:8000/api/v1/predictions/<prediction_id>/[^`]*)`", README)
        assert read_back, "the README's read-back example is missing"
        command = read_back.group(1).replace("http://127.0.0.1:8000/", address)
        logged = curl(command.replace("<prediction_id>", answer["prediction_id"]), token)
        assert logged["prediction_id"] == answer["prediction_id"]
        assert logged["decision"] == answer["decision"]

        check_the_other_examples(checkout, venv, port, address, dict(TOKEN_LINES.findall(portal.output())))
    finally:
        stopped = stop_like_ctrl_c(portal)
    assert stopped, f"make run and what it started were still running {STOP_TIMEOUT:.0f} s after Ctrl-C"


def check_the_other_examples(checkout: Path, venv: Path, port: int, address: str, tokens: dict[str, str]) -> None:
    """The front page, the token one-liner and the validation example, as printed."""
    assert set(tokens) == {"author", "validator", "approver", "compliance", "api-client"}
    front = request(port, "GET", "/")
    assert front.status == 200 and b'href="/admin/"' in front.body and b'href="/api/docs/"' in front.body
    missing = request(port, "GET", "/api/v1/no-such-endpoint/")
    assert (missing.status, missing.json()) == (404, {"detail": "Not found.", "errors": {}})

    one_liner = re.search(r"`(\.venv/bin/python manage\.py shell -v 0 -c [^`]*)`", README)
    assert one_liner, "the README's token one-liner is missing"
    printed = subprocess.run(  # nosec B603 B607
        ["bash", "-c", one_liner.group(1).replace(".venv/", f"{venv}/", 1)],
        cwd=checkout,
        # The newcomer's shell, as `make run` had: no DATABASE_URL of the test run's own.
        env={name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert dict(line.split() for line in printed.stdout.splitlines()) == tokens

    validate = re.sub(
        r"^export VALIDATOR_TOKEN=.*\n", "", readme_block("sh", "validate it, waiving"), flags=re.MULTILINE
    )
    version = curl(validate.replace("http://127.0.0.1:8000/", address), "", VALIDATOR_TOKEN=tokens["validator"])
    assert (version["version"], version["state"]) == (2, "validated"), version

    check_the_command_examples(checkout, venv)


def readme_commands(after: str) -> list[str]:
    """The `python manage.py` lines of the first sh block after `after`, continuation lines
    joined and optional `[...]` parts left out."""
    block = readme_block("sh", after).replace("\\\n", " ")
    lines = [re.sub(r"\s*\[[^\]]*\]", "", line).strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("python manage.py ")]


def digits_as_n(text: str) -> str:
    """A line's shape: every number replaced, so timings and scores may differ."""
    return re.sub(r"\d+(?:\.\d+)?", "N", text)


def check_the_command_examples(checkout: Path, venv: Path) -> None:
    """The training and retention command examples, as printed, in the newcomer's shell on
    the database `make run` filled; their output against the README's."""
    shell = {name: os.environ[name] for name in SHELL_VARIABLES if name in os.environ}

    def start(line: str) -> subprocess.Popen[str]:
        command = line.replace("python manage.py ", f"{venv}/bin/python manage.py ", 1)
        return subprocess.Popen(  # nosec B603 B607
            ["bash", "-c", command], cwd=checkout, env=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def output(process: subprocess.Popen[str]) -> str:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, (process.args, err)
        return out

    generate, train, evaluate = readme_commands("## Models: training, artifacts, validation")
    (retention,) = [line for line in readme_commands("for operations scripts:") if "apply_retention" in line]
    assert output(start(generate)).startswith("Wrote 20000 synthetic applications to var/demo.csv")
    # Training takes the longest; the examples that do not need its version run meanwhile.
    training = start(train)
    evaluated, retained = json.loads(output(start(evaluate))), json.loads(output(start(retention)))
    trained = output(training).splitlines()

    documented = readme_block("text", "registers version 5").splitlines()
    assert trained[0].startswith("Registered loan-default v5 as version id 5 (draft), threshold 0.")
    assert [digits_as_n(line) for line in trained[:3]] == [digits_as_n(line) for line in documented[:3]]
    assert trained[3].startswith("Candidates (3-fold CV on the training part;")
    assert "Validation findings:" in trained and any(line.startswith("  [high] ") for line in trained)

    expected = json.loads(readme_block("json", "as one\nJSON object:"))
    assert evaluated.keys() == expected.keys()
    # The demo's production version on the same generated file: the same figures.
    assert evaluated == {k: pytest.approx(v, abs=1e-6) if isinstance(v, float) else v for k, v in expected.items()}

    expected = json.loads(readme_block("json", "`python manage.py apply_retention` prints that event"))
    assert retained.keys() == expected.keys()
    assert (retained["retention_days"], retained["decisions_cleared"]) == (760, 0)
    assert digits_as_n(retained["summary"]) == digits_as_n(expected["summary"])
    assert datetime.fromisoformat(retained["cutoff"])


def stop_like_ctrl_c(portal: Process) -> bool:
    """Interrupt the whole process group, as Ctrl-C in the terminal does; whether every
    process in it (make, gunicorn, Celery worker and beat) exited within STOP_TIMEOUT.
    Whatever is left is killed."""
    portal.kill(signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        portal.popen.poll()  # reap make itself
        try:
            os.killpg(portal.popen.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    portal.kill()
    return False
