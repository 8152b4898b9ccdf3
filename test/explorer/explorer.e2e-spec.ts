/**
 * The VSOA Explorer as a new user meets it: the demo running, `vsoa ui vsoa://…` started, the
 * printed URL opened in a real (headless) Chromium. The page connects, calls /light with GET and
 * SET, subscribes to /, shows the light's publish in the tree, charts a field, lists what the demo
 * describes of itself, and draws the ping round trip.
 */
import 'reflect-metadata';
import '../demo/demo-env';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium, Browser, Page } from 'playwright-core';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { AppModule } from '../../apps/demo/src/app.module';
import { buildCli, CliProcess } from '../cli/cli-process';
import { chromiumPath } from './chromium';

jest.setTimeout(30_000);

let app: INestApplication;
let cli: { main: string; dispose: () => void };
let explorer: CliProcess;
let browser: Browser;
let page: Page;
let pageUrl: string;

beforeAll(async () => {
  [cli, browser] = await Promise.all([
    buildCli(),
    chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
  ]);
  app = await NestFactory.create(AppModule, { logger: false });
  app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const vsoaUrl = `vsoa://127.0.0.1:${app.get(VsoaServerStrategy).unwrap().address()!.port}`;
  explorer = new CliProcess(cli.main, ['ui', vsoaUrl, '--port', '0']);
  [, pageUrl] = await explorer.waitForLine('stdout', /^VSOA Explorer: (http:\/\/127\.0\.0\.1:\d+\/)$/);
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // Compiling the CLI and starting Chromium take seconds on a busy machine.
}, 90_000);

afterAll(async () => {
  await browser?.close();
  explorer?.kill();
  await app?.close();
  cli?.dispose();
});

it('connects to the server named on the command line and shows its info', async () => {
  await page.goto(pageUrl);
  await page.locator('#link-state[data-state="connected"]').waitFor();
  expect(await page.locator('#server-info').textContent()).toContain('"name":"demo"');
});

it('calls /light with GET, then flips it with SET from a JSON param', async () => {
  await page.fill('#call-url', '/light');
  await page.click('#call');
  await expectText(page, '#call-status', 'SUCCESS (0)');
  expect(JSON.parse((await page.locator('#call-reply-param').textContent())!)).toMatchObject({ on: false });

  await page.fill('#subscribe-url', '/');
  await page.click('#subscribe');
  await page.locator('#subscriptions li', { hasText: '/' }).waitFor();

  await page.selectOption('#call-method', 'SET');
  await page.fill('#call-param', '{"on": true, "brightness": 40}');
  await page.click('#call');
  await expectText(page, '#call-reply-param', '"brightness": 40');
  expect(JSON.parse((await page.locator('#call-reply-param').textContent())!)).toEqual({ on: true, brightness: 40 });
  // Both calls are in the history, newest first.
  expect(await page.locator('#history li').allTextContents()).toEqual([
    expect.stringMatching(/^SET \/light \{"on":true,"brightness":40\}/),
    expect.stringMatching(/^GET \/light/),
  ]);
});

it('shows the publish in the live tree and charts a field of it', async () => {
  const row = page.locator('tr.topic[data-url="/light"]');
  await row.waitFor();
  await expectText(page, 'tr.topic[data-url="/light"] .count', '1');
  await row.locator('.field[data-path="brightness"]').click();
  const chart = page.locator('.chart[data-key="/light#brightness"]');
  await chart.locator('canvas').waitFor();

  // A second publish adds a point to the chart.
  await page.fill('#call-param', '{"brightness": 75}');
  await page.click('#call');
  await expectText(page, 'tr.topic[data-url="/light"] .count', '2');
  await page.locator('.chart[data-key="/light#brightness"][data-points="2"]').waitFor();
  expect(await row.locator('.field[data-path="brightness"]').textContent()).toBe('brightness: 75');
  expect(await inkedPixels(page, '.chart[data-key="/light#brightness"] canvas')).toBeGreaterThan(50);
});

it('lists the commands and publishes the demo describes, and draws the ping round trip', async () => {
  await page.click('#describe');
  await page.locator('#described-commands li', { hasText: '/light' }).waitFor();
  expect(await page.locator('#described-commands li').allTextContents()).toEqual(expect.arrayContaining(['/light', '/echo']));
  expect(await page.locator('#described-publishes li').allTextContents()).toContain('/light');
  await page.locator('#ping-chart[data-points]').waitFor();
  expect(await inkedPixels(page, '#ping-chart canvas')).toBeGreaterThan(0);

  const dir = process.env.VSOA_SCREENSHOT_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'explorer.png'), fullPage: true });
  }
});

it('says why when a call fails, and keeps working', async () => {
  await page.selectOption('#call-method', 'GET');
  await page.fill('#call-url', '/no/such/url');
  await page.fill('#call-param', '');
  await page.click('#call');
  await expectText(page, '#call-status', 'INVALID_URL (3)');
  await page.fill('#call-param', '{not json');
  await page.click('#call');
  await expectText(page, '#problem', 'param is not JSON');
});

it('refuses a bad command line with a usage error, and explains itself', async () => {
  const bad = await new CliProcess(cli.main, ['ui', '--port', '70000']).exit();
  expect(bad).toMatchObject({ code: 2, stderr: 'vsoa ui: --port must be at most 65535, got 70000\n' });
  const extra = await new CliProcess(cli.main, ['ui', 'vsoa://127.0.0.1:1', 'more']).exit();
  expect(extra).toMatchObject({ code: 2, stderr: 'vsoa ui: unexpected argument "more"\n' });
  const help = await new CliProcess(cli.main, ['ui', '--help']).exit();
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: vsoa ui \[vsoa:\/\/HOST:PORT \| vsoa:\/\/NAME\]/);
});

/** Waits until the element's text contains `text`. */
async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).waitFor();
}

/** What the test reads of a canvas (the tests compile without the DOM's types). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Pixels a chart's canvas has drawn (not transparent): it drew lines, not just an empty frame. */
function inkedPixels(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((node) => {
      const canvas = node as unknown as CanvasLike;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
      return inked;
    });
}
