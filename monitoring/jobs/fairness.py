"""The fairness job: group fairness of the window's decisions per protected attribute
(`governance.ml.fairness`), with error rates once outcomes are recorded."""

import numpy as np

from governance.ml.fairness import decision_fairness

from .. import rules
from ..models import FairnessResult, MonitoringPolicy, MonitoringRun, RunStatus
from ..selectors import decision_protected_attributes
from .base import Computed, policy_snapshot


def compute(run: MonitoringRun, policy: MonitoringPolicy) -> Computed:
    version = run.model_version
    attributes = list(version.registered_model.protected_attributes)
    min_size = version.registered_model.fairness_min_group_size
    data = decision_protected_attributes(version=version, window=run.window, attributes=attributes)
    computed = Computed(
        RunStatus.COMPLETED,
        len(data.approved),
        {
            "inputs_removed": data.inputs_removed,
            "with_outcomes": int((~np.isnan(data.defaulted)).sum()),
            "min_group_size": min_size,
            "policy": policy_snapshot(policy, "adverse_impact_floor", "equalized_odds_gap_bound"),
        },
    )
    comparable = False
    for attribute in attributes:
        result = decision_fairness(
            data.groups[attribute],
            data.approved,
            min_group_size=min_size,
            defaulted=data.defaulted,
            probability=data.probability,
        )
        comparable = comparable or len(result.judged) >= 2
        computed.results.append(
            FairnessResult(
                attribute=attribute,
                reference_group=result.reference_group or "",
                min_adverse_impact_ratio=result.min_adverse_impact_ratio,
                demographic_parity_difference=result.demographic_parity_difference,
                equal_opportunity_gap=result.equal_opportunity_gap,
                equalized_odds_gap=result.equalized_odds_gap,
                passes_four_fifths=result.passes_four_fifths,
                groups=result.as_json()["groups"],
            )
        )
        computed.breaches += rules.fairness_breaches(
            attribute=attribute,
            min_adverse_impact_ratio=result.min_adverse_impact_ratio,
            worst_group=result.worst_group,
            floor=policy.adverse_impact_floor,
            equalized_odds_gap=result.equalized_odds_gap,
            equalized_odds_bound=policy.equalized_odds_gap_bound,
        )
    if not comparable:
        # No attribute has two groups large enough to compare: nothing can be judged.
        computed.status = RunStatus.INSUFFICIENT_DATA
        computed.breaches = []
    return computed
