// Driven by scripts/e2e-player.sh (run it last: it revokes the page's viewer). The demo runs
// with a short player token (demo --token-ttl 20s); in headless Chromium, hls.js must play
// PAST the first token's exp on renewals (the page's renew.js: GET /demo/token, then
// POST /_streamgate/renew), and after `streamgate revoke --sub demo-player` the page must show
// a visible "401 revoked" and playback must stop.
//   node e2e-renewal.js PAGE_URL ADMIN_URL STREAMGATE_JAR
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');

const sleep = ms => new Promise(r => setTimeout(r, ms));
const claims = t => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());

(async () => {
  const [url, admin, jar] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
           '--no-first-run', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
  });
  const page = await browser.newPage();
  page.on('console', m => console.log('  [page]', m.text()));
  const renewCalls = [];
  page.on('response', r => { if (r.url().endsWith('/_streamgate/renew')) renewCalls.push(r.status()); });
  await page.goto(url);
  const first = claims(await page.$eval('#token', el => el.value.trim()));
  const life = first.exp - first.iat;
  console.log(`first token: sub ${first.sub}, lives ${life} s, exp ${new Date(first.exp * 1000).toISOString()}`);
  if (life > 60) throw new Error(`the page's token lives ${life} s: start the demo with --token-ttl 20s`);

  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'playing', null, { timeout: 60000 });
  const video = () => page.$eval('#video', v => v.currentTime);
  const state = () => page.$eval('#status', s => s.dataset.state + ' | ' + s.textContent);
  const renewals = () => page.$eval('#renewal', s => parseInt(s.dataset.renewals, 10));

  // 1. Past the first token's exp (with 4 s to spare), playback keeps advancing on renewals.
  const pastExp = (first.exp + 4) * 1000 - Date.now();
  if (pastExp > 0) await sleep(pastExp); // waiting for wall-clock time itself: the token's exp
  const t1 = await video();
  await page.waitForFunction(t => document.getElementById('video').currentTime > t + 2, t1, { timeout: 20000 });
  const t2 = await video();
  if (!/^playing/.test(await state())) throw new Error('not playing past the first exp: ' + await state());
  const n = await renewals();
  if (n < 1) throw new Error('past the first exp without a renewal: ' + await page.$eval('#renewal', s => s.textContent));
  console.log(`PASS renewal: ${Math.round(Date.now() / 1000 - first.exp)} s past the first token's exp, currentTime `
      + `${t1.toFixed(2)} -> ${t2.toFixed(2)} s, ${n} renewal(s), renew answers ${renewCalls.join(',')}; `
      + await page.$eval('#renewal', s => s.textContent));
  // and on through a second renewal (each new token named as `previous` next time)
  await page.waitForFunction(() => parseInt(document.getElementById('renewal').dataset.renewals, 10) >= 2, null,
      { timeout: (life + 10) * 1000 });
  const t3 = await video();
  await page.waitForFunction(t => document.getElementById('video').currentTime > t + 1, t3, { timeout: 20000 });
  console.log(`PASS second renewal: currentTime ${(await video()).toFixed(2)} s, ${await renewals()} renewals`);
  if (process.env.SG_E2E_SCREENSHOT) {
    await page.screenshot({ path: process.env.SG_E2E_SCREENSHOT + '-renewed.png', fullPage: true });
  }

  // 2. Revoke the page's viewer with the command the demo prints; the page shows 401 revoked.
  const revokedAt = Date.now();
  const out = execFileSync('java', ['-jar', jar, 'revoke', '--admin', admin, '--sub', first.sub, '--ttl', '10m',
      '--reason', 'e2e'], { encoding: 'utf8' });
  console.log('revoke: ' + out.trim());
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'denied'
      && /401 revoked/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  const shown = await page.$eval('#status', s => s.textContent);
  console.log(`PASS revoked: the page shows "${shown}" ${((Date.now() - revokedAt) / 1000).toFixed(1)} s after the revoke command`);

  // 3. Playback stops: currentTime stands still (what was buffered has played out).
  let last = await video(), still = 0;
  for (let waited = 0; still < 3000; waited += 500) {
    if (waited > 30000) throw new Error('playback did not stop after the revocation: currentTime ' + last);
    await sleep(500); // bounded poll of the media element
    const now = await video();
    still = now === last ? still + 500 : 0;
    last = now;
  }
  console.log(`PASS stopped: currentTime stands at ${last.toFixed(2)} s; renewal: `
      + await page.$eval('#renewal', s => s.textContent));
  if (process.env.SG_E2E_SCREENSHOT) {
    await page.screenshot({ path: process.env.SG_E2E_SCREENSHOT + '-revoked.png', fullPage: true });
  }
  await browser.close();
})().catch(e => { console.error('FAIL', e.message); process.exit(1); });
