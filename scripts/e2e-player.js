// Driven by scripts/e2e-player.sh: plays the demo page in headless Chromium (the page URL's
// ?format=hls|dash picks hls.js or dash.js) and checks that currentTime advances, then that
// a broken token shows its denial and reason.
const { chromium } = require('playwright-core');

(async () => {
  const url = process.argv[2];
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
           '--no-first-run', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
  });
  const page = await browser.newPage();
  page.on('console', m => console.log('  [page]', m.text()));
  const requested = [];
  page.on('request', r => requested.push(r.url()));
  await page.goto(url);
  const format = await page.$eval('#format', s => s.value);
  console.log('format: ' + format);
  if (url.includes('format=dash') && format !== 'dash') {
    throw new Error('the page did not pick DASH');
  }
  await page.waitForFunction(() => {
    const s = document.getElementById('status');
    return s.dataset.state === 'playing' && parseFloat(s.dataset.t) >= 4;
  }, null, { timeout: 60000 });
  const t1 = parseFloat(await page.$eval('#status', s => s.dataset.t));
  await page.waitForFunction(t => parseFloat(document.getElementById('status').dataset.t) > t + 2, t1, { timeout: 30000 });
  const t2 = parseFloat(await page.$eval('#status', s => s.dataset.t));
  console.log(`PASS ${format} playing: currentTime advanced ${t1.toFixed(2)} s -> ${t2.toFixed(2)} s`);
  if (process.env.SG_E2E_SCREENSHOT) {
    await page.screenshot({ path: process.env.SG_E2E_SCREENSHOT + '-playing.png', fullPage: true });
  }
  if (format === 'dash') {
    // a live MPD reloads every minimumUpdatePeriod: from the Location the gateway added, on the credential
    const onCredential = () => requested.filter(u => /\/manifest\.mpd\?sg_session=/.test(u));
    for (let waited = 0; onCredential().length === 0 && waited < 20000; waited += 500) {
      await new Promise(r => setTimeout(r, 500)); // bounded poll: minimumUpdatePeriod is 4 s
    }
    const reloads = onCredential();
    if (reloads.length === 0) {
      throw new Error('dash.js never reloaded the MPD on its credential: ' + requested.filter(u => u.includes('.mpd')));
    }
    console.log(`PASS dash reloads: ${reloads.length} MPD reload(s) on the session credential, no token`);
  }

  // Break the token (one signature character) and play again: the denial must show.
  await page.$eval('#token', el => {
    const v = el.value.trim();
    const i = v.lastIndexOf('.') + 5;
    el.value = v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
  });
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'denied', null, { timeout: 20000 });
  const denial = await page.$eval('#status', s => s.textContent);
  console.log(`PASS ${format} denied: ` + denial);
  if (process.env.SG_E2E_SCREENSHOT) {
    await page.screenshot({ path: process.env.SG_E2E_SCREENSHOT + '-denied.png', fullPage: true });
  }
  if (!/401/.test(denial) || !/bad_signature/.test(denial)) {
    throw new Error('denial does not show 401 bad_signature: ' + denial);
  }
  await browser.close();
})().catch(e => { console.error('FAIL', e.message); process.exit(1); });
