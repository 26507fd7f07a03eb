"""Default commitment texts: the six-point 《诚信计量承诺书》 (Luyi county, Henan, 2018; reference/domain.md §3.2)
plus items common in each sector's local programmes. Regulators publish these as version 1 and edit
them as new versions; they are data, not code paths."""

from __future__ import annotations

TITLE = "诚信计量承诺书"
PREAMBLE = "为维护消费者合法权益，营造诚实守信的计量环境，本经营者郑重作出如下承诺："

COMMON = [
    "自觉遵守计量法律法规，主动接受市场监督管理部门和消费者的监督。",
    "以商品量作为结算依据的，配备合格的计量器具，满足交易需要，符合《零售商品称重计量监督管理办法》规定的允差。",
    "使用的计量器具经法定计量检定机构检定合格，不使用未经检定、超过检定周期或检定不合格的计量器具，不破坏计量器具准确度。",
    "现场交易明示计量单位、计量过程和计量器具显示的量值；杜绝短斤少两，一经确认，赔偿消费者损失。",
    "销售定量包装商品符合《定量包装商品计量监督管理办法》，不销售净含量不合格的商品。",
    "规范操作，准确计量，诚信经营，执行《商业、服务业诚信计量行为规范》。",
]
DISPLAY = "将本承诺书悬挂于经营场所醒目位置，并公布投诉举报电话，接受社会监督。"
LEDGER = "建立计量器具台账和周期检定制度，按期申请检定。"

SECTOR_EXTRAS: dict[str, list[str]] = {
    "market": ["在市场内设置公平秤，供消费者免费复核商品量。", "不使用、不销售带有作弊功能的电子计价秤。"],
    "fuel": ["设置计量公平罐，供消费者复核加油量。", "不擅自改动加油机计量系统，不使用作弊装置。"],
    "catering": ["按量计价的菜品明示计量单位和称重结果。"],
    "retail": ["称重商品去皮计量，明示单价、重量和金额。"],
    "optical": ["验光、配镜使用的计量器具经检定合格，如实出具验光结果。"],
    "medical": ["医疗卫生用计量器具按期检定，确保诊疗数据准确可靠。"],
    "ev_charging": ["充电设施经首次检定合格后方可投入使用，明示充电电量和计费标准。"],
    "prepackaged": ["建立定量包装商品净含量计量保证体系，出厂前进行净含量检验。"],
    "transport": ["出租汽车计价器按期检定，不破坏计价器铅封。"],
    "other": [],
}


def points_for(sector_code: str) -> list[str]:
    return [*COMMON, *SECTOR_EXTRAS.get(sector_code, []), DISPLAY, LEDGER]
