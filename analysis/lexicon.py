"""Small hand-written lexicons for negation and complaint language.

The labelled corpora we train on (Weibo, delivery and hotel reviews) contain little
government-complaint register ("没人管", "推诿", "拖了半年"), so these lists give the
linear models a few dense, domain-general features whose weights *are* learnt from the
corpora but which also fire on complaint phrasing the corpora never saw.
Written by hand for this project; not derived from any corpus.
"""

from __future__ import annotations

import re

# Tokens that flip the polarity of the next few tokens ("不 满意", "没 解决", "不是 很 好").
NEGATORS: frozenset[str] = frozenset(
    {"不", "没", "没有", "无", "未", "非", "别", "莫", "勿", "毫不", "并不", "并非", "不是",
     "不太", "不够", "不怎么", "从不", "从未", "尚未", "还没", "还未", "没能", "未能", "不能",
     "不会", "不再", "难以", "绝不", "决不", "谈不上", "算不上", "不算"}
)
# How many following tokens a negator reaches; short because Chinese negation is local.
NEGATION_WINDOW = 3
# Negation scope ends at clause punctuation.
CLAUSE_BREAKS: frozenset[str] = frozenset("，,。.！!？?；;：:、\n…~～")

POSITIVE_WORDS: frozenset[str] = frozenset(
    {"好", "满意", "高兴", "开心", "感谢", "谢谢", "点赞", "赞", "支持", "喜欢", "不错", "优秀",
     "方便", "及时", "干净", "舒适", "热情", "周到", "快", "好吃", "美味", "放心", "温暖",
     "感动", "幸福", "加油", "棒", "称赞", "表扬", "值得", "推荐", "负责", "认真",
     "耐心", "安心", "顺利", "成功", "祝福", "平安", "健康", "美好",
     "欣慰", "佩服", "致敬", "惠民", "便民", "到位", "有效", "划算", "实惠", "新鲜", "准时"}
)
NEGATIVE_WORDS: frozenset[str] = frozenset(
    {"差", "脏", "乱", "慢", "贵", "难吃", "失望", "生气", "愤怒", "气愤", "恶心", "垃圾",
     "糟糕", "投诉", "举报", "敷衍", "推诿", "扯皮", "不作为", "乱作为", "拖延", "拖欠",
     "欠薪", "扰民", "噪音", "污染", "臭", "违规", "违法", "违建", "乱收费", "坑", "骗",
     "欺骗", "霸王", "强制", "威胁", "难受", "伤心", "难过", "害怕", "恐惧", "担心", "焦虑",
     "无奈", "心寒", "寒心", "可怜", "悲哀", "痛心", "冷漠", "恶劣", "严重", "危险", "隐患",
     "事故", "死", "骂", "吵", "堵", "漏水", "积水", "停水", "停电", "破损", "塌", "损坏",
     "坏", "困难", "麻烦", "不满", "不满意", "无语", "呵呵", "差评", "太差", "退款",
     "烦", "吐槽", "抱怨", "欺负", "刁难", "索要", "贪污", "腐败", "黑",
     "克扣", "无人", "没人管", "不管", "不理", "不回复"}
)
# Negated lexicon words ("不满意", "不是很好", "不差") are separate features rather than
# flipped counts: the corpora decide how strongly a denial weighs, and a denied
# complaint ("不差") is usually weaker praise than a plain one.

