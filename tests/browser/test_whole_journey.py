"""Issue 8's whole journey in one Chromium run against one live server, every step through the pages people use:

1. a new merchant registers, the admin approves the account, the merchant adds an instrument and signs the
   honest-metering self-commitment (its grade: B 87);
2. the admin plans a spot check whose pool is that merchant alone (ratio 1 in every stratum, a county and sector
   no demo merchant shares), announces the draw, reveals it with the beacon named in advance, and sees the case;
3. the two inspectors the draw sent, each on a phone, record a cheating device (JL-02 不符合, result 09) and sign off;
4. the admin publishes the result, the grade falls to D 47 and the merchant reads why in the portal;
5. a visitor searches the merchant, verifies the published result in the browser against the ledger, files a
   complaint and follows it with its tracking code.

Each step leaves a full-page screenshot in test-artifacts/journey/ (HM_ARTIFACTS_DIR moves test-artifacts/).
Nothing waits on the clock: the draw has a named beacon, so only the admin reveals it, and anchoring is run with
the CLI where the scheduler would otherwise do it within a minute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from honestmeter.demo import seed as demo
from honestmeter.demo.inspections import png
from honestmeter.merchants import uscc as uscc_codes
from tests.browser.conftest import DESKTOP, PHONE, Album, Live, register, sign_in

pytestmark = pytest.mark.browser

NAME = "全程旅程便民计量经营部"  # no demo merchant has "全程旅程" in its name
USERNAME = "quancheng"
PASSWORD = "Quancheng2026"
PERSON = "岳全程"
SERIAL = "QC-2026-0001"
PLAN = "全程旅程：新登记经营者计量双随机抽查"
AUTHORITY = "市场监督管理局（全程旅程测试）"  # shown on the public result row
BATCH = "88"
BEACON = "中国福利彩票双色球第2026088期开奖号码"
BEACON_VALUE = "03 08 15 21 27 33 + 09"
CAPTION = "作弊遥控器"
PHOTO = png(64, 48, (200, 40, 40))
CONFIRM = re.compile(r"确认第 \d+ 版检查记录")
GRADE = re.compile(r"计量信用等级 ([A-Z]) · (\d+) 分")
COMMITMENT_RULE = "有效的计量诚信自我承诺"
INSTRUMENTS_RULE = "强制检定计量器具均在检定有效期内"
FOLLOW_UP_RULE = "抽查发现问题待后续处理"
CHEATING_RULE = "发现作弊装置或伪造数据"
RESULT = "发现问题待后续处理"
COMPLAINT = "在这家店买了两斤苹果，到市场公平秤复称只有一斤七两，店里的电子秤像是被动过手脚。"


@dataclass(frozen=True)
class Scope:
    """Where the new merchant registers: a county with at least two active inspectors and a sector in which no
    merchant there is registered yet, so a plan scoped to them has the new merchant as its whole pool."""

    region: str
    sector_code: str
    sector_name: str


@dataclass(frozen=True)
class Grade:
    letter: str
    score: int


def quiet_scope(live: Live) -> Scope:
    """Read from the live server's database before the journey starts, so the demo data cannot crowd the pool."""
    engine = sa.create_engine(live.env["DATABASE_URL"])
    try:
        with engine.connect() as db:
            counties = db.execute(
                sa.text(
                    "SELECT region_code FROM inspectors WHERE active GROUP BY region_code "
                    "HAVING count(*) >= 2 ORDER BY region_code"
                )
            ).scalars()
            for region in counties:
                sector = db.execute(
                    sa.text(
                        "SELECT s.code, s.name FROM sectors s WHERE s.active AND NOT EXISTS "
                        "(SELECT 1 FROM merchants m WHERE m.region_code = :region AND m.sector_code = s.code) "
                        "ORDER BY s.sort_order, s.code"
                    ),
                    {"region": region},
                ).first()
                if sector is not None:
                    return Scope(str(region), str(sector[0]), str(sector[1]))
    finally:
        engine.dispose()
    raise AssertionError("the demo data has no county with two inspectors and a free sector")


