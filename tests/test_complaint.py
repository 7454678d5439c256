from __future__ import annotations

import json
from importlib import resources

import jieba
import pytest
from conftest import require_corpus

from analysis.complaint import ComplaintModel, complaint_cues


def predict(text: str, title: str = "") -> tuple[bool, float, str | None]:
    return ComplaintModel.load().predict(jieba.lcut(text), text, title)


def test_model_loads_once() -> None:
    assert ComplaintModel.load() is ComplaintModel.load()


def test_taxonomy_packaged() -> None:
    doc = json.loads(resources.files("analysis").joinpath("data", "category_taxonomy.json")
                     .read_text(encoding="utf-8"))
    tax = doc["taxonomy"]
    assert len(tax) == 15
    assert "城乡建设" in tax and "小区管理" in tax["城乡建设"]["城市建设和市政管理"]
    model = ComplaintModel.load()
    assert set(model.categories.classes) <= set(tax)


@pytest.mark.parametrize(
    ("title", "text", "category"),
    [
        ("投诉某某小区物业乱收费", "小区物业公司今年擅自提高物业费，还乱收停车费，业主多次投诉，"
         "至今没人管，请有关部门尽快处理。", "城乡建设"),
        ("请求解决孩子入学问题", "孩子今年该上小学了，学校以户口不在学区为由拒绝报名，"
         "希望教育局帮忙解决孩子上学的问题。", "教育文体"),
        ("公司拖欠工资半年", "我在某建筑公司打工，公司拖欠我们二十多名农民工工资已经半年，"
         "多次讨要无果，恳请劳动监察部门帮我们讨回血汗钱。", "劳动和社会保障"),
        ("化工厂排放废气", "村旁边的化工厂每天晚上偷偷排放废气，气味刺鼻，村民头晕恶心，"
         "请环保部门来查一查，希望尽快解决。", "环境保护"),
    ],
)
def test_appeals_are_complaints_with_category(title: str, text: str, category: str) -> None:
    is_c, score, cat = predict(text, title)
    assert is_c and score >= 0.5
    assert cat == category


def test_grievance_without_explicit_appeal() -> None:
    text = "村旁边的化工厂每天晚上偷偷排放废气，气味刺鼻，村民头晕恶心，请环保部门来查一查。"
    assert predict(text, "化工厂排放废气")[0]


@pytest.mark.parametrize(
    "text",
    [
        "村旁边的化工厂每天晚上偷偷排放废气，气味刺鼻，村民头晕恶心。",
        "小区楼下的烧烤摊每天营业到凌晨三点，油烟和吵闹声让我们根本无法入睡。",
        "工地晚上十一点还在施工，噪音太大，老人小孩都睡不着。",
        "我们村的路坑坑洼洼，一下雨就全是泥，孩子上学摔了好几次。",
        "公司已经拖欠我们三个月工资了，老板电话也打不通。",
    ],
)
def test_bare_grievances_are_complaints(text: str) -> None:
    is_c, score, _ = predict(text)
    assert is_c, (text, score)


@pytest.mark.xfail(strict=True, reason="known gap: a terse grievance with everyday words "
                   "and no pollution/nuisance/arrears cue scores below 0.5 (measured 0.44 "
                   "with the cue features, 0.27 before)")
def test_terse_property_grievance() -> None:
    assert predict("物业费年年涨，电梯却经常坏，物业公司根本不管。")[0]


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("村干部侵占扶贫款，请纪委调查。", {"wrongdoing", "request"}),
        ("物业费年年涨，电梯却经常坏，物业公司根本不管。", {"degrade", "neglect"}),
        # an instruction in an official reply is not a citizen's request
        ("街道已要求其立即整改。", set()),
        ("近日，市场监管局开展价格专项检查。", {"official"}),
    ],
)
def test_complaint_cue_families(text: str, families: set[str]) -> None:
    assert {k.removeprefix("cue:") for k in complaint_cues("", text)} == families


