"""The elderly capability assessment of GB/T 42195-2022《老年人能力评估规范》, as data.

Only GB/T 42195-2022 (issued and in force 2022-12-30) is transcribed here; the withdrawn MZ/T 039-2013
(日常生活活动 / 精神状态 / 感知觉与沟通 / 社会参与, levels 0–3, "重度失能" as the worst level) is not.

Appendix B: four first-level indicators (一级指标), 26 second-level indicators (二级指标), total 0–90:

* B.1 自理能力 — 8 items, 0–4 each, 0–32;
* B.2 基础运动能力 — 4 items, 0–4 except 上下楼梯 0–3, 0–15;
* B.3 精神状态 — 9 items, six 0–4, 攻击行为 0–1, 抑郁症状 0–1, 意识水平 0–2, 0–28;
* B.4 感知觉与社会参与 — 5 items, 视力 0–2, 听力 0–2, 执行日常事务 0–4, 使用交通工具外出 0–3,
  社会交往能力 0–4, 0–15.

Each option carries the standard's description, so an assessor picks a description and never types a
number. Options are listed as the standard lists them (highest score first). ``Item.definition`` is the
text after the item name in the standard ("进食：使用适当的器具将食物送入口中并咽下"), ``Item.note`` its
"注：" line.

Appendix C: the five levels of C.3 (``LEVELS``) and the C.4 level-change bases (``LEVEL_CHANGE_BASIS``);
the rules themselves are applied in :mod:`yanglao.assessments.scoring`.

Appendix A: the choice lists the project stores — A.1.3 评估原因, A.2.14 近30天内照护风险事件 and its
frequencies, A.4.1 疾病诊断 and A.5 健康相关问题.

Sources. The standard itself is not freely published; the text was transcribed from public
transcriptions of it and cross-checked word by word:

* S3 — a JavaScript form definition ("老年人能力评估国内标准2022版", public-code index id 32704356419)
  whose strings are pasted from the standard's PDF (they keep the PDF's line-break spaces, e.g.
  "尿 垫"). Primary source for Appendix B's option wording and for A.1.3, A.4.1.
* S2 — a Vue assessment form numbered A.1–C.5 exactly as the standard (id 66873549611): all of
  Appendix B with the "注：" lines, A.2.14, A.4.1, A.5, the C.3 levels with their score bands and C.4's
  wording including its preamble (which names A.5.11 昏迷, A.4.1 and A.2.14 as the inputs).
* S1 — a block of A.5 and B.1–B.4 copied from a Word form of the standard (id 7705503546).

Where they disagree the majority is used, and S3 (verbatim from the PDF) breaks ties; S2's evident
OCR errors ("看书报上关闭的标准字体") and S1's typing slips ("是需要" for "时需要") are not followed.
Every place where the sources disagree on more than punctuation is marked "source:" below, with the
reading chosen and the others.
"""

from dataclasses import dataclass
from types import MappingProxyType

STANDARD = "GB/T 42195-2022《老年人能力评估规范》"


@dataclass(frozen=True)
class Option:
    score: int
    text: str


@dataclass(frozen=True)
class Item:
    code: str  # "B.1.1" … "B.4.5", the standard's numbering
    name: str  # "进食"
    options: tuple[Option, ...]  # as the standard lists them, highest score first
    note: str = ""  # the "注：" line, without "注："
    definition: str = ""  # the text after the name: "使用适当的器具将食物送入口中并咽下"

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options)

    @property
    def min_score(self) -> int:
        return min(option.score for option in self.options)

    @property
    def scores(self) -> frozenset[int]:
        return frozenset(option.score for option in self.options)

    def option(self, score: int) -> Option:
        for option in self.options:
            if option.score == score:
                return option
        raise KeyError(f"{self.code} has no option scoring {score!r}")

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class Dimension:
    code: str  # "B.1"
    name: str  # "自理能力"
    items: tuple[Item, ...]

    @property
    def max_score(self) -> int:
        return sum(item.max_score for item in self.items)


@dataclass(frozen=True)
class Level:
    code: int  # 0 能力完好 … 4 能力完全丧失, as numbered in C.3
    name: str
    low: int  # total score band, inclusive
    high: int


