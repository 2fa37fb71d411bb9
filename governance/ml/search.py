"""Candidate models for a labelled training table, chosen by cross-validated ROC-AUC.

Pure: arrays in, a leaderboard and the winning model out; no Django.

Every candidate is scored by stratified k-fold cross-validation on the training part
only; the holdout is never fitted on and never used to choose.

* The logistic-regression baseline (`logistic.logistic_pipeline`), fitted on each fold's
  training rows.
* LightGBM under a bounded hyperparameter search around `LIGHTGBM_PARAMS`
  (`SEARCH_SPACE`): Optuna's TPE sampler, seeded and run one trial at a time, so the same
  data, seed and budget give the same trials. Trial 0 is always the reference
  configuration `LIGHTGBM_PARAMS`; TPE draws its first 10 trials at random (its start-up
  trials) and models the results after that. Inside each fold a stratified
  `EARLY_STOPPING_SHARE` of the fold's training rows stops the boosting early, as in the
  final fit, and the fold's held-out rows give its AUC.

Each candidate is then fitted as it would be registered (on the fit rows, stopping early
on the early-stopping rows) and scored on the holdout by the code the artifact uses. The
winner is the candidate with the best mean CV AUC.

Rows: the cross-validation and those fits run on at most `rows` rows of the training part
(`search_sample`: all of it when it fits, else a stratified sample drawn with the seed,
split again into fit and early-stopping rows). A trial's cost grows with its rows, and on
half a million rows one trial took minutes; the ranking of configurations settles long
before that. When the search ran on a sample, the winner is fitted again on the whole
training part, and that fit is the registered model and its holdout AUC; the other
candidates' holdout AUCs are of their fits on the sample (the winner's is kept beside its
final one, so the column stays comparable). The reference configuration's fit on the whole
training part starts with the search, on a thread of its own: it is the longest fit of the
run and usually the winner's; when another candidate wins, that one is fitted after the search.

Budget: at most `trials` LightGBM trials, `seconds` of wall time for the search (the final
fit on the whole training part is not counted) and `rows` rows to search on.
Once the time is up no trial starts, and a running trial with a fold still to start is
dropped: it is no candidate. The baseline and the reference trial are always evaluated,
whatever the time, so every search has a LightGBM and a logistic candidate. A search cut
short by the seconds says so in its summary; only a search that the trials bound is
reproducible, since how far the seconds reach depends on the machine.

A candidate's fits (one per fold and the final one) run side by side on the cores, each
on one thread, so the result does not depend on how many cores there are.
"""

import math
import os
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any, cast

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from .artifact import ModelKind
from .logistic import LOGISTIC_PARAMS, PIPELINE_DESCRIPTION, logistic_export, logistic_pipeline
from .scorer import LIGHTGBM_NATIVE, LogisticModel

# Three folds rather than five: on two cores a trial then costs about half as much, so the
# default budget searches four configurations instead of two.
CV_FOLDS = 3
EARLY_STOPPING_SHARE = 0.10
MAX_ROUNDS = 2000
EARLY_STOPPING_ROUNDS = 100
# One thread per fit, and fits side by side on the cores instead (`candidate_search`): a
# fit's result then cannot depend on the machine, and OpenMP threads that spin waiting for
# each other on a busy machine cost several times the work they share.
LIGHTGBM_THREADS = 1
LIGHTGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 255,
    "metric": "auc",
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
# On the 119,411-row Loan Default file and two idle cores the four trials take about 32 s
# and the whole of train_model under 40 s; the seconds keep a busy machine within a minute.
DEFAULT_TRIALS = 4
DEFAULT_SECONDS = 40.0
# Above the 95,528 training rows of the Loan Default file, so train_model on it searches all
# of them; on the retraining benchmark's 495,528 a trial on this many costs a sixth (a fit's
# cost grows faster than its rows), and the ranking of configurations holds.
DEFAULT_ROWS = 100_000
# Three stratified folds with an early-stopping share inside each need a few hundred rows of
# each class; below this a sample says little about a configuration.
MIN_SEARCH_ROWS = 1_000


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float
    log: bool = False
    integer: bool = False


