"""Weak 一级分类 labels for the message-board corpus (training only).

The message-board CSV has no category column, so training labels come from rules:
hand-written cue words per 一级分类 (seeded from the taxonomy's 2nd/3rd-level names,
extended with everyday wording) matched in the message title (weight 3) and body
(weight 1), plus the handling department named in the official reply (weight 2), which
is independent evidence of where the government itself routed the message. A message
gets a label only when the best category clearly beats the runner-up.

Buses and bus routes count as 城乡建设, because the taxonomy files 公共汽车 under
城乡建设 / 城市建设和市政管理, not under 交通运输. These labels are noisy. They are
validated against a hand-checked sample (tools/category_handcheck.csv), which is
excluded from training.
"""

from __future__ import annotations

import re

CUES: dict[str, tuple[str, ...]] = {
    "城乡建设": ("小区", "物业", "业主", "楼盘", "开发商", "房产", "购房", "商品房", "住房",
             "拆迁", "征收", "安置房", "棚改", "规划", "违建", "违章建筑", "施工", "工程",
             "修路", "道路", "路灯", "自来水", "供水", "停水", "燃气", "天然气", "供电", "停电",
             "电梯", "公租房", "廉租房", "保障房", "房产证", "不动产", "公积金", "城管", "市政",
             "下水道", "排水", "绿化", "公园", "环卫", "建筑", "渣土", "地铁", "公交", "停车",
             "车位", "物业费", "围墙", "人行道", "老旧小区", "提质改造", "暖气", "房屋"),
    "环境保护": ("污染", "噪音", "噪声", "扰民", "排放", "废气", "废水", "粉尘", "恶臭", "臭味",
             "环保", "环评", "焚烧", "油烟", "化工", "污水", "生态", "光污染", "辐射",
             "垃圾填埋", "黑臭", "搅拌站", "养殖场污染", "空气质量"),
    "交通运输": ("出租车", "的士", "网约车", "客运", "货运", "班车", "高速", "收费站", "公路",
             "国道", "省道", "快递", "邮政", "运管", "航班", "火车", "高铁", "车站", "道路运输",
             "交通局", "驾校", "货车", "超载"),
    "政法": ("公安", "派出所", "警察", "民警", "报警", "诈骗", "传销", "赌博", "黑恶", "治安",
           "盗窃", "打架", "户口", "户籍", "身份证", "落户", "交警", "驾驶证", "法院", "判决",
           "律师", "仲裁", "非法集资", "扫黑", "刑事", "犯罪", "违章停车", "闯红灯", "摩托车",
           "电动车", "限行", "罚款", "执法"),
    "劳动和社会保障": ("工资", "欠薪", "社保", "养老保险", "医保", "医疗保险", "退休", "养老金",
                "劳动合同", "辞退", "失业", "就业", "人社", "工伤", "加班", "五险一金", "社会保险",
                "职工", "劳动", "待遇", "编制", "临聘", "合同工", "事业单位", "薪酬", "离职",
                "人才引进", "招聘", "生育保险"),
    "教育文体": ("学校", "学生", "老师", "教师", "幼儿园", "小学", "中学", "高中", "大学", "学位",
             "入学", "招生", "教育", "补课", "学费", "考试", "中考", "高考", "体育", "文化",
             "图书馆", "广场舞", "校车", "学区", "校园", "家长", "孩子上学", "培训机构", "教材",
             "文物", "足球", "健身"),
    "卫生计生": ("医院", "医生", "看病", "医疗", "卫生院", "疫苗", "计生", "生育", "二胎",
             "独生子女", "食品安全", "药店", "药品", "诊所", "卫健", "护士", "手术", "医患",
             "急救", "传染病", "卫生局", "计划生育", "病人", "患者", "体检", "食品", "餐饮"),
    "商贸旅游": ("商家", "商场", "超市", "消费者", "购物", "价格", "市场监管", "工商", "营业执照",
             "旅游", "景区", "门票", "导游", "虚假宣传", "退款", "预付卡", "健身房", "商铺",
             "经营", "无证经营", "市场监督", "售后", "商品", "维权", "质监", "假冒", "广告",
             "产品质量", "消费"),
    "农村农业": ("农村", "农民", "村民", "土地承包", "承包地", "种植", "养殖", "惠农", "扶贫",
             "贫困户", "精准扶贫", "村委", "村干部", "村务", "水利", "水库", "农田", "林地",
             "山林", "移民", "农机", "动物防疫", "合作社", "农业", "耕地", "村组", "渠道", "灌溉",
             "林业", "生猪", "村集体", "农户"),
    "民政": ("低保", "救助", "养老院", "敬老院", "残疾", "残疾人", "居委会", "社区建设", "殡葬",
           "墓地", "公墓", "婚姻登记", "地名", "退役军人", "优抚", "老年人", "高龄补贴", "慈善",
           "社会组织", "选举", "民政", "老人", "特困", "孤儿", "退伍", "军人", "复员"),
    "国土资源": ("征地", "国土", "宅基地", "采矿", "矿山", "采砂", "挖沙", "地质", "气象", "地震",
             "土地证", "用地", "土地使用", "自然资源", "土地流转", "非法占地", "矿产"),
    "党务政务": ("党员", "党组织", "党费", "政务公开", "办事效率", "政府网站", "宗教", "民族",
             "信息公开", "行政审批", "窗口", "政务服务", "办事难", "机构改革", "公务员", "党建",
             "入党"),
    "经济管理": ("银行", "贷款", "金融", "保险公司", "证券", "股票", "国企", "改制", "破产", "税",
             "发票", "税务", "电价", "能源", "P2P", "理财", "投资", "财政", "企业", "债务",
             "融资", "民营", "营商环境"),
    "科技与信息产业": ("宽带", "电信", "移动公司", "联通", "信号", "基站", "知识产权", "专利",
                "信息化", "5G", "网速", "科技", "光纤", "通信", "网络"),
    "纪检监察": ("腐败", "贪污", "受贿", "行贿", "违纪", "吃拿卡要", "公车私用", "滥用职权",
             "渎职", "纪委", "以权谋私", "侵吞", "挪用", "作风", "优亲厚友", "虚报冒领"),
}
# Handling departments named in replies, mapped by hand to the 一级分类 whose business
# they handle (from the taxonomy's meaning; e.g. 交警 handle 政法/交通管理, 工商 and
# 质监 handle 商贸旅游/市场监管). Used for training labels only: at prediction time the
# reply does not exist.
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "城乡建设": ("住房和城乡建设", "住建局", "住建委", "城管局", "城管执法", "城市管理", "房产局",
             "房地产", "征收办", "征收与补偿", "规划局", "规划分局", "市政", "物业", "建设局",
             "住保局", "公积金管理中心", "公交集团", "公交公司", "轨道交通集团", "地铁",
             "自来水公司", "供水公司", "燃气公司", "电力公司", "供电公司", "园林局", "城乡规划"),
    "环境保护": ("环保局", "生态环境", "环境保护局", "环境监测", "环境执法", "环保分局"),
    "交通运输": ("交通运输局", "交通局", "运管", "公路局", "客运", "公路管理", "出租车",
             "邮政管理", "铁路"),
    "政法": ("公安局", "公安分局", "派出所", "交警", "法院", "司法局", "检察院", "出入境",
           "户政", "车管所", "消防"),
    "劳动和社会保障": ("人力资源和社会保障", "人社局", "社保局", "劳动监察", "社保中心",
                "医保局", "劳动保障", "人力资源", "社会保险", "医疗保障"),
    "教育文体": ("教育局", "教体局", "文旅", "文化局", "体育局", "学校", "教育厅", "文广",
             "招生", "图书馆"),
    "卫生计生": ("卫生健康", "卫健委", "卫健局", "卫生局", "计生", "疾控", "卫计委", "卫计局",
             "食药监", "食品药品"),
    "商贸旅游": ("市场监督管理", "市场监管", "工商局", "商务局", "旅游局", "质监局", "物价局",
             "工商分局", "质量技术监督"),
    "农村农业": ("农业农村", "农业局", "扶贫办", "水利局", "林业局", "畜牧", "农委", "水务局",
             "农业委员会"),
    "民政": ("民政局", "残联", "退役军人事务", "殡葬", "社区居委会"),
    "国土资源": ("国土资源局", "国土局", "自然资源", "国土分局", "气象局"),
    "党务政务": ("政务服务", "组织部", "宣传部", "统战部", "宗教", "编办", "网信办",
             "政务中心"),
    "经济管理": ("税务局", "财政局", "发改", "金融办", "工信", "国资委", "银监", "税务分局",
             "安监局", "应急管理"),
    "科技与信息产业": ("科技局", "通信管理", "电信公司", "移动公司", "联通公司", "知识产权局"),
    "纪检监察": ("纪委", "监委", "纪检", "监察委"),
}
_CUE_RES = {c: re.compile("|".join(map(re.escape, ws))) for c, ws in CUES.items()}
_DEPT_RES = {c: re.compile("|".join(map(re.escape, ws))) for c, ws in DEPARTMENTS.items()}
MIN_SCORE = 3.0
MIN_MARGIN = 1.5


