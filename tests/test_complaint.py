from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import jieba
import pytest
from conftest import require_corpus

from analysis.complaint import ComplaintModel


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


@pytest.mark.xfail(strict=True, reason="known gap: a grievance stated without an explicit "
                   "appeal phrase (希望/解决/投诉...) scores below 0.5 (measured 0.16)")
def test_grievance_without_explicit_appeal() -> None:
    text = "村旁边的化工厂每天晚上偷偷排放废气，气味刺鼻，村民头晕恶心，请环保部门来查一查。"
    assert predict(text, "化工厂排放废气")[0]


@pytest.mark.parametrize(
    "text",
    [
        "11月30日，县委召开常委会会议，传达学习全省经济工作会议精神，研究部署明年重点工作。"
        "会议强调，要坚持稳中求进工作总基调，推动高质量发展。",
        "酒店位置很好，房间干净，服务热情，早餐丰富，下次还会再来。",
        "今天天气真好，和朋友一起去公园散步，开心！",
    ],
)
def test_news_reviews_and_chat_are_not_complaints(text: str) -> None:
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


@pytest.mark.corpus
def test_category_accuracy_on_hand_checked_sample() -> None:
    require_corpus("complaints")
    from corpus_data import complaint_splits

    board = {d.key: d for d in complaint_splits()["board"][1]}
    path = Path(__file__).resolve().parents[1] / "tools" / "category_handcheck.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    model = ComplaintModel.load()
    hits = 0
    for r in rows:
        d = board[f"board:{r['留言编号']}"]
        hits += model.category(jieba.lcut(d.text), d.text, d.title) == r["一级分类"]
    # Measured 0.62 (macro-F1 0.38): below the 0.70 target, see the report. Regression floor.
    assert hits / len(rows) >= 0.55
