// Drives the example portal in headless Chromium, as a person would: the login page,
// the emailed link's confirmation page, the portal, the client switcher, a task's page, the
// email code, logout. Fails on any console error (a CSP violation shows up there).
//
// Usage: node portal.mjs http://127.0.0.1:PORT   (CHROMIUM=/usr/bin/chromium by default)
import { chromium } from 'playwright-core';

const base = process.argv[2];
if (!base) throw new Error('usage: node portal.mjs BASE_URL');

async function outbox(to, kind, count) {
  for (let i = 0; i < 200; i++) {
    const all = await (await fetch(`${base}/dev/outbox`)).json();
    const mine = all.filter((m) => m.to === to && m.kind === kind);
    if (mine.length >= count) return mine;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${kind} message for ${to}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const problems = [];
try {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));

  // Ask for a link on the login page.
  await page.goto(`${base}/portal/login`);
  await page.fill('#email', 'jane@example.com');
  await page.click('button:has-text("Email me a login link")');
  await page.waitForSelector('h1:has-text("Check your email")');
  const [mail] = await outbox('jane@example.com', 'login', 1);

  // The link shows a confirmation page; only the button logs in.
  await page.goto(mail.links[0]);
  await page.waitForSelector('button:has-text("Log in to portal")');
  await page.click('button:has-text("Log in to portal")');
  await page.waitForSelector('h1:has-text("Hello Jane")');
  if (!page.url().endsWith('/portal/')) throw new Error(`landed on ${page.url()}`);

  // The stylesheet and the firm's accent colour apply (CSP allows them).
  const accent = await page.$eval('header', (h) => getComputedStyle(h).borderBottomColor);
  if (accent !== 'rgb(31, 111, 235)') throw new Error(`accent colour not applied: ${accent}`);

  // Switch business, open a task from "Your tasks", come back through the navigation.
  // (Completing tasks of every type: pages.mjs.)
  const before = await page.textContent('strong');
  await page.selectOption('#client', { index: 1 });
  await page.click('button:has-text("Switch")');
  await page.waitForFunction((b) => document.querySelector('strong').textContent !== b, before);
  const title = await page.textContent('section[aria-labelledby=yours] ul.tasks a >> nth=0');
  await page.click('section[aria-labelledby=yours] ul.tasks a >> nth=0');
  await page.waitForSelector(`h1:has-text("${title.trim()}")`);
  await page.click('nav >> text=Your tasks');
  await page.waitForSelector('h1:has-text("Hello Jane")');

  // Log out: the portal sends the browser back to the login page.
  await page.click('button:has-text("Log out")');
  await page.waitForSelector('text=You are logged out');
  await page.goto(`${base}/portal/`);
  await page.waitForSelector('h1:has-text("Log in")');

  // The email code, typed where it was asked for.
  await page.fill('#email', 'bob@example.com');
  await page.click('button:has-text("Email me a code")');
  await page.waitForSelector('input[autocomplete="one-time-code"]');
  const [codeMail] = await outbox('bob@example.com', 'code', 1);
  const code = codeMail.text.match(/ (\d{6})\b/)[1];
  await page.fill('#code', code);
  await page.click('button:has-text("Log in")');
  await page.waitForSelector('h1:has-text("Hello Bob")');

  if (problems.length) throw new Error(`browser errors: ${problems.join(' | ')}`);
  console.log('browser flow ok');
} finally {
  await browser.close();
}
