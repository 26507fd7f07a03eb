"""Issue 6's journey in Chromium: the bureau publishes a rule table that lets a corrected finding be repaired at
once, two inspectors record a "02 发现问题经责令已改正" finding at a merchant on their phones, the admin publishes it,
the merchant's grade drops by the rule's 5 points with the reason shown, the merchant applies for credit repair
with a signed pledge and a PDF, the admin approves, and the grade comes back, its ledger record verifying."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from honestmeter.demo import seed as demo
from tests.browser.conftest import DESKTOP, PHONE, Live, shot, sign_in

pytestmark = pytest.mark.browser

MERCHANT_ACCOUNT = "merchant07"  # merchant01 is the other browser tests' merchant
INSPECTORS = ("JL000003", "JL000004")  # accounts inspector03 and inspector04
RULE = "抽查发现问题经责令已改正"  # the grade's reason line for result code 02 (DEFAULT_RULES "result_02")
RESULT = "发现问题经责令已改正"  # result code 02 as the inspectors and the public page name it
NOTE = "本局规定：责令改正后即可申请信用修复"
REASON = "浏览器旅程：消费者投诉价签计量单位不规范"
SIGNER = "林旅程"
STATEMENT = "已按责令改正要求将全部价签改为法定计量单位“千克”，并组织员工学习计量法律法规。"
CONFIRM = re.compile(r"确认第 \d+ 版检查记录")
GRADE = re.compile(r"计量信用等级 ([A-Z]) · (\d+) 分")


def tiny_pdf() -> bytes:
    """A small valid one-page PDF (correct xref offsets): the 整改报告 the merchant uploads."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


EVIDENCE = tiny_pdf()


@dataclass(frozen=True)
class Shown:
    """A grade card as the page shows it."""

    grade: str
    score: int


def grade_card(page: Page) -> Shown:
    text = page.locator(".grade-card .grade-score").inner_text()
    found = GRADE.search(text)
    assert found, text
    return Shown(found.group(1), int(found.group(2)))


def reason_row(page: Page) -> Locator:
    return page.locator("table.grade-reasons tbody tr").filter(has=page.get_by_text(RULE, exact=True))


def publish_rules(admin: Page, base: str) -> int:
    """The admin publishes a rule table letting a corrected finding (02) be repaired right away; returns its version."""
    admin.goto(f"{base}/admin/rules/new")
    expect(admin.get_by_role("heading", level=1, name="修订评级规则")).to_be_visible()
    months = admin.get_by_label(f"{RULE} 可申请修复（月）", exact=True)
    expect(months).to_have_value("3")  # DESIGN §6: the NDRC minimum for a general breach
    months.fill("0")
    admin.get_by_label("修订说明").fill(NOTE)
    shot(admin, "credit-rules-new")
    admin.get_by_role("button", name="发布新版本").click()
    expect(admin.locator(".flash-success")).to_contain_text(re.compile(r"已发布第 \d+ 版评级规则，并已重算全部 \d+ 家"))
    version = int(re.search(r"/admin/rules/(\d+)$", admin.url).group(1))  # type: ignore[union-attr]
    assert version >= 2, version
    heading = admin.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"评级规则第 {version} 版")
    expect(heading.locator(".badge")).to_have_text("现行")
    shot(admin, "credit-rules-published")

    admin.goto(f"{base}/admin/rules")
    newest = admin.locator("table.results-table tbody tr").first
    expect(newest.locator("td").nth(0)).to_contain_text(f"第 {version} 版")
    expect(newest.locator("td").nth(0).locator(".badge")).to_have_text("现行")
    expect(newest.locator("td").nth(2)).to_have_text("系统管理员")
    expect(newest.locator("td").nth(3)).to_have_text(NOTE)
    expect(newest.locator("td").nth(4)).to_have_text("1 处修改")
    shot(admin, "credit-rules-versions")
    return version


def merchant_identity(page: Page, base: str) -> tuple[str, str]:
    """The signed-in merchant's name and USCC, as its grade page heads them."""
    page.goto(f"{base}/portal/grade")
    line = page.locator("h1 + p.muted").inner_text()
    name, uscc = (part.strip() for part in line.split("·"))
    assert re.fullmatch(r"[0-9A-Z]{18}", uscc) and name, line
    return name, uscc


