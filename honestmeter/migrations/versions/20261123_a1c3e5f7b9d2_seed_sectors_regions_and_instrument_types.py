"""seed sectors, regions and the instrument-type catalogue

Revision ID: a1c3e5f7b9d2
Revises: 7fdb5bdbbaa6
Create Date: 2026-11-23 05:30:00

Reference data every deployment starts with; regulators edit it afterwards in the admin console.
Sectors follow the honest-metering programmes (reference/domain.md §3.3); regions are a starter
subset of GB/T 2260 (a bureau loads its own jurisdiction); instrument types follow SAMR's 2019
No. 48 catalogue with cycles from the JJG regulations, where found (domain.md §5.2: several are
marked "unconfirmed" there and are noted as such here).
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f7b9d2"
down_revision = "7fdb5bdbbaa6"
branch_labels = None
depends_on = None

SEEDED_AT = datetime(2026, 11, 23)  # naive UTC, as the app stores datetimes

SECTORS = [
    ("market", "集贸市场", "Markets", 10),
    ("fuel", "加油站", "Fuel stations", 20),
    ("catering", "餐饮", "Catering", 30),
    ("retail", "商店超市", "Shops and supermarkets", 40),
    ("optical", "眼镜制配", "Optical shops", 50),
    ("medical", "医疗机构", "Medical institutions", 60),
    ("ev_charging", "电动汽车充电设施", "EV charging", 70),
    ("prepackaged", "定量包装商品生产企业", "Prepackaged goods makers", 80),
    ("transport", "出租车/交通运输", "Taxis and transport", 90),
    ("other", "其他", "Other", 100),
]

PROVINCES = """110000 北京市|120000 天津市|130000 河北省|140000 山西省|150000 内蒙古自治区|210000 辽宁省|220000 吉林省
230000 黑龙江省|310000 上海市|320000 江苏省|330000 浙江省|340000 安徽省|350000 福建省|360000 江西省|370000 山东省
410000 河南省|420000 湖北省|430000 湖南省|440000 广东省|450000 广西壮族自治区|460000 海南省|500000 重庆市|510000 四川省
520000 贵州省|530000 云南省|540000 西藏自治区|610000 陕西省|620000 甘肃省|630000 青海省|640000 宁夏回族自治区
650000 新疆维吾尔自治区"""

# prefecture: counties/districts
LOCAL = {
    "110100 市辖区": "110101 东城区|110102 西城区|110105 朝阳区|110106 丰台区|110107 石景山区|110108 海淀区",
    "120100 市辖区": "120101 和平区|120102 河东区|120103 河西区|120104 南开区",
    "130100 石家庄市": "130102 长安区|130104 桥西区|130105 新华区|130108 裕华区",
    "310100 市辖区": "310101 黄浦区|310104 徐汇区|310105 长宁区|310106 静安区|310107 普陀区|310110 杨浦区|310115 浦东新区",
    "320100 南京市": "320102 玄武区|320104 秦淮区|320105 建邺区|320106 鼓楼区",
    "330100 杭州市": "330102 上城区|330105 拱墅区|330106 西湖区|330108 滨江区|330110 余杭区",
    "330300 温州市": "330302 鹿城区|330328 文成县",
    "350100 福州市": "350102 鼓楼区|350103 台江区|350104 仓山区",
    "350200 厦门市": "350203 思明区|350205 海沧区|350206 湖里区",
    "370100 济南市": "370102 历下区|370103 市中区",
    "370200 青岛市": "370202 市南区|370203 市北区",
    "410100 郑州市": "410102 中原区|410103 二七区|410105 金水区",
    "411600 周口市": "411602 川汇区|411628 鹿邑县",
    "420100 武汉市": "420102 江岸区|420103 江汉区|420106 武昌区|420111 洪山区",
    "440100 广州市": "440103 荔湾区|440104 越秀区|440105 海珠区|440106 天河区",
    "440300 深圳市": "440303 罗湖区|440304 福田区|440305 南山区|440306 宝安区|440307 龙岗区",
    "500100 市辖区": "500103 渝中区|500106 沙坪坝区",
    "510100 成都市": "510104 锦江区|510105 青羊区|510106 金牛区|510107 武侯区",
    "610100 西安市": "610102 新城区|610103 碑林区|610104 莲湖区",
}

# code, name, category, mode, cycle kind, cycle months, service-life months, regulation, note
INSTRUMENT_TYPES = [
    ("price_scale", "电子计价秤", "衡器", "P+V", "periodic", 12, None, "JJG 539-2016",
     "JJG 1204-2025《电子计价秤检定规程（试行）》自2027-01-08起施行"),
    ("platform_scale", "台秤/案秤", "衡器", "P+V", "periodic", 12, None, "JJG 539-2016", None),
    ("truck_scale", "汽车衡（地秤）", "衡器", "P+V", "periodic", 12, None, "JJG 539-2016", None),
    ("balance", "电子天平", "衡器", "P+V", "periodic", 12, None, "JJG 1036", None),
    ("fuel_dispenser", "燃油加油机", "流量", "P+V", "periodic", 6, None, "JJG 443",
     "周期未经核实（常见6个月至1年），以现行规程为准"),
    ("water_meter", "水表（DN15—DN50，贸易结算）", "流量", "P+V", "fixed_life", None, 72, None,
     "首次强制检定，限期使用，到期轮换；使用期限未经核实"),
    ("gas_meter", "膜式燃气表", "流量", "P+V", "fixed_life", None, 120, "JJG 577-2012", "天然气表一般不超过10年"),
    ("electricity_meter", "电能表", "电学", "P+V", "fixed_life", None, 96, None,
     "首次强制检定，限期使用，到期轮换；使用期限未经核实"),
    ("taxi_meter", "出租汽车计价器", "交通", "P+V", "periodic", 12, None, "JJG 517-2016", "周期未经核实（常见1年）"),
    ("ev_ac_charger", "电动汽车交流充电桩", "电学", "V", "periodic", 36, None, "JJG 1148-2022", "周期未经核实"),
    ("ev_dc_charger", "电动汽车非车载充电机", "电学", "V", "periodic", 36, None, "JJG 1149-2022", "周期未经核实"),
    ("sphygmomanometer", "血压计（表）", "医用", "V", "periodic", 12, None, None, "周期未经核实"),
    ("tonometer", "眼压计", "医用", "V", "periodic", 12, None, None, "周期未经核实"),
    ("refractometer", "验光仪", "医用", "V", "periodic", 12, None, None, "周期未经核实"),
    ("lensmeter", "焦度计", "医用", "V", "periodic", 12, None, None, "周期未经核实"),
    ("speed_radar", "机动车测速仪", "交通", "P+V", "periodic", 12, None, None, "2020年起实行周期检定"),
    ("tape_measure", "钢卷尺", "长度", "P", "none", None, None, None, "仅型式批准，不实行强制检定"),
]

sectors = sa.table(
    "sectors",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("name_en", sa.String),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
)
regions = sa.table(
    "regions",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("parent_code", sa.String),
    sa.column("level", sa.Integer),
)
instrument_types = sa.table(
    "instrument_types",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("category", sa.String),
    sa.column("mode", sa.String),
    sa.column("cycle_kind", sa.String),
    sa.column("cycle_months", sa.Integer),
    sa.column("service_life_months", sa.Integer),
    sa.column("regulation", sa.String),
    sa.column("note", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)


def _region_rows():
    rows = []
    for item in PROVINCES.replace("\n", "|").split("|"):
        code, name = item.split()
        rows.append({"code": code, "name": name, "parent_code": None, "level": 1})
    for prefecture, counties in LOCAL.items():
        code, name = prefecture.split()
        rows.append({"code": code, "name": name, "parent_code": code[:2] + "0000", "level": 2})
        for item in counties.split("|"):
            county, county_name = item.split()
            rows.append({"code": county, "name": county_name, "parent_code": code, "level": 3})
    return rows


def upgrade():
    op.bulk_insert(
        sectors,
        [{"code": c, "name": n, "name_en": e, "sort_order": s, "active": True} for c, n, e, s in SECTORS],
    )
    op.bulk_insert(regions, _region_rows())
    op.bulk_insert(
        instrument_types,
        [
            {
                "code": code, "name": name, "category": category, "mode": mode, "cycle_kind": kind,
                "cycle_months": months, "service_life_months": life, "regulation": regulation, "note": note,
                "active": True, "created_at": SEEDED_AT, "updated_at": SEEDED_AT,
            }
            for code, name, category, mode, kind, months, life, regulation, note in INSTRUMENT_TYPES
        ],
    )


def downgrade():
    op.execute(instrument_types.delete().where(instrument_types.c.code.in_([t[0] for t in INSTRUMENT_TYPES])))
    op.execute(regions.delete().where(regions.c.level == 3))
    op.execute(regions.delete().where(regions.c.level == 2))
    op.execute(regions.delete().where(regions.c.level == 1))
    op.execute(sectors.delete().where(sectors.c.code.in_([s[0] for s in SECTORS])))
