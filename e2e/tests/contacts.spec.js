// Contacts as a person uses them: the empty state, a CSV import from upload to report (German
// headers, `;` delimiter, a duplicate and a bad row), the error report, the table with search,
// filters, bulk tagging, columns and export, a contact with a note, companies, and the same
// pages in dark mode and on a phone. Screenshots go to target/e2e/screenshots.
const fs = require("fs");
const path = require("path");
const { test, expect } = require("@playwright/test");

const EMAIL = "demo@prospector.local";
const PASSWORD = "prospector-demo";
const SHOTS = "../target/e2e/screenshots";
const WS = "/w/demo-agency";
const FIXTURE = path.join(__dirname, "..", "fixtures", "contacts-de.csv");

/** Fail the test on any console error or failed request on the page. */
function watch(page) {
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()} at ${page.url()} ${JSON.stringify(m.location())}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return problems;
}

async function signIn(page, email = EMAIL, password = PASSWORD) {
  await page.goto("/login");
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** Strip the UTF-8 byte-order mark Excel needs. */
const unbom = (s) => s.replace(/^\uFEFF/, "");

test.describe.configure({ mode: "serial" });

let importUrl = "";

test("import a CSV from upload to report, then work with the contacts", async ({ page }) => {
  test.setTimeout(120_000);
  const problems = watch(page);
  await signIn(page);

  // The demo workspace may come with sample businesses: start over with the bulk delete of
  // every matching row (which asks first), so the empty state and the counts below are exact.
  for (const table of ["contacts", "companies"]) {
    await page.goto(`${WS}/${table}`);
    if ((await page.locator("[data-empty]").count()) === 0) {
      await page.check("[data-select-matching]");
      await page.selectOption("select[name=action]", "delete");
      let asked = "";
      page.once("dialog", (d) => { asked = d.message(); d.accept(); });
      await Promise.all([page.waitForNavigation(), page.click("button:text('Apply to selected')")]);
      expect(asked).toMatch(/^Delete all \d[\d,]* (contacts|companies)\?/);
      await expect(page.locator(".flash.success")).toContainText("deleted");
    }
  }

  // An honest empty state that points at the import.
  await page.goto(`${WS}/contacts`);
  await expect(page.locator(".topbar h1")).toHaveText("Contacts");
  await expect(page.locator("[data-empty] h2")).toHaveText("No contacts yet");
  await shot(page, "contacts-empty");
  await Promise.all([page.waitForNavigation(), page.click("[data-empty] a:text('Import a CSV file')")]);
  await expect(page).toHaveURL(/\/contacts\/import$/);
  await expect(page.locator("input[name=default_country]")).toHaveValue(/^[A-Z]{2}$/);
  await shot(page, "import-upload");

  // Upload: the file goes up with the CSRF header and the browser lands on the mapping screen.
  await page.setInputFiles("input[type=file]", FIXTURE);
  await expect(page.locator("[data-file-name]")).toContainText("contacts-de.csv");
  await page.fill("input[name=default_country]", "DE");
  await page.check("input[name=on_duplicate][value=skip]");
  await Promise.all([page.waitForURL(/\/contacts\/import\/map\?/), page.click("button:text('Upload and map columns')")]);
  await expect(page.locator("h2")).toContainText("contacts-de.csv");
  await expect(page.locator(".card > p.muted").first()).toContainText("semicolon");
  const suggested = { Firma: "company", "E-Mail": "email", Telefon: "phone", Webseite: "website", Ort: "city" };
  for (const [header, field] of Object.entries(suggested)) {
    await expect(page.locator(`tr[data-column="${header}"] select`)).toHaveValue(field);
  }
  await expect(page.locator('tr[data-column="Firma"] .samples')).toContainText("Bäckerei Sonnenschein");
  await expect(page.locator("input[name=default_country]")).toHaveValue("DE");
  await shot(page, "import-map");

  // Start: the import page follows the job live and shows the report when it is done.
  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("button:text('Start import')")]);
  importUrl = new URL(page.url()).pathname;
  await expect(page.locator("[data-import]")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(page.locator("[data-count-created]")).toHaveText("18");
  await expect(page.locator("[data-count-duplicates]")).toHaveText("1");
  await expect(page.locator("[data-count-errors]")).toHaveText("1");
  await expect(page.locator("[data-count-updated]")).toHaveText("0");
  const errorRows = page.locator("[data-errors] tbody tr");
  await expect(errorRows).toHaveCount(1);
  await expect(errorRows.first()).toContainText("no usable email, phone");
  await expect(errorRows.first()).toContainText("error");
  await shot(page, "import-done");

  // The event stream of a finished import sends one final event and ends.
  const sse = await page.request.get(`${importUrl}/events`);
  expect(sse.status()).toBe(200);
  expect(sse.headers()["content-type"]).toContain("text/event-stream");
  const events = await sse.text();
  expect(events).toContain("event: progress");
  expect(events).toContain('"final":true');
  expect(events).toContain('"state":"done"');

  // The error report downloads as CSV.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-error-report]")]);
  expect(download.suggestedFilename()).toMatch(/^import-\d+-errors\.csv$/);
  const report = unbom(fs.readFileSync(await download.path(), "utf8"));
  expect(report.split(/\r?\n/)[0]).toBe("row,line,column,value,reason,severity");
  expect(report).toContain("row has no usable email, phone");

  // The imported contacts.
  await Promise.all([page.waitForNavigation(), page.click("a:text('See the imported contacts')")]);
  await expect(page).toHaveURL(/\/contacts\?import_id=\d+$/);
  await expect(page.locator("[data-count]")).toHaveText("18 contacts");
  await expect(page.locator(".chip")).toContainText("import #");
  await shot(page, "contacts-imported");

  // Search finds one imported business by its company name.
  await page.goto(`${WS}/contacts`);
  await page.fill("input[name=q]", "Sonnenschein");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Search')")]);
  await expect(page.locator("[data-count]")).toHaveText("1 contact");
  const hit = page.locator("table[data-table=contacts] tbody tr");
  await expect(hit).toHaveCount(1);
  await expect(hit.first()).toContainText("Bäckerei Sonnenschein");
  await expect(hit.first()).toContainText("info@baeckerei-sonnenschein.de");
  await expect(hit.first()).toContainText("+4930");
  await shot(page, "contacts-search");

  // Filters: nobody lacks an email, everybody has a phone.
  await page.goto(`${WS}/contacts`);
  await page.click(".more-filters summary");
  await page.selectOption("select[name=has_email]", "false");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Apply filters')")]);
  await expect(page.locator("[data-no-match]")).toContainText("No contacts match these filters");
  await page.selectOption("select[name=has_email]", "true");
  await page.selectOption("select[name=has_phone]", "true");
  await page.selectOption("select[name=sort]", "name");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Apply filters')")]);
  await expect(page).toHaveURL(/has_email=true/);
  await expect(page.locator("[data-count]")).toHaveText("18 contacts");
  await shot(page, "contacts-filtered");

  // Bulk: tag two ticked rows, then filter by that tag.
  const boxes = page.locator("table[data-table=contacts] tbody input[name=id]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await page.selectOption("select[name=action]", "tag");
  await page.fill("input[name=bulk_tag]", "vip");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Apply to selected')")]);
  await expect(page.locator(".flash.success")).toContainText("2 contacts tagged “vip”");
  await expect(page).toHaveURL(/has_email=true/);
  await expect(page.locator(".more-filters")).toHaveAttribute("open", "");
  await page.selectOption("select[name=tag]", "vip");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Apply filters')")]);
  await expect(page.locator("[data-count]")).toHaveText("2 contacts");
  await expect(page.locator("table[data-table=contacts] tbody .tag").first()).toHaveText("vip");

  // Columns: hide Email, and it stays hidden after a reload.
  await page.goto(`${WS}/contacts`);
  await expect(page.locator("th[data-col=email]")).toBeVisible();
  await expect(page.locator("th[data-col=whatsapp]")).toBeHidden();
  await page.click("[data-columns] summary");
  await page.uncheck("[data-col-toggle=email]");
  await expect(page.locator("th[data-col=email]")).toBeHidden();
  await page.reload();
  await expect(page.locator("th[data-col=email]")).toBeHidden();
  await page.click("[data-columns] summary");
  await page.check("[data-col-toggle=email]");
  await expect(page.locator("th[data-col=email]")).toBeVisible();
  await page.click("h1");

  // Export: the link carries the filters and answers with CSV.
  await page.goto(`${WS}/contacts?q=Sonnenschein`);
  const href = await page.locator("[data-export]").getAttribute("href");
  expect(href).toContain("export.csv?q=Sonnenschein");
  expect(href).toContain("bom=1");
  const csv = await page.request.get(href);
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(csv.headers()["content-disposition"]).toMatch(/^attachment; filename="contacts-demo-agency-\d{4}-\d{2}-\d{2}\.csv"$/);
  const lines = unbom(await csv.text()).trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/^id,full_name,first_name,last_name,job_title,email,phone,whatsapp,company,/);
  expect(lines.length).toBe(2);
  expect(lines[1]).toContain("info@baeckerei-sonnenschein.de");

  // A contact: every field, the company link, a note and the timeline.
  await Promise.all([page.waitForNavigation(), page.click("table[data-table=contacts] td.name a")]);
  await expect(page.locator("[data-record-title]")).toHaveText("info@baeckerei-sonnenschein.de");
  await expect(page.locator(".facts")).toContainText("Bäckerei Sonnenschein");
  await expect(page.locator(".timeline")).toContainText("Imported (import #");
  await page.fill("textarea[name=body]", "Called on Monday: call back after the holidays.");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Add note')")]);
  await expect(page.locator(".flash.success")).toContainText("Note added.");
  await expect(page.locator(".notes")).toContainText("call back after the holidays");
  await expect(page.locator(".timeline")).toContainText("Note added");
  await shot(page, "contact-detail");

  // Its company, with the contact listed.
  await Promise.all([page.waitForNavigation(), page.click(".facts a:text('Bäckerei Sonnenschein')")]);
  await expect(page.locator("[data-record-title]")).toHaveText("Bäckerei Sonnenschein");
  await expect(page.locator(".record-main table")).toContainText("info@baeckerei-sonnenschein.de");
  await shot(page, "company-detail");

  // Companies table, export and the imports list.
  await page.goto(`${WS}/companies`);
  await expect(page.locator("[data-count]")).toHaveText("18 companies");
  await shot(page, "companies");
  const cexport = await page.request.get(await page.locator("[data-export]").getAttribute("href"));
  expect(cexport.headers()["content-type"]).toContain("text/csv");
  expect(unbom(await cexport.text()).split(/\r?\n/)[0]).toMatch(/^id,name,website,domain,phone,/);
  await page.goto(`${WS}/imports`);
  const ours = page.locator(`table tbody tr:has(a[href="${importUrl}"])`);
  await expect(ours).toHaveCount(1);
  await expect(ours).toContainText("contacts-de.csv");
  await expect(ours.locator(".badge")).toHaveText("done");
  await expect(ours.locator("td.num").nth(0)).toHaveText("20");
  await shot(page, "imports");

  // The dashboard counts them.
  await page.goto(`${WS}/dashboard`);
  const contactsStat = page.locator(".stat", { has: page.locator(".stat-label", { hasText: /^Contacts$/ }) });
  await expect(contactsStat.locator(".stat-value")).toHaveText("18");
  await shot(page, "dashboard-with-contacts");

  expect(problems).toEqual([]);
});