def _options(*texts: str) -> tuple[Option, ...]:
    """Options from the highest score down to 0, the order the standard prints them."""
    top = len(texts) - 1
    return tuple(Option(top - i, text) for i, text in enumerate(texts))


# The five-step assistance scale shared by 修饰, 洗澡, 穿/脱上衣, 穿/脱裤子和鞋袜, 如厕, 床上体位转移 and
# 床椅转移. source: S1 and S2 print "独立完成，不需要协助" for all seven; S3 has "不需要他人协助" for 如厕
# and the two transfers only.
_ASSISTANCE = _options(
    "独立完成，不需要协助",
    "在他人指导或提示下完成",
    "需要他人协助，但以自身完成为主",
    "主要依靠他人协助，自身能给予配合",
    "完全依赖他人协助，且不能给予配合",
)

SELF_CARE = Dimension(
    "B.1",
    "自理能力",
    (
        Item(
            "B.1.1",
            "进食",
            _options(
                "独立使用器具将食物送进口中并咽下，没有呛咳",
                "在他人指导或提示下完成，或独立使用辅具，没有呛咳",
                # source: S2, S3; S1 has "进食中至少需要少量接触式协助".
                "进食中需要少量接触式协助，偶尔（每月一次及以上）呛咳",
                "在进食中需要大量接触式协助，经常（每周一次及以上）呛咳",
                "完全依赖他人协助进食，或吞咽困难，或留置营养管",
            ),
            definition="使用适当的器具将食物送入口中并咽下",
        ),
        Item("B.1.2", "修饰", _ASSISTANCE, definition="指洗脸、刷牙、梳头、刮脸、剪指（趾）甲等"),
        Item("B.1.3", "洗澡", _ASSISTANCE, definition="清洗和擦干身体"),
        Item("B.1.4", "穿/脱上衣", _ASSISTANCE, definition="指穿/脱上身衣服、系扣、拉拉链等"),
        Item("B.1.5", "穿/脱裤子和鞋袜", _ASSISTANCE, definition="指穿/脱裤子、鞋袜等"),
        Item(
            "B.1.6",
            "小便控制",
            _options(
                "可自行控制排尿，排尿次数、排尿控制均正常",
                "白天可自行控制排尿次数，夜间出现排尿次数增多、排尿控制较差，或自行使用尿布、尿垫等辅助用物",
                "白天大部分时间可自行控制排尿，偶出现（每天<1次，但每周>1次）尿失禁，夜间控制排尿较差，"
                "或他人少量协助使用尿布、尿垫等辅助用物",
                # source: S1, S3 "尚非完全失控"; S2 has "尚未完全失禁".
                "白天大部分时间不能控制排尿（每天≥1次，但尚非完全失控），夜间出现尿失禁，"
                "或他人大量协助使用尿布、尿垫等辅助用物",
                "小便失禁，完全不能控制排尿，或留置导尿管",
            ),
            definition="控制和排出尿液的能力",
        ),
        Item(
            "B.1.7",
            "大便控制",
            _options(
                "可正常自行控制大便排出",
                # source: S2, S3 "每周<1次"; S1 has "每天<1次", which would overlap 2分.
                "有时出现（每周<1次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物",
                "经常出现（每天<1次，但每周>1次）便秘或大便失禁，或他人少量协助使用开塞露、尿垫等辅助用物",
                "大部分时间均出现（每天≥1次）便秘或大便失禁，但尚非完全失控，"
                "或他人大量协助使用开塞露、尿垫等辅助用物",
                "严重便秘或者完全大便失禁，需要依赖他人协助排便或清洁皮肤",
            ),
            definition="控制和排出粪便的能力",
        ),
        Item(
            "B.1.8",
            "如厕",
            _ASSISTANCE,
            note="评估中强调排泄前解开裤子、完成排泄后清洁身体、穿上裤子",
            definition="上厕所排泄大小便，并清洁身体",
        ),
    ),
)