# Multi-token phrases matched on the raw text, because jieba splits them differently
# depending on context ("还没 解决" vs "还 没 解决"). Grievances carry negative polarity.
GRIEVANCE_PHRASES: tuple[str, ...] = (
    "没人管", "无人管", "没有人管", "无人问津", "不作为", "推诿", "扯皮", "踢皮球", "敷衍",
    "还没解决", "还没有解决", "没有解决", "未解决", "得不到解决", "迟迟", "一直没", "至今没",
    "至今未", "拖了", "拖欠", "欠薪", "讨薪", "不给退", "拒不", "乱收费", "乱搭", "乱建",
    "乱停", "乱倒", "违章", "违建", "扰民", "噪音", "恶臭", "安全隐患", "强拆", "克扣",
    "被骗", "严重影响", "苦不堪言", "怨声载道", "忍无可忍", "凭什么", "不满意", "不高兴",
    "太差", "差评", "失望", "气愤", "愤怒", "心寒", "坑人", "骗人", "不负责任", "没人理",
    "不理睬", "不回复", "石沉大海", "无人处理", "没有回应", "没有任何回应",
    # Harm stated as fact, without any appeal: pollution, nuisance, danger, loss.
    "偷排", "偷偷排放", "直排", "排放废气", "排放污水", "乱排", "刺鼻", "熏得", "呛人", "头晕",
    "臭气", "异味", "黑烟", "粉尘", "污染严重", "吵得", "无法入睡", "睡不着", "彻夜",
    "深夜施工", "半夜", "坑害", "霸占", "侵占", "占道", "堵死", "险些", "差点出事",
    "随时可能", "提心吊胆", "叫苦不迭", "损失惨重", "讨不到", "拿不到", "不给办",
    "乱收", "多收", "强行", "强制", "被迫", "被打", "殴打", "威胁", "恐吓",
)
# Appeals to an authority: the mark of a 诉求 even when the tone is polite.
APPEAL_PHRASES: tuple[str, ...] = (
    "投诉", "举报", "反映", "请求", "恳请", "希望政府", "希望有关部门", "请有关部门",
    "相关部门", "有关部门", "请领导", "领导", "尽快", "解决", "处理一下", "督促", "监管",
    "整改", "整治", "怎么办", "为什么", "何时", "什么时候", "到底", "诉求", "维权", "上访",
    "信访", "求助", "呼吁", "建议", "咨询", "请问", "能否", "是否", "市长", "书记", "政府",
)
_GRIEVANCE_RE = re.compile("|".join(re.escape(p) for p in GRIEVANCE_PHRASES))
_APPEAL_RE = re.compile("|".join(re.escape(p) for p in APPEAL_PHRASES))


def grievance_hits(text: str) -> int:
    """Non-overlapping occurrences of grievance phrases in ``text``."""
    return len(_GRIEVANCE_RE.findall(text))


def appeal_hits(text: str) -> int:
    """Non-overlapping occurrences of appeal-to-authority phrases in ``text``."""
    return len(_APPEAL_RE.findall(text))


# Complaint cues: features of the complaint detector only (``complaint.complaint_cues``),
# one binary feature per family. A terse grievance ("物业公司根本不管") has few words the
# message board taught, so these name its structure: a request for action, neglect by
# whoever should act, wrongdoing done to the writer, a service getting worse. "official"
# marks the register of news and replies (通报/查处/开展), which discuss the same matters.
_CLAUSE = r"[^，,。！？!?；;\n]"
COMPLAINT_CUES: dict[str, re.Pattern[str]] = {
    # Bare "要求" is left out: in official text it is an instruction ("要求其立即整改").
    "request": re.compile(
        r"(请|恳请|恳求|希望|强烈要求|请求|呼吁|盼望|期盼|麻烦)" + _CLAUSE + r"{0,12}?"
        r"(解决|调查|查处|处理|整治|整改|核查|核实|查一查|查查|查一下|管一管|管管|过问|介入|"
        r"主持公道|公道|说法|退还|退回|退费|赔偿|追回|严惩|取缔|清理|维修|修复|修一下|恢复|"
        r"落实|兑现)"),
    "neglect": re.compile(
        r"(没人|无人|没有人|没有任何人|没一个人)(管|理|处理|过问|解决|负责|修|回应|回复|问津|来)"
        r"|(根本|从来|一直|始终|迟迟|至今|仍然|还是|也|都|就是)(不|没|没有|未|不予)"
        r"(管|理|处理|解决|修|回复|回应|答复|落实|兑现|到位|退|给)"
        r"|推诿|扯皮|踢皮球|敷衍|不作为|石沉大海|投诉无门|无人问津|不了了之|置之不理|不闻不问|视而不见"),
    "wrongdoing": re.compile(
        r"乱收费|乱收|乱罚|乱扣|多收|强收|强制收|侵占|挪用|截留|克扣|贪污|冒领|套取|虚报|拖欠|欠薪|"
        r"霸占|强拆|强占|骗取|虚假宣传|欺诈|宰客|刁难|吃拿卡要|索贿|勒索|暗箱"),
    "degrade": re.compile(
        r"(太|很|非常|特别|极其|越来越|极|十分)(慢|差|贵|脏|吵|臭|破)|贵得|慢得|差得"
        r"|经常(坏|停|断|堵|漏|出问题|出故障|失灵)|(年年|一直|又|再次|屡次)涨|坏了|停了|断了|堵了"),
    "official": re.compile(
        r"查处|通报|立案|处罚|罚款|责令|督促|专项|行动|据悉|记者|获悉|近日|日前|据了解|开展|组织|"
        r"召开|部署|印发|发布|公布|累计|共计|截至"),
}


def complaint_cue_families(text: str) -> list[str]:
    """The complaint-cue families (keys of COMPLAINT_CUES) that occur in ``text``."""
    return [name for name, rx in COMPLAINT_CUES.items() if rx.search(text)]