def directed_task(admin: Page, base: str, uscc: str) -> int:
    """The admin orders a 定向检查 of the merchant by two inspectors; returns the task's id."""
    admin.goto(f"{base}/admin/tasks/new")
    admin.get_by_label("任务类型").select_option(label="定向检查")
    admin.get_by_label("检查对象统一社会信用代码").fill(uscc)
    for badge in INSPECTORS:
        admin.get_by_role("checkbox", name=re.compile(badge)).check()
    admin.get_by_role("checkbox", name=re.compile(r"^JL-05 ")).check()
    admin.get_by_label("检查原因").fill(REASON)
    shot(admin, "credit-task-new")
    admin.get_by_role("button", name="创建任务").click()
    expect(admin.locator(".flash-success")).to_contain_text("已创建定向检查任务")
    return int(re.search(r"/admin/tasks/(\d+)$", admin.url).group(1))  # type: ignore[union-attr]


def open_task(page: Page, base: str, task_id: int, merchant: str) -> None:
    page.goto(f"{base}/inspector/")
    page.locator(f"li.task-card a.task-link[href='/inspector/tasks/{task_id}']").click()
    expect(page.get_by_role("heading", level=1, name=merchant)).to_be_visible()


def record_and_confirm(lead: Page, partner: Page, base: str, task_id: int, merchant: str) -> str:
    """The lead judges the item, records result 02 with a note and confirms; the partner confirms. Returns the date."""
    open_task(lead, base, task_id, merchant)
    expect(lead.get_by_text(REASON)).to_be_visible()
    checked_on = lead.get_by_label("检查日期").input_value()
    jl05 = lead.locator("fieldset.item", has_text="JL-05")
    jl05.get_by_role("radio", name="不符合", exact=True).check()
    jl05.get_by_label("说明").fill("价签使用“斤”而未标注法定计量单位“千克”，已责令当场改正。")
    lead.get_by_label(f"02 {RESULT}").check()
    lead.get_by_label("备注", exact=True).fill("经营者已当场更换全部价签，改正到位；价签已更换，故未拍照。")
    lead.get_by_role("button", name="保存检查记录").click()
    expect(lead.locator(".flash-success")).to_contain_text("检查记录已保存")
    lead.get_by_role("button", name=CONFIRM).click()
    expect(lead.locator(".flash-success")).to_contain_text("等待其他检查人员确认")
    shot(lead, "credit-finding-recorded-phone")

    open_task(partner, base, task_id, merchant)
    partner.get_by_role("button", name=CONFIRM).click()
    expect(partner.locator(".flash-success")).to_contain_text("全部检查人员已确认，任务完成")
    shot(partner, "credit-finding-confirmed-phone")
    return checked_on


def publish_result(admin: Page, base: str, merchant: str) -> None:
    admin.goto(f"{base}/admin/results")
    row = admin.locator("table.results-table tbody tr", has_text=merchant)
    expect(row).to_contain_text(RESULT)
    admin.get_by_role("checkbox", name=f"选择 {merchant}").check()
    admin.get_by_role("button", name="公示所选结果").click()
    expect(admin.locator(".flash-success")).to_contain_text("已公示 1 条检查结果")
    shot(admin, "credit-result-published")


