"""Scoring of the GB/T 42195-2022 capability assessment: subtotals, total, preliminary and final level.

Pure functions, no Django. The item table is :mod:`yanglao.assessments.standard`.

Rules, with the standard's clause numbers:

1. Scores (Appendix B). Every one of the 26 items B.1.1 … B.4.5 is answered with one of its option
   scores; a missing item, an unknown code or a score that is not one of the item's options is refused
   (:class:`ScoringError` with code ``incomplete``, ``unknown_item`` or ``out_of_range``, in that order
   of precedence, the message naming every offending item).
2. C.1 / C.2. Each first-level indicator's subtotal is the sum of its items (B.1 0–32, B.2 0–15,
   B.3 0–28, B.4 0–15); the total is their sum, 0–90.
3. C.3 老年人能力初步等级, by total: 90 能力完好 · 66–89 能力轻度受损（轻度失能） ·
   46–65 能力中度受损（中度失能） · 30–45 能力重度受损（重度失能） · 0–29 能力完全丧失（完全失能）.
4. C.4 能力等级变更依据 → C.5 老年人能力最终等级:

   a. 处于昏迷状态者，直接评定为能力完全丧失（完全失能）. This overrides everything else.
   b. 确诊为痴呆（F00～F03）、精神科专科医生诊断的其他精神和行为障碍疾病（F04～F99）: raise one level.
      A dementia diagnosis counts as "确诊"; any other F04–F99 disorder counts only when diagnosed by a
      psychiatric specialist. The caller decides this and passes ``dementia_or_mental_disorder``.
   c. 近30天内发生过2次及以上照护风险事件（如跌倒、噎食、自杀、自伤、走失等）: raise one level.
      ``risk_events_30d`` is the total over A.2.14's five event kinds (跌倒、走失、噎食、自杀、自伤、
      其他) in the 30 days before the assessment; events of different kinds add up, and A.2.14's
      "发生过3次及以上" counts as 3. Two or more, of any kinds, qualify.

   b and c are each worded "在原有能力级别上提高一个等级" — relative to the original (preliminary)
   level — so when both hold the level still rises by one only. A raise never goes past 能力完全丧失.

Where coma comes from. C.4's preamble takes it from A.5.11 昏迷 (无/有), not from B.3.9 意识水平:
B.3.9's 0分 is "昏睡 … ；或者昏迷", so a 0 does not say which. Hence the separate ``coma`` flag, the
A.5.11 answer, cross-checked against B.3.9:

* ``coma=None`` (not stated) is accepted when B.3.9 is 1 or 2 — the person is awake enough not to be
  in a coma — and refused (``coma_unspecified``) when B.3.9 is 0, since 昏睡 and 昏迷 lead to
  different levels;
* ``coma=True`` requires B.3.9 = 0 (otherwise ``coma_conflict``);
* ``coma=False`` with B.3.9 = 0 means 昏睡 (stupor), scored as such.

The B.3.9 note "处于昏迷状态者，直接评定为重度失能" is a leftover of MZ/T 039-2013 (where 重度失能 was the
worst level); C.4 governs and puts coma at 能力完全丧失（完全失能）.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from yanglao.assessments.standard import (
    CONSCIOUSNESS_ITEM,
    DIMENSIONS,
    ITEMS,
    LEVELS,
    MAX_TOTAL,
    Level,
)

RISK_EVENT_THRESHOLD = 2  # C.4: 近30天内发生过2次及以上照护风险事件

LEAST_ABLE = LEVELS[-1]  # 能力完全丧失（完全失能）

REASON_COMA = "处于昏迷状态（A.5.11 昏迷：有），直接评定为能力完全丧失（完全失能）"
REASON_COMA_OVERRIDES = "处于昏迷状态时，其他能力等级变更依据不再另行提高等级"
REASON_MENTAL = (
    "确诊为痴呆（F00～F03）或经精神科专科医生诊断的其他精神和行为障碍疾病（F04～F99），"
    "在原有能力级别上提高一个等级"
)
REASON_RISK = "近30天内发生过{count}次照护风险事件（2次及以上），在原有能力级别上提高一个等级"
REASON_ONE_RAISE = "多项能力等级变更依据同时成立，只在原有能力级别上提高一个等级"
REASON_RAISED = "最终等级由{before}提高为{after}"
REASON_CAPPED = "初步等级已为能力完全丧失（完全失能），不再提高"


class ScoringError(ValueError):
    """A refused answer set. ``code`` is stable; ``message`` is Chinese and names the item(s)."""

    def __init__(self, code: str, message: str, items: tuple[str, ...] = ()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.items = items


@dataclass(frozen=True)
class Result:
    subtotals: Mapping[str, int]  # by dimension code, "B.1" … "B.4", in the standard's order
    total: int
    preliminary_level: Level  # C.3
    final_level: Level  # C.5
    reasons: tuple[str, ...] = field(default=())  # why the final level differs (or would have); Chinese
    coma: bool = False  # as resolved from the flag and B.3.9

    @property
    def changed(self) -> bool:
        return self.final_level != self.preliminary_level


def level_for_total(total: int) -> Level:
    """C.3: the preliminary level for a total score 0–90."""
    for level in LEVELS:
        if level.low <= total <= level.high:
            return level
    raise ScoringError("out_of_range", f"总分 {total} 超出范围（应为 0–{MAX_TOTAL}）")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _labels(codes) -> str:
    return "、".join(ITEMS[code].label for code in codes)


def _validate(answers: Mapping[str, int]) -> None:
    if not isinstance(answers, Mapping):
        raise ScoringError("incomplete", "评估结果应为“项目编号 → 分值”的映射")

    unknown = tuple(sorted((str(code) for code in answers if code not in ITEMS), key=str))
    if unknown:
        raise ScoringError("unknown_item", f"未知的评估项目：{'、'.join(unknown)}", unknown)

    missing = tuple(code for code in ITEMS if code not in answers)
    if missing:
        raise ScoringError("incomplete", f"评估项目不完整，缺少：{_labels(missing)}", missing)

    bad = tuple(
        code for code, item in ITEMS.items() if not _is_int(answers[code]) or answers[code] not in item.scores
    )
    if bad:
        details = "、".join(
            f"{ITEMS[code].label} 得分 {answers[code]!r}（应为 {ITEMS[code].min_score}–{ITEMS[code].max_score}）"
            for code in bad
        )
        raise ScoringError("out_of_range", f"分值超出范围：{details}", bad)


def _resolve_coma(coma: bool | None, consciousness: int) -> bool:
    label = ITEMS[CONSCIOUSNESS_ITEM].label
    if coma is None:
        if consciousness == 0:
            raise ScoringError(
                "coma_unspecified",
                f"{label} 为 0 分（昏睡或昏迷）时须注明是否处于昏迷状态（A.5.11 昏迷）",
                (CONSCIOUSNESS_ITEM,),
            )
        return False
    if not isinstance(coma, bool):
        raise ScoringError("invalid_argument", "是否昏迷（A.5.11）应为是或否")
    if coma and consciousness != 0:
        raise ScoringError(
            "coma_conflict",
            f"已注明处于昏迷状态（A.5.11 昏迷：有），但 {label} 为 {consciousness} 分；昏迷者意识水平应为 0 分",
            (CONSCIOUSNESS_ITEM,),
        )
    return coma


def score(
    answers: Mapping[str, int],
    *,
    coma: bool | None = None,
    dementia_or_mental_disorder: bool,
    risk_events_30d: int,
) -> Result:
    """Score one assessment: ``answers`` maps each item code ("B.1.1" …) to the chosen option's score.

    ``coma`` is the A.5.11 answer (see the module docstring for how it is checked against B.3.9);
    ``dementia_or_mental_disorder`` whether C.4's diagnosis basis holds; ``risk_events_30d`` the number
    of care-risk events in the last 30 days, all kinds together.
    """
    _validate(answers)
    if not isinstance(dementia_or_mental_disorder, bool):
        raise ScoringError("invalid_argument", "是否确诊痴呆或其他精神和行为障碍应为是或否")
    if not _is_int(risk_events_30d) or risk_events_30d < 0:
        raise ScoringError(
            "invalid_argument", f"近30天照护风险事件次数应为非负整数，收到 {risk_events_30d!r}"
        )
    in_coma = _resolve_coma(coma, answers[CONSCIOUSNESS_ITEM])

    subtotals = {
        dimension.code: sum(answers[item.code] for item in dimension.items) for dimension in DIMENSIONS
    }
    total = sum(subtotals.values())
    preliminary = level_for_total(total)

    raises = []
    if dementia_or_mental_disorder:
        raises.append(REASON_MENTAL)
    if risk_events_30d >= RISK_EVENT_THRESHOLD:
        raises.append(REASON_RISK.format(count=risk_events_30d))

    reasons: list[str] = []
    if in_coma:
        final = LEAST_ABLE
        reasons.append(REASON_COMA)
        if raises:
            reasons.append(REASON_COMA_OVERRIDES)
    elif raises:
        reasons.extend(raises)
        if len(raises) > 1:
            reasons.append(REASON_ONE_RAISE)
        if preliminary.code < LEAST_ABLE.code:
            final = LEVELS[preliminary.code + 1]
            reasons.append(REASON_RAISED.format(before=preliminary.name, after=final.name))
        else:
            final = preliminary
            reasons.append(REASON_CAPPED)
    else:
        final = preliminary

    return Result(
        subtotals=MappingProxyType(subtotals),
        total=total,
        preliminary_level=preliminary,
        final_level=final,
        reasons=tuple(reasons),
        coma=in_coma,
    )