BASIC_MOBILITY = Dimension(
    "B.2",
    "基础运动能力",
    (
        Item("B.2.1", "床上体位转移", _ASSISTANCE, definition="卧床翻身及坐起躺下"),
        Item("B.2.2", "床椅转移", _ASSISTANCE, definition="从坐位到站位，再从站位到坐位的转换过程"),
        Item(
            "B.2.3",
            "平地行走",
            _options(
                # source: S2, S3 "步行" and "摔倒风险"; S1 has "行走" and "跌倒风险".
                "独立平地步行50m左右，不需要协助，无摔倒风险",
                "能平地步行50m左右，存在摔倒风险，需要他人监护或指导，或使用拐杖、助行器等辅助工具",
                "在步行时需要他人少量扶持协助",
                "在步行时需要他人大量扶持协助",
                "完全不能步行",
            ),
            # source: S1; S2 has "包括他人辅助或者辅助工具的步行".
            note="包括他人辅助和使用辅具的步行",
            definition="双脚交互的方式在地面行动，总是一只脚在前",
        ),
        Item(
            "B.2.4",
            "上下楼梯",
            _options(
                "可独立上下楼梯（连续上下10个～15个台阶），不需要协助",
                "在他人指导或提示下完成",
                "需要他人协助，但以自身完成为主",
                "主要依靠他人协助，自身能给予配合；或者完全依赖他人协助，且不能给予配合",
            ),
            definition="双脚交替完成楼梯台阶连续的上下移动",
        ),
    ),
)

MENTAL_STATUS = Dimension(
    "B.3",
    "精神状态",
    (
        Item(
            "B.3.1",
            "时间定向",
            _options(
                # source: S1, S3 "（年、月）"; S2 has "（年、月、日、时）".
                "时间观念（年、月）清楚，日期（或星期几）可相差一天",
                "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）",
                "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节",
                "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间",
                "无时间观念",
            ),
            definition="知道并确认时间的能力",
        ),
        Item(
            "B.3.2",
            "空间定向",
            _options(
                "能在日常生活范围内单独外出，如在日常居住小区内独自外出购物等",
                "不能单独外出，但能准确知道自己日常生活所在地的地址信息",
                "不能单独外出，但知道较多有关自己日常生活的地址信息",
                "不能单独外出，但知道较少自己居住或生活所在地的地址信息",
                "不能单独外出，无空间观念",
            ),
            definition="知道并确认空间的能力",
        ),
        Item(
            "B.3.3",
            "人物定向",
            _options(
                "认识长期共同一起生活的人，能称呼并知道关系",
                "能认识大部分共同生活居住的人，能称呼或知道关系",
                "能认识部分日常同住的亲人或照护者等，能称呼或知道关系等",
                "只认识自己或极少数日常同住的亲人或照护者等",
                "不认识任何人（包括自己）",
            ),
            definition="知道并确认人物的能力",
        ),
        Item(
            "B.3.4",
            "记忆",
            _options(
                "总是能保持与社会、年龄所适应的记忆能力，能完整的回忆",
                "出现轻度的记忆紊乱或回忆不能（不能回忆即时信息，3个词语经过5分钟后仅能回忆0个～1个）",
                "出现中度的记忆紊乱或回忆不能（不能回忆近期记忆，不记得上一顿饭吃了什么）",
                # source: S3 prints "不记得自已的老朋友" (已 for 己); S1, S2 have "不记得自己老朋友".
                "出现重度的记忆紊乱或回忆不能（不能回忆远期记忆，不记得自己的老朋友）",
                "记忆完全紊乱或者完全不能对既往事物进行正确的回忆",
            ),
            definition="短时、近期和远期记忆能力",
        ),
        Item(
            "B.3.5",
            "理解能力",
            _options(
                "能正常理解他人的话",
                "能理解他人的话，但需要增加时间",
                "理解有困难，需频繁重复或简化口头表达",
                "理解有严重困难，需要大量他人帮助",
                "完全不能理解他人的话",
            ),
            definition="理解语言信息和非语言信息的能力（可借助平时使用助听设备等），即理解别人的话",
        ),
        Item(
            "B.3.6",
            "表达能力",
            _options(
                "能正常表达自己的想法",
                "能表达自己的需要，但需要增加时间",
                "表达需要有困难，需频繁重复或简化口头表达",
                "表达有严重困难，需要大量他人帮助",
                "完全不能表达需要",
            ),
            definition="表达信息能力，包括口头的和非口头的，即表达自己的想法",
        ),
        Item(
            "B.3.7",
            "攻击行为",
            _options("未出现", "近一个月内出现过攻击行为"),
            # source: S2 only (S1 and S3 print no note here).
            note="长期的行为状态",
            definition="身体攻击行为（如打/踢/推/咬/抓/摔东西）和语言攻击行为（如骂人、语言威胁、尖叫）",
        ),
        Item(
            "B.3.8",
            "抑郁症状",
            _options("未出现", "近一个月内出现过负性情绪"),
            note="长期的负性情绪",
            definition="存在情绪低落、兴趣减退、活力减退等症状，甚至出现妄想、幻觉、自杀念头或自杀行为",
        ),
        Item(
            "B.3.9",
            "意识水平",
            _options(
                "神志清醒，对周围环境能做出正确反应",
                "嗜睡，表现为睡眠状态过度延长。当呼唤或推动老年人的肢体时可唤醒，并能进行正确的交谈或执行"
                "指令，停止刺激后又继续入睡；意识模糊，注意力涣散，对外界刺激不能清晰的认识，空间和时间定向"
                "力障碍，理解力迟钝，记忆力模糊和不连贯",
                # 0分 covers both 昏睡 and 昏迷, so coma is not readable from this score: C.4 takes it from
                # A.5.11 昏迷 (see scoring).
                "昏睡，一般的外界刺激不能使其觉醒，给予较强烈的刺激时可有短时的意识清醒，醒后可简短回答"
                "提问，当刺激减弱后又很快进入睡眠状态；或者昏迷：意识丧失，随意运动丧失，对一般刺激全无反应",
            ),
            # source: S1 and S2 both print this note, carried over from MZ/T 039-2013, where 重度失能 was
            # the worst level. It contradicts C.4 (昏迷 → 能力完全丧失（完全失能）); scoring follows C.4.
            note="处于昏迷状态者，直接评定为重度失能",
            definition="机体对自身和周围环境的刺激做出应答反应的能力程度，包括清醒和持续的觉醒状态",
        ),
    ),
)