def apply_for_repair(merchant_page: Page, base: str, task_id: int, checked_on: str) -> int:
    """The merchant applies to repair the result; returns the application's id."""
    merchant_page.goto(f"{base}/portal/repairs")
    row = merchant_page.locator("table.results-table").first.locator("tbody tr", has_text=f"#{task_id}")
    expect(row.locator("td").nth(0)).to_have_text("抽查检查结果")
    # Under the new rule table a corrected finding may be repaired from the day it was found (else 3 months on).
    expect(row.locator("td").nth(2)).to_have_text(checked_on)
    expect(row.locator("td").nth(3)).to_have_text(checked_on)
    shot(merchant_page, "credit-repairs-mine-phone")
    row.get_by_role("link", name="申请信用修复").click()
    expect(merchant_page.get_by_role("heading", level=1, name="申请信用修复")).to_be_visible()
    pledge = merchant_page.locator("article.commitment-text")
    expect(pledge).to_contain_text("守信承诺书")
    expect(pledge).to_contain_text(f"结果：{RESULT}")
    merchant_page.get_by_label("履行义务、纠正失信行为的情况说明").fill(STATEMENT)
    merchant_page.get_by_label("证明材料（PDF、JPEG 或 PNG，可多选）").set_input_files(
        {"name": "整改报告.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE}
    )
    merchant_page.get_by_label("承诺人姓名").fill(SIGNER)
    merchant_page.get_by_label("承诺人职务").fill("法定代表人")
    shot(merchant_page, "credit-repair-apply-phone")
    merchant_page.get_by_role("button", name="签署承诺并提交申请").click()
    expect(merchant_page.locator(".flash-success")).to_contain_text("已提交信用修复申请，请等待审核")
    repair_id = int(re.search(r"/portal/repairs/(\d+)$", merchant_page.url).group(1))  # type: ignore[union-attr]
    facts = merchant_page.locator("dl.facts")
    expect(facts).to_contain_text("审核中")
    expect(facts).to_contain_text(f"inspection_result/{task_id}")
    expect(merchant_page.get_by_role("link", name="整改报告.pdf")).to_be_visible()
    expect(merchant_page.locator("article.commitment-text")).to_contain_text(f"承诺人：{SIGNER}（法定代表人）")

    merchant_page.goto(f"{base}/portal/repairs")
    expect(row.get_by_role("link", name="审核中")).to_be_visible()
    shot(merchant_page, "credit-repair-pending-phone")
    return repair_id


def approve(admin: Page, base: str, merchant: str, repair_id: int) -> None:
    admin.goto(f"{base}/admin/repairs")
    expect(admin.get_by_role("link", name=re.compile(r"待审核 \(\d+\)"))).to_be_visible()
    row = admin.locator("table.results-table tbody tr", has_text=merchant)
    expect(row).to_contain_text("审核中")
    shot(admin, "credit-repairs-queue")
    row.get_by_role("link", name=merchant).click()
    expect(admin).to_have_url(re.compile(rf"/admin/repairs/{repair_id}$"))
    expect(admin.locator("ul.checks li.pass")).to_have_text(["未列入严重违法失信名单", "未列入经营异常名录"])
    expect(admin.locator("section.card").first).to_contain_text(STATEMENT)
    evidence = admin.get_by_role("link", name="整改报告.pdf")
    served = admin.request.get(base + (evidence.get_attribute("href") or ""))
    assert served.ok and served.headers["content-type"] == "application/pdf" and served.body() == EVIDENCE
    decision = admin.locator("form", has=admin.get_by_role("button", name="同意修复"))
    decision.get_by_label("审核意见（可选）").fill("经核查，已改正到位，材料齐全，同意修复。")
    shot(admin, "credit-repair-review")
    decision.get_by_role("button", name="同意修复").click()
    expect(admin.locator(".flash-success")).to_contain_text("已同意信用修复")
    expect(admin.locator("dl.facts")).to_contain_text("已修复")
    shot(admin, "credit-repair-approved")


def public_grade_dropped(visitor: Page, base: str, uscc: str, before: Shown, task_id: int, checked_on: str) -> Shown:
    """The grade drops by the rule's 5 points, with the reason and its record shown publicly."""
    visitor.goto(f"{base}/merchants/{uscc}")
    dropped = grade_card(visitor)
    assert dropped.score == before.score - 5, (before, dropped)
    expect(reason_row(visitor).locator("td")).to_have_text(
        [RULE, "-5", re.compile(rf"抽查检查结果 #{task_id}\s+验证"), re.compile(r"至 \d{4}-\d{2}-\d{2} 不再计入")]
    )
    public_result = visitor.locator("table.results-table tbody tr", has_text="定向检查")
    expect(public_result.locator("td").nth(3)).to_have_text(checked_on)
    expect(public_result.locator("td").nth(4)).to_have_text(RESULT)
    shot(visitor, "credit-merchant-dropped")
    return dropped


def portal_grade_dropped(page: Page, base: str, before: Shown, dropped: Shown, task_id: int, checked_on: str) -> None:
    """The merchant sees the same grade and reason, the repair it may apply for, and why the grade changed."""
    page.goto(f"{base}/portal/grade")
    assert grade_card(page) == dropped
    expect(reason_row(page).locator("td").nth(1)).to_have_text("-5")
    step = page.locator("ul.grade-steps li", has_text="申请信用修复：")
    expect(step).to_contain_text(f"检查日期{checked_on}")
    expect(step).to_contain_text("最多 +5 分")
    history = page.locator("table.grade-history tbody tr").first
    expect(history).to_contain_text(f"抽查检查结果 #{task_id}")
    expect(history).to_contain_text(f"{before.score} → {dropped.score}")
    shot(page, "credit-portal-grade-dropped-phone")


def public_grade_recovered(visitor: Page, base: str, uscc: str, before: Shown) -> Shown:
    """The grade is back, the reason gone and the repaired result no longer shown."""
    visitor.goto(f"{base}/merchants/{uscc}")
    recovered = grade_card(visitor)
    assert recovered == before, (before, recovered)
    expect(reason_row(visitor)).to_have_count(0)
    expect(visitor.locator("table.results-table tbody tr", has_text="定向检查")).to_have_count(0)
    expect(visitor.locator("p.repaired-note")).to_have_text("1 条抽查检查结果已信用修复，不再公示。")
    shot(visitor, "credit-merchant-recovered")
    return recovered


def portal_grade_recovered(page: Page, base: str, dropped: Shown, recovered: Shown, repair_id: int) -> None:
    page.goto(f"{base}/portal/grade")
    assert grade_card(page) == recovered
    expect(reason_row(page)).to_have_count(0)
    history = page.locator("table.grade-history tbody tr").first
    expect(history).to_contain_text(f"信用修复 #{repair_id}")
    expect(history).to_contain_text(f"{dropped.score} → {recovered.score}")
    shot(page, "credit-portal-grade-recovered-phone")
    page.goto(f"{base}/portal/repairs")
    expect(page.locator("table.results-table").first.locator("tbody tr")).to_have_text(["目前没有可申请修复的信用信息"])
    applications = page.locator("table.results-table").nth(1).locator("tbody tr").first
    expect(applications.locator("td").nth(2)).to_have_text("已修复")
    shot(page, "credit-portal-recovered-phone")


def grade_record_verifies(visitor: Page, base: str, uscc: str, recovered: Shown) -> None:
    """The grade card's ledger link: the newest "credit_grade" record verifies and holds the recovered score."""
    visitor.goto(f"{base}/merchants/{uscc}")
    visitor.get_by_role("link", name="在可信账本中验证本等级记录").click()
    expect(visitor).to_have_url(re.compile(r"/verify\?leaf=[0-9a-f]{64}"))
    expect(visitor.locator("#result")).to_have_attribute("data-valid", "true")
    expect(visitor.get_by_role("heading", name="验证通过")).to_be_visible()
    record = visitor.locator("#result-record")
    expect(record).to_contain_text('"type": "credit_grade"')
    expect(record).to_contain_text(f'"id": "{uscc}"')
    expect(record).to_contain_text(f'"grade": "{recovered.grade}"')
    expect(record).to_contain_text(f'"score": {recovered.score}')
    expect(record).not_to_contain_text("result_02")
    shot(visitor, "credit-grade-verified")


def test_finding_grade_drop_repair_and_recovery(new_page: Callable[..., Page], live: Live) -> None:
    base = live.url
    admin = new_page(**DESKTOP)
    sign_in(admin, base, *demo.ADMIN)
    version = publish_rules(admin, base)

    # The merchant, on its phone, reads its name and USCC from its grade page.
    merchant_page = new_page(**PHONE)
    sign_in(merchant_page, base, MERCHANT_ACCOUNT, demo.MERCHANT_PASSWORD)
    merchant, uscc = merchant_identity(merchant_page, base)

    # Before: graded under the new table, no 02 reason.
    visitor = new_page(**DESKTOP)
    visitor.goto(f"{base}/merchants/{uscc}")
    expect(visitor.locator(".grade-card")).to_contain_text(f"评分规则第 {version} 版")
    before = grade_card(visitor)
    expect(reason_row(visitor)).to_have_count(0)
    shot(visitor, "credit-merchant-before")

    task_id = directed_task(admin, base, uscc)
    lead = new_page(**PHONE)
    sign_in(lead, base, "inspector03", demo.INSPECTOR_PASSWORD)
    partner = new_page(**PHONE)
    sign_in(partner, base, "inspector04", demo.INSPECTOR_PASSWORD)
    checked_on = record_and_confirm(lead, partner, base, task_id, merchant)
    publish_result(admin, base, merchant)

    dropped = public_grade_dropped(visitor, base, uscc, before, task_id, checked_on)
    portal_grade_dropped(merchant_page, base, before, dropped, task_id, checked_on)

    repair_id = apply_for_repair(merchant_page, base, task_id, checked_on)
    merchant_page.goto(f"{base}/portal/grade")
    expect(merchant_page.locator("ul.grade-steps li", has_text="申请信用修复：")).to_contain_text("已申请，待审核")

    approve(admin, base, merchant, repair_id)

    recovered = public_grade_recovered(visitor, base, uscc, before)
    portal_grade_recovered(merchant_page, base, dropped, recovered, repair_id)
    live.cli("ledger", "anchor")  # the new grade record, so /verify shows it anchored
    grade_record_verifies(visitor, base, uscc, recovered)
