// Lead scores as a person uses them: the Companies table sorted by score and filtered by tier,
// a company's score explained factor by factor, an analysis generated without an AI provider,
// and a profile preset applied in Settings with the re-score's progress.
const { test, expect } = require("@playwright/test");
const { WS, SHOTS, watch, signIn } = require("../fixtures/session");

test("sort by score, filter a tier, read why, generate an analysis, change the profile", async ({ page }) => {
  const problems = watch(page);
  await signIn(page);

  // The profile page: apply a preset and watch the re-score finish.
  await page.goto(`${WS}/settings/icp`);
  await expect(page.locator("nav.tabs a.active")).toHaveText("Ideal customer profile");
  await Promise.all([page.waitForNavigation(), page.click("button[data-preset=web_agency]")]);
  await expect(page.locator(".flash")).toContainText("Web agency");
  await expect(page.locator("[data-rescore-state=succeeded]")).toBeVisible({ timeout: 30000 });
  await expect(page.locator("[data-tier-count]").first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/settings-icp.png`, fullPage: true });

  // The table, highest score first.
  await page.goto(`${WS}/companies?sort=score`);
  await expect(page.locator("th[data-col=score]")).toBeVisible();
  const scores = await page.locator("td[data-col=score]").evaluateAll((tds) => tds.map((td) => td.dataset.score).filter((s) => s !== "").map(Number));
  expect(scores.length).toBeGreaterThan(5);
  for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
  await page.screenshot({ path: `${SHOTS}/companies-by-score.png`, fullPage: true });

  // Filter the best tier on the page.
  const tier = await page.locator("[data-tier]").first().getAttribute("data-tier");
  await page.selectOption("select[name=tier]", tier);
  await Promise.all([page.waitForNavigation(), page.click(".searchrow button[type=submit]")]);
  const tiers = await page.locator("[data-tier]").evaluateAll((els) => els.map((e) => e.dataset.tier));
  expect(tiers.length).toBeGreaterThan(0);
  expect(new Set(tiers)).toEqual(new Set([tier]));

  // Open one and read why.
  await Promise.all([page.waitForNavigation(), page.click("table[data-table=companies] td.name a >> nth=0")]);
  await expect(page.locator("[data-score-tier]")).toHaveText(`Tier ${tier}`);
  await expect(page.locator("[data-score-reason]")).toContainText(`${tier}:`);
  await expect(page.locator("[data-score-factors] tbody tr")).toHaveCount(5);
  await Promise.all([page.waitForNavigation(), page.click("button[data-generate-analysis]")]);
  await expect(page.locator("[data-analysis]")).toHaveAttribute("data-provider", "fallback");
  await expect(page.locator("[data-opening-line]")).not.toBeEmpty();
  await page.screenshot({ path: `${SHOTS}/company-score.png`, fullPage: true });
  expect(problems).toEqual([]);
});
