// The pages a client sees, in headless Chromium: every page of the portal checked by
// axe-core at WCAG 2.1 AA, screenshots of "Your tasks" and "Our progress" at 1280 and
// 375 pixels, and tasks of every evidence type completed through the pages (one form
// and one approval with the keyboard alone), the progress bar moving with each. The
// work is created through the staff API, for a client and contact of the test's own.
// Fails on any console error (a CSP violation shows up there).
//
// Usage: node pages.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR MODE
//   MODE `pages`: axe on every page, the screenshots, a standard task completed.
//   MODE `evidence`: a task of each of the seven types completed, the keyboard test.
// (CHROMIUM=/usr/bin/chromium by default.)
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';

const [base, adminToken, shots, mode] = process.argv.slice(2);
if (!base || !adminToken || !shots || !['pages', 'evidence'].includes(mode)) {
  throw new Error('usage: node pages.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR pages|evidence');
}
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

async function outbox(to, kind, count) {
  for (let i = 0; i < 200; i++) {
    const all = await (await fetch(`${base}/dev/outbox`)).json();
    const mine = all.filter((m) => m.to === to && m.kind === kind);
    if (mine.length >= count) return mine;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${kind} message for ${to}`);
}

// A client of the test's own with a contact (granted every permission) and an
// engagement of three phases holding a task of each type, and one of the firm's.
async function engagement(name) {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const client = await admin('POST', '/clients', { name: `${name} ${suffix}` });
  const email = `pat-${suffix}@example.com`;
  const contact = await admin('POST', '/contacts', { email, first_name: 'Pat', client_ids: [client.id] });
  const task = (body) => admin('POST', `/clients/${client.id}/tasks`, body);
  const tasks = {};
  tasks.standard = await task({
    title: 'Sign the engagement letter', phase: 'Onboarding', due_on: '2026-12-20',
    description: 'Read our terms and confirm them.',
  });
  tasks.form = await task({
    title: 'Tell us about your business', phase: 'Onboarding',
    evidence: {
      type: 'form',
      fields: [
        { name: 'company', label: 'Company name', kind: 'short_text', max_chars: 100, required: true },
        { name: 'notes', label: 'Anything we should know?', kind: 'long_text', max_chars: 2000, required: false },
        { name: 'size', label: 'Employees', kind: 'single_select', options: ['1 to 9', '10 to 49', '50 or more'], required: true },
        { name: 'tools', label: 'Tools you use', kind: 'multiple_select', options: ['Xero', 'QuickBooks', 'Excel'], required: false },
        { name: 'rating', label: 'How was onboarding so far?', kind: 'rating', required: true },
      ],
    },
  });
  tasks.firm = await task({
    title: 'Set up your bank feed', phase: 'Onboarding', assignee: 'firm',
    description: 'We connect your business bank account to the books.',
  });
  tasks.question = await task({
    title: 'Explain a card payment', phase: 'Month end', due_on: '2026-12-10',
    evidence: {
      type: 'question', question: 'What was this payment for?',
      transaction: {
        date: '2026-11-03T00:00:00.000Z', payee: 'Office Supplies Ltd',
        amount: { value: '-42.10', currency: 'EUR' }, memo: 'CARD 1234',
      },
    },
  });
  tasks.checklist = await task({
    title: 'Send the month-end documents', phase: 'Month end',
    evidence: { type: 'checklist', items: ['Bank statements', 'Payroll report', 'Sales invoices'] },
  });
  tasks.meeting = await task({
    title: 'Month-end review call', phase: 'Month end',
    evidence: {
      type: 'meeting', starts_at: '2026-12-10T13:00:00.000Z', utc_offset_minutes: 60,
      time_zone: 'Europe/Vienna', duration_minutes: 45, join_link: 'https://meet.example.com/harbour',
    },
  });
  tasks.training = await task({
    title: 'Watch: how to snap a receipt', phase: 'Month end',
    evidence: { type: 'training', provider: 'youtube', video_id: 'dQw4w9WgXcQ' },
  });
  tasks.approval = await task({
    title: 'Approve the annual accounts', phase: 'Year end', due_on: '2027-01-31',
    evidence: { type: 'approval', text: 'Please approve the draft annual accounts.', link: 'https://docs.example.com/accounts.pdf' },
  });
  return { client, contact, email, tasks };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const problems = [];
// The status a page is expected to answer while an error page is checked on purpose
// (its console notes the status), or null.
let expectedError = null;

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The video provider's player, served locally: the test needs no network, and the
  // page's policy still decides whether the frame may load.
  await context.route('https://www.youtube-nocookie.com/**', (r) => r.fulfill({
    status: 200, contentType: 'text/html',
    body: '<!doctype html><html lang="en"><title>Player</title><p>A video</p></html>',
  }));
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expectedError && m.text().includes(`status of ${expectedError}`)) return;
    problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return page;
}

// axe-core at WCAG 2.1 AA on the page as it is. Injected through the DevTools
// protocol, which the pages' Content-Security-Policy (no scripts) does not govern.
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

async function login(page, contact) {
  const { url } = await admin('POST', `/contacts/${contact.id}/magic-link`);
  await page.goto(url);
  await page.click('button:has-text("Log in to portal")');
  await page.waitForSelector('h1:has-text("Hello Pat")');
}

async function overall(page) {
  await page.goto(`${base}/portal/progress`);
  const value = await page.getAttribute('#overall', 'value');
  const label = await page.textContent('label[for=overall]');
  if (!label.includes(`${value}%`)) throw new Error(`bar ${value} but label ${label}`);
  return Number(value);
}

async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  throw new Error(`the keyboard never reached ${selector} on ${page.url()}`);
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

async function pagesMode() {
  const { contact, email, tasks } = await engagement('Harbour Books');
  const visitor = await newPage();
  const p = `${base}/portal`;

  // The pages before a login, each as a person meets it.
  await visitor.goto(`${p}/login`);
  await axe(visitor, 'login');
  await visitor.fill('#email', email);
  await visitor.click('button:has-text("Email me a code")');
  await visitor.waitForSelector('input[autocomplete="one-time-code"]');
  await axe(visitor, 'code');
  await visitor.goto(`${p}/login`);
  await visitor.fill('#email', email);
  await visitor.click('button:has-text("Email me a login link")');
  await visitor.waitForSelector('h1:has-text("Check your email")');
  await axe(visitor, 'check email');
  const [mail] = await outbox(email, 'login', 1);
  await visitor.goto(mail.links[0]);
  await visitor.waitForSelector('button:has-text("Log in to portal")');
  await axe(visitor, 'link confirmation');
  await visitor.goto(`${p}/auth/link/${'A'.repeat(43)}`);
  expectedError = 404;
  await visitor.click('button:has-text("Log in to portal")');
  await visitor.waitForSelector('h2:has-text("Get a new login link")');
  await axe(visitor, 'link problem');
  expectedError = null;
  const { url: personal } = await admin('POST', `/contacts/${contact.id}/personal-link`);
  await visitor.goto(personal);
  await axe(visitor, 'personal link');
  await visitor.goto(`${p}/password/forgot`);
  await axe(visitor, 'forgot password');
  await admin('POST', `/contacts/${contact.id}/password-link`);
  const [pw] = await outbox(email, 'password_link', 1);
  await visitor.goto(pw.links[0]);
  await visitor.waitForSelector('input[autocomplete="new-password"]');
  await axe(visitor, 'set password');
  expectedError = 404;
  await visitor.goto(`${p}/nowhere`);
  await axe(visitor, 'error page');
  expectedError = null;

  // The portal, logged in.
  const page = await newPage();
  await login(page, contact);
  await axe(page, 'your tasks');
  await page.click('nav >> text=Our progress');
  await page.waitForSelector('h1:has-text("Our progress")');
  await axe(page, 'our progress');
  await page.click('nav >> text=Approvals');
  await page.waitForSelector('h1:has-text("Approvals")');
  await axe(page, 'approvals');
  for (const [type, task] of Object.entries(tasks)) {
    await page.goto(`${p}/tasks/${task.id}`);
    await page.waitForSelector('h1');
    if (type === 'training') {
      const src = await page.getAttribute('iframe', 'src');
      if (src !== 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ') throw new Error(`iframe ${src}`);
      await page.frameLocator('iframe').locator('text=A video').waitFor();
    }
    await axe(page, `task page (${type})`);
    await shoot(page, `task-${type}`);
  }
  expectedError = 404;
  await page.goto(`${p}/tasks/not-a-task`);
  await axe(page, 'error page, logged in');
  expectedError = null;

  // A standard task through its page: the bar moves, the task leaves "Your tasks".
  const before = await overall(page);
  await page.goto(`${p}/`);
  await page.click(`a[href$="/tasks/${tasks.standard.id}"]`);
  await page.fill('#note', 'Signed and posted.');
  await page.click('button:has-text("Mark complete")');
  await page.waitForSelector('h1:has-text("Hello Pat")');
  if (await page.$(`a[href$="/tasks/${tasks.standard.id}"]`)) throw new Error('a done task is still listed');
  const after = await overall(page);
  if (!(after > before)) throw new Error(`progress did not move: ${before} -> ${after}`);
  // Undone from its page, reached through "Our progress": the bar goes back.
  await page.click(`a[href$="/tasks/${tasks.standard.id}"]`);
  await page.click('button:has-text("Undo")');
  await page.waitForSelector('h1:has-text("Hello Pat")');
  if ((await overall(page)) !== before) throw new Error('undo did not move the bar back');
  await page.goto(`${p}/tasks/${tasks.standard.id}`);
  await page.click('button:has-text("Mark complete")');
  await page.waitForSelector('h1:has-text("Hello Pat")');

  await page.goto(`${p}/`);
  await shoot(page, 'your-tasks');
  await page.goto(`${p}/progress`);
  await shoot(page, 'our-progress');

  await page.click('button:has-text("Log out")');
  await page.waitForSelector('text=You are logged out');
  await axe(page, 'logged out');

  // Staff preview the same contact's portal as staff open it: the confirmation page,
  // then the portal under its banner, where undoing a task is refused and changes
  // nothing.
  const { url: preview } = await admin('POST', `/contacts/${contact.id}/preview`);
  const staff = await newPage();
  await staff.goto(preview);
  await axe(staff, 'preview confirmation');
  await staff.click('button:has-text("Open the preview")');
  await staff.waitForSelector('h1:has-text("Hello Pat")');
  if (!(await staff.isVisible('.preview-banner'))) throw new Error('no preview banner');
  await axe(staff, 'your tasks, previewed');
  const shown = await overall(staff);
  await staff.goto(`${p}/tasks/${tasks.standard.id}`);
  expectedError = 403;
  await staff.click('button:has-text("Undo")');
  await staff.waitForSelector('text=Read-only preview');
  await axe(staff, 'refused in a preview');
  expectedError = null;
  if ((await overall(staff)) !== shown) throw new Error('a preview changed the progress');
}

async function evidenceMode() {
  const { contact, tasks } = await engagement('Quayside Cafe');
  const page = await newPage();
  const p = `${base}/portal`;
  await login(page, contact);
  let progress = await overall(page);
  const moved = async (what) => {
    const now = await overall(page);
    if (!(now > progress)) throw new Error(`${what}: the progress bar did not move (${progress} -> ${now})`);
    progress = now;
  };
  const open = async (task) => {
    await page.goto(`${p}/tasks/${task.id}`);
    await page.waitForSelector('h1');
  };

  // Standard.
  await open(tasks.standard);
  await page.click('button:has-text("Mark complete")');
  await page.waitForSelector('h1:has-text("Hello Pat")');
  await moved('standard');

  // Question.
  await open(tasks.question);
  await page.fill('#answer', 'Printer paper and toner for the office.');
  await page.click('button:has-text("Send answer")');
  await page.waitForSelector('text=Printer paper and toner');
  await moved('question');

  // Form, with the keyboard alone: the page is reached from the home page's link.
  await page.goto(`${p}/`);
  await tabTo(page, `a[href$="/tasks/${tasks.form.id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('form.survey');
  await tabTo(page, '#f-company');
  await page.keyboard.type('Quayside Cafe Ltd');
  await tabTo(page, '#f-notes');
  await page.keyboard.type('Two sites.');
  await tabTo(page, '#f-size');
  await page.keyboard.press('ArrowDown');
  if (!(await page.inputValue('#f-size'))) throw new Error('the select did not take the keyboard');
  await tabTo(page, '#f-tools-0');
  await page.keyboard.press('Space');
  await tabTo(page, '#f-tools-2');
  await page.keyboard.press('Space');
  await tabTo(page, 'input[name=rating]');
  await page.keyboard.press('Space');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const rating = await page.$eval('input[name=rating]:checked', (e) => e.value);
  if (rating !== '4') throw new Error(`rating ${rating}`);
  await tabTo(page, 'form.survey button[type=submit]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('h2:has-text("Your answers")');
  for (const shown of ['Quayside Cafe Ltd', 'Xero, Excel', '4 of 5']) {
    if (!(await page.textContent('dl.answers')).includes(shown)) throw new Error(`answers lack ${shown}`);
  }
  await moved('form');

  // Checklist: every item, the bar moving with each.
  for (let i = 0; i < 3; i++) {
    await open(tasks.checklist);
    await page.click('button:text-is("Check") >> nth=0');
    await page.waitForSelector(`button:text-is("Uncheck") >> nth=${i}`);
    await moved(`checklist item ${i}`);
  }

  // Approval, with the keyboard alone, from the navigation.
  await page.goto(`${p}/`);
  await tabTo(page, 'nav a[href$="/approvals"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:has-text("Approvals")');
  await tabTo(page, '#a-1-comment');
  await page.keyboard.type('Looks right to us.');
  await tabTo(page, 'button[value=approved]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=Approved');
  await moved('approval');

  // Meeting: the invitation downloads from the page; the firm marks it held.
  await open(tasks.meeting);
  const ics = await page.getAttribute('a:has-text("Add to my calendar")', 'href');
  const invite = await page.request.get(new URL(ics, base).toString());
  if (invite.status() !== 200 || !(invite.headers()['content-type'] || '').startsWith('text/calendar')) {
    throw new Error(`invite: ${invite.status()} ${invite.headers()['content-type']}`);
  }
  if (!(await invite.text()).includes('BEGIN:VCALENDAR')) throw new Error('not a calendar');
  await admin('POST', `/tasks/${tasks.meeting.id}/status`, { status: 'completed' });
  await moved('meeting');

  // Training.
  await open(tasks.training);
  await page.frameLocator('iframe').locator('text=A video').waitFor();
  await page.click('button:has-text("I have watched it")');
  await page.waitForSelector('text=You have watched this video');
  await moved('training');

  // The firm's own task, done by staff: everything is done.
  await admin('POST', `/tasks/${tasks.firm.id}/complete`);
  if ((await overall(page)) !== 100) throw new Error('not 100% with every task done');
  await page.goto(`${p}/`);
  await page.waitForSelector('text=Nothing to do right now.');
}

try {
  if (mode === 'pages') await pagesMode();
  else await evidenceMode();
  if (problems.length) throw new Error(`browser errors: ${problems.join(' | ')}`);
  console.log(`${mode} ok; axe checked: ${checked.join(', ') || 'nothing'}`);
} finally {
  await browser.close();
}
