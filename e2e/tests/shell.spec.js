// The web shell as a person uses it: sign in, every sidebar page, tokens, invitations,
// roles, CSRF, dark mode and a phone-sized screen. Screenshots go to target/e2e/screenshots.
const { test, expect } = require("@playwright/test");

const EMAIL = "demo@prospector.local";
const PASSWORD = "prospector-demo";
const SHOTS = "../target/e2e/screenshots";

/** Fail the test on any console error or failed request on the page. */
function watch(page) {
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return problems;
}

async function signIn(page, email = EMAIL, password = PASSWORD) {
  await page.goto("/login");
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.fill("input[name=email]", EMAIL);
  await page.fill("input[name=password]", "not-the-password");
  const [resp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"), page.click("button[type=submit]")]);
  expect(resp.status()).toBe(401);
  await expect(page.locator(".flash.error")).toContainText("wrong email or password");
  await page.screenshot({ path: `${SHOTS}/login-error.png` });
});

test("sign in and visit every sidebar page without errors", async ({ page }) => {
  const problems = watch(page);
  await signIn(page);
  await expect(page).toHaveURL(/\/w\/demo-agency\/dashboard$/);
  const labels = ["Dashboard", "Contacts", "Leads", "Conversations", "Campaigns", "Discovery", "Templates", "Analytics", "Wallet", "Settings", "Admin"];
  for (const label of labels) {
    await Promise.all([page.waitForLoadState("load"), page.click(`nav a:text-is("${label}")`)]);
    await expect(page.locator("main.content")).toBeVisible();
    const heading = label === "Admin" ? "Platform admin" : label;
    await expect(page.locator(".topbar h1")).toHaveText(heading);
    await page.screenshot({ path: `${SHOTS}/${label.toLowerCase()}.png`, fullPage: true });
  }
  expect(problems).toEqual([]);
});

test("API tokens: shown once, work, and stop working when revoked", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/w/demo-agency/settings/tokens");
  await page.fill("input[name=name]", "e2e token");
  await Promise.all([page.waitForNavigation(), page.click("button:text('Create token')")]);
  const token = (await page.locator("[data-new-token] code").textContent()).trim();
  expect(token).toMatch(/^pk_/);
  await page.screenshot({ path: `${SHOTS}/token-created.png`, fullPage: true });
  const me = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).workspace.slug).toBe("demo-agency");
  page.on("dialog", (d) => d.accept());
  const row = page.locator("tr", { hasText: "e2e token" });
  await Promise.all([page.waitForNavigation(), row.locator("button:text('Revoke')").click()]);
  await expect(row).toContainText("revoked");
  const after = await request.get("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});

test("invite a member, join by link, and a viewer cannot change settings", async ({ page, browser }) => {
  await signIn(page);
  await page.goto("/w/demo-agency/settings/members");
  const invitee = `member${Date.now()}@example.com`;
  await page.fill("input[name=email]", invitee);
  await Promise.all([page.waitForNavigation(), page.click("button:text('Create invitation link')")]);
  const link = (await page.locator("code[data-copy]").textContent()).trim();
  expect(link).toContain("/invite/");

  const other = await browser.newContext();
  const guest = await other.newPage();
  await guest.goto(link);
  await expect(guest.locator("h1")).toContainText("Join Demo Agency");
  await guest.fill("input[name=name]", "New Member");
  await guest.fill("input[name=password]", "a-long-password");
  await Promise.all([guest.waitForNavigation(), guest.click("button[type=submit]")]);
  await expect(guest).toHaveURL(/\/w\/demo-agency\/dashboard$/);

  await page.goto("/w/demo-agency/settings/members");
  const row = page.locator("tr", { hasText: invitee });
  await Promise.all([page.waitForNavigation(), row.locator("select[name=role]").selectOption("viewer")]);
  await expect(page.locator(".flash")).toContainText("is now viewer");

  await guest.goto("/w/demo-agency/settings/profile");
  await expect(guest.locator("input[name=time_zone]")).toBeDisabled();
  const csrf = await guest.locator("meta[name=csrf-token]").getAttribute("content");
  const resp = await guest.request.post("/w/demo-agency/settings/workspace", {
    form: { _csrf: csrf, name: "Taken over", time_zone: "UTC", default_country: "US" },
    maxRedirects: 0,
  });
  expect(resp.status()).toBe(403);
  await guest.screenshot({ path: `${SHOTS}/viewer-settings.png`, fullPage: true });
  await other.close();
});

test("a form post without its CSRF token is refused", async ({ page }) => {
  await signIn(page);
  const resp = await page.request.post("/w/demo-agency/settings/profile", { form: { name: "No token" }, maxRedirects: 0 });
  expect(resp.status()).toBe(403);
  expect(await resp.text()).toContain("This form has expired");
});

test("dark mode and a phone-sized screen", async ({ page }) => {
  await signIn(page);
  await page.click("[data-theme-toggle]");
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(["dark", "light"]).toContain(theme);
  if (theme !== "dark") await page.click("[data-theme-toggle]");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.screenshot({ path: `${SHOTS}/dashboard-dark.png`, fullPage: true });
  await page.click("[data-theme-toggle]");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.screenshot({ path: `${SHOTS}/dashboard-mobile.png`, fullPage: true });
  await page.click("[data-menu]");
  await expect(page.locator("#sidebar")).toHaveClass(/open/);
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${SHOTS}/dashboard-mobile-menu.png` });
});
