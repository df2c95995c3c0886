// A mixed email + WhatsApp + SMS sequence as a person builds and runs it, against the
// loopback stand-in of the Graph API and Twilio (e2e/fixtures/standin.js): WhatsApp and
// Twilio are connected to the stand-in from the messaging page, a template is approved by a
// signed webhook, a sandbox mailbox is added, the campaign builder gets three steps on three
// channels, three tagged contacts are enrolled, and the campaign sends the email, then the
// WhatsApp template with the contact's name, then the SMS; a contact without a phone gets
// the email and the other two steps recorded as skipped with the reason. Screenshots go to
// target/e2e/screenshots.
const { test, expect } = require("@playwright/test");
const { WS, watch, signIn, submit, shooter } = require("../fixtures/session");
const shot = shooter("sequence");
const { startStandIn, metaSignature } = require("../fixtures/standin");
const { connectWhatsApp, connectTwilio } = require("../fixtures/messaging");

test("a mixed email, WhatsApp and SMS sequence against the stand-in", async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watch(page);
  const run = String(Date.now());
  const cfg = {
    token: `EAAGseq${run}`,
    appSecret: `seq-secret-${run}`,
    phoneNumberId: "106540352242922",
    wabaId: "102290129340398",
    accountSid: "AC" + "5e90".repeat(8),
    authToken: `seq-auth-${run}`,
    verifiedName: "Sequence Bakery",
  };
  const standin = await startStandIn(cfg);
  try {
    await signIn(page);
    const tag = `seq-${run.slice(-6)}`;
    const people = [
      { first: "Sana", last: `Seq${run.slice(-4)}`, phone: `+1555125${run.slice(-4)}` },
      { first: "Tomas", last: `Seq${run.slice(-4)}`, phone: `+1555126${run.slice(-4)}` },
      { first: "Uma", last: `NoPhone${run.slice(-4)}`, phone: "" },
    ];
    for (const p of people) {
      await page.goto(`${WS}/contacts/new`);
      await page.fill("input[name=first_name]", p.first);
      await page.fill("input[name=last_name]", p.last);
      await page.fill("input[name=email]", `${p.first.toLowerCase()}.${run}@example.com`);
      if (p.phone) {
        await page.fill("input[name=phone]", p.phone);
        await page.fill("input[name=whatsapp]", p.phone);
      }
      await page.fill("input[name=tags]", tag);
      await Promise.all([page.waitForNavigation(), page.click("#edit button[type=submit]")]);
      await expect(page.locator(".flash.error")).toHaveCount(0);
    }

    // WhatsApp and Twilio, pointed at the stand-in from the messaging page.
    await page.goto(`${WS}/messaging`);
    const hookPath = await connectWhatsApp(page, standin, cfg, `verify-${run}`);
    await connectTwilio(page, standin, cfg);

    // A template, approved by Meta's signed webhook.
    const tpl = `seq_offer_${run.slice(-6)}`;
    await page.locator("details[data-new-template] > summary").click();
    const tf = page.locator("[data-template-form]");
    await tf.locator("input[name=name]").fill(tpl);
    await tf.locator("select[name=category]").selectOption("marketing");
    await tf.locator("textarea[name=body]").fill("Hi {{1}}, fresh bread at {{2}} tomorrow?");
    await tf.locator("textarea[name=examples]").fill("Alex\nMain Street");
    await submit(page, "[data-template-form]");
    await expect(page.locator(".flash.success")).toContainText("submitted (PENDING)");
    const submitted = standin.templates.find((t) => t.name === tpl);
    expect(submitted, "the template reached the stand-in").toBeTruthy();
    submitted.status = "APPROVED";
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: cfg.wabaId, time: Math.floor(Date.now() / 1000), changes: [{
      field: "message_template_status_update",
      value: { event: "APPROVED", message_template_id: Number(submitted.id), message_template_name: tpl, message_template_language: "en_US", reason: "NONE" } }] }] });
    const hook = await page.request.post(hookPath, { headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(cfg.appSecret, body) }, data: body });
    expect(hook.status()).toBe(200);
    const card = page.locator(`[data-template="${tpl}"]`);
    await expect(async () => {
      await page.reload();
      await expect(card.locator("[data-template-status]")).toHaveText("APPROVED", { timeout: 1000 });
    }).toPass({ timeout: 45_000 });

    // A mailbox of its own (the demo mailbox may have used its day's limit on the demo
    // campaign): a sandbox sender, from the senders page.
    const mailbox = `Sequence mailbox ${run.slice(-5)}`;
    await page.goto(`${WS}/senders`);
    const sender = page.locator("[data-sender-form]");
    await sender.locator("select[name=kind]").selectOption("sandbox");
    await sender.locator("input[name=name]").fill(mailbox);
    await sender.locator("input[name=from_email]").fill(`seq.${run}@outreach.demo`);
    await sender.locator("input[name=daily_limit]").fill("100");
    await submit(page, "[data-sender-form]");
    await expect(page.locator(".flash.error")).toHaveCount(0);

    // The builder: email, then the WhatsApp template the same day, then an SMS.
    await page.goto(`${WS}/campaigns/new`);
    const name = `Three channels ${run.slice(-5)}`;
    await page.fill("input[name=name]", name);
    await page.check(`input[name=senders][value='${mailbox}']`);
    await page.fill("input[name='schedule.timezone']", "UTC");
    await page.fill("input[name='schedule.start']", "00:00");
    await page.fill("input[name='schedule.end']", "23:59");
    for (const d of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) await page.check(`input[name='schedule.days'][value=${d}]`);
    await page.fill("input[name=min_gap_seconds]", "0");
    await page.fill("input[name='steps[0].subject']", "Fresh bread for {{company.name|your shop}}");
    await page.fill("textarea[name='steps[0].body']", "Hi {{first_name|there}}, may we send you a sample?");
    await Promise.all([page.waitForNavigation(), page.click("button[data-add-step]")]);
    await Promise.all([page.waitForNavigation(), page.click("button[data-add-step]")]);
    await expect(page.locator("fieldset[data-step]")).toHaveCount(3);
    const s1 = page.locator("fieldset[data-step='1']");
    await s1.locator("select[name='steps[1].channel']").selectOption("whatsapp");
    await expect(s1.locator("legend")).toContainText("WhatsApp");
    await expect(s1.locator("input[name='steps[1].subject']")).toBeHidden();
    await s1.locator("input[name='steps[1].delay_days']").fill("0");
    await s1.locator("input[name='steps[1].business_days']").uncheck();
    await s1.locator("select[name='steps[1].wa_template']").selectOption(`${tpl}|en_US`);
    await s1.locator("input[name='steps[1].params']").fill("field:first_name, literal:Main Street");
    const s2 = page.locator("fieldset[data-step='2']");
    await s2.locator("select[name='steps[2].channel']").selectOption("sms");
    await s2.locator("input[name='steps[2].delay_days']").fill("0");
    await s2.locator("input[name='steps[2].business_days']").uncheck();
    await s2.locator("textarea[name='steps[2].body']").fill("{{first_name|Hi}}, your sample ships today. Reply STOP to opt out.");
    await shot(page, "builder");
    await Promise.all([page.waitForNavigation(), page.click("button[data-save]")]);
    await expect(page.locator(".flash.success")).toContainText("Campaign created");
    await expect(page.locator("body")).toContainText(`WhatsApp template “${tpl}”`);

    // Enroll the tag and start.
    await page.check("#enroll input[name=mode][value=tag]");
    await page.selectOption("#enroll select[name=tag]", tag);
    await Promise.all([page.waitForNavigation(), page.click("button[data-enroll]")]);
    await expect(page.locator(".flash.success")).toContainText("3");
    await Promise.all([page.waitForNavigation(), page.click("button[data-action=start]")]);
    await expect(page.locator("[data-campaign-state]")).toHaveText("active");

    // The worker sends each step on its channel, one after the other.
    const phones = people.filter((p) => p.phone);
    await expect.poll(() => standin.sends.filter((s) => s.body.template?.name === tpl).length, { timeout: 90_000 }).toBe(2);
    for (const p of phones) {
      const s = standin.sends.find((x) => x.body.template?.name === tpl && x.to === p.phone.slice(1));
      expect(s, `a template to ${p.phone}`).toBeTruthy();
      expect(s.body.template.components[0].parameters).toEqual([{ type: "text", text: p.first }, { type: "text", text: "Main Street" }]);
    }
    await expect.poll(() => standin.sms.filter((m) => m.form.Body.includes("your sample ships today")).length, { timeout: 90_000 }).toBe(2);
    for (const p of phones) {
      const m = standin.sms.find((x) => x.form.To === p.phone);
      expect(m.form.Body).toBe(`${p.first}, your sample ships today. Reply STOP to opt out.`);
    }

    // The campaign page: every step's messages, Uma's WhatsApp and SMS steps skipped.
    const rows = page.locator("table[data-table=messages] tbody tr");
    await expect(async () => {
      await page.reload();
      await expect(rows).toHaveCount(9, { timeout: 1000 });
    }).toPass({ timeout: 45_000 });
    await expect(page.locator("table[data-table=messages] tr", { hasText: `WhatsApp: ${tpl}` }).locator("[data-status=sent]")).toHaveCount(2);
    await expect(page.locator("table[data-table=messages] tr", { hasText: "SMS: " }).locator("[data-status=sent]")).toHaveCount(2);
    const skipped = page.locator("table[data-table=messages] tr").filter({ has: page.locator("[data-status=cancelled]") });
    await expect(skipped).toHaveCount(2);
    await expect(skipped.first()).toContainText("no international phone number");
    await page.locator("table[data-table=messages]").scrollIntoViewIfNeeded();
    await shot(page, "campaign");

    expect(standin.violations).toEqual([]);
    expect(problems).toEqual([]);
  } finally {
    await standin.close();
  }
});