def grade_of(page: Page) -> Grade:
    text = page.locator(".grade-card .grade-score").inner_text()
    found = GRADE.search(text)
    assert found, text
    return Grade(found.group(1), int(found.group(2)))


def reason(page: Page, rule: str) -> Locator:
    """The grade card's row for one rule: its cells are rule, points, proof and window."""
    return page.locator("table.grade-reasons tbody tr").filter(has=page.get_by_text(rule, exact=True))


# ---------------------------------------------------------------- 1. the merchant joins


def merchant_registers(page: Page, base: str, scope: Scope, code: str, shots: Album) -> None:
    register(
        page,
        base,
        uscc=code,
        name=NAME,
        sector=scope.sector_name,
        region=scope.region,
        address="全程路 8 号 1 层",
        person=PERSON,
        username=USERNAME,
        password=PASSWORD,
    )
    expect(page.get_by_role("heading", name="注册已提交")).to_be_visible()
    shots(page, "merchant-registered-phone")

    # Pending: the account cannot sign in yet.
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(USERNAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".flash-error")).to_contain_text("账号正在等待监管部门审核")


def admin_approves(admin: Page, base: str, code: str, shots: Album) -> None:
    admin.goto(f"{base}/admin/accounts")
    card = admin.locator("article.card", has_text=NAME)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(code)
    shots(admin, "admin-account-pending")
    card.get_by_role("button", name="通过").click()
    expect(admin.locator(".flash-success")).to_contain_text("已通过")
    expect(admin.locator("article.card", has_text=NAME)).to_have_count(0)
    shots(admin, "admin-account-approved")