test("a bad value re-renders the form with the message next to the field", async ({ page }) => {
  await signIn(page);
  await page.goto(`${WS}/contacts/new`);
  await page.fill("input[name=full_name]", "Erika Mustermann");
  await page.fill("input[name=email]", "not-an-email");
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`${WS}/contacts`) && r.request().method() === "POST"),
    page.click("button:text('Create contact')"),
  ]);
  expect(resp.status()).toBe(422);
  const field = page.locator("label.field.invalid", { has: page.locator("input[name=email]") });
  await expect(field.locator(".field-error")).toBeVisible();
  await expect(page.locator("input[name=email]")).toHaveValue("not-an-email");
  await expect(page.locator("input[name=full_name]")).toHaveValue("Erika Mustermann");
  await shot(page, "contact-invalid");

  await page.fill("input[name=email]", "erika@example.de");
  await page.fill("input[name=tags]", "messe, 2026");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Create contact')")]);
  await expect(page.locator(".flash.success")).toContainText("Contact created.");
  await expect(page.locator("[data-record-title]")).toHaveText("Erika Mustermann");
  await expect(page.locator(".record-main .tags")).toContainText("messe");

  // Erase person: deleted and suppressed, after a confirmation that says so.
  let message = "";
  page.once("dialog", (d) => { message = d.message(); d.accept(); });
  await Promise.all([page.waitForNavigation(), page.click("button:text('Erase person')")]);
  expect(message).toContain("suppresses its email and phone numbers");
  await expect(page.locator(".flash.success")).toContainText("Person erased");
  await page.goto(`${WS}/contacts?q=Mustermann`);
  await expect(page.locator("[data-count]")).toHaveText("0 contacts");
});

