// WhatsApp and SMS as a person uses them, against a loopback stand-in of the Graph API and
// Twilio (e2e/fixtures/standin.js) started inside the test: the demo's sandbox number is
// replaced by a cloud connection pointing at the stand-in and tested; a template is written
// with its live phone preview and submitted (PENDING), approved by a signed webhook; a
// broadcast of it goes to two tagged contacts; signed delivered/read webhooks show up as
// statuses and costs in the message log; a signed inbound message makes the contact a lead
// with a WhatsApp conversation and opens the 24-hour window, so media goes to that contact
// and is skipped for the other; Twilio is connected to the stand-in and one SMS is sent,
// with its signed status callback. Screenshots go to target/e2e/screenshots.
const { test, expect } = require("@playwright/test");
const { WS, SHOTS, watch, signIn, submit, eventually, shooter } = require("../fixtures/session");
const shot = shooter("messaging");
const { startStandIn, metaSignature, twilioSignature } = require("../fixtures/standin");
const { connectWhatsApp, connectTwilio } = require("../fixtures/messaging");

const PAGE = `${WS}/messaging`;

test("WhatsApp and SMS against the stand-in: connect, template approval, broadcast, statuses, costs, a reply, media, SMS", async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watch(page);
  const run = String(Date.now());
  const cfg = {
    token: `EAAGe2e${run}`,
    appSecret: `app-secret-${run}`,
    phoneNumberId: "106540352242922",
    wabaId: "102290129340398",
    accountSid: "AC" + "e2e0".repeat(8),
    authToken: `twilio-auth-${run}`,
    verifiedName: "E2E Bakery",
  };
  const standin = await startStandIn(cfg);
  let restoreQuietHours = false;
  try {
    await signIn(page);

    // Two contacts with WhatsApp numbers and a tag of this run, made by hand.
    const tag = `wa-e2e-${run.slice(-6)}`;
    const people = [
      { first: "Wanda", last: `Reply${run.slice(-4)}`, phone: `+1555123${run.slice(-4)}` },
      { first: "Walter", last: `Quiet${run.slice(-4)}`, phone: `+1555124${run.slice(-4)}` },
    ];
    for (const p of people) {
      await page.goto(`${WS}/contacts/new`);
      await page.fill("input[name=first_name]", p.first);
      await page.fill("input[name=last_name]", p.last);
      await page.fill("input[name=email]", `${p.first.toLowerCase()}.${run}@example.com`);
      await page.fill("input[name=phone]", p.phone);
      await page.fill("input[name=whatsapp]", p.phone);
      await page.fill("input[name=tags]", tag);
      await Promise.all([page.waitForNavigation(), page.click("#edit button[type=submit]")]);
      await expect(page.locator(".flash.error")).toHaveCount(0);
      p.digits = p.phone.slice(1);
    }

    // The messaging page from the sidebar; the demo's sandbox number is replaced by a cloud
    // connection pointing at the stand-in.
    await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("WhatsApp & SMS")')]);
    await expect(page.locator(".topbar h1")).toHaveText("WhatsApp & SMS");
    const hookPath = await connectWhatsApp(page, standin, cfg, `verify-${run}`);
    await expect(page.locator("[data-wa-number] .badge")).toHaveText("cloud");
    await Promise.all([page.waitForNavigation(), page.click("[data-test-whatsapp]")]);
    await expect(page.locator(".flash.success")).toContainText("E2E Bakery");
    await expect(page.locator("[data-wa-number]")).toContainText("E2E Bakery");
    await expect(page.locator("[data-wa-quality]")).toHaveText("GREEN");
    expect(hookPath).toMatch(/^\/hooks\/whatsapp\/[A-Za-z0-9_-]+$/);
    await shot(page, "connected");

    /** Post a webhook signed with the app secret typed above, as Meta does. */
    const metaHook = async (value, field = "messages") => {
      const body = JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: cfg.wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field, value }] }] });
      const r = await page.request.post(hookPath, {
        headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(cfg.appSecret, body) },
        data: body,
      });
      expect(r.status(), await r.text()).toBe(200);
    };
    const metadata = { display_phone_number: "15550100199", phone_number_id: cfg.phoneNumberId };

    // A forged signature is refused (and would change nothing).
    const forged = await page.request.post(hookPath, { headers: { "content-type": "application/json", "x-hub-signature-256": "sha256=00" }, data: "{}" });
    expect(forged.status()).toBe(401);

    // A new template, previewed as the phone shows it while it is typed.
    const tpl = `e2e_offer_${run.slice(-6)}`;
    await page.locator("details[data-new-template] > summary").click();
    const tf = page.locator("[data-template-form]");
    await tf.locator("input[name=name]").fill(tpl);
    await tf.locator("select[name=category]").selectOption("marketing");
    await tf.locator("input[name=header]").fill("Fresh this week");
    await tf.locator("textarea[name=body]").fill("Hi {{1}}, *warm bread* at {{2}} every morning.\nWant a tasting?");
    await tf.locator("textarea[name=examples]").fill("Alex\nAcme Bakery");
    await tf.locator("input[name=footer]").fill("Reply STOP to opt out");
    await tf.locator("textarea[name=buttons]").fill("Yes please\nNot now");
    const live = page.locator("[data-live-preview]");
    await expect(live.locator("[data-bubble-header]")).toHaveText("Fresh this week");
    await expect(live.locator("[data-bubble-body]")).toContainText("Hi Alex, warm bread at Acme Bakery every morning.");
    await expect(live.locator("[data-bubble-body] strong")).toHaveText("warm bread");
    await expect(live.locator("[data-bubble-footer]")).toHaveText("Reply STOP to opt out");
    await expect(live.locator(".wa-button")).toHaveText(["Yes please", "Not now"]);
    await shot(page, "template-preview");
    await live.screenshot({ path: `${SHOTS}/messaging-bubble-live.png` });
    await submit(page, "[data-template-form]");
    await expect(page.locator(".flash.success")).toContainText("submitted (PENDING)");
    const card = page.locator(`[data-template="${tpl}"]`);
    await expect(card.locator("[data-template-status]")).toHaveText("PENDING");
    await expect(card.locator("[data-bubble-body]")).toContainText("Hi Alex, warm bread at Acme Bakery");
    await expect(card.locator("[data-bubble-body] strong")).toHaveText("warm bread");
    const submitted = standin.templates.find((t) => t.name === tpl);
    expect(submitted, "the template reached the stand-in").toBeTruthy();
    expect(submitted.components.find((c) => c.type === "BODY").example.body_text).toEqual([["Alex", "Acme Bakery"]]);
    await card.scrollIntoViewIfNeeded();
    await shot(page, "template-pending");

    // Meta approves it: a signed template-status webhook; the page shows it after a reload.
    submitted.status = "APPROVED";
    await metaHook({
      event: "APPROVED", message_template_id: Number(submitted.id), message_template_name: tpl,
      message_template_language: "en_US", reason: "NONE", message_template_category: "MARKETING",
    }, "message_template_status_update");
    await eventually(page, () => expect(card.locator("[data-template-status]")).toHaveText("APPROVED", { timeout: 1000 }));
    await shot(page, "template-approved");
    await card.screenshot({ path: `${SHOTS}/messaging-bubble-card.png` });

    // Broadcasts keep the workspace's quiet hours in each recipient's time zone; this run
    // must not depend on the time of day, so they are switched off in Settings (and back on
    // at the end).
    const quiet = await page.request.get(`${WS}/settings/messaging`);
    if (quiet.ok() && (await quiet.text()).includes("data-quiet-hours-form")) {
      await page.goto(`${WS}/settings/messaging`);
      const enabled = page.locator("[data-quiet-hours-form] input[name=enabled]");
      if (await enabled.isChecked()) {
        await enabled.uncheck();
        await submit(page, "[data-quiet-hours-form]");
        await expect(page.locator(".flash.error")).toHaveCount(0);
        restoreQuietHours = true;
      }
      await page.goto(PAGE);
    }

    // A broadcast of it to the tag, with the picker's preview following the parameters.
    const bf = page.locator("[data-broadcast-form]");
    const value = await bf.locator("[data-template-picker] option", { hasText: tpl }).getAttribute("value");
    await bf.locator("input[name=name]").fill(`E2E tasting ${run.slice(-4)}`);
    await bf.locator("[data-template-picker]").selectOption(value);
    await bf.locator("input[name=tag]").fill(tag);
    await bf.locator("textarea[name=params]").fill("field:first_name\nMain Street");
    const picked = page.locator("[data-picker-preview]");
    await expect(picked.locator("[data-bubble-body]")).toContainText("Hi [first_name], warm bread at Main Street every morning.");
    await expect(picked.locator("[data-bubble-header]")).toHaveText("Fresh this week");
    await expect(picked.locator(".wa-button")).toHaveText(["Yes please", "Not now"]);
    await bf.scrollIntoViewIfNeeded();
    await shot(page, "broadcast-form");
    await submit(page, "[data-broadcast-form]");
    await expect(page.locator(".flash.success")).toContainText("started");

    // The worker queues and sends: the stand-in receives one template per contact.
    await expect.poll(() => standin.sends.filter((s) => s.body.type === "template" && s.body.template.name === tpl).length, { timeout: 60_000 }).toBe(2);
    const sent = standin.sends.filter((s) => s.body.template?.name === tpl);
    for (const p of people) {
      const s = sent.find((x) => x.to === p.digits);
      expect(s, `a send to ${p.phone}`).toBeTruthy();
      expect(s.body.template.language.code).toBe("en_US");
      expect(s.body.template.components[0].parameters).toEqual([{ type: "text", text: p.first }, { type: "text", text: "Main Street" }]);
      p.wamid = s.wamid;
      p.callback = s.body.biz_opaque_callback_data;
    }
    const bRow = page.locator("table[data-table=broadcasts] tr", { hasText: `E2E tasting ${run.slice(-4)}` });
    await eventually(page, () => expect(bRow.locator("td").nth(4)).toHaveText("2", { timeout: 1000 }));

    // Delivered and read, signed like Meta's; statuses and costs on the message log.
    const now = Math.floor(Date.now() / 1000);
    for (const p of people) {
      for (const [status, at] of [["delivered", now], ["read", now + 5]]) {
        await metaHook({
          messaging_product: "whatsapp", metadata,
          statuses: [{ id: p.wamid, status, timestamp: String(at), recipient_id: p.digits, biz_opaque_callback_data: p.callback,
            pricing: { billable: true, pricing_model: "PMP", category: "marketing" } }],
        });
      }
    }
    const logRow = (p) => page.locator("table[data-table=message-log] tr", { hasText: p.phone }).filter({ hasText: tpl });
    await eventually(page, async () => {
      for (const p of people) {
        await expect(logRow(p).locator("td").nth(5)).toHaveText("read", { timeout: 1000 });
      }
    });
    for (const p of people) {
      await expect(logRow(p).locator("td.num")).toHaveText("0.03 USD");
    }
    await expect(bRow.locator("td").nth(6)).toHaveText("2");
    await expect(page.locator("table[data-table=cost-totals] tr", { hasText: "whatsapp" })).toBeVisible();
    await page.locator("[data-message-log]").scrollIntoViewIfNeeded();
    await shot(page, "log-statuses");

    // Wanda answers on WhatsApp: she becomes a lead with a WhatsApp conversation.
    const [wanda, walter] = people;
    const marker = `e2e-${run.slice(-6)}`;
    await metaHook({
      messaging_product: "whatsapp", metadata,
      contacts: [{ profile: { name: `${wanda.first} ${wanda.last}` }, wa_id: wanda.digits }],
      messages: [{ from: wanda.digits, id: `wamid.IN${run}`, timestamp: String(Math.floor(Date.now() / 1000)), type: "text",
        text: { body: `Yes, Tuesday works (${marker})` }, context: { from: "15550100199", id: wanda.wamid } }],
    });
    standin.openWindow(wanda.digits);
    await page.goto(`${WS}/leads`);
    const lead = page.locator("table[data-table=leads] tr", { hasText: wanda.last });
    await eventually(page, () => expect(lead).toBeVisible({ timeout: 1000 }));
    await expect(lead.locator("[data-source]")).toHaveText("whatsapp");
    await expect(lead.locator("[data-stage]")).toHaveText("new");
    await expect(page.locator("table[data-table=leads] tr", { hasText: walter.last })).toHaveCount(0);
    await shot(page, "lead");
    await Promise.all([page.waitForNavigation(), page.click('nav a:text-is("Conversations")')]);
    const conv = page.locator("table[data-table=conversations] tr", { hasText: wanda.last });
    await expect(conv).toBeVisible();
    await Promise.all([page.waitForNavigation(), conv.locator("td.name a").click()]);
    // `.first()`: two webhook-job runs racing over the same pending event can apply an
    // inbound message twice (hooks::process_pending has no claim); reported, not ours.
    await expect(page.locator("[data-thread] [data-direction=in]", { hasText: marker }).first()).toBeVisible();
    await expect(page.locator("[data-thread] [data-direction=out]", { hasText: "Hi Wanda" })).toBeVisible();
    await shot(page, "conversation");

    // Inside her window: an image with a caption and a text; Walter never wrote, so his
    // image is skipped with the reason and never reaches the stand-in.
    await page.goto(PAGE);
    const before = standin.sends.length;
    const mf = page.locator("[data-send-media]");
    await mf.locator("input[name=to]").fill(wanda.phone);
    await mf.locator("select[name=kind]").selectOption("image");
    await mf.locator("input[name=link]").fill("https://cdn.example.com/e2e/tasting-menu.jpg");
    await mf.locator("input[name=caption]").fill("Our tasting menu");
    await submit(page, "[data-send-media]");
    await expect(page.locator(".flash.success")).toContainText(`Image sent to ${wanda.phone}`);
    const image = standin.sends[before];
    expect(image.to).toBe(wanda.digits);
    expect(image.body.type).toBe("image");
    expect(image.body.image).toEqual({ link: "https://cdn.example.com/e2e/tasting-menu.jpg", caption: "Our tasting menu" });
    const txt = page.locator("[data-send-text]");
    await txt.locator("input[name=to]").fill(wanda.phone);
    await txt.locator("textarea[name=body]").fill("See you Tuesday at 10!");
    await submit(page, "[data-send-text]");
    await expect(page.locator(".flash.success")).toContainText(`WhatsApp message sent to ${wanda.phone}`);
    expect(standin.sends[before + 1].body.text.body).toBe("See you Tuesday at 10!");
    await page.locator("[data-send]").scrollIntoViewIfNeeded();
    await shot(page, "media-sent");
    await mf.locator("input[name=to]").fill(walter.phone);
    await mf.locator("select[name=kind]").selectOption("document");
    await mf.locator("input[name=link]").fill("https://cdn.example.com/e2e/price-list.pdf");
    await mf.locator("input[name=filename]").fill("Price list.pdf");
    await submit(page, "[data-send-media]");
    await expect(page.locator(".flash.error")).toContainText("skipped");
    await expect(page.locator(".flash.error")).toContainText("24-hour window");
    expect(standin.sends.length).toBe(before + 2);
    // A caption on audio is refused before anything is queued.
    await mf.locator("input[name=to]").fill(wanda.phone);
    await mf.locator("select[name=kind]").selectOption("audio");
    await mf.locator("input[name=link]").fill("https://cdn.example.com/e2e/hello.ogg");
    await mf.locator("input[name=caption]").fill("not allowed");
    await submit(page, "[data-send-media]");
    await expect(page.locator(".flash.error")).toContainText("caption");
    expect(standin.sends.length).toBe(before + 2);
    const walterRow = page.locator("table[data-table=message-log] tr", { hasText: walter.phone }).filter({ hasText: "cancelled" });
    await expect(walterRow).toContainText("24-hour window");
    await expect(walterRow.locator("[data-log-kind]")).toHaveText("document");
    const wandaImage = page.locator("table[data-table=message-log] tr", { hasText: wanda.phone }).filter({ has: page.locator("[data-log-kind]", { hasText: "image" }) });
    await expect(wandaImage.locator("td").nth(4)).toHaveText("sent");
    await expect(wandaImage.locator("td.num")).toHaveText("0.00 USD");
    await page.locator("[data-send]").scrollIntoViewIfNeeded();
    await shot(page, "media-skipped");

    // Twilio, pointed at the stand-in; one SMS from the page and its signed status callback.
    await connectTwilio(page, standin, cfg);
    await Promise.all([page.waitForNavigation(), page.locator("[data-sms-connection] form.inline button").click()]);
    await expect(page.locator(".flash.success")).toBeVisible();
    const statusUrl = (await page.locator("[data-sms-connection] dd code").first().textContent()).trim();
    expect(statusUrl).toMatch(/\/hooks\/twilio\/[A-Za-z0-9_-]+\/status$/);
    const smsForm = page.locator("[data-send-sms]");
    await smsForm.locator("input[name=to]").fill(walter.phone);
    await smsForm.locator("textarea[name=body]").fill("Your tasting is booked for Tuesday.");
    await submit(page, "[data-send-sms]");
    await expect(page.locator(".flash.success")).toContainText(`SMS sent to ${walter.phone}`);
    expect(standin.sms.length).toBe(1);
    const sms = standin.sms[0];
    expect(sms.form).toMatchObject({ To: walter.phone, From: "+15005550006", Body: "Your tasting is booked for Tuesday.", StatusCallback: statusUrl });
    const params = { MessageSid: sms.sid, SmsSid: sms.sid, MessageStatus: "delivered", SmsStatus: "delivered", AccountSid: cfg.accountSid,
      From: "+15005550006", To: walter.phone, ApiVersion: "2010-04-01" };
    const r = await page.request.post(new URL(statusUrl).pathname, {
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(cfg.authToken, statusUrl, params) },
      data: new URLSearchParams(params).toString(),
    });
    expect(r.status(), await r.text()).toBe(200);
    const smsRow = page.locator("table[data-table=message-log] tr", { hasText: walter.phone }).filter({ has: page.locator("td:text-is('sms')") });
    await eventually(page, () => expect(smsRow.locator("td").nth(5)).toHaveText("delivered", { timeout: 1000 }));
    await expect(smsRow.locator("td.num")).toHaveText("0.01 USD");
    await expect(page.locator("table[data-table=cost-totals] tr", { hasText: "sms" })).toBeVisible();
    await page.locator("[data-message-log]").scrollIntoViewIfNeeded();
    await shot(page, "sms");

    expect(standin.violations).toEqual([]);
    expect(problems).toEqual([]);
  } finally {
    await standin.close();
    if (restoreQuietHours) {
      await page.goto(`${WS}/settings/messaging`);
      await page.locator("[data-quiet-hours-form] input[name=enabled]").check();
      await submit(page, "[data-quiet-hours-form]");
    }
  }
});