def category_scores(title: str, text: str, reply: str = "") -> dict[str, float]:
    scores: dict[str, float] = {}
    for cat, rx in _CUE_RES.items():
        s = 3.0 * len(rx.findall(title)) + min(len(rx.findall(text[:1500])), 6)
        if reply:
            s += 2.0 * min(len(_DEPT_RES[cat].findall(reply[:600])), 2)
        if s:
            scores[cat] = s
    return scores


def department_scores(reply: str) -> dict[str, float]:
    """Departments named at the head of the official reply, per 一级分类 (max 2 each)."""
    out: dict[str, float] = {}
    for cat, rx in _DEPT_RES.items():
        n = min(len(rx.findall(reply[:600])), 2)
        if n:
            out[cat] = float(n)
    return out


def confident(scores: dict[str, float], min_score: float = MIN_SCORE,
              min_margin: float = MIN_MARGIN) -> str | None:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if not ranked or ranked[0][1] < min_score:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < min_margin:
        return None
    return ranked[0][0]


def weak_label(title: str, text: str, reply: str = "") -> str | None:
    """A 一级分类 when the rules are confident, else None (message left unlabelled)."""
    ranked = sorted(category_scores(title, text, reply).items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_SCORE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MIN_MARGIN:
        return None
    return ranked[0][0]
