// browser.js - headless Chromium, driven by playwright-core, on the VNC
// module's browser console (web.sh runs it).
//   node browser.js URL DIR
// Opens URL (quality 9), waits until noVNC is connected, then steps in
// lock-step with the shell through files in DIR: writes "ready", waits for
// "shoot" and saves the canvas as canvas.png, writes "shot"; types a, Z
// (with Shift) and Up, writes "typed"; then opens URL a second time and
// writes what its status line says to "second".  Exit 1 on any failure,
// with the reason on stderr.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.VIREO_PLAYWRIGHT);

const [url, dir] = process.argv.slice(2);
const exe = process.env.VIREO_CHROMIUM || '/usr/lib/chromium/chromium';

function waitFile(name, ms) {
	const f = path.join(dir, name);
	const until = Date.now() + ms;
	return new Promise((resolve, reject) => {
		const tick = () => {
			if (fs.existsSync(f))
				return resolve();
			if (Date.now() > until)
				return reject(new Error('no ' + name + ' in time'));
			setTimeout(tick, 100);
		};
		tick();
	});
}

async function statusText(page, want, ms) {
	await page.waitForFunction(
	    (w) => document.getElementById('status').textContent.startsWith(w),
	    want, { timeout: ms });
	return page.textContent('#status');
}

(async () => {
	const ctx = await chromium.launchPersistentContext(
	    path.join(dir, 'profile'), {
		    executablePath: exe,
		    headless: true,
		    ignoreHTTPSErrors: true,
		    viewport: { width: 1100, height: 850 },
		    args: ['--no-sandbox', '--disable-gpu', '--no-first-run',
			   '--disable-background-networking',
			   '--disable-component-update', '--disable-sync'],
	    });
	const page = await ctx.newPage();
	page.on('console', (m) => fs.appendFileSync(path.join(dir, 'console.log'),
	    m.text() + '\n'));
	await page.goto(url + '&quality=9');
	await statusText(page, 'connected', 30000);
	const canvas = page.locator('#screen canvas');
	await canvas.waitFor({ timeout: 10000 });
	fs.writeFileSync(path.join(dir, 'ready'), '');
	await waitFile('shoot', 60000);
	await canvas.screenshot({ path: path.join(dir, 'canvas.png') });
	fs.writeFileSync(path.join(dir, 'shot'), '');
	await canvas.click({ position: { x: 700, y: 600 } });
	await page.keyboard.press('KeyA');
	await page.keyboard.press('Shift+KeyZ');
	await page.keyboard.press('ArrowUp');
	fs.writeFileSync(path.join(dir, 'typed'), '');
	await waitFile('again', 60000);
	const again = await ctx.newPage();
	await again.goto(url + '&quality=9');
	let s;
	try {
		s = await statusText(again, 'refused', 30000);
	} catch (e) {
		s = await again.textContent('#status');
	}
	fs.writeFileSync(path.join(dir, 'second'), s + '\n');
	await ctx.close();
})().catch((e) => {
	console.error('browser.js: ' + e.message);
	process.exit(1);
});
