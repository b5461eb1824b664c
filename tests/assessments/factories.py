"""Building assessments for tests through the real services."""

from datetime import date

from django.utils import timezone

from yanglao.assessments import services
from yanglao.assessments.standard import CONSCIOUSNESS_ITEM, ITEMS, MAX_TOTAL

# A total inside each C.3 band: 90 能力完好, 66–89, 46–65, 30–45, 0–29.
TOTAL_FOR_LEVEL = {0: 90, 1: 75, 2: 55, 3: 40, 4: 20}


def answers_with_total(total: int) -> dict[str, int]:
    """A complete answer set summing to ``total``; B.3.9 (意识水平) lowered last so it stays awake."""
    answers = {code: item.max_score for code, item in ITEMS.items()}
    deficit = MAX_TOTAL - total
    for code in [c for c in ITEMS if c != CONSCIOUSNESS_ITEM] + [CONSCIOUSNESS_ITEM]:
        cut = min(deficit, answers[code])
        answers[code] -= cut
        deficit -= cut
    assert sum(answers.values()) == total
    return answers


def make_assessment(
    elder, assessor, *, second=None, approver=None, level=None, on: date | None = None, submit=False
):
    """A draft; complete at ``level`` if given; submitted if ``submit`` or ``approver``; approved by ``approver``."""
    assessment = services.assessment_create(
        actor=assessor, elder=elder, reference_date=on or timezone.localdate()
    )
    if level is not None:
        services.assessment_save(
            actor=assessor,
            assessment=assessment,
            answers=answers_with_total(TOTAL_FOR_LEVEL[level]),
            assessor_2=second,
            coma=False,
        )
    if submit or approver is not None:
        services.assessment_submit(actor=assessor, assessment=assessment)
    if approver is not None:
        services.assessment_approve(actor=approver, assessment=assessment)
    assessment.refresh_from_db()
    return assessment
