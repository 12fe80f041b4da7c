// Credential handoff in headless Chromium: the contact opens a credential task, finds
// the password masked, shows and hides it with the keyboard alone (the toggle is a
// button with `aria-pressed`), fills the form and hands it over; the page then shows
// which fields were filled and never a value, nor an input filled in. Staff reveal it
// through the API (with the bearer token) and get the values typed. axe-core (WCAG 2.1
// AA) on the page before and after, and once the firm has received it; screenshots at
// 1280 and 375 pixels. Fails on any console error (a CSP violation shows up there).
//
// Usage: node credentials.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR
// (CHROMIUM=/usr/bin/chromium by default.)
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const [base, adminToken, shots] = process.argv.slice(2);
if (!base || !adminToken || !shots) {
  throw new Error('usage: node credentials.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR');
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
  return { json: text ? JSON.parse(text) : null, headers: r.headers };
}

const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const { json: client } = await admin('POST', '/clients', { name: `Vault ${suffix}` });
const { json: contact } = await admin('POST', '/contacts', {
  email: `pat-${suffix}@example.com`, first_name: 'Pat', client_ids: [client.id],
});
const { json: task } = await admin('POST', `/clients/${client.id}/tasks`, {
  title: "Hand over the accounting software's admin login", phase: 'Onboarding',
  description: 'We need it to connect your books.',
  evidence: {
    type: 'credential',
    fields: [{ kind: 'username' }, { kind: 'password' }, { kind: 'api_key', required: false }, { kind: 'notes' }],
  },
});
// What the contact types: distinctive, so that any copy on a page is found (a marker of
// its own: the client's name and the contact's address hold the suffix).
const mark = `Mk${Math.random().toString(36).slice(2, 10)}`;
const secret = {
  username: `admin-${mark}`,
  password: `Pw ${mark} <&>"'`,
  notes: `Recovery ${mark}\nsecond line`,
};

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

async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  throw new Error(`the keyboard never reached ${selector} on ${page.url()}`);
}

// No value on the page, in its markup or in any input.
async function showsNoValue(page, what) {
  const html = await page.content();
  for (const [name, value] of Object.entries(secret)) {
    for (const part of [value, mark]) {
      if (html.includes(part)) throw new Error(`${what}: the page holds the ${name} (${part})`);
    }
  }
  const filled = await page.$$eval('input:not([type=hidden]), textarea', (els) => els.filter((e) => e.value !== '').map((e) => e.id));
  if (filled.length) throw new Error(`${what}: inputs filled in: ${filled.join(', ')}`);
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const { json: link } = await admin('POST', `/contacts/${contact.id}/magic-link`);
  await page.goto(link.url);
  await page.click('button:has-text("Log in to portal")');
  await page.waitForSelector('h1:has-text("Hello Pat")');

  await page.goto(`${p}/tasks/${task.id}`);
  await page.waitForSelector('form.credential');
  await axe(page, 'credential task, to hand over');
  await shoot(page, 'task-credential');

  // Masked, and its toggle shown by the script, labelled and not pressed.
  if ((await page.getAttribute('#c-password', 'type')) !== 'password') throw new Error('the password is not masked');
  if ((await page.getAttribute('#c-password', 'autocomplete')) !== 'new-password') throw new Error('autocomplete');
  if ((await page.getAttribute('#c-username', 'autocomplete')) !== 'off') throw new Error('username autocomplete');
  const toggle = 'button[data-toggle-secret="c-password"]';
  if (!(await page.isVisible(toggle))) throw new Error('no show/hide button');
  const name = await page.$eval(toggle, (b) => b.textContent.trim());
  if (name !== 'Show Password') throw new Error(`the toggle is named ${JSON.stringify(name)}`);
  if ((await page.getAttribute(toggle, 'aria-pressed')) !== 'false') throw new Error('pressed at first');

  // With the keyboard alone: type, show, check, hide.
  await tabTo(page, '#c-username');
  await page.keyboard.type(secret.username);
  await tabTo(page, '#c-password');
  await page.keyboard.type(secret.password);
  await tabTo(page, toggle);
  await page.keyboard.press('Enter');
  if ((await page.getAttribute('#c-password', 'type')) !== 'text') throw new Error('Enter did not show it');
  if ((await page.getAttribute(toggle, 'aria-pressed')) !== 'true') throw new Error('not marked pressed');
  if ((await page.inputValue('#c-password')) !== secret.password) throw new Error('the value changed');
  await axe(page, 'credential task, password shown');
  await page.keyboard.press('Space');
  if ((await page.getAttribute('#c-password', 'type')) !== 'password') throw new Error('Space did not hide it');
  if ((await page.getAttribute(toggle, 'aria-pressed')) !== 'false') throw new Error('still marked pressed');
  // Shown again before sending: the form masks it as it leaves (noted as the form is
  // sent, after the page's own script had its turn, for the next page to read).
  await page.keyboard.press('Enter');
  await page.evaluate(() => document.querySelector('form.credential').addEventListener('submit', () => {
    sessionStorage.setItem('typeAtSubmit', document.getElementById('c-password').type);
  }));
  await tabTo(page, '#c-notes');
  await page.keyboard.type(secret.notes);
  await tabTo(page, 'form.credential button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=Handed over');
  const typeAtSubmit = await page.evaluate(() => sessionStorage.getItem('typeAtSubmit'));
  if (typeAtSubmit !== 'password') throw new Error(`sent while shown: ${typeAtSubmit}`);

  await showsNoValue(page, 'after handing over');
  for (const [label, state] of [['Username', 'Filled in'], ['Password', 'Filled in'], ['API key', 'Left empty'], ['Notes', 'Filled in']]) {
    const cell = await page.textContent(`table.facts tr:has(th:text-is("${label}")) td`);
    if (cell !== state) throw new Error(`${label}: ${cell}, not ${state}`);
  }
  if ((await page.getAttribute('#c-password', 'type')) !== 'password') throw new Error('the new form is not masked');
  await axe(page, 'credential task, handed over');
  await shoot(page, 'task-credential-handed-over');

  // Staff reveal it, with a reason, and read what was typed.
  const { json: revealed, headers } = await admin('POST', `/tasks/${task.id}/credential/reveal`, { reason: 'Connect the books' });
  if (headers.get('cache-control') !== 'no-store') throw new Error(`cache-control ${headers.get('cache-control')}`);
  const values = Object.fromEntries(revealed.values.map((v) => [v.name, v.value]));
  for (const [field, value] of Object.entries(secret)) {
    if (values[field] !== value) throw new Error(`revealed ${field}: ${JSON.stringify(values[field])}`);
  }
  if ('api_key' in values) throw new Error('an empty field was revealed');

  await page.reload();
  await page.waitForSelector('text=The firm has received it');
  if (await page.$('form.credential')) throw new Error('still a form once the firm read it');
  await showsNoValue(page, 'once received');
  await axe(page, 'credential task, received');

  if (problems.length) throw new Error(`browser errors: ${problems.join(' | ')}`);
  console.log(`credentials ok; axe checked: ${checked.join(', ')}`);
} finally {
  await browser.close();
}
