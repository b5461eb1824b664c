"""GB/T 42195-2022 scoring: the item table, the C.3 bands, the C.4 changes and the validation errors."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanglao.assessments import standard
from yanglao.assessments.scoring import (
    REASON_CAPPED,
    REASON_COMA,
    REASON_COMA_OVERRIDES,
    REASON_MENTAL,
    REASON_ONE_RAISE,
    ScoringError,
    level_for_total,
    score,
)
from yanglao.assessments.standard import CONSCIOUSNESS_ITEM, DIMENSIONS, ITEMS, LEVELS

INTACT, MILD, MODERATE, SEVERE, COMPLETE = LEVELS


def full_marks():
    return {code: item.max_score for code, item in ITEMS.items()}


def answers_with_total(total, *, keep_awake=True):
    """A valid answer set summing to ``total``, lowering items in order; B.3.9 last, so it stays at 2
    (awake, not a coma) whenever the total allows."""
    answers = full_marks()
    deficit = standard.MAX_TOTAL - total
    order = [code for code in ITEMS if code != CONSCIOUSNESS_ITEM] + [CONSCIOUSNESS_ITEM]
    for code in order:
        if not deficit:
            break
        cut = min(deficit, answers[code])
        answers[code] -= cut
        deficit -= cut
    assert sum(answers.values()) == total
    if keep_awake and total >= 2:
        assert answers[CONSCIOUSNESS_ITEM] == 2
    return answers


def plain(answers, **kwargs):
    kwargs.setdefault("dementia_or_mental_disorder", False)
    kwargs.setdefault("risk_events_30d", 0)
    if answers.get(CONSCIOUSNESS_ITEM) == 0:
        kwargs.setdefault("coma", False)
    return score(answers, **kwargs)


# ----------------------------------------------------------------------------- the standard as data


def test_four_dimensions_26_items_in_the_standards_numbering():
    assert [d.code for d in DIMENSIONS] == ["B.1", "B.2", "B.3", "B.4"]
    assert [d.name for d in DIMENSIONS] == ["自理能力", "基础运动能力", "精神状态", "感知觉与社会参与"]
    assert [len(d.items) for d in DIMENSIONS] == [8, 4, 9, 5]
    assert len(ITEMS) == 26
    for dimension in DIMENSIONS:
        assert [item.code for item in dimension.items] == [
            f"{dimension.code}.{n}" for n in range(1, len(dimension.items) + 1)
        ]
    assert list(ITEMS) == [item.code for d in DIMENSIONS for item in d.items]


def test_item_names():
    assert [item.name for item in ITEMS.values()] == [
        "进食", "修饰", "洗澡", "穿/脱上衣", "穿/脱裤子和鞋袜", "小便控制", "大便控制", "如厕",
        "床上体位转移", "床椅转移", "平地行走", "上下楼梯",
        "时间定向", "空间定向", "人物定向", "记忆", "理解能力", "表达能力", "攻击行为", "抑郁症状", "意识水平",
        "视力", "听力", "执行日常事务", "使用交通工具外出", "社会交往能力",
    ]  # fmt: skip


def test_dimension_maxima_sum_to_90():
    assert [d.max_score for d in DIMENSIONS] == [32, 15, 28, 15]
    assert sum(d.max_score for d in DIMENSIONS) == standard.MAX_TOTAL == 90


def test_item_maxima_as_the_standard_sets_them():
    maxima = {code: item.max_score for code, item in ITEMS.items()}
    assert maxima["B.2.4"] == 3  # 上下楼梯
    assert (maxima["B.3.7"], maxima["B.3.8"], maxima["B.3.9"]) == (1, 1, 2)
    assert (maxima["B.4.1"], maxima["B.4.2"], maxima["B.4.3"], maxima["B.4.4"], maxima["B.4.5"]) == (
        2,
        2,
        4,
        3,
        4,
    )
    assert all(maxima[f"B.1.{n}"] == 4 for n in range(1, 9))
    assert all(maxima[f"B.3.{n}"] == 4 for n in range(1, 7))


@pytest.mark.parametrize("item", ITEMS.values(), ids=list(ITEMS))
def test_options_cover_exactly_the_score_range_without_gaps(item):
    scores = [option.score for option in item.options]
    assert len(scores) == len(set(scores))
    assert sorted(scores) == list(range(0, item.max_score + 1))
    assert scores == sorted(scores, reverse=True)  # printed highest first, as in the standard
    texts = [option.text for option in item.options]
    assert all(text and text == text.strip() for text in texts)
    assert len(set(texts)) == len(texts)
    assert not any(re.match(r"^\d分", text) for text in texts)  # descriptions, not "4分：…"
    assert item.option(item.max_score) is item.options[0]


def test_coma_is_one_of_the_consciousness_zero_descriptions():
    consciousness = ITEMS[CONSCIOUSNESS_ITEM]
    assert consciousness.name == "意识水平"
    zero = consciousness.option(0).text
    assert zero.startswith("昏睡") and "或者昏迷" in zero


def test_levels_partition_0_to_90():
    assert [level.code for level in LEVELS] == [0, 1, 2, 3, 4]
    assert [level.name for level in LEVELS] == [
        "能力完好",
        "能力轻度受损（轻度失能）",
        "能力中度受损（中度失能）",
        "能力重度受损（重度失能）",
        "能力完全丧失（完全失能）",
    ]
    covered = sorted(t for level in LEVELS for t in range(level.low, level.high + 1))
    assert covered == list(range(0, 91))


def test_appendix_a_choice_lists():
    assert standard.ASSESSMENT_REASONS == (
        "首次评估",
        "常规评估",
        "即时评估",
        "因对评估结果有疑问进行的复评",
        "其他",
    )
    assert standard.RISK_EVENTS == ("跌倒", "走失", "噎食", "自杀、自伤", "其他")
    assert [count for count, _ in standard.RISK_EVENT_FREQUENCIES] == [0, 1, 2, 3]
    assert [p.code for p in standard.HEALTH_PROBLEMS] == [f"A.5.{n}" for n in range(1, 13)]
    assert [p.name for p in standard.HEALTH_PROBLEMS][10] == "昏迷"
    assert standard.DEMENTIA.icd10 == "F00～F03"
    assert standard.OTHER_MENTAL_DISORDER.icd10 == "F04～F99"
    assert len(standard.DISEASE_DIAGNOSES) == 23


# ----------------------------------------------------------------------------- C.3 band edges


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (90, INTACT),
        (89, MILD),
        (66, MILD),
        (65, MODERATE),
        (46, MODERATE),
        (45, SEVERE),
        (30, SEVERE),
        (29, COMPLETE),
        (1, COMPLETE),
        (0, COMPLETE),
    ],
)
def test_band_edges(total, level):
    result = plain(answers_with_total(total))
    assert result.total == total
    assert result.preliminary_level == level == result.final_level
    assert result.reasons == ()
    assert not result.changed
    assert level_for_total(total) == level


def test_subtotals_by_dimension():
    result = plain(full_marks())
    assert dict(result.subtotals) == {"B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15}
    assert list(result.subtotals) == ["B.1", "B.2", "B.3", "B.4"]
    answers = full_marks() | {"B.1.1": 0, "B.2.4": 1, "B.3.7": 0, "B.4.4": 0}
    result = plain(answers)
    assert dict(result.subtotals) == {"B.1": 28, "B.2": 13, "B.3": 27, "B.4": 12}
    assert result.total == 80


@pytest.mark.parametrize("total", [-1, 91])
def test_level_for_total_refuses_impossible_totals(total):
    with pytest.raises(ScoringError) as caught:
        level_for_total(total)
    assert caught.value.code == "out_of_range"


# ----------------------------------------------------------------------------- C.4, each rule alone


def test_dementia_or_mental_disorder_raises_one_level():
    result = plain(answers_with_total(70), dementia_or_mental_disorder=True)
    assert (result.preliminary_level, result.final_level) == (MILD, MODERATE)
    assert result.reasons[0] == REASON_MENTAL
    assert result.reasons[-1] == "最终等级由能力轻度受损（轻度失能）提高为能力中度受损（中度失能）"


def test_intact_with_diagnosis_becomes_mildly_impaired():
    result = plain(full_marks(), dementia_or_mental_disorder=True)
    assert (result.preliminary_level, result.final_level) == (INTACT, MILD)


@pytest.mark.parametrize(("events", "raised"), [(0, False), (1, False), (2, True), (3, True), (12, True)])
def test_two_or_more_risk_events_in_30_days_raise_one_level(events, raised):
    result = plain(answers_with_total(50), risk_events_30d=events)
    assert result.preliminary_level == MODERATE
    assert result.final_level == (SEVERE if raised else MODERATE)
    if raised:
        assert (
            result.reasons[0]
            == f"近30天内发生过{events}次照护风险事件（2次及以上），在原有能力级别上提高一个等级"
        )
    else:
        assert result.reasons == ()


def test_coma_alone_goes_straight_to_complete_loss():
    answers = full_marks() | {CONSCIOUSNESS_ITEM: 0}  # total 88, preliminary 轻度受损
    result = score(answers, coma=True, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert result.total == 88
    assert (result.preliminary_level, result.final_level) == (MILD, COMPLETE)
    assert result.reasons == (REASON_COMA,)
    assert result.coma


def test_stupor_scores_zero_but_is_not_coma():
    answers = full_marks() | {CONSCIOUSNESS_ITEM: 0}
    result = score(answers, coma=False, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert (result.preliminary_level, result.final_level) == (MILD, MILD)
    assert not result.coma


# ----------------------------------------------------------------------------- C.4 in combination


def test_diagnosis_and_risk_events_together_raise_once():
    result = plain(answers_with_total(70), dementia_or_mental_disorder=True, risk_events_30d=4)
    assert (result.preliminary_level, result.final_level) == (MILD, MODERATE)
    assert REASON_MENTAL in result.reasons
    assert REASON_ONE_RAISE in result.reasons


@pytest.mark.parametrize(
    ("dementia", "events"), [(True, 0), (False, 2), (True, 5)], ids=["diagnosis", "events", "both"]
)
def test_never_past_complete_loss(dementia, events):
    result = plain(answers_with_total(20), dementia_or_mental_disorder=dementia, risk_events_30d=events)
    assert result.preliminary_level == result.final_level == COMPLETE
    assert result.reasons[-1] == REASON_CAPPED


def test_severe_with_both_becomes_complete_loss_not_beyond():
    result = plain(answers_with_total(30), dementia_or_mental_disorder=True, risk_events_30d=2)
    assert (result.preliminary_level, result.final_level) == (SEVERE, COMPLETE)


@pytest.mark.parametrize(("dementia", "events"), [(False, 0), (True, 0), (False, 3), (True, 3)])
def test_coma_overrides_everything(dementia, events):
    answers = full_marks() | {CONSCIOUSNESS_ITEM: 0}
    result = score(answers, coma=True, dementia_or_mental_disorder=dementia, risk_events_30d=events)
    assert result.final_level == COMPLETE
    assert result.reasons[0] == REASON_COMA
    assert (REASON_COMA_OVERRIDES in result.reasons) == (dementia or events >= 2)
    assert REASON_MENTAL not in result.reasons


def test_coma_with_already_lowest_score():
    result = score(answers_with_total(0), coma=True, dementia_or_mental_disorder=True, risk_events_30d=2)
    assert result.preliminary_level == result.final_level == COMPLETE
    assert result.reasons[0] == REASON_COMA


# ----------------------------------------------------------------------------- coma versus B.3.9


def test_unstated_coma_is_refused_when_consciousness_is_zero():
    answers = full_marks() | {CONSCIOUSNESS_ITEM: 0}
    with pytest.raises(ScoringError) as caught:
        score(answers, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert caught.value.code == "coma_unspecified"
    assert "B.3.9 意识水平" in caught.value.message
    assert caught.value.items == ("B.3.9",)


@pytest.mark.parametrize("consciousness", [1, 2])
def test_unstated_coma_means_no_coma_when_awake(consciousness):
    answers = full_marks() | {CONSCIOUSNESS_ITEM: consciousness}
    result = score(answers, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert not result.coma


@pytest.mark.parametrize("consciousness", [1, 2])
def test_coma_conflicting_with_consciousness_is_refused(consciousness):
    answers = full_marks() | {CONSCIOUSNESS_ITEM: consciousness}
    with pytest.raises(ScoringError) as caught:
        score(answers, coma=True, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert caught.value.code == "coma_conflict"
    assert "B.3.9 意识水平" in caught.value.message


# ----------------------------------------------------------------------------- validation


def test_missing_items_are_named():
    answers = full_marks()
    del answers["B.1.1"], answers["B.3.9"]
    with pytest.raises(ScoringError) as caught:
        plain(answers)
    error = caught.value
    assert error.code == "incomplete"
    assert error.items == ("B.1.1", "B.3.9")
    assert "B.1.1 进食" in error.message and "B.3.9 意识水平" in error.message
    assert str(error) == error.message


def test_empty_answers_are_incomplete():
    with pytest.raises(ScoringError) as caught:
        score({}, coma=False, dementia_or_mental_disorder=False, risk_events_30d=0)
    assert caught.value.code == "incomplete"
    assert len(caught.value.items) == 26


@pytest.mark.parametrize("code", ["B.5.1", "B.2.5", "b.1.1", "B1.1", "A.5.11"])
def test_unknown_item_codes_are_refused(code):
    with pytest.raises(ScoringError) as caught:
        plain(full_marks() | {code: 1})
    assert caught.value.code == "unknown_item"
    assert code in caught.value.message
    assert caught.value.items == (code,)


def test_unknown_item_wins_over_incomplete():
    answers = full_marks()
    del answers["B.1.1"]
    answers["B.1.9"] = 4
    with pytest.raises(ScoringError) as caught:
        plain(answers)
    assert caught.value.code == "unknown_item"


@pytest.mark.parametrize(
    ("code", "value"),
    [("B.2.4", 4), ("B.1.1", 5), ("B.1.1", -1), ("B.3.7", 2), ("B.3.9", 3), ("B.4.1", 3), ("B.4.4", 4)],
)
def test_out_of_range_scores_are_refused(code, value):
    with pytest.raises(ScoringError) as caught:
        plain(full_marks() | {code: value})
    error = caught.value
    assert error.code == "out_of_range"
    assert error.items == (code,)
    assert ITEMS[code].label in error.message


@pytest.mark.parametrize("value", [True, 2.0, "2", None])
def test_non_integer_scores_are_out_of_range(value):
    with pytest.raises(ScoringError) as caught:
        plain(full_marks() | {"B.1.2": value})
    assert caught.value.code == "out_of_range"


def test_every_bad_score_is_named_at_once():
    with pytest.raises(ScoringError) as caught:
        plain(full_marks() | {"B.1.1": 9, "B.4.5": -2})
    assert caught.value.items == ("B.1.1", "B.4.5")
    assert "B.1.1 进食" in caught.value.message and "B.4.5 社会交往能力" in caught.value.message


@pytest.mark.parametrize("events", [-1, 1.5, True, None])
def test_risk_event_count_must_be_a_non_negative_integer(events):
    with pytest.raises(ScoringError) as caught:
        plain(full_marks(), risk_events_30d=events)
    assert caught.value.code == "invalid_argument"


def test_diagnosis_flag_must_be_boolean():
    with pytest.raises(ScoringError) as caught:
        plain(full_marks(), dementia_or_mental_disorder="yes")
    assert caught.value.code == "invalid_argument"


def test_flags_are_keyword_only_and_diagnosis_and_events_required():
    with pytest.raises(TypeError):
        score(full_marks(), None, False, 0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        score(full_marks(), risk_events_30d=0)  # type: ignore[call-arg]


# ----------------------------------------------------------------------------- property


@st.composite
def assessments(draw):
    answers = {code: draw(st.sampled_from(sorted(item.scores))) for code, item in ITEMS.items()}
    coma = draw(st.booleans()) if answers[CONSCIOUSNESS_ITEM] == 0 else draw(st.sampled_from([None, False]))
    return answers, coma, draw(st.booleans()), draw(st.integers(0, 10))


@given(assessments())
def test_final_level_is_never_better_and_at_most_one_step_worse_unless_coma(case):
    answers, coma, dementia, events = case
    result = score(answers, coma=coma, dementia_or_mental_disorder=dementia, risk_events_30d=events)

    assert result.total == sum(answers.values()) == sum(result.subtotals.values())
    for dimension in DIMENSIONS:
        assert 0 <= result.subtotals[dimension.code] <= dimension.max_score
    assert result.preliminary_level.low <= result.total <= result.preliminary_level.high

    steps = result.final_level.code - result.preliminary_level.code
    assert steps >= 0
    if result.coma:
        assert result.final_level == COMPLETE
    else:
        assert steps <= 1
        qualifies = dementia or events >= 2
        assert steps == (1 if qualifies and result.preliminary_level != COMPLETE else 0)
        assert bool(result.reasons) == qualifies
