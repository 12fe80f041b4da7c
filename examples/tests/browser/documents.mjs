// Document requests in headless Chromium: a contact uploads by the file picker, staff
// reject with notes, the contact sees why and uploads again by dragging a file onto
// the picker (a real drag through the DevTools protocol, as the mouse would), staff
// approve; the contact sees each status on the request's page and in "Documents", and
// downloads what was uploaded. axe-core (WCAG 2.1 AA) on each page, the upload done
// with the keyboard alone once, screenshots of "Documents" and of the request's page at
// 1280 and 375 pixels. Fails on any console error (a CSP violation shows up there).
//
// Then signatures: staff attach a PDF to two signature tasks; the contact reads one and
// signs it by drawing with the mouse, the other by drawing with a finger (touch events);
// each is verified against the stored document; axe and screenshots of the signature
// page.
//
// Usage: node documents.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR
// (CHROMIUM=/usr/bin/chromium by default.)
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, adminToken, shots] = process.argv.slice(2);
if (!base || !adminToken || !shots) {
  throw new Error('usage: node documents.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_DIR');
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

// Files on disk, as a person would pick them.
const dir = mkdtempSync(join(tmpdir(), 'portal-docs-'));
const pdf = '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';
const files = {
  january: join(dir, 'January statement.pdf'),
  all: join(dir, 'All pages.pdf'),
};
writeFileSync(files.january, pdf);
writeFileSync(files.all, `${pdf}% every page\n`);

const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const client = await admin('POST', '/clients', { name: `Docs ${suffix}` });
const contact = await admin('POST', '/contacts', { email: `pat-${suffix}@example.com`, first_name: 'Pat', client_ids: [client.id] });
const request = await admin('POST', `/clients/${client.id}/tasks`, {
  title: 'Upload your bank statements', phase: 'Month end', due_on: '2026-12-10',
  description: 'Every page, as PDF.', evidence: { type: 'document_upload' },
});

// Staff attach a document by multipart upload, as their tools would.
async function attach(taskId, name, bytes) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), name);
  const r = await fetch(`${base}/admin/api/tasks/${taskId}/document`, {
    method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: form,
  });
  if (!r.ok) throw new Error(`attach: ${r.status} ${await r.text()}`);
  return r.json();
}
const signTask = (title) => admin('POST', `/clients/${client.id}/tasks`, {
  title, phase: 'Onboarding', evidence: { type: 'signature' },
});
const question = await admin('POST', `/clients/${client.id}/tasks`, {
  title: 'What was this card payment?', phase: 'Month end',
  evidence: { type: 'question', question: 'Please attach the receipt.', transaction: null },
});
const receipt = join(dir, 'receipt.png');
writeFileSync(receipt, Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex'));
const drop = await admin('POST', `/clients/${client.id}/tasks`, {
  title: 'Hand over your payroll login letter', phase: 'Onboarding',
  evidence: { type: 'file_drop', expires_after_days: 7 },
});
const byMouse = await signTask('Sign the engagement letter');
const byTouch = await signTask('Sign the payroll mandate');
await attach(byMouse.id, 'Engagement letter.pdf', `${pdf}% engagement\n`);
await attach(byTouch.id, 'Payroll mandate.pdf', `${pdf}% mandate\n`);

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

// Drags the file at `path` onto `selector` and drops it there, through the browser's
// own input pipeline: a trusted drag, which a file input takes as a pick.
async function dropFile(page, selector, path) {
  const box = await page.locator(selector).boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [path], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  }
  await cdp.detach();
}