PERCEPTION_AND_PARTICIPATION = Dimension(
    "B.4",
    "感知觉与社会参与",
    (
        Item(
            "B.4.1",
            "视力",
            _options(
                "视力正常",
                "能看清楚大字体，但看不清书报上的标准字体；视力有限，看不清报纸大标题，但能辨认物体",
                "只能看到光、颜色和形状；完全失明",
            ),
            definition="感受存在的光线并感受物体的大小、形状的能力。在个体的最好矫正视力下进行评估",
        ),
        Item(
            "B.4.2",
            "听力",
            _options(
                "听力正常",
                "在轻声说话或说话距离超过2米时听不清；正常交流有些困难，需在安静的环境或大声说话才能听到",
                "讲话者大声说话或说话很慢，才能部分听见；完全失聪",
            ),
            definition="能辨别声音的方位、音调、音量和音质的有关能力（可借助平时使用助听设备等）",
        ),
        Item(
            "B.4.3",
            "执行日常事务",
            _options(
                "能完全独立计划、安排和完成日常事务，无需协助",
                "在计划、安排和完成日常事务时需要他人监护或指导",
                "在计划、安排和完成日常事务时需要少量协助",
                "在计划、安排和完成日常事务时需要大量协助",
                "完全依赖他人进行日常事务",
            ),
            definition="计划、安排并完成日常事务，包括但不限于洗衣服、小金额购物、服药管理",
        ),
        Item(
            "B.4.4",
            "使用交通工具外出",
            _options(
                "能自己骑车或搭乘公共交通工具外出",
                # source: S3; S1 has "其他交通工具外出".
                "能自己搭乘出租车，但不会搭乘其他公共交通工具外出",
                "当有人协助或陪伴，可搭乘公共交通工具外出",
                "只能在他人协助下搭乘出租车或私家车外出；完全不能出门，或者外出完全需要协助",
            ),
        ),
        Item(
            "B.4.5",
            "社会交往能力",
            _options(
                "参与社会，在社会环境有一定的适应能力，待人接物恰当",
                "能适应单纯环境，主动接触他人，初见面时难让人发现智力问题，不能理解隐喻语",
                "脱离社会，可被动接触，不会主动待他人，谈话中很多不适词句，容易上当受骗",
                "勉强可与他人接触，谈吐内容不清楚，表情不恰当",
                "不能与人交往",
            ),
        ),
    ),
)

