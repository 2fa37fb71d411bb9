"""Automated validation findings recorded with every registered version.

Each check yields findings `{id, code, severity, message, evidence}`; `id` is stable for a
given check and segment so a validator's waiver can name it. Checks that pass still
leave an `info` finding, so a reviewer sees that the check ran and on what numbers.

Severities: `high` must be waived with a justification before a version is validated;
`medium`, `low` and `info` inform the review.
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .baseline import bin_codes, bin_labels, field_bin_spec
from .schema import Encoder

# A segment this large whose default rate is this extreme "decides" the target alone.
LEAKAGE_MIN_SEGMENT_SHARE = 0.01
LEAKAGE_EXTREME_RATE = 0.99
LEAKAGE_SINGLE_FEATURE_AUC = 0.95
MISSING_RATE_MEDIUM = 0.20
MINORITY_SHARE_HIGH = 0.01
MINORITY_SHARE_MEDIUM = 0.10

SEVERITIES = ("high", "medium", "low", "info")


def _finding(code: str, severity: str, message: str, key: str = "", **evidence: Any) -> dict[str, Any]:
    return {
        "id": f"{code}:{key}" if key else code,
        "code": code,
        "severity": severity,
        "message": message,
        "evidence": evidence,
    }


def _leakage(encoded: np.ndarray, encoder: Encoder, target: np.ndarray) -> list[dict[str, Any]]:
    findings = []
    n_rows = len(target)
    for j, field in enumerate(encoder.fields):
        if field["role"] != "feature":
            continue
        name = field["name"]
        spec = field_bin_spec(field, encoded[:, j])
        codes = bin_codes(encoded[:, j], spec)
        labels = bin_labels(spec)
        counts = np.bincount(codes, minlength=len(labels))
        defaults = np.bincount(codes, weights=target, minlength=len(labels))
        for b, label in enumerate(labels):
            share = counts[b] / n_rows
            if counts[b] == 0 or share < LEAKAGE_MIN_SEGMENT_SHARE:
                continue
            rate = defaults[b] / counts[b]
            if rate >= LEAKAGE_EXTREME_RATE or rate <= 1 - LEAKAGE_EXTREME_RATE:
                if label == "missing":
                    segment = f"{name} is missing"
                elif spec["type"] == "number":
                    segment = f"{name} in {label}"
                else:
                    segment = f"{name} = {label}"
                findings.append(
                    _finding(
                        "TARGET_LEAKAGE_SEGMENT",
                        "high",
                        f"{segment} in {share:.1%} of rows and {rate:.2%} of them defaulted: "
                        "this segment alone nearly decides the target, which suggests an "
                        "artifact of how the data was assembled rather than credit risk.",
                        key=f"{name}:{label}",
                        feature=name,
                        segment=label,
                        rows=int(counts[b]),
                        share=round(float(share), 6),
                        default_rate=round(float(rate), 6),
                    )
                )
        # The feature's own bins ranked by their default rate: a univariate score.
        bin_rate = np.divide(defaults, counts, out=np.zeros(len(labels)), where=counts > 0)
        auc = float(roc_auc_score(target, bin_rate[codes]))
        if auc >= LEAKAGE_SINGLE_FEATURE_AUC:
            findings.append(
                _finding(
                    "TARGET_LEAKAGE_SINGLE_FEATURE",
                    "high",
                    f"{name} alone separates defaults with ROC-AUC {auc:.3f}.",
                    key=name,
                    feature=name,
                    roc_auc=round(auc, 6),
                )
            )
    if not findings:
        findings.append(
            _finding(
                "TARGET_LEAKAGE_SCREEN",
                "info",
                "No feature, category or missingness separates the target almost perfectly.",
                min_segment_share=LEAKAGE_MIN_SEGMENT_SHARE,
                extreme_rate=LEAKAGE_EXTREME_RATE,
                single_feature_auc=LEAKAGE_SINGLE_FEATURE_AUC,
            )
        )
    return findings


def _protected(encoder: Encoder, protected_attributes: list[str]) -> list[dict[str, Any]]:
    used = [name for name in protected_attributes if name in encoder.model_features]
    if used:
        return [
            _finding(
                "PROTECTED_ATTRIBUTE_AS_FEATURE",
                "high",
                f"Protected attribute(s) {', '.join(used)} are model inputs.",
                key=",".join(used),
                attributes=used,
            )
        ]
    return [
        _finding(
            "PROTECTED_ATTRIBUTES_EXCLUDED",
            "info",
            f"Protected attributes ({', '.join(protected_attributes)}) are not model inputs; "
            "they are kept for fairness monitoring only.",
            attributes=list(protected_attributes),
        )
    ]


def _missing_values(frame: pd.DataFrame, encoder: Encoder) -> list[dict[str, Any]]:
    rates = {f["name"]: float(frame[f["name"]].isna().mean()) for f in encoder.fields}
    missing = {name: round(rate, 6) for name, rate in rates.items() if rate > 0}
    if not missing:
        return [_finding("MISSING_VALUES", "info", "No field has missing values.")]
    worst = max(missing, key=missing.__getitem__)
    severity = "medium" if missing[worst] >= MISSING_RATE_MEDIUM else "low"
    listing = ", ".join(f"{name} {rate:.2%}" for name, rate in sorted(missing.items(), key=lambda kv: -kv[1]))
    return [
        _finding(
            "MISSING_VALUES",
            severity,
            f"{len(missing)} fields have missing values: {listing}.",
            missing_rates=missing,
        )
    ]


def _class_balance(target: np.ndarray) -> list[dict[str, Any]]:
    default_rate = float(target.mean())
    minority = min(default_rate, 1 - default_rate)
    severity = "high" if minority < MINORITY_SHARE_HIGH else "medium" if minority < MINORITY_SHARE_MEDIUM else "info"
    return [
        _finding(
            "CLASS_BALANCE",
            severity,
            f"Default rate {default_rate:.1%} over {len(target)} rows.",
            rows=int(len(target)),
            defaults=int(target.sum()),
            default_rate=round(default_rate, 6),
        )
    ]


def _holdout_auc(roc_auc: float | None, min_auc: float) -> list[dict[str, Any]]:
    if roc_auc is None or roc_auc < min_auc:
        return [
            _finding(
                "HOLDOUT_AUC_BELOW_FLOOR",
                "high",
                f"Holdout ROC-AUC {roc_auc if roc_auc is None else round(roc_auc, 4)} is below "
                f"the model's floor {min_auc}.",
                roc_auc=roc_auc,
                floor=min_auc,
            )
        ]
    return [
        _finding(
            "HOLDOUT_AUC",
            "info",
            f"Holdout ROC-AUC {roc_auc:.4f} meets the model's floor {min_auc}.",
            roc_auc=roc_auc,
            floor=min_auc,
        )
    ]


def validation_findings(
    frame: pd.DataFrame,
    encoded: np.ndarray,
    encoder: Encoder,
    target: np.ndarray,
    *,
    protected_attributes: list[str],
    holdout_roc_auc: float | None,
    min_auc: float,
) -> list[dict[str, Any]]:
    """Run every check on the development data; most severe findings first."""
    findings = [
        *_leakage(encoded, encoder, target),
        *_protected(encoder, protected_attributes),
        *_missing_values(frame, encoder),
        *_class_balance(target),
        *_holdout_auc(holdout_roc_auc, min_auc),
    ]
    return sorted(findings, key=lambda f: SEVERITIES.index(f["severity"]))