# Around the reference values, wide enough to matter, bounded so a trial stays affordable
# (a smaller learning rate needs proportionally more rounds).
SEARCH_SPACE: dict[str, Bounds] = {
    "learning_rate": Bounds(0.03, 0.2, log=True),
    "num_leaves": Bounds(15, 127, log=True, integer=True),
    "min_data_in_leaf": Bounds(20, 400, log=True, integer=True),
    "feature_fraction": Bounds(0.5, 1.0),
    "bagging_fraction": Bounds(0.5, 1.0),
    "lambda_l2": Bounds(0.01, 30.0, log=True),
}


@dataclass(frozen=True)
class SearchBudget:
    """At most `trials` LightGBM trials (the reference one included), `seconds` of search and
    `rows` rows of the training part to cross-validate on."""

    trials: int = DEFAULT_TRIALS
    seconds: float = DEFAULT_SECONDS
    rows: int = DEFAULT_ROWS

    def __post_init__(self) -> None:
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            raise ValueError(f"The search needs a whole number of at least 1 trial, not {self.trials!r}.")
        if isinstance(self.rows, bool) or not isinstance(self.rows, int) or self.rows < MIN_SEARCH_ROWS:
            raise ValueError(f"The search needs a whole number of at least {MIN_SEARCH_ROWS} rows, not {self.rows!r}.")
        number = isinstance(self.seconds, int | float) and not isinstance(self.seconds, bool)
        if not number or not math.isfinite(self.seconds) or self.seconds <= 0:
            raise ValueError(f"The search needs a positive, finite number of seconds, not {self.seconds!r}.")


DEFAULT_SEARCH = SearchBudget()


@dataclass(frozen=True)
class TrainingTable:
    """A model matrix, its labels and what the candidates need to know of its columns."""

    matrix: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    categories: dict[int, int]  # categorical column -> number of categories in the schema


@dataclass(frozen=True)
class Split:
    """Rows of a training table: fitted on; stopping the boosting early and choosing the
    threshold; held out. The first two are the training part."""

    fit_rows: np.ndarray
    stop_rows: np.ndarray
    holdout_rows: np.ndarray

    @property
    def train_rows(self) -> np.ndarray:
        return np.sort(np.concatenate([self.fit_rows, self.stop_rows]))


@dataclass(frozen=True)
class Candidate:
    """One evaluated candidate: a row of the leaderboard."""

    name: str
    kind: ModelKind
    params: dict[str, Any]
    fold_auc: list[float]
    holdout_auc: float
    seconds: float
    fitted_rows: int  # training rows of the model behind `holdout_auc`
    boosting_rounds: int | None = None
    # The winner refitted on the whole training part: its holdout AUC as fitted on the sample.
    sample_holdout_auc: float | None = None

    @property
    def cv_auc_mean(self) -> float:
        return float(np.mean(self.fold_auc))

    @property
    def cv_auc_std(self) -> float:
        """Standard deviation over the folds (numpy's default: divided by the number of folds)."""
        return float(np.std(self.fold_auc))


