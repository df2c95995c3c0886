// Inbound email as a person sees it: an inbound-parse endpoint made in Settings → Webhooks, a
// prospect's reply to a sent demo campaign message posted to it (as a mail relay would), the
// contact appearing in Leads, the bell counting the notification, the conversation with the
// thread, the answer sent from the dashboard, and the notification marked read. Screenshots go
// to target/e2e/screenshots.
const { test, expect } = require("@playwright/test");
const { WS, watch, signIn, shooter } = require("../fixtures/session");
const shot = shooter("leads");

const CAMPAIGN = "Bakeries spring outreach";

/** A sent message of the demo campaign: its recipient and Message-ID. */
async function sentMessage(page) {
  await page.goto(`${WS}/campaigns`);
  const row = page.locator("table[data-table=campaigns] tr", { hasText: CAMPAIGN });
  await Promise.all([page.waitForNavigation(), row.locator("td.name a").click()]);
  // The contacts spec may have replaced the demo contacts (and with them their messages).
  if ((await page.locator("[data-status=sent]").count()) === 0) {
    await page.check("input[name=mode][value=all]");
    await Promise.all([page.waitForNavigation(), page.click("button[data-enroll]")]);
  }
  await expect(async () => {
    await page.reload();
    await expect(page.locator("[data-status=sent]").first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  const first = page.locator("table[data-table=messages] tr", { has: page.locator("[data-status=sent]") }).first();
  const to = (await first.locator("td.name a").first().textContent()).trim();
  await Promise.all([page.waitForNavigation(), first.locator("td.name a").first().click()]);
  const messageId = (await page.locator("[data-message-id]").textContent()).trim();
  expect(messageId).toMatch(/^<.+@.+>$/);
  expect(to).toMatch(/^[^@\s]+@[^@\s]+$/);
  return { address: to, messageId };
}

test("a reply becomes a lead with a conversation that is answered from the dashboard", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watch(page);
  await signIn(page);

  // The inbound-parse endpoint, from the settings tab.
  await page.goto(`${WS}/settings/profile`);
  await Promise.all([page.waitForNavigation(), page.click('nav.tabs a:text-is("Webhooks")')]);
  await expect(page.locator("[data-inbound-endpoints]")).toBeVisible();
  await Promise.all([page.waitForNavigation(), page.locator("tr[data-endpoint=inbound] button").click()]);
  const endpoint = (await page.locator("[data-new-endpoint] code").textContent()).trim();
  const hookPath = new URL(endpoint).pathname;
  expect(hookPath).toMatch(/^\/hooks\/inbound\/[A-Za-z0-9_-]+$/);
  await shot(page, "settings-webhooks");

  // The prospect answers one of the campaign's messages; the mail relay posts it raw.
  const { address, messageId } = await sentMessage(page);
  const marker = `e2e-${Date.now()}`;
  const raw = [
    `From: Prospect <${address}>`,
    "To: hello@demo-agency.example",
    "Subject: Re: your message",
    `Message-ID: <${marker}@prospect.example>`,
    `In-Reply-To: ${messageId}`,
    `References: ${messageId}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Sounds interesting, call me on Thursday (${marker}).`,
    "",
    "On Monday you wrote:",
    "> Hello from the demo agency",
    "",
  ].join("\r\n");
  const r = await page.request.post(hookPath, { headers: { "content-type": "message/rfc822" }, data: raw });
  expect(r.status()).toBe(200);
  const outcome = (await r.json()).result;
  expect(outcome.kind).toBe("reply");
  expect(outcome.actions).toContain("replied");

  // Leads lists them with source and stage; the bell counts the notification.
  await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("Leads")')]);
  await expect(page.locator(".topbar h1")).toHaveText("Leads");
  const lead = page.locator("table[data-table=leads] tr", { hasText: address });
  await expect(lead).toBeVisible();
  await expect(lead.locator("[data-stage]")).toHaveText("new");
  await expect(lead.locator("[data-source]")).toHaveText("outreach");
  await expect(page.locator("[data-bell-count]")).toHaveText(/^[1-9]\d*\+?$/);
  await shot(page, "leads");

  // The conversation: our message and the answer without its quoted history.
  await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("Conversations")')]);
  const conv = page.locator("table[data-table=conversations] tr", { hasText: address });
  await expect(conv).toBeVisible();
  await Promise.all([page.waitForNavigation(), conv.locator("td.name a").click()]);
  const incoming = page.locator("[data-thread] [data-direction=in]", { hasText: marker });
  await expect(incoming).toBeVisible();
  await expect(incoming).not.toContainText("Hello from the demo agency");
  await expect(page.locator("[data-thread] [data-direction=out]").first()).toBeVisible();
  await shot(page, "conversation");

  // Answer by email.
  const outBefore = await page.locator("[data-thread] [data-direction=out]").count();
  await page.fill("textarea[name=body]", `Thursday at 10 works. (${marker})`);
  await Promise.all([page.waitForNavigation(), page.click("[data-reply-form] button[type=submit]")]);
  await expect(page.locator(".flash.success")).toContainText("on its way");
  await expect(page.locator("[data-thread] [data-direction=out]")).toHaveCount(outBefore + 1);
  await expect(page.locator("[data-thread] [data-direction=out]").last()).toContainText("Thursday at 10 works.");
  await shot(page, "conversation-answered");

  // The notification opens the conversation and is then read.
  await page.goto(`${WS}/notifications`);
  const note = page.locator("[data-notification]", { hasText: "replied" }).first();
  await expect(note).toBeVisible();
  await shot(page, "notifications");
  await Promise.all([page.waitForNavigation(), page.locator("[data-notification][data-read=false] button[data-open]").first().click()]);
  await expect(page).toHaveURL(/\/conversations\/\d+/);
  await page.goto(`${WS}/notifications`);
  if ((await page.locator("button[data-read-all]").count()) > 0) {
    await Promise.all([page.waitForNavigation(), page.click("button[data-read-all]")]);
  }
  await expect(page.locator("[data-notification][data-read=false]")).toHaveCount(0);
  await expect(page.locator("[data-bell-count]")).toHaveCount(0);
  expect(problems).toEqual([]);
});