DIMENSIONS: tuple[Dimension, ...] = (SELF_CARE, BASIC_MOBILITY, MENTAL_STATUS, PERCEPTION_AND_PARTICIPATION)

# Every item by code, in the standard's order.
ITEMS = MappingProxyType({item.code: item for dimension in DIMENSIONS for item in dimension.items})

CONSCIOUSNESS_ITEM = "B.3.9"  # 意识水平

MAX_TOTAL = sum(dimension.max_score for dimension in DIMENSIONS)  # 90

# C.3 老年人能力初步等级 and the score bands of the level table.
LEVELS: tuple[Level, ...] = (
    Level(0, "能力完好", 90, 90),
    Level(1, "能力轻度受损（轻度失能）", 66, 89),
    Level(2, "能力中度受损（中度失能）", 46, 65),
    Level(3, "能力重度受损（重度失能）", 30, 45),
    Level(4, "能力完全丧失（完全失能）", 0, 29),
)

# C.4 能力等级变更依据, as the report form prints it (source: S2). Its preamble names the inputs: the
# coma answer of A.5.11, the diagnoses of A.4.1 and the care-risk events of A.2.14.
LEVEL_CHANGE_PREAMBLE = (
    "依据附录A中表A.5的A.5.11“昏迷”、表A.4的A.4.1“疾病诊断”和表A.2的A.2.14“近30天内照护风险事件”"
    "确定是否存在以下导致能力等级变更的项目"
)
LEVEL_CHANGE_BASIS: tuple[str, ...] = (
    "处于昏迷状态者，直接评定为能力完全丧失（完全失能）",
    "确诊为痴呆（F00～F03）、精神科专科医生诊断的其他精神和行为障碍疾病（F04～F99），在原有能力级别上应提高一个级别",
    "近30天内发生过2次及以上照护风险事件（如跌倒、噎食、自杀、自伤、走失等），在原有能力级别上提高一个等级",
)


# ---------------------------------------------------------------------------------------------------
# Appendix A — choice lists


@dataclass(frozen=True)
class Diagnosis:
    name: str
    icd10: str  # as printed in A.4.1; "" where the standard gives no code


@dataclass(frozen=True)
class HealthProblem:
    code: str  # "A.5.1"
    name: str
    choices: tuple[str, ...]  # empty for the free-text A.5.12
    multiple: bool = False  # "（可多选）"
    note: str = ""


# A.1.3 评估原因. source: S3 and a second form agree on "因对评估结果有疑问进行的复评".
ASSESSMENT_REASONS: tuple[str, ...] = (
    "首次评估",
    "常规评估",
    "即时评估",
    "因对评估结果有疑问进行的复评",
    "其他",
)

# A.2.14 近30天内照护风险事件, each answered with one of RISK_EVENT_FREQUENCIES (source: S2; the order
# also in a second form).
RISK_EVENTS: tuple[str, ...] = ("跌倒", "走失", "噎食", "自杀、自伤", "其他")

# (count, text); 3 stands for "3次及以上". Numerals as two forms print them; S2 writes 一次/两次/三次.
RISK_EVENT_FREQUENCIES: tuple[tuple[int, str], ...] = (
    (0, "无"),
    (1, "发生过1次"),
    (2, "发生过2次"),
    (3, "发生过3次及以上"),
)

# A.4.1 疾病诊断（可多选）: named diseases with ICD-10 code ranges (not ICD-10 chapters). Only the last two
# feed C.4. source: S2 and S3 agree, including "M80～82" as printed.
DISEASE_DIAGNOSES: tuple[Diagnosis, ...] = (
    Diagnosis("高血压病", "I10～I15"),
    Diagnosis("冠心病", "I25"),
    Diagnosis("糖尿病", "E10～E14"),
    Diagnosis("肺炎", "J12～J18"),
    Diagnosis("慢性阻塞性肺疾病", "J44"),
    Diagnosis("脑出血", "I60～I62"),
    Diagnosis("脑梗塞", "I63"),
    Diagnosis("尿路感染（30天内）", ""),
    Diagnosis("帕金森综合征", "G20～G22"),
    Diagnosis("慢性肾衰竭", "N18～N19"),
    Diagnosis("肝硬化", "K74"),
    Diagnosis("消化性溃疡", "K20～K31"),
    Diagnosis("肿瘤", "C00～D48"),
    Diagnosis("截肢（6个月内）", ""),
    Diagnosis("骨折（3个月内）", "M84"),
    Diagnosis("癫痫", "G40"),
    Diagnosis("甲状腺功能减退症", "E01～E03"),
    Diagnosis("白内障", "H25～H26"),
    Diagnosis("青光眼", "H40～H42"),
    Diagnosis("骨质疏松症", "M80～82"),
    Diagnosis("痴呆", "F00～F03"),
    Diagnosis("其他精神和行为障碍", "F04～F99"),
    Diagnosis("其他", ""),
)