test("dark mode and a phone-sized screen", async ({ page }) => {
  const problems = watch(page);
  await signIn(page);
  await page.evaluate(() => localStorage.setItem("prospector-theme", "dark"));
  await page.goto(`${WS}/contacts`);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await shot(page, "contacts-dark");
  await page.click("table[data-table=contacts] td.name a >> nth=0");
  await shot(page, "contact-detail-dark");
  expect(importUrl).not.toBe("");
  await page.goto(importUrl);
  await shot(page, "import-done-dark");
  await page.goto(`${WS}/contacts/import`);
  await shot(page, "import-upload-dark");
  await page.evaluate(() => localStorage.setItem("prospector-theme", "light"));
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${WS}/contacts`);
  const scroller = page.locator(".table-scroll").first();
  const overflow = await scroller.evaluate((el) => el.scrollWidth > el.clientWidth);
  expect(overflow).toBe(true);
  const bodyOverflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  expect(bodyOverflow).toBe(false);
  await shot(page, "contacts-mobile");
  await page.goto(importUrl);
  await shot(page, "import-done-mobile");
  expect(problems).toEqual([]);
});

test("a long import shows live progress and can be cancelled", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const problems = watch(page);
  // 300,000 businesses: long enough for the progress page to see the job running and for the
  // cancel to land, even on a fast machine (the test cancels after the first progress event;
  // the import commits every 2 s, so a cancel may wait that long for the write lock).
  const total = 300_000;
  const rows = ["Firma;E-Mail;Telefon;Webseite;Ort"];
  for (let i = 0; i < total; i++) rows.push(`Laden ${i};kontakt${i}@laden${i}.de;030 ${20000000 + i};laden${i}.de;Berlin`);
  const big = testInfo.outputPath("long-import.csv");
  fs.writeFileSync(big, rows.join("\n") + "\n");

  await signIn(page);
  await page.goto(`${WS}/contacts/import`);
  await page.setInputFiles("input[type=file]", big);
  await page.fill("input[name=default_country]", "DE");
  await Promise.all([page.waitForURL(/\/contacts\/import\/map\?/), page.click("button:text('Upload and map columns')")]);
  await Promise.all([page.waitForURL(/\/imports\/\d+$/), page.click("button:text('Start import')")]);
  await expect(page.locator("[data-import]")).toHaveAttribute("data-state", /pending|running/);
  // The figures move without a reload, from the event stream.
  await expect(page.locator(".progress-text [data-k=rows]")).not.toHaveText("0", { timeout: 30_000 });
  await expect(page.locator("[data-state-badge]")).toHaveText("running");
  await shot(page, "import-running");

  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForNavigation(), page.click("button:text('Cancel import')")]);
  await expect(page.locator("[data-import]")).toHaveAttribute("data-state", "cancelled", { timeout: 30_000 });
  await expect(page.locator("main")).toContainText("Cancelled; the rows read before stay imported.");
  const created = Number((await page.locator("[data-count-created]").textContent()).replace(/,/g, ""));
  expect(created).toBeGreaterThan(0);
  expect(created).toBeLessThan(total);
  await shot(page, "import-cancelled");
  // Pressing Cancel leaves the page while its event stream is open: the browser aborts that
  // request itself, which is not an error of the page.
  expect(problems.filter((p) => !/\/imports\/\d+\/events net::ERR_ABORTED$/.test(p))).toEqual([]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("search, open a contact, add a note and tag rows with plain forms", async ({ page }) => {
    await signIn(page);
    await page.goto(`${WS}/contacts?q=Morgenrot`);
    await expect(page.locator("[data-count]")).toHaveText("1 contact");
    // Times are readable without the script that localises them.
    await expect(page.locator("td[data-col=created] time")).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    await page.check("table[data-table=contacts] tbody input[name=id]");
    await page.fill("input[name=bulk_tag]", "no-js");
    await Promise.all([page.waitForNavigation(), page.click("button:text('Apply to selected')")]);
    await expect(page.locator(".flash.success")).toContainText("1 contact tagged “no-js”");
    await expect(page).toHaveURL(/q=Morgenrot/);
    await Promise.all([page.waitForNavigation(), page.click("table[data-table=contacts] td.name a")]);
    await page.fill("textarea[name=body]", "Written without JavaScript.");
    await Promise.all([page.waitForNavigation(), page.click("button:text('Add note')")]);
    await expect(page.locator(".notes")).toContainText("Written without JavaScript.");
    await expect(page.locator(".record-main .tags")).toContainText("no-js");
    await page.goto(importUrl);
    await expect(page.locator("[data-errors] tbody tr")).toHaveCount(1);
  });
});
