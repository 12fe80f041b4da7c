// The conversation in headless Chromium, by keyboard alone: the contact posts a comment
// on a task's page (HTML in it shown as typed, its line break kept), staff answer
// through the API and the page shows the answer as from the firm; the contact follows
// the page's "Ask a question" link, asks about the task and is told it was sent; the
// Activity page (reached from the navigation) lists the question and the comment,
// newest first. axe-core (WCAG 2.1 AA) on the task page with its comments, the ask page
// (before and after sending) and the activity page; screenshots at 1280 and 375 pixels.
// Fails on any console error (a CSP violation shows up there).
//
// Usage: node conversation.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR
// (CHROMIUM=/usr/bin/chromium by default.)
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const [base, adminToken, shots] = process.argv.slice(2);
if (!base || !adminToken || !shots) {
  throw new Error('usage: node conversation.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR');
}
const p = `${base}/portal`;
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function admin(method, path, body) {
  const headers = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${base}/admin/api${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} /admin/api${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const client = await admin('POST', '/clients', { name: `Talk ${suffix}` });
const contact = await admin('POST', '/contacts', {
  email: `sam-${suffix}@example.com`, first_name: 'Sam', client_ids: [client.id],
});
const task = await admin('POST', `/clients/${client.id}/tasks`, {
  title: 'Send the <b>March</b> receipts', phase: 'Bookkeeping',
  evidence: { type: 'standard' },
});
const comment = 'Two are <missing> & late.\nThe rest follow.';
const question = 'Can I send them by post?';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const problems = [];
const checked = [];

async function axe(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags }, iframes: false, resultTypes: ['violations'],
  }), WCAG);
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  if (found.length) throw new Error(`axe found on ${what} (${page.url()}):\n  ${found.join('\n  ')}`);
  checked.push(what);
}

async function shoot(page, name) {
  mkdirSync(shots, { recursive: true });
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) throw new Error(`${name} is ${overflow}px wider than ${width}px`);
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  throw new Error(`the keyboard never reached ${selector} on ${page.url()}`);
}

// Types `text` into the focused text area, its line breaks as Enter.
async function typeLines(page, text) {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) await page.keyboard.press('Enter');
    await page.keyboard.type(lines[i]);
  }
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const link = await admin('POST', `/contacts/${contact.id}/magic-link`);
  await page.goto(link.url);
  await page.click('button:has-text("Log in to portal")');
  await page.waitForSelector('h1:has-text("Hello Sam")');

  // A comment from the task's page, by keyboard.
  await page.goto(`${p}/tasks/${task.id}`);
  await page.waitForSelector('#comments');
  await axe(page, 'task page without comments');
  await tabTo(page, '#comment-body');
  await typeLines(page, comment);
  await tabTo(page, '#comments button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('ol.comments li');
  const shown = await page.$eval('ol.comments li p.pre-line', (e) => e.textContent);
  if (shown !== comment) throw new Error(`the comment reads ${JSON.stringify(shown)}`);
  if (await page.$('ol.comments missing')) throw new Error('the comment became markup');
  const author = await page.textContent('ol.comments li .author');
  if (author !== 'You') throw new Error(`the comment is by ${author}`);

  // Staff read it and answer; the page shows the answer as from the firm.
  const read = await admin('GET', `/tasks/${task.id}/comments`);
  if (read.comments.length !== 1 || read.comments[0].body !== comment) {
    throw new Error(`staff read ${JSON.stringify(read)}`);
  }
  await admin('POST', `/tasks/${task.id}/comments`, { body: 'Yes, scans are fine.\nThanks!' });
  await page.reload();
  await page.waitForSelector('ol.comments li:nth-child(2)');
  const firm = await page.textContent('ol.comments li:nth-child(2) .author');
  if (!firm || firm === 'You' || /staff|admin/i.test(firm)) throw new Error(`the answer is by ${firm}`);
  await axe(page, 'task page with comments');
  await shoot(page, 'task-comments');

  // "Ask a question" from the task's page: about the task, by keyboard.
  await tabTo(page, 'nav a[href*="/ask?task="]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#question-body');
  const about = await page.getAttribute('input[name=task_id]', 'value');
  if (about !== task.id) throw new Error(`the question is about ${about}`);
  await axe(page, 'ask page');
  await shoot(page, 'ask');
  await tabTo(page, '#question-body');
  await page.keyboard.type(question);
  await tabTo(page, 'main button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=Your question was sent to');
  await axe(page, 'ask page, sent');
  const questions = await admin('GET', `/questions?client_id=${client.id}`);
  if (questions.questions.length !== 1 || questions.questions[0].body !== question
    || questions.questions[0].task_id !== task.id) {
    throw new Error(`staff list ${JSON.stringify(questions)}`);
  }

  // The activity, from the navigation: the question, then the comments, then the task.
  await tabTo(page, 'nav a[href$="/activity"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('ol.activity');
  const lines = await page.$$eval('ol.activity li', (els) => els.map((e) => e.className));
  const order = ['activity-asked', 'activity-commented', 'activity-task_created'];
  const at = order.map((k) => lines.indexOf(k));
  if (at.some((i) => i < 0) || !(at[0] < at[1] && at[1] < at[2])) {
    throw new Error(`the activity lists ${lines.join(', ')}`);
  }
  const text = await page.textContent('ol.activity');
  if (!text.includes('You asked a question about Send the <b>March</b> receipts')) {
    throw new Error(`the activity reads ${text}`);
  }
  if ((await page.getAttribute('nav a[href$="/activity"]', 'aria-current')) !== 'page') {
    throw new Error('the navigation does not mark the activity page');
  }
  await axe(page, 'activity page');
  await shoot(page, 'activity');

  if (problems.length) throw new Error(`browser errors: ${problems.join(' | ')}`);
  console.log(`conversation ok; axe checked: ${checked.join(', ')}`);
} finally {
  await browser.close();
}
