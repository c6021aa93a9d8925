// Headless Chromium from Debian's `chromium` package, driven by puppeteer-core (which never
// downloads a browser). One browser per test file; every page's console errors and uncaught
// exceptions are collected so a test can assert there were none.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';

export interface PageErrors {
  /** Console messages of type error, and uncaught exceptions, of every page of the browser. */
  errors: string[];
}

export async function launchBrowser(): Promise<{ browser: Browser; problems: PageErrors; newPage: (context?: BrowserContext, viewport?: { width: number; height: number }) => Promise<Page> }> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--disable-background-networking'],
  });
  const problems: PageErrors = { errors: [] };
  /** A page in `context` (its own cookie jar: one per user), by default a 1280×800 line tablet. */
  const newPage = async (context?: BrowserContext, viewport = { width: 1280, height: 800 }) => {
    const page = await (context ?? browser.defaultBrowserContext()).newPage();
    await page.setViewport(viewport);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.errors.push(`${page.url()}: console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.errors.push(`${page.url()}: pageerror: ${(e as Error).message ?? String(e)}`));
    return page;
  };
  return { browser, problems, newPage };
}

/** Log in through the page's form; resolves once the line view shows. */
export async function logIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(`${base}/#/line`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#login input[name=user]');
  await page.type('#login input[name=user]', user);
  await page.type('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#tiles .tile');
}

/** The session cookie of a page, as a Cookie header for requests made outside the browser. */
export async function cookieHeader(page: Page): Promise<string> {
  const cookies = await page.browserContext().cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}
