// Opens the viewer page in headless Chromium and saves two screenshots: the
// home view and a 1:1 zoom centred on an image point.
//   node screenshot.js URL HOME.png ZOOM.png X Y
const { chromium } = require("playwright-core");

async function settle(page) {
  // every tile of the view loaded or given up on (a missing tile)
  await page.waitForFunction(

    () => window.viewerState() === "loaded",
    null, { timeout: 30000 }).catch(async (e) => {
    console.error("viewer state:", await page.evaluate(() => window.viewerState()));
    throw e;
  });
  await page.waitForTimeout(500);
}

(async () => {
  const [url, home, zoom, x, y] = process.argv.slice(2);
  const userDataDir = require("fs").mkdtempSync(require("os").tmpdir() + "/dz-chromium-");
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 800, height: 600 },
    deviceScaleFactor: 1,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await settle(page);
    await page.screenshot({ path: home });
    await page.evaluate(([px, py]) => window.zoomToPixel(px, py), [Number(x), Number(y)]);
    await page.waitForTimeout(200);
    await settle(page);
    await page.screenshot({ path: zoom });
    const failed = await page.evaluate(() => window.failedTiles);
    console.log(`failed tiles: ${failed}`);
  } finally {
    await context.close();
    require("fs").rmSync(userDataDir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(2); });
