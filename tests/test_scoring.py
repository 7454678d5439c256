"""The joint scorer gives exactly what the three reference models give, document by document."""

from __future__ import annotations

import jieba
import pytest

from analysis.complaint import ComplaintModel
from analysis.features import base_features
from analysis.scoring import JointScorer
from analysis.sentiment import SentimentModel

DOCS = [
    ("河口镇自来水发黄有异味，有人管吗",
     "河口镇自来水发黄有异味已经好几天了，水厂一直没有说法，很不满意。"),
    ("", "这家店的外卖太难吃了，再也不会点了"),
    ("县人民医院开通预约挂号服务", "记者从县人民医院获悉，该院已全面开通线上预约挂号服务。"),
    ("拖欠工资三个月", "老板拖欠我们十几个工人的工资快三个月了，希望劳动部门帮忙讨薪。"),
    ("小区物业乱收费", "物业费年年涨，电梯却经常坏，物业公司根本不管。"),
    ("孩子上学难", "学校离家太远，希望教育局在我们小区附近规划一所小学。"),
    ("", "今天天气真好，心情不错"),
    ("", "村干部侵占扶贫款，请纪委调查。"),
    ("县纪委通报两起典型问题",
     "近日，县纪委监委通报两起侵占扶贫资金典型问题，督促各地开展专项整治。"),
]


@pytest.mark.parametrize(("title", "text"), DOCS)
def test_joint_scores_equal_the_reference_models(title, text):
    title_tokens = jieba.lcut(title)
    tokens = title_tokens + jieba.lcut(text)
    sc = JointScorer.load().score(base_features(tokens, text), title, text, title_tokens,
                                 tokens)
    ref_score, ref_label = SentimentModel.load().score(tokens, text)
    complaint, c_score, category = ComplaintModel.load().predict(
        tokens, text, title, title_tokens=title_tokens)
    assert sc.sentiment == pytest.approx(ref_score, abs=1e-9)
    assert sc.sentiment_label == ref_label
    assert sc.complaint_score == pytest.approx(c_score, abs=1e-9)
    assert (sc.complaint, sc.category) == (complaint, category)