@pytest.mark.parametrize(
    "text",
    [
        # news register, including local-government news on complaint topics
        "据新华社电，国务院常务会议部署进一步做好稳就业工作，要求各地落实援企稳岗政策。",
        "近日，市生态环境局组织开展大气污染防治专项检查，共检查企业120家，督促整改问题35个。",
        "今年以来，我县累计新建改建农村公路86公里，群众出行条件明显改善。",
        # praise
        "社区志愿者上门为独居老人送去米面油，老人们连声道谢，社区真是太暖心了。",
        "点赞！我们小区新装的电梯运行平稳，物业服务也越来越好了。",
        # neutral notices
        "通知：因管道检修，本周六上午8时至12时城东片区暂停供水，请居民提前做好储水准备。",
        "县图书馆将于国庆期间正常开放，开放时间为上午9点至下午5点。",
    ],
)
def test_news_praise_and_notices_are_not_complaints(text: str) -> None:
    is_c, score, cat = predict(text)
    assert not is_c, (text, score)
    assert cat is None


# --- corpus-backed floors (dev splits and the hand-checked sample) ---

@pytest.mark.corpus
def test_complaint_detection_floor() -> None:
    require_corpus("complaints")
    from corpus_data import complaint_splits

    model = ComplaintModel.load()
    splits = complaint_splits()
    board = splits["board"][1]
    recall = sum(model.complaint_score(jieba.lcut(d.text), d.text, d.title) >= 0.5
                 for d in board) / len(board)
    negatives = splits["news"][1] + splits["weibo"][1][:300] + splits["hotel"][1][:300]
    fpr = sum(model.complaint_score(jieba.lcut(d.text), d.text, d.title) >= 0.5
              for d in negatives) / len(negatives)
    assert recall >= 0.9
    assert fpr <= 0.1


# Runtime path measured accuracy 0.780, macro-F1 0.625 (analysis/data/README.md); floors
# below by about the macro-F1's bootstrap sd over these 563 messages (0.04): with 3-16
# messages in each rare class, one message moves it by 0.01-0.05.
ACCURACY_FLOOR = 0.75
MACRO_F1_FLOOR = 0.58


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Mean F1 over the classes present in ``gold``."""
    scores = []
    for c in sorted(set(gold)):
        tp = sum(g == p == c for g, p in zip(gold, pred, strict=True))
        n_pred, n_gold = pred.count(c), gold.count(c)
        scores.append(2 * tp / (n_pred + n_gold) if tp else 0.0)
    return sum(scores) / len(scores)


@pytest.mark.corpus
def test_category_on_annotated_dev_split() -> None:
    """The runtime path (Analyzer) against the annotated dev split, never trained on."""
    require_corpus("complaints")
    from corpus_data import complaint_splits, load_category_labels

    from analysis.pipeline import Analyzer
    from yuqing.config import load_config

    labels = load_category_labels()
    docs = [d for d in complaint_splits()["board"][1] if d.key in labels]
    analyzer = Analyzer.from_config(load_config())
    gold = [labels[d.key][0] for d in docs]
    pred = [analyzer.features(d.title, d.text).category or "-" for d in docs]
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(docs)
    macro = macro_f1(gold, pred)
    assert len(docs) >= 500
    assert accuracy >= ACCURACY_FLOOR
    assert macro >= MACRO_F1_FLOOR


@pytest.mark.parametrize("text", [
    "我对这次处理结果很不满意，拖了半年还没解决，请领导重视。",
    "打了好几次电话都没人管，到现在也没有答复，希望尽快处理。",
])
def test_complaint_naming_no_subject_gets_no_category(text: str) -> None:
    # No cue word of any class: the argmax would be a guess, so both paths give None.
    from analysis.pipeline import Analyzer
    from yuqing.config import load_config

    complaint, _, category = predict(text)
    assert complaint and category is None
    f = Analyzer.from_config(load_config()).features("", text)
    assert f.complaint and f.category is None
    # One subject word is enough to classify again.
    text2 = text.replace("这次处理结果", "小区物业的处理结果").replace("打了", "小区停水，打了")
    assert predict(text2)[2] == "城乡建设"