def merchant_adds_instrument(page: Page, base: str, today: date, shots: Album) -> None:
    sign_in(page, base, USERNAME, PASSWORD)
    page.goto(f"{base}/portal/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    shots(page, "merchant-portal-first-visit-phone")

    page.goto(f"{base}/portal/instruments/new")
    page.get_by_label("器具类型").select_option(label="电子计价秤（price_scale）")
    page.get_by_label("出厂编号").fill(SERIAL)
    page.get_by_label("制造商").fill("上海友声衡器有限公司")
    page.get_by_label("型号").fill("TCS-30")
    page.get_by_label("安装位置").fill("收银台")
    page.get_by_label("最近检定日期").fill((today - timedelta(days=10)).isoformat())
    page.get_by_label("检定证书编号").fill("JD2026QC0001")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-success")).to_contain_text(f"已登记计量器具：电子计价秤 {SERIAL}")
    shots(page, "merchant-instrument-added-phone")


def merchant_signs_commitment(page: Page, base: str, shots: Album) -> Grade:
    page.goto(f"{base}/portal/commitment")
    for box in page.locator("ol.points input[type=checkbox]").all():
        box.check()
    page.get_by_label("签署人职务").fill("负责人")
    page.get_by_label("登录密码（确认签署）").fill(PASSWORD)
    page.get_by_role("button", name="确认签署").click()
    expect(page.locator(".flash-success")).to_contain_text("已签署诚信计量承诺书")
    shots(page, "merchant-commitment-signed-phone")

    # Base 80, +5 for the commitment, +2 for a mandatory instrument within its verification (DESIGN §6).
    page.goto(f"{base}/portal/grade")
    before = grade_of(page)
    assert before == Grade("B", 87), before
    expect(reason(page, COMMITMENT_RULE).locator("td").nth(1)).to_have_text("+5")
    expect(reason(page, INSTRUMENTS_RULE).locator("td").nth(1)).to_have_text("+2")
    expect(reason(page, CHEATING_RULE)).to_have_count(0)
    shots(page, "merchant-grade-before-phone")
    return before


# ---------------------------------------------------------------- 2. the plan and its draw


def admin_plans(admin: Page, base: str, scope: Scope, today: date, shots: Album) -> None:
    """A plan scoped to the county and sector with every ratio 1: the pool is the new merchant alone."""
    admin.goto(f"{base}/admin/plans/new")
    label = admin.get_by_label
    label("计划名称").fill(PLAN)
    label("批次").fill(BATCH)
    label("检查实施机关").fill(AUTHORITY)
    label("抽查地区（不选为全辖区）").select_option(value=[scope.region])
    admin.locator("fieldset", has_text="抽查行业").get_by_label(scope.sector_name, exact=True).check()
    for code, wanted in (("JL-01", True), ("JL-02", True), ("JL-03", False), ("JL-04", False), ("JL-05", False)):
        item = admin.get_by_label(re.compile(rf"{code} "))
        if wanted:
            item.check()
        else:
            item.uncheck()
    for stratum in ("A级", "B级", "C级", "D级", "未评级"):
        label(f"{stratum}抽查比例").fill("1")
    # Far ahead, so the scheduler never announces it: the admin does, below.
    label("摇号时间（北京时间）").fill(f"{today.year + 1}-01-05T09:00")
    label("外部随机源（事先指定）").fill(BEACON)
    label("检查完成期限").fill((today + timedelta(days=30)).isoformat())
    admin.get_by_role("button", name="保存草稿").click()
    expect(admin.locator(".flash-success")).to_contain_text("已创建抽查计划草稿")
    expect(admin.get_by_role("heading", level=1)).to_contain_text(PLAN)

    preview = admin.locator("#pool-preview")
    expect(preview.locator("tbody tr", has_text="B级").locator("td")).to_have_text(["B级", "1", "1", "1"])
    expect(preview.locator("tfoot th")).to_have_text(["合计", "1", "", "1"])
    inspectors = int(preview.locator("dt:has-text('符合条件的执法人员') + dd").inner_text())
    assert inspectors >= 2, inspectors
    shots(admin, "admin-plan-draft")


def admin_draws(admin: Page, live: Live, code: str, shots: Album) -> set[str]:
    """Announce, anchor, reveal with the beacon's value; returns the badges the draw assigned."""
    admin.get_by_role("button", name="提交排期").click()
    expect(admin.locator(".flash-success")).to_contain_text("计划已排期")
    admin.get_by_role("button", name="立即公告摇号").click()
    expect(admin.locator(".flash-success")).to_contain_text("摇号已公告")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("已公告，待揭晓")
    expect(admin.get_by_text(BEACON)).to_be_visible()
    shots(admin, "admin-draw-announced")

    live.cli("ledger", "anchor")  # the scheduler would within a minute; the reveal needs the announcement anchored
    admin.reload()
    admin.get_by_label("外部随机源的值").fill(BEACON_VALUE)
    admin.get_by_role("button", name="揭晓并派发任务").click()
    expect(admin.locator(".flash-success")).to_contain_text("摇号已揭晓，检查任务已派发")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("已揭晓")
    expect(admin.get_by_role("heading", name="三、结果：抽中 1 户")).to_be_visible()
    row = admin.locator("section.draw-result tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(code)
    expect(row).to_contain_text(NAME)
    expect(row.locator("td").nth(4)).to_have_text(re.compile(r"^JL\d{6}、JL\d{6}$"))
    shots(admin, "admin-draw-revealed")
    return set(row.locator("td").nth(4).inner_text().split("、"))


def admin_finds_inspectors(admin: Page, base: str, code: str, shots: Album) -> tuple[int, list[str]]:
    """The task the draw created, from the admin's task list: its id and its inspectors' badges, lead first."""
    admin.goto(f"{base}/admin/tasks")
    admin.get_by_label("经营者名称或统一社会信用代码").fill(code)
    admin.get_by_label("抽查计划").select_option(label=PLAN)
    admin.get_by_role("button", name="筛选").click()
    row = admin.locator("table tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("双随机")
    row.get_by_role("link", name=NAME).click()
    task_id = int(re.search(r"/admin/tasks/(\d+)$", admin.url).group(1))  # type: ignore[union-attr]
    expect(admin.get_by_role("heading", level=1, name=NAME)).to_be_visible()
    expect(admin.locator("dl.facts").first).to_contain_text(AUTHORITY)
    people = admin.locator("ul.confirmations li")
    expect(people).to_have_count(2)
    expect(people.first).to_contain_text("主检")
    badges = [re.search(r"JL\d{6}", t).group(0) for t in people.all_inner_texts()]  # type: ignore[union-attr]
    assert len(set(badges)) == 2, badges
    shots(admin, "admin-task-assigned")
    return task_id, badges


# ---------------------------------------------------------------- 3. the inspectors on their phones


def username_of(badge: str) -> str:
    """Demo inspectors: badge JL000007 belongs to the account inspector07."""
    return f"inspector{int(badge[2:]):02d}"


def open_task(page: Page, base: str, task_id: int) -> None:
    page.goto(f"{base}/inspector/")
    card = page.locator("li.task-card", has_text=PLAN).filter(has_text=NAME)
    expect(card).to_have_count(1)
    card.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/inspector/tasks/{task_id}$"))
    expect(page.get_by_role("heading", level=1, name=NAME)).to_be_visible()


def lead_records(lead: Page, base: str, task_id: int, shots: Album) -> str:
    """JL-01 conforms, JL-02 does not (a remote-controlled cheating device), result 09, a photo; confirmed."""
    open_task(lead, base, task_id)
    expect(lead.get_by_text(AUTHORITY)).to_be_visible()
    expect(lead.get_by_role("cell", name=SERIAL)).to_be_visible()  # the merchant's own instrument ledger
    shots(lead, "inspector-lead-task-phone")
    checked_on = lead.get_by_label("检查日期").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", checked_on), checked_on
    lead.locator("fieldset.item", has_text="JL-01").get_by_role("radio", name="符合", exact=True).check()
    jl02 = lead.locator("fieldset.item", has_text="JL-02")
    jl02.get_by_role("radio", name="不符合", exact=True).check()
    jl02.get_by_label("说明").fill(f"电子计价秤（出厂编号 {SERIAL}）内加装遥控作弊装置，按遥控器后示值增加约 15%。")
    lead.get_by_label(RESULT).check()
    lead.get_by_label("备注", exact=True).fill("已扣押作弊遥控器，转立案调查，待后续处理。")
    lead.get_by_role("button", name="保存检查记录").click()
    expect(lead.locator(".flash-success")).to_contain_text("检查记录已保存")

    upload = lead.locator("form.photo-upload")
    upload.get_by_label("现场照片").set_input_files({"name": "remote.png", "mimeType": "image/png", "buffer": PHOTO})
    upload.get_by_label("说明").fill(CAPTION)
    upload.get_by_role("button", name="上传照片").click()
    expect(lead.locator(".flash-success")).to_contain_text("照片已上传")
    expect(lead.get_by_role("img", name=CAPTION)).to_be_visible()

    lead.get_by_role("button", name=CONFIRM).click()
    expect(lead.locator(".flash-success")).to_contain_text("等待其他检查人员确认")
    shots(lead, "inspector-lead-signed-phone")
    return checked_on


def partner_signs(partner: Page, base: str, task_id: int, shots: Album) -> None:
    open_task(partner, base, task_id)
    expect(partner.get_by_role("img", name=CAPTION)).to_be_visible()
    # The partner reads the lead's record before signing it.
    jl02 = partner.locator("fieldset.item", has_text="JL-02")
    expect(jl02.get_by_role("radio", name="不符合", exact=True)).to_be_checked()
    expect(jl02.get_by_label("说明")).to_have_value(re.compile("遥控作弊装置"))
    expect(partner.get_by_label(RESULT)).to_be_checked()
    partner.get_by_role("button", name=CONFIRM).click()
    expect(partner.locator(".flash-success")).to_contain_text("全部检查人员已确认，任务完成")
    expect(partner.get_by_text("已完成，待公示")).to_be_visible()
    shots(partner, "inspector-partner-signed-phone")


# ---------------------------------------------------------------- 4. publication and the grade


def admin_publishes(admin: Page, base: str, task_id: int, badges: list[str], shots: Album) -> None:
    admin.goto(f"{base}/admin/tasks/{task_id}")
    for badge in badges:
        expect(admin.locator("ul.confirmations li", has_text=badge).locator(".badge")).to_contain_text("已确认")

    admin.goto(f"{base}/admin/results")
    admin.get_by_label("抽查计划").select_option(label=PLAN)
    admin.get_by_role("button", name="筛选").click()
    row = admin.locator("table.results-table tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(RESULT)
    admin.get_by_role("checkbox", name=f"选择 {NAME}").check()
    shots(admin, "admin-results-pending")
    admin.get_by_role("button", name="公示所选结果").click()
    expect(admin.locator(".flash-success")).to_contain_text("已公示 1 条检查结果")
    admin.get_by_role("link", name="已发布").click()
    expect(admin.locator("table.results-table tbody tr", has_text=NAME)).to_contain_text(
        re.compile(r"已于 \d{4}-\d{2}-\d{2} 公示")
    )
    shots(admin, "admin-results-published")


def merchant_sees_grade(page: Page, base: str, before: Grade, task_id: int, shots: Album) -> Grade:
    """The publication regraded the merchant: −10 for the open finding, −30 for the cheating device."""
    page.goto(f"{base}/portal/grade")
    after = grade_of(page)
    assert after == Grade("D", before.score - 40), (before, after)
    expect(reason(page, FOLLOW_UP_RULE).locator("td")).to_have_text(
        [FOLLOW_UP_RULE, "-10", re.compile(rf"抽查检查结果 #{task_id}\s+验证"), re.compile(r".+")]
    )
    expect(reason(page, CHEATING_RULE).locator("td").nth(1)).to_have_text("-30")
    expect(reason(page, CHEATING_RULE).locator("td").nth(2)).to_contain_text(f"抽查检查结果 #{task_id}")
    expect(reason(page, COMMITMENT_RULE).locator("td").nth(1)).to_have_text("+5")
    change = page.locator("table.grade-history tbody tr", has_text=f"#{task_id}")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(f"{before.score} → {after.score}")
    expect(change).to_contain_text(f"{before.letter} → {after.letter}")
    shots(page, "merchant-grade-after-phone")

    page.goto(f"{base}/portal/")
    expect(page.locator("main")).to_contain_text(f"{after.letter} {after.score} 分")
    expect(page.locator("main")).to_contain_text(RESULT)
    shots(page, "merchant-portal-after-phone")
    return after


# ---------------------------------------------------------------- 5. the public


def visitor_finds_and_verifies(
    visitor: Page, live: Live, code: str, after: Grade, checked_on: str, shots: Album
) -> None:
    base = live.url
    live.cli("ledger", "anchor")  # the result's record, so /verify proves it against an anchored root

    visitor.goto(base)
    visitor.get_by_role("searchbox").fill("全程旅程")
    visitor.get_by_role("button", name="查询").click()
    hit = visitor.locator(".results li a", has_text=NAME)
    expect(hit).to_have_count(1)
    shots(visitor, "public-search")
    hit.click()

    expect(visitor).to_have_url(re.compile(rf"/merchants/{code}$"))
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(NAME)
    assert grade_of(visitor) == after
    expect(reason(visitor, CHEATING_RULE).locator("td").nth(1)).to_have_text("-30")
    expect(visitor.get_by_role("cell", name=SERIAL)).to_be_visible()
    result = visitor.locator("table.results-table tbody tr", has_text=AUTHORITY)
    expect(result.locator("td")).to_have_text(["1", AUTHORITY, "双随机抽查", checked_on, RESULT, "验证"])
    shots(visitor, "public-merchant-page")

    result.get_by_role("link", name="验证").click()
    expect(visitor).to_have_url(re.compile(r"/verify\?leaf=[0-9a-f]{64}"))
    # The page's own script fetches the bundle and checks the inclusion proof with WebCrypto.
    expect(visitor.locator("#result")).to_have_attribute("data-valid", "true")
    expect(visitor.get_by_role("heading", name="验证通过")).to_be_visible()
    expect(visitor.locator("#result")).to_contain_text("已锚定在链")
    record = visitor.locator("#result-record")
    expect(record).to_contain_text('"type": "inspection_result"')
    expect(record).to_contain_text(code)
    expect(record).to_contain_text('"09"')
    shots(visitor, "public-result-verified")


def visitor_complains_and_follows(visitor: Page, base: str, code: str, shots: Album) -> None:
    visitor.go_back()
    expect(visitor).to_have_url(re.compile(rf"/merchants/{code}$"))
    visitor.locator("#report-merchant").click()
    expect(visitor.get_by_label("被投诉的经营者（名称或统一社会信用代码）")).to_have_value(code)
    visitor.get_by_label("短斤少两").check()
    visitor.get_by_label("问题描述").fill(COMPLAINT)
    visitor.get_by_label("联系电话（可选）").fill("13700137088")
    shots(visitor, "public-complaint-form")
    visitor.get_by_role("button", name="提交投诉举报").click()
    expect(visitor.get_by_role("heading", name="投诉举报已提交")).to_be_visible()
    tracking = visitor.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"TS(-[0-9A-Z]{4}){3}", tracking), tracking
    shots(visitor, "public-complaint-submitted")

    visitor.get_by_role("link", name="查询处理进度").click()
    status = visitor.locator("#complaint-status")
    expect(status).to_contain_text(tracking)
    expect(status).to_contain_text("已受理")
    expect(status).to_contain_text("短斤少两")
    expect(status).not_to_contain_text("13700137088")

    # Later, typing the code (any case) finds it again.
    visitor.goto(f"{base}/complaints/track")
    visitor.get_by_label("查询码").fill(tracking.lower())
    visitor.get_by_role("button", name="查询").click()
    expect(visitor.locator("#complaint-status")).to_contain_text("已受理")
    shots(visitor, "public-complaint-tracked")


def test_whole_journey(new_page: Callable[..., Page], live: Live) -> None:
    base = live.url
    shots = Album("journey")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    scope = quiet_scope(live)
    code = uscc_codes.make("9", "1", scope.region, "QC2026HM")

    merchant = new_page(**PHONE)
    merchant_registers(merchant, base, scope, code, shots)
    admin = new_page(**DESKTOP)
    sign_in(admin, base, *demo.ADMIN)
    admin_approves(admin, base, code, shots)
    merchant_adds_instrument(merchant, base, today, shots)
    before = merchant_signs_commitment(merchant, base, shots)

    admin_plans(admin, base, scope, today, shots)
    drawn = admin_draws(admin, live, code, shots)
    task_id, badges = admin_finds_inspectors(admin, base, code, shots)
    assert set(badges) == drawn, (badges, drawn)

    lead = new_page(**PHONE)
    sign_in(lead, base, username_of(badges[0]), demo.INSPECTOR_PASSWORD)
    checked_on = lead_records(lead, base, task_id, shots)
    partner = new_page(**PHONE)
    sign_in(partner, base, username_of(badges[1]), demo.INSPECTOR_PASSWORD)
    partner_signs(partner, base, task_id, shots)

    admin_publishes(admin, base, task_id, badges, shots)
    after = merchant_sees_grade(merchant, base, before, task_id, shots)

    visitor = new_page(**DESKTOP)  # a fresh context: no cookies, nobody signed in
    visitor_finds_and_verifies(visitor, live, code, after, checked_on, shots)
    visitor_complains_and_follows(visitor, base, code, shots)

    assert [p.name[:2] for p in shots.taken] == [f"{n:02d}" for n in range(1, len(shots.taken) + 1)]
    assert all(p.stat().st_size > 0 for p in shots.taken)