@dataclass(frozen=True)
class SearchResult:
    candidates: list[Candidate]  # best mean CV AUC first; ties in the order evaluated
    winner_model: str | dict[str, Any]  # LightGBM text or the logistic export of the winner
    budget: SearchBudget
    trials_run: int
    seconds: float
    stopped_by: str  # "trials" or "seconds"
    split: Split
    folds: list[tuple[np.ndarray, np.ndarray]]  # (training rows, validation rows) of each fold
    seed: int
    search_rows: np.ndarray  # the training rows cross-validated on: all, or the sample
    # The winner's probabilities on the holdout rows, scored from its exported model (the
    # text or numbers the artifact stores), so training need not score them again.
    winner_holdout_scores: np.ndarray
    final_fit_seconds: float = 0.0  # the winner's refit on the whole training part, when sampled
    final_fit_ahead: bool = False  # that refit was the reference's, made beside the search

    @property
    def sampled(self) -> bool:
        return len(self.search_rows) < len(self.split.train_rows)

    def rows_sentence(self) -> str:
        """Which rows the cross-validation ran on, in the words the leaderboard and the run show."""
        n, m = len(self.search_rows), len(self.split.train_rows)
        if not self.sampled:
            return f"cross-validated on all {m:,} training rows"
        return (
            f"cross-validated on {n:,} of {m:,} training rows (a sample stratified by the label, seed "
            f"{self.seed}); the winner {self.winner.name} fitted again on all {m:,}"
        )

    @property
    def winner(self) -> Candidate:
        return self.candidates[0]

    def leaderboard(self) -> list[dict[str, Any]]:
        """The candidates as JSON-ready rows, ranked."""
        return [
            {
                "rank": rank,
                "candidate": c.name,
                "kind": str(c.kind),
                "params": c.params,
                "cv_roc_auc_mean": c.cv_auc_mean,
                "cv_roc_auc_std": c.cv_auc_std,
                "cv_roc_auc_folds": c.fold_auc,
                "holdout_roc_auc": c.holdout_auc,
                "training_seconds": c.seconds,
                "boosting_rounds": c.boosting_rounds,
                "winner": rank == 1,
                "cv_rows": len(self.search_rows),
                "training_rows": len(self.split.train_rows),
                "fitted_rows": c.fitted_rows,
                "sample_holdout_roc_auc": c.sample_holdout_auc,
            }
            for rank, c in enumerate(self.candidates, start=1)
        ]

    def summary(self) -> dict[str, Any]:
        """How the search ran: method, budget and what it used."""
        stopped = (
            f"the {self.budget.seconds:g} s budget stopped the search after {self.trials_run} of "
            f"{self.budget.trials} LightGBM trials"
            if self.stopped_by == "seconds"
            else f"all {self.trials_run} LightGBM trials ran"
        )
        return {
            "method": "Optuna TPE sampler (seeded, sequential), trial 0 the reference configuration",
            "cv": {
                "folds": len(self.folds),
                "stratified": True,
                "shuffled": True,
                "seed": self.seed,
                "rows": len(self.search_rows),
                "training_rows": len(self.split.train_rows),
                "sampled": self.sampled,
            },
            "rows": self.rows_sentence(),
            "final_fit": {
                "candidate": self.winner.name,
                "rows": self.winner.fitted_rows,
                "refitted": self.sampled,
                "seconds": self.final_fit_seconds,
                "started": "beside the search" if self.final_fit_ahead else "after the search",
            },
            "budget": asdict(self.budget),
            "trials_run": self.trials_run,
            "seconds_used": self.seconds,
            "stopped_by": self.stopped_by,
            "stopped": stopped,
            "space": {name: asdict(bounds) for name, bounds in SEARCH_SPACE.items()},
            "lightgbm_fixed_params": {k: v for k, v in LIGHTGBM_PARAMS.items() if k not in SEARCH_SPACE},
            "lightgbm_threads": LIGHTGBM_THREADS,
            "early_stopping": {
                "share": EARLY_STOPPING_SHARE,
                "rounds": EARLY_STOPPING_ROUNDS,
                "max_rounds": MAX_ROUNDS,
            },
        }


