// Scanning and AI settings as a person uses them: the AI provider tab (mode, budget, the key
// never shown), the Scanning tab's automatic follow-ups, and a bulk email verification from
// the Contacts table followed live on its job page until it finishes.
const { test, expect } = require("@playwright/test");

const EMAIL = "demo@prospector.local";
const PASSWORD = "prospector-demo";
const SHOTS = "../target/e2e/screenshots";
const WS = "/w/demo-agency";

function watch(page) {
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()} at ${page.url()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return problems;
}

async function signIn(page) {
  await page.goto("/login");
  await page.fill("input[name=email]", EMAIL);
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

test("AI provider and scanning settings, bulk verification with live progress", async ({ page }) => {
  const problems = watch(page);
  await signIn(page);

  await page.goto(`${WS}/settings/ai`);
  await expect(page.locator("nav.tabs a.active")).toHaveText("AI provider");
  await page.check("input[name=mode][value=workspace]");
  await page.selectOption("select[name=provider]", "openai_compatible");
  await page.fill("input[name=base_url]", "http://127.0.0.1:9/v1");
  await page.fill("input[name=model]", "gpt-4o-mini");
  await page.fill("input[name=api_key]", "sk-e2e-secret");
  await page.fill("input[data-ai-budget]", "2.50");
  await Promise.all([page.waitForNavigation(), page.click("form[data-ai-form] button[type=submit]")]);
  await expect(page.locator(".flash")).toContainText("AI settings saved");
  await expect(page.locator("[data-ai-effective]")).toContainText("gpt-4o-mini");
  await expect(page.locator("input[data-ai-budget]")).toHaveValue("2.50");
  expect(await page.content()).not.toContain("sk-e2e-secret");
  await page.screenshot({ path: `${SHOTS}/settings-ai.png`, fullPage: true });
  // Back to deterministic analyses so the other tests see the fallback.
  await page.check("input[name=mode][value=off]");
  await Promise.all([page.waitForNavigation(), page.click("form[data-ai-form] button[type=submit]")]);
  await expect(page.locator("[data-ai-effective]")).toContainText("none");

  await page.goto(`${WS}/settings/scanning`);
  await expect(page.locator("nav.tabs a.active")).toHaveText("Scanning");
  await page.check("input[name=auto_promote]");
  await Promise.all([page.waitForNavigation(), page.click("form[data-scanning-form] button[type=submit]")]);
  await expect(page.locator(".flash")).toContainText("Scanning settings saved");
  await expect(page.locator("input[name=auto_promote]")).toBeChecked();
  await page.uncheck("input[name=auto_promote]");
  await Promise.all([page.waitForNavigation(), page.click("form[data-scanning-form] button[type=submit]")]);

  // Verify the first three contacts' emails from the table and watch the job finish.
  await page.goto(`${WS}/contacts`);
  const boxes = page.locator("form[data-bulk=contacts] tbody input[type=checkbox][name=id]");
  for (let i = 0; i < 3; i++) await boxes.nth(i).check();
  await page.selectOption("select[data-bulk-action]", "verify");
  await Promise.all([page.waitForNavigation(), page.click("form[data-bulk=contacts] .bulk button[type=submit]")]);
  await expect(page).toHaveURL(/\/jobs\/\d+/);
  await expect(page.locator("h2")).toContainText("Email verification");
  await expect(page.locator("[data-job-state=succeeded]")).toBeVisible({ timeout: 45000 });
  await expect(page.locator("[data-job-result]")).toContainText("verified");
  await page.screenshot({ path: `${SHOTS}/verification-job.png`, fullPage: true });

  expect(problems).toEqual([]);
});
