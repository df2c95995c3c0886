// Email outreach as a person uses it: the Campaigns list, the demo campaign with its live
// counts (enrolling the current contacts first when the contacts spec has replaced them),
// one message with its headers and timeline, the unsubscribe page reached from that
// message's link, the confirmation, and the builder, senders and templates pages. Screenshots
// go to target/e2e/screenshots.
const { test, expect } = require("@playwright/test");
const { WS, watch, signIn, shooter } = require("../fixtures/session");
const shot = shooter("outreach");

const CAMPAIGN = "Bakeries spring outreach";

test("open the demo campaign, read a message, unsubscribe from its link", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watch(page);
  await signIn(page);

  // The list, from the sidebar.
  await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("Campaigns")')]);
  await expect(page.locator(".topbar h1")).toHaveText("Campaigns");
  const row = page.locator("table[data-table=campaigns] tr", { hasText: CAMPAIGN });
  await expect(row).toBeVisible();
  await expect(row.locator("[data-state]")).toHaveText("active");
  await shot(page, "campaigns");

  // The campaign page with its counts.
  await Promise.all([page.waitForNavigation(), row.locator("td.name a").click()]);
  await expect(page.locator("[data-record-title]")).toContainText(CAMPAIGN);
  await expect(page.locator("[data-stat=sent] .stat-value")).toHaveText(/^\d[\d,]*$/);
  await expect(page.locator("#live[data-live=true]")).toHaveCount(1);
  // The contacts spec may have replaced the demo contacts (and with them their messages):
  // enroll the contacts there are now and let the worker send.
  if ((await page.locator("[data-status=sent]").count()) === 0) {
    await page.check("input[name=mode][value=all]");
    await Promise.all([page.waitForNavigation(), page.click("button[data-enroll]")]);
    await expect(page.locator(".flash.success")).toContainText("Enrolled");
  }
  await expect(async () => {
    await page.reload();
    await expect(page.locator("[data-status=sent]").first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  const sent = Number((await page.locator("[data-stat=sent] .stat-value").textContent()).replace(/,/g, ""));
  expect(sent).toBeGreaterThan(0);
  await expect(page.locator("[data-step-stats] tbody tr")).toHaveCount(2);
  await shot(page, "campaign");

  // Dark mode keeps the page readable.
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "campaign-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // One message: headers, body, timeline.
  const first = page.locator("table[data-table=messages] tr", { has: page.locator("[data-status=sent]") }).first();
  const to = (await first.locator("td.name a").first().textContent()).trim();
  await Promise.all([page.waitForNavigation(), first.locator("td.name a").first().click()]);
  await expect(page.locator("[data-message-status]")).toHaveText("sent");
  await expect(page.locator("[data-headers]")).toContainText(to);
  await expect(page.locator("[data-message-id]")).toHaveText(/^<\d+\.[A-Za-z0-9]+@outreach\.demo>$/);
  await expect(page.locator("[data-message-events] [data-event=sent]")).toBeVisible();
  await expect(page.locator("[data-message-body]")).toContainText("Unsubscribe:");
  await shot(page, "message");
  const messageUrl = page.url();

  // Its unsubscribe link: the page asks, the button unsubscribes.
  const href = await page.locator("[data-unsubscribe-link]").getAttribute("href");
  expect(href).toMatch(/^\/u\/[A-Za-z0-9_-]+$/);
  const body = await page.locator("[data-message-body]").textContent();
  expect(body).toContain(href);
  await page.goto(href);
  await expect(page.locator("h1")).toHaveText(`Unsubscribe ${to} from Demo Agency?`);
  await shot(page, "unsubscribe");
  await Promise.all([page.waitForNavigation(), page.click("button[data-unsubscribe-button]")]);
  await expect(page.locator("[data-unsubscribed]")).toHaveText("You are unsubscribed");
  await expect(page.locator("main")).toContainText(`${to} will not receive any more emails from Demo Agency`);
  await shot(page, "unsubscribed");

  // Back in the app, the timeline has it.
  await page.goto(messageUrl);
  await expect(page.locator("[data-message-events] [data-event=unsubscribed]")).toBeVisible();
  expect(problems).toEqual([]);
});

test("the builder, senders and templates pages", async ({ page }) => {
  const problems = watch(page);
  await signIn(page);

  // The builder adds a step without JavaScript's help and names a field's error.
  await page.goto(`${WS}/campaigns/new`);
  await page.fill("input[name=name]", "E2E follow-up test");
  await page.check("input[name=senders][value='Demo mailbox']");
  await page.fill("input[name='steps[0].subject']", "Hello {{first_name|there}}");
  await page.fill("textarea[name='steps[0].body']", "Hi {{frist_name}}");
  await Promise.all([page.waitForNavigation(), page.click("button[data-add-step]")]);
  await expect(page.locator("fieldset[data-step]")).toHaveCount(2);
  await expect(page.locator("input[name='steps[0].subject']")).toHaveValue("Hello {{first_name|there}}");
  await page.fill("input[name='steps[1].subject']", "Following up");
  await page.fill("textarea[name='steps[1].body']", "Any thoughts?");
  await Promise.all([page.waitForNavigation(), page.click("button[data-save]")]);
  const err = page.locator("fieldset[data-step='0'] .field-error");
  await expect(err).toContainText("frist_name");
  await shot(page, "campaign-builder-error");
  // That 422 was the point; nothing else may fail.
  const expected = (p) => p.includes("422") && p.includes(`${WS}/campaigns`);
  for (let i = problems.length - 1; i >= 0; i--) if (expected(problems[i])) problems.splice(i, 1);
  await page.fill("textarea[name='steps[0].body']", "Hi {{first_name|there}}, a quick question.");
  await Promise.all([page.waitForNavigation(), page.click("button[data-save]")]);
  await expect(page.locator(".flash.success")).toContainText("Campaign created");
  await expect(page.locator("[data-campaign-state]")).toHaveText("draft");
  await shot(page, "campaign-draft");

  // Senders, with today's sends against the limit and the DKIM record.
  await page.goto(`${WS}/senders`);
  const sender = page.locator("table[data-table=senders] tr", { hasText: "Demo mailbox" });
  await expect(sender.locator("[data-sender-state]")).toHaveText("active");
  await Promise.all([page.waitForNavigation(), sender.locator("button[data-test-connection]").click()]);
  await expect(page.locator(".flash.success")).toContainText("works");
  await shot(page, "senders");
  await Promise.all([page.waitForNavigation(), page.locator("table[data-table=senders] tr", { hasText: "Demo mailbox" }).locator("a.button").click()]);
  if ((await page.locator("[data-dkim]").count()) === 0) {
    await Promise.all([page.waitForNavigation(), page.click("button[data-generate-dkim]")]);
  }
  await expect(page.locator("[data-dkim-name]")).toHaveText("prospector._domainkey.outreach.demo");
  await expect(page.locator("[data-dkim-value]")).toContainText("v=DKIM1; k=rsa; p=");
  await shot(page, "sender");

  // Templates: the demo template previewed for a contact.
  await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("Templates")')]);
  await expect(page.locator(".topbar h1")).toHaveText("Templates");
  await Promise.all([page.waitForNavigation(), page.click("table[data-table=templates] a:text('First touch')")]);
  const options = await page.locator("select[name=contact_id] option").count();
  if (options > 1) await page.selectOption("select[name=contact_id]", { index: 1 });
  await Promise.all([page.waitForNavigation(), page.click("button[data-preview]")]);
  await expect(page.locator("[data-preview-subject]")).toContainText("about");
  await expect(page.locator("[data-preview-text]")).not.toContainText("{{");
  await shot(page, "template-preview");
  expect(problems).toEqual([]);
});