async function status(page) {
  return (await page.textContent('#ev + p .badge')).trim();
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(String(e)));

  const { url } = await admin('POST', `/contacts/${contact.id}/magic-link`);
  await page.goto(url);
  await page.click('button:has-text("Log in to portal")');
  await page.waitForSelector('h1:has-text("Hello Pat")');

  // Documents: requested.
  await page.click('nav >> text=Documents');
  await page.waitForSelector('h1:has-text("Documents")');
  if (!(await page.textContent('main')).includes('Requested')) throw new Error('not requested');
  await axe(page, 'documents, requested');

  // Upload by the file picker, with the keyboard alone to send it.
  await page.click('text=Upload your bank statements');
  await page.waitForSelector('h1:has-text("Upload your bank statements")');
  await axe(page, 'document request');
  await shoot(page, 'document-request');
  await page.setInputFiles('#files', files.january);
  await page.focus('#files');
  await page.keyboard.press('Tab');
  if (!(await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Upload'))) {
    throw new Error('Tab from the picker does not reach the Upload button');
  }
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await page.waitForSelector('text=January statement.pdf');
  if (!(await status(page)).startsWith('Uploaded')) throw new Error(`after upload: ${await status(page)}`);
  await axe(page, 'document request, uploaded');

  // The download is the file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('a:has-text("January statement.pdf")'),
  ]);
  if (download.suggestedFilename() !== 'January statement.pdf') throw new Error(`named ${download.suggestedFilename()}`);
  const saved = join(dir, 'downloaded.pdf');
  await download.saveAs(saved);
  if (readFileSync(saved, 'utf8') !== pdf) throw new Error('the download is not the upload');

  // Staff reject with notes; the contact sees why, and the form again.
  const seen = await admin('GET', `/tasks/${request.id}/uploads`);
  await admin('POST', `/uploads/${seen.uploads[0].id}/review`, { decision: 'rejected', notes: 'Page 2 is missing.' });
  await page.reload();
  await page.waitForSelector('text=Page 2 is missing.');
  if (!(await status(page)).startsWith('Rejected')) throw new Error(`after rejection: ${await status(page)}`);
  await axe(page, 'document request, rejected');

  // Upload again by dragging the file onto the picker.
  await dropFile(page, '#files', files.all);
  const picked = await page.evaluate(() => document.querySelector('#files').files[0]?.name);
  if (picked !== 'All pages.pdf') throw new Error(`the drop picked ${picked}`);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Upload")')]);
  await page.waitForSelector('text=All pages.pdf');
  if (!(await status(page)).startsWith('Uploaded')) throw new Error(`after the re-upload: ${await status(page)}`);

  // Staff approve; the request is done, here and in Documents.
  const again = await admin('GET', `/tasks/${request.id}/uploads`);
  const waiting = again.uploads.find((u) => u.status === 'uploaded');
  await admin('POST', `/uploads/${waiting.id}/review`, { decision: 'approved' });
  await page.reload();
  if ((await status(page)) !== 'Approved') throw new Error(`after approval: ${await status(page)}`);
  if (await page.locator('#files').count()) throw new Error('an approved request still offers the picker');
  await page.click('nav >> text=Documents');
  await page.waitForSelector('h1:has-text("Documents")');
  if (!(await page.textContent('main')).includes('Approved')) throw new Error('Documents does not say approved');
  await axe(page, 'documents, approved');
  await shoot(page, 'documents');

  // A secure file drop: dropped, listed with its expiry, deleted by the contact.
  await page.goto(`${p}/tasks/${drop.id}`);
  await page.setInputFiles('#files', files.january);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Hand over")')]);
  await page.waitForSelector('text=deleted on');
  await axe(page, 'file drop');
  await shoot(page, 'file-drop');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Delete")')]);
  await page.waitForSelector('text=No file here now.');
  const left = await admin('GET', `/tasks/${drop.id}/drop`);
  if (left.files.length !== 0) throw new Error(`the drop still lists ${JSON.stringify(left.files)}`);

  // A question answered with a receipt: the image shows as a preview.
  await page.goto(`${p}/tasks/${question.id}`);
  await page.fill('#answer', 'Printer toner.');
  await page.setInputFiles('#receipt', receipt);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Send answer")')]);
  await page.waitForSelector('img.preview');
  const shown = await page.evaluate(() => document.querySelector('img.preview').naturalWidth);
  if (shown !== 1) throw new Error(`the receipt's preview is ${shown} pixels wide`);
  await axe(page, 'question answered with a receipt');

  // A signature drawn with the mouse.
  await page.goto(`${p}/tasks/${byMouse.id}`);
  await page.waitForSelector('canvas#pad');
  await axe(page, 'signature');
  await shoot(page, 'signature');
  const [letter] = await Promise.all([
    page.waitForEvent('download'),
    page.click('a:has-text("Read the document")'),
  ]);
  if (letter.suggestedFilename() !== 'Engagement letter.pdf') throw new Error(`read ${letter.suggestedFilename()}`);
  await page.locator('canvas#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('canvas#pad').boundingBox();
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) {
    await page.mouse.move(box.x + 20 + i * 15, box.y + box.height / 2 + (i % 2 ? -25 : 25));
  }
  await page.mouse.up();
  await page.check('#consent');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign")')]);
  await page.waitForSelector('text=Signed');
  const mouse = await admin('GET', `/tasks/${byMouse.id}/signature`);
  if (mouse.how !== 'drawn' || !mouse.matches) throw new Error(`mouse signature: ${JSON.stringify(mouse)}`);
  await page.click('a:has-text("Check the signature")');
  await page.waitForSelector('text=Verified');
  await axe(page, 'signature verification');
  await shoot(page, 'signature-verified');

  // A signature drawn with a finger, on a touch screen.
  const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, hasTouch: true, isMobile: true });
  const touchPage = await phone.newPage();
  touchPage.on('console', (m) => { if (m.type() === 'error') problems.push(`${touchPage.url()}: ${m.text()}`); });
  const touchLink = await admin("POST", `/contacts/${contact.id}/magic-link`);
  await touchPage.goto(touchLink.url);
  await touchPage.click('button:has-text("Log in to portal")');
  await touchPage.waitForSelector('h1:has-text("Hello Pat")');
  await touchPage.goto(`${p}/tasks/${byTouch.id}`);
  await touchPage.waitForSelector('canvas#pad');
  // Touches land where the screen shows the pad: bring it into view first.
  await touchPage.locator('canvas#pad').scrollIntoViewIfNeeded();
  const pad = await touchPage.locator('canvas#pad').boundingBox();
  const cdp = await phone.newCDPSession(touchPage);
  const point = (i) => [{ x: pad.x + 15 + i * 12, y: pad.y + pad.height / 2 + (i % 2 ? -20 : 20) }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(0) });
  for (let i = 1; i <= 20; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(i) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await touchPage.check('#consent');
  await Promise.all([touchPage.waitForNavigation(), touchPage.click('button:has-text("Sign")')]);
  if (!(await touchPage.locator('text=Signed').count())) {
    throw new Error(`not signed by touch: ${await touchPage.textContent('main')}`);
  }
  const touch = await admin('GET', `/tasks/${byTouch.id}/signature`);
  if (touch.how !== 'drawn' || !touch.matches) throw new Error(`touch signature: ${JSON.stringify(touch)}`);

  if (problems.length) throw new Error(`browser errors: ${problems.join(' | ')}`);
  console.log(`documents ok; axe checked: ${checked.join(', ')}`);
} finally {
  await browser.close();
}