def cv_folds(y: np.ndarray, train_rows: np.ndarray, *, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified, shuffled k-fold over `train_rows`: (training rows, validation rows) per fold."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(train_rows[a], train_rows[b]) for a, b in splitter.split(train_rows, y[train_rows])]


def early_stopping_split(y: np.ndarray, rows: np.ndarray, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`rows` as the rows a booster is fitted on and a stratified `EARLY_STOPPING_SHARE` of
    them that stops its boosting early."""
    fit_rows, stop_rows = train_test_split(rows, test_size=EARLY_STOPPING_SHARE, stratify=y[rows], random_state=seed)
    return fit_rows, stop_rows


def search_sample(y: np.ndarray, train_rows: np.ndarray, *, rows: int, seed: int) -> np.ndarray:
    """`train_rows` when there are at most `rows` of them, else a stratified sample of
    `rows` of them drawn with `seed`, in row order."""
    if len(train_rows) <= rows:
        return train_rows
    sample, _ = train_test_split(train_rows, train_size=rows, stratify=y[train_rows], random_state=seed)
    return np.sort(sample)


def lightgbm_fit(table: TrainingTable, fit_rows: np.ndarray, stop_rows: np.ndarray, params: dict[str, Any]) -> Any:
    """A LightGBM booster fitted on `fit_rows`, its boosting stopped early on `stop_rows`.

    Its datasets and booster are made while holding `LIGHTGBM_NATIVE`, which the first
    boosting round lets go: the rounds of fits side by side run at once, their set-up does not."""
    held = True
    LIGHTGBM_NATIVE.acquire()

    def release(env: Any) -> None:
        nonlocal held
        if held:
            held = False
            LIGHTGBM_NATIVE.release()

    # lgb.train calls "before iteration" callbacks once its booster exists, ahead of each round.
    release.before_iteration = True  # type: ignore[attr-defined]
    release.order = 0  # type: ignore[attr-defined]
    try:
        fit_set = lgb.Dataset(
            table.matrix[fit_rows],
            table.y[fit_rows],
            feature_name=table.feature_names,
            categorical_feature=sorted(table.categories),
            free_raw_data=True,
        )
        stop_set = lgb.Dataset(table.matrix[stop_rows], table.y[stop_rows], reference=fit_set)
        return lgb.train(
            params,
            fit_set,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[stop_set],
            callbacks=[release, lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
            # Not rebuilt from its own text at the end, a native step outside the lock; the
            # callers take the text or predict, under the lock.
            keep_training_booster=True,
        )
    finally:
        if held:
            LIGHTGBM_NATIVE.release()


def lightgbm_params(searched: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """The full LightGBM parameters of a trial."""
    return {**LIGHTGBM_PARAMS, **searched, "seed": seed, "num_threads": LIGHTGBM_THREADS}


def candidate_search(
    table: TrainingTable, *, split: Split, seed: int, budget: SearchBudget, folds: int = CV_FOLDS
) -> SearchResult:
    """Evaluate the baseline and the LightGBM trials (see the module docstring)."""
    # Imported here: web workers import the training modules through the services and never search.
    import optuna

    started = time.perf_counter()
    deadline = started + budget.seconds
    search_rows = search_sample(table.y, split.train_rows, rows=budget.rows, seed=seed)
    sampled = len(search_rows) < len(split.train_rows)
    # Not sampled: the very split the caller made, so a search within the rows changes nothing.
    search_split = _sample_split(table.y, search_rows, split.holdout_rows, seed=seed) if sampled else split
    fold_rows = cv_folds(table.y, search_rows, folds=folds, seed=seed)
    boosting_folds = [(*early_stopping_split(table.y, rows, seed=seed), held_out) for rows, held_out in fold_rows]

    candidates: list[Candidate] = []
    best_model: str | dict[str, Any] = ""
    best_scores = np.empty(0)

    def keep(candidate: Candidate, model: str | dict[str, Any], scores: np.ndarray) -> None:
        nonlocal best_model, best_scores
        if not candidates or candidate.cv_auc_mean > max(c.cv_auc_mean for c in candidates):
            best_model, best_scores = model, scores
        candidates.append(candidate)

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # not a line per trial: the leaderboard has them
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial({name: LIGHTGBM_PARAMS[name] for name in SEARCH_SPACE})
    stopped_by, trials_run = "trials", 0
    # Every fit on one thread, numpy's BLAS included: side by side on the cores they finish
    # sooner than fits whose own threads compete for them, several times sooner on a busy machine.
    workers = max(1, min(folds + 1, os.cpu_count() or 1))
    reference_params = lightgbm_params({name: LIGHTGBM_PARAMS[name] for name in SEARCH_SPACE}, seed=seed)
    with (
        threadpool_limits(limits=1),
        ThreadPoolExecutor(max_workers=workers) as pool,
        ThreadPoolExecutor(max_workers=1) as beside,
    ):
        # The reference configuration usually wins, and its fit on the whole training part is
        # the longest single fit there is: on a sample it starts now, beside the search, and
        # is used only if the reference wins (the same fit as after the search, so the same
        # artifact; otherwise the winner is fitted after the search).
        ahead = beside.submit(_final_fit, table, split, ModelKind.LIGHTGBM, reference_params) if sampled else None
        keep(*_logistic_candidate(table, search_split, fold_rows, pool))
        for number in range(budget.trials):
            reference = number == 0
            if not reference and time.perf_counter() >= deadline:
                stopped_by = "seconds"
                break
            trial = study.ask()
            searched = {
                name: trial.suggest_int(name, int(b.low), int(b.high), log=b.log)
                if b.integer
                else trial.suggest_float(name, b.low, b.high, log=b.log)
                for name, b in SEARCH_SPACE.items()
            }
            evaluated = _lightgbm_candidate(
                table,
                search_split,
                boosting_folds,
                searched,
                pool,
                seed=seed,
                name=f"lightgbm-{number}",
                deadline=None if reference else deadline,
            )
            if evaluated is None:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                stopped_by = "seconds"
                break
            study.tell(trial, evaluated[0].cv_auc_mean)
            keep(*evaluated)
            trials_run += 1
        seconds = time.perf_counter() - started
        ranked = sorted(candidates, key=lambda c: -c.cv_auc_mean)
        final_seconds, fitted_ahead = 0.0, False
        if ahead is not None:
            winner = ranked[0]
            fitted_ahead = winner.kind == ModelKind.LIGHTGBM and (
                lightgbm_params(winner.params, seed=seed) == reference_params
            )
            ranked[0], final = _refit(winner, table, split, seed=seed, ahead=ahead.result() if fitted_ahead else None)
            best_model, best_scores, final_seconds = final.model, final.scores, final.seconds

    return SearchResult(
        candidates=ranked,
        winner_model=best_model,
        budget=budget,
        trials_run=trials_run,
        seconds=seconds,
        stopped_by=stopped_by,
        split=split,
        folds=fold_rows,
        seed=seed,
        search_rows=search_rows,
        winner_holdout_scores=best_scores,
        final_fit_seconds=final_seconds,
        final_fit_ahead=fitted_ahead,
    )


def _sample_split(y: np.ndarray, sample: np.ndarray, holdout_rows: np.ndarray, *, seed: int) -> Split:
    """The sample's own fit and early-stopping rows, stratified as the caller's split is."""
    fit_rows, stop_rows = early_stopping_split(y, sample, seed=seed)
    return Split(fit_rows=fit_rows, stop_rows=stop_rows, holdout_rows=holdout_rows)


def _holdout_scores(table: TrainingTable, split: Split, model: str | dict[str, Any]) -> np.ndarray:
    """Probabilities on the holdout, scored from the exported model as the registered artifact will be."""
    rows = split.holdout_rows
    if isinstance(model, str):
        # The thread count said: a fit's OpenMP limit does not reach the pool's threads.
        with LIGHTGBM_NATIVE:
            return np.asarray(lgb.Booster(model_str=model).predict(table.matrix[rows], num_threads=LIGHTGBM_THREADS))
    return LogisticModel(model, table.matrix.shape[1]).probabilities(table.matrix[rows])


def _auc(table: TrainingTable, rows: np.ndarray, scores: np.ndarray) -> float:
    return float(roc_auc_score(table.y[rows], scores))


def _lightgbm_final(table: TrainingTable, split: Split, params: dict[str, Any]) -> tuple[str, int]:
    booster = lightgbm_fit(table, split.fit_rows, split.stop_rows, params)
    with LIGHTGBM_NATIVE:
        return booster.model_to_string(num_iteration=booster.best_iteration), int(booster.best_iteration)


def _logistic_final(table: TrainingTable, rows: np.ndarray) -> Any:
    pipeline = logistic_pipeline(n_features=table.matrix.shape[1], categories=table.categories)
    return pipeline.fit(table.matrix[rows], table.y[rows])


@dataclass(frozen=True)
class FinalFit:
    """A candidate fitted on the whole training part and scored on the holdout."""

    params: dict[str, Any]
    model: str | dict[str, Any]
    rounds: int | None
    fitted_rows: int
    scores: np.ndarray
    seconds: float


def _final_fit(table: TrainingTable, split: Split, kind: ModelKind, params: dict[str, Any]) -> FinalFit:
    started = time.perf_counter()
    model: str | dict[str, Any]
    rounds: int | None = None
    if kind == ModelKind.LIGHTGBM:
        model, rounds = _lightgbm_final(table, split, params)
        fitted = len(split.train_rows)
    else:
        model = logistic_export(_logistic_final(table, split.fit_rows), feature_names=table.feature_names)
        fitted = len(split.fit_rows)
    scores = _holdout_scores(table, split, model)
    return FinalFit(params, model, rounds, fitted, scores, time.perf_counter() - started)


def _refit(
    winner: Candidate, table: TrainingTable, split: Split, *, seed: int, ahead: FinalFit | None
) -> tuple[Candidate, FinalFit]:
    """The winner of a search on a sample, fitted again on the whole training part (or the
    fit of its parameters made `ahead` of time)."""
    params = lightgbm_params(winner.params, seed=seed) if winner.kind == ModelKind.LIGHTGBM else winner.params
    final = ahead if ahead is not None else _final_fit(table, split, winner.kind, params)
    refitted = replace(
        winner,
        holdout_auc=_auc(table, split.holdout_rows, final.scores),
        fitted_rows=final.fitted_rows,
        boosting_rounds=final.rounds,
        sample_holdout_auc=winner.holdout_auc,
    )
    return refitted, final


def _lightgbm_candidate(
    table: TrainingTable,
    split: Split,
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    searched: dict[str, Any],
    pool: Executor,
    *,
    seed: int,
    name: str,
    deadline: float | None,
) -> tuple[Candidate, str, np.ndarray] | None:
    """Cross-validate one trial and fit it as it would be registered on `split`; None when
    the deadline passes before its last fold starts."""
    started = time.perf_counter()
    params = lightgbm_params(searched, seed=seed)

    def fold_auc(rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float | None:
        fit_rows, stop_rows, held_out = rows
        if deadline is not None and time.perf_counter() >= deadline:
            return None
        booster = lightgbm_fit(table, fit_rows, stop_rows, params)
        with LIGHTGBM_NATIVE:
            scores = booster.predict(table.matrix[held_out], num_iteration=booster.best_iteration, num_threads=1)
        return _auc(table, held_out, scores)

    fold_futures = [pool.submit(fold_auc, rows) for rows in folds]
    # Scored in the pool too, beside the folds, rather than after them in this thread.
    final_future = pool.submit(_final_fit, table, split, ModelKind.LIGHTGBM, params)
    aucs = [future.result() for future in fold_futures]
    final = final_future.result()
    if any(auc is None for auc in aucs):
        return None
    candidate = Candidate(
        name=name,
        kind=ModelKind.LIGHTGBM,
        params=searched,
        fold_auc=[auc for auc in aucs if auc is not None],
        holdout_auc=_auc(table, split.holdout_rows, final.scores),
        seconds=time.perf_counter() - started,
        fitted_rows=final.fitted_rows,
        boosting_rounds=final.rounds,
    )
    return candidate, cast(str, final.model), final.scores


def _logistic_candidate(
    table: TrainingTable, split: Split, folds: list[tuple[np.ndarray, np.ndarray]], pool: Executor
) -> tuple[Candidate, dict[str, Any], np.ndarray]:
    started = time.perf_counter()
    *fold_models, final = pool.map(partial(_logistic_final, table), [rows for rows, _ in folds] + [split.fit_rows])
    fold_auc = [
        _auc(table, held_out, fitted.predict_proba(table.matrix[held_out])[:, 1])
        for fitted, (_, held_out) in zip(fold_models, folds, strict=True)
    ]
    model = logistic_export(final, feature_names=table.feature_names)
    scores = _holdout_scores(table, split, model)
    candidate = Candidate(
        name="logistic",
        kind=ModelKind.LOGISTIC,
        params={**LOGISTIC_PARAMS, **PIPELINE_DESCRIPTION},
        fold_auc=fold_auc,
        holdout_auc=_auc(table, split.holdout_rows, scores),
        seconds=time.perf_counter() - started,
        fitted_rows=len(split.fit_rows),
    )
    return candidate, model, scores
