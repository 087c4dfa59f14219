// Headless Chromium for the e2e tests: one page at the lab's test viewport, its console
// problems collected (which message types count is the caller's choice).
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchLabPage(problems: string[], record: readonly ReturnType<ConsoleMessage['type']>[] = ['error']): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 940 } });
  page.on('console', (m) => { if (record.includes(m.type())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { browser, page };
}