DEMENTIA = DISEASE_DIAGNOSES[-3]
OTHER_MENTAL_DISORDER = DISEASE_DIAGNOSES[-2]

# A.5 健康相关问题. A.5.6's two sub-lists are flattened as "牙列缺损：…" / "牙列缺失：…".
HEALTH_PROBLEMS: tuple[HealthProblem, ...] = (
    HealthProblem(
        "A.5.1",
        "压力性损伤",
        (
            "无",
            "Ⅰ期：皮肤完好，出现指压不会变白的红印",
            "Ⅱ期：皮肤真皮层损失、暴露，出现水疱",
            "Ⅲ期：全层皮肤缺失，可见脂肪、肉芽组织以及边缘内卷",
            "Ⅳ期：全层皮肤、组织缺失，可见肌腱、肌肉、腱膜，以及边缘内卷，伴随隧道、潜行",
            "不可分期：全身皮肤、组织被腐肉、焦痂掩盖，无法确认组织缺失程度，去除腐肉、焦痂才可判断损伤程度",
        ),
    ),
    # The second choice is followed by the affected part (部位), written in.
    HealthProblem(
        "A.5.2", "关节活动度", ("无，没有影响日常生活功能", "是，影响日常生活功能，部位", "无法判断")
    ),
    HealthProblem(
        "A.5.3",
        "伤口情况",
        ("无", "擦伤", "烧烫伤", "术后伤口", "糖尿病足溃疡", "血管性溃疡", "其他伤口"),
        multiple=True,
    ),
    HealthProblem(
        "A.5.4",
        "特殊护理情况",
        ("无", "胃管", "尿管", "气管切开", "胃/肠/膀胱造瘘", "无创呼吸机", "透析", "其他"),
        multiple=True,
    ),
    HealthProblem(
        "A.5.5",
        "疼痛感",
        (
            "无疼痛",
            "轻度疼痛",
            "中度疼痛（尚可忍受的程度）",
            "重度疼痛（无法忍受的程度）",
            "不知道或无法判断",
        ),
        note="通过表情反应和询问来判断",
    ),
    HealthProblem(
        "A.5.6",
        "牙齿缺失情况",
        (
            "无缺损",
            "牙体缺损（如龋齿、楔状缺损）",
            "牙列缺损：非对位牙缺失",
            "牙列缺损：单侧对位牙缺失",
            "牙列缺损：双侧对位牙缺失",
            "牙列缺失：上颌牙缺失",
            "牙列缺失：下颌牙缺失",
            "牙列缺失：全口牙缺失",
        ),
        multiple=True,
    ),
    HealthProblem(
        "A.5.7", "义齿佩戴情况", ("无义齿", "固定义齿", "可摘局部义齿", "可摘全/半口义齿"), multiple=True
    ),
    HealthProblem(
        "A.5.8",
        "吞咽困难的情形和症状",
        (
            "无",
            "抱怨吞咽困难或吞咽时会疼痛",
            "吃东西或喝水时出现咳嗽或呛咳",
            "用餐后嘴中仍含着食物或留有残余食物",
            "当喝或吃流质或固体的食物时，食物会从嘴角边流失",
            "有流口水的情况",
        ),
        multiple=True,
    ),
    HealthProblem(
        "A.5.9",
        "营养不良：体质指数（BMI）低于正常值",
        ("无", "有"),
        note="BMI=体重（kg）/[身高（m）]²",
    ),
    HealthProblem("A.5.10", "清理呼吸道无效", ("无", "有")),
    HealthProblem("A.5.11", "昏迷", ("无", "有")),  # the coma answer C.4 uses
    HealthProblem("A.5.12", "其他", ()),  # "其他（请补充）": free text
)

COMA_PROBLEM = "A.5.11"
