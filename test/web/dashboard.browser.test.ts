// The web dashboard in a real browser (Debian's Chromium, driven by playwright-core) over a seeded fleet: the
// numbers it shows equal counts made directly in SQL, a security-viewer sees no control that changes anything,
// device names holding markup stay text, drill-down and back work, an admin gets the remote actions and
// "Sync now", and a wrong token shows the API's reason. Screenshots of each view go to test-artifacts/dashboard/.
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { evaluateFindings } from '../../src/findings/evaluate';
import { markUnseen, Presence, upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import type { AppHit, NormalizedDevice } from '../../src/mdm/connector';
import { takePostureSnapshot } from '../../src/posture/summary';
import { startTestApi, type TestApi } from '../support/api';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.resolve(__dirname, '../../test-artifacts/dashboard');
const HOSTILE_NAME = '<img src=x onerror="window.__injected=1">';
const DAY_MS = 86_400_000;

const MESSENGER_POLICY = {
  name: 'keep-work-chats-managed',
  targets: { connections: ['all'], platforms: ['android', 'ios'] },
  controls: {
    workProfileRequired: { mode: 'enforce' },
    blockedApps: { mode: 'enforce', apps: ['com.whatsapp', 'com.facebook.orca'] },
    workDataBackup: { mode: 'enforce', allowed: false },
    encryptionRequired: { mode: 'alert' },
    staleCheckIn: { mode: 'alert', days: 14 },
  },
};
const LAPTOP_POLICY = {
  name: 'laptops-encrypted',
  targets: { connections: ['all'], platforms: ['windows', 'macos'] },
  controls: { encryptionRequired: { mode: 'alert' } },
};

const many = (count: number, make: (i: number) => Partial<NormalizedDevice>) =>
  Array.from({ length: count }, (_, i) => aDevice(make(i)));

/** The figures as the brief defines them, counted straight from the tables. */
async function countsInSql(api: TestApi) {
  const { rows } = await api.db.knex.raw(`
    with d as (
      select gone_at is not null as gone,
        exists (select 1 from findings f where f.device_id = devices.id and f.resolved_at is null)
          or compliance in ('noncompliant', 'in-grace-period') as failing,
        compliance
      from devices
    )
    select count(*) filter (where gone)::int as gone,
      count(*) filter (where not gone and failing)::int as noncompliant,
      count(*) filter (where not gone and not failing and compliance = 'unknown')::int as unknown,
      count(*) filter (where not gone and not failing and compliance <> 'unknown')::int as compliant
    from d`);
  const severities = await api.db
    .knex('findings')
    .whereNull('resolved_at')
    .groupBy('severity')
    .select('severity', api.db.knex.raw('count(*)::int as n'));
  const bySeverity = Object.fromEntries(['critical', 'high', 'medium', 'low'].map((s) => [s, 0]));
  for (const row of severities) bySeverity[row.severity] = row.n;
  const [pending] = await api.db
    .knex('device_actions')
    .whereIn('kind', ['wipe', 'retire'])
    .whereIn('state', ['requested', 'scheduled', 'sending', 'sent'])
    .count<{ n: string }[]>({ n: '*' });
  return { devices: rows[0] as Record<string, number>, findings: bySeverity, pendingRetires: Number(pending!.n) };
}

const numberAt = async (page: Page, testid: string) =>
  Number((await page.getByTestId(testid).textContent())!.replace(/\D/g, ''));

/** Signs in from the keyboard: the token field has the focus when the page opens, Enter submits. */
async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API token').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
}

describe('the web dashboard in a browser', () => {
  let api: TestApi;
  let browser: Browser;
  let viewer: string;
  let silentId: string;
  const problems: string[] = [];

  async function newPage(width = 1280, height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    // Script errors, and anything the Content-Security-Policy blocked, fail the test at the end.
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
        problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the dashboard's browser tests need it. Install it with ` +
          '`apt-get update && apt-get install -y chromium` (as root; .ci/run does this on a fresh machine).',
      );
    }
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const launching = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    api = await startTestApi();
    viewer = await api.tokenFor('security-viewer', 'soc-analyst');
    for (const policy of [MESSENGER_POLICY, LAPTOP_POLICY]) {
      const saved = await api.request('PUT', `/v1/policies/${policy.name}`, { body: { policy, reason: 'rollout' } });
      expect(saved.status).toBe(201);
    }
    const knex = api.db.knex;
    const contoso = await aConnection(knex, 'contoso');
    const fabrikam = await aConnection(knex, 'fabrikam');

    // A week ago: a cleaner fleet, snapshotted on three days in a row.
    const clean = [
      ...many(12, (i) => ({ name: `pixel-${i}` })),
      ...many(4, (i) => ({
        name: `iphone-${i}`,
        platform: 'ios',
        enrollmentMode: 'user-enrollment',
        model: 'iPhone 15',
      })),
      ...many(3, (i) => ({ name: `laptop-${i}`, platform: 'windows', enrollmentMode: 'device', ownership: 'company' })),
      ...many(2, (i) => ({ name: `gone-${i}` })),
    ];
    await upsertDevicePage(knex, contoso, await aSyncRun(knex, contoso), clean);
    await evaluateFindings(knex);
    const now = Date.now();
    for (const daysAgo of [7, 6, 5])
      await takePostureSnapshot(knex, { now: new Date(now - daysAgo * DAY_MS), retentionDays: 400 });

    // Since: messengers in work profiles, a rooted phone named with markup, unencrypted phones, noncompliant and
    // unknown devices; two phones gone from the last complete sync; a second tenant whose credential broke.
    const whatsapp = aDevice({ name: 'whatsapp-in-work-profile' });
    const risky = [
      whatsapp,
      aDevice({ name: HOSTILE_NAME, jailbroken: true }),
      ...many(3, (i) => ({ name: `unencrypted-${i}`, encrypted: false })),
      ...many(2, (i) => ({
        name: `laptop-unencrypted-${i}`,
        platform: 'windows',
        enrollmentMode: 'device',
        encrypted: false,
      })),
      aDevice({ name: 'mdm-noncompliant', compliance: 'noncompliant' }),
      aDevice({ name: 'in-grace', compliance: 'in-grace-period' }),
      ...many(3, (i) => ({ name: `unknown-${i}`, compliance: 'unknown' })),
      aDevice({ name: 'silent-for-weeks', lastCheckInAt: new Date(now - 40 * DAY_MS) }),
    ];
    const run = await aSyncRun(knex, contoso);
    const seen = [...clean.filter((d) => !d.name!.startsWith('gone-')), ...risky];
    await upsertDevicePage(knex, contoso, run, seen);
    const hit: AppHit = {
      identifier: 'com.whatsapp',
      appExternalId: 'wa',
      displayName: 'WhatsApp',
      version: '2.24',
      scope: 'work-profile',
      deviceExternalId: whatsapp.externalId,
    };
    await upsertAppHits(knex, contoso, [hit]);
    const presence = new Presence();
    presence.addDevices(seen);
    presence.addApps([hit]);
    await knex.transaction((trx) => markUnseen(trx, contoso, run, presence));
    await knex('connections').where({ id: contoso }).update({ credential_status: 'ok' });
    await upsertDevicePage(
      knex,
      fabrikam,
      await aSyncRun(knex, fabrikam),
      many(4, (i) => ({ name: `fab-${i}` })),
    );
    await knex('connections')
      .where({ id: fabrikam })
      .update({ credential_status: 'broken', last_complete_sync_at: new Date(now - 3 * 3600_000) });
    await evaluateFindings(knex);
    // A retire of the phone silent for weeks, waiting for a second admin's approval.
    silentId = (await knex('devices').where({ name: 'silent-for-weeks' }).first('id')).id;
    const retire = await api.request('POST', '/v1/actions', {
      body: { action: 'retire', devices: [silentId], reason: 'silent for weeks', idempotencyKey: 'seed-retire-1' },
    });
    expect(retire.status).toBe(201);
    for (const daysAgo of [2, 1, 0])
      await takePostureSnapshot(knex, { now: new Date(now - daysAgo * DAY_MS), retentionDays: 400 });
    browser = await launching;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  it('shows a wrong token the API’s reason', async () => {
    const page = await newPage();
    await page.goto(`${api.url}/`);
    await page.getByLabel('API token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('login-error').getByText('the bearer token is not recognised').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await shot(page, 'login-wrong-token');
    await page.context().close();
  });

  it('shows a security-viewer the same numbers SQL counts, and nothing that changes anything', async () => {
    const page = await newPage();
    await signIn(page, api.url, viewer);
    await page.getByTestId('devices-compliant').waitFor();
    await expect(page.getByTestId('whoami').textContent()).resolves.toBe('soc-analyst security-viewer');

    const sql = await countsInSql(api);
    expect(sql.devices.gone).toBe(2);
    expect(sql.findings.critical).toBeGreaterThanOrEqual(2);
    for (const state of ['compliant', 'noncompliant', 'unknown', 'gone'])
      expect({ state, shown: await numberAt(page, `devices-${state}`) }).toEqual({ state, shown: sql.devices[state] });
    for (const severity of ['critical', 'high', 'medium', 'low'])
      expect({ severity, shown: await numberAt(page, `findings-${severity}`) }).toEqual({
        severity,
        shown: sql.findings[severity],
      });
    expect(sql.pendingRetires).toBe(1);
    await expect(numberAt(page, 'actions-pending')).resolves.toBe(sql.pendingRetires);
    await page.getByRole('table', { name: 'Pending wipes and retires' }).getByText('silent-for-weeks').waitFor();

    // The trend: both charts drawn, with a gap where no snapshot was taken; alignment of both policies.
    await expect(page.getByTestId('trend-devices').locator('svg path.area').count()).resolves.toBe(8);
    await expect(page.getByTestId('trend-alignment').locator('svg path.line').count()).resolves.toBe(4);
    await expect(page.getByTestId('alignment').locator('tbody tr').count()).resolves.toBe(2);
    // The tenant with a broken credential and a three-hour-old sync is flagged in words.
    const fabrikamRow = page.getByTestId('freshness-row').filter({ hasText: 'fabrikam' });
    await expect(fabrikamRow.textContent()).resolves.toMatch(/credential broken; stale/);

    // A device name holding markup is text, not an element.
    const needing = page.getByTestId('needing-action');
    await expect(needing.getByRole('link', { name: HOSTILE_NAME }).count()).resolves.toBe(1);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
    await expect(page.locator('main img').count()).resolves.toBe(0);

    // Read-only: no action controls, no forms, no buttons besides Refresh and Sign out.
    await expect(page.locator('[data-action], form, dialog').count()).resolves.toBe(0);
    await expect(page.locator('button').allTextContents()).resolves.toEqual(['Refresh', 'Sign out']);
    // The token is in this tab's sessionStorage only.
    expect(page.url()).not.toContain(viewer);
    expect(await page.evaluate("[localStorage.length, sessionStorage.getItem('warden.token')]")).toEqual([0, viewer]);
    await shot(page, 'overview-security-viewer');

    // Drill down to the device with WhatsApp in its work profile, and come back.
    await needing.getByRole('link', { name: 'whatsapp-in-work-profile' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('device-name').textContent()).resolves.toBe('whatsapp-in-work-profile');
    expect(page.url()).toMatch(/#\/devices\/[0-9a-f-]{36}$/);
    const findingRows = page.getByTestId('device-finding');
    await expect(findingRows.first().textContent()).resolves.toContain('blocked-messenger');
    await expect(findingRows.first().textContent()).resolves.toContain('critical');
    await expect(page.locator('[data-action], form, dialog').count()).resolves.toBe(0);
    await shot(page, 'device-security-viewer');
    await page.goBack();
    await page.getByTestId('devices-compliant').waitFor();
    expect(new URL(page.url()).hash).toBe('');

    await page.getByTestId('sign-out').click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.context().close();
  });

  it('fits a 390 px wide phone screen', async () => {
    const page = await newPage(390, 844);
    await signIn(page, api.url, viewer);
    await page.getByTestId('devices-compliant').waitFor();
    await page.getByTestId('trend-devices').locator('svg').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, 'overview-phone');
    await page.context().close();
  });

  it('offers an admin the remote actions and Sync now, and shows the API’s answer', async () => {
    const page = await newPage();
    await signIn(page, api.url, api.adminToken);
    await page.getByTestId('devices-compliant').waitFor();
    await expect(page.locator('[data-action="sync"]').count()).resolves.toBe(2);
    const fabrikamRow = page.getByTestId('freshness-row').filter({ hasText: 'fabrikam' });
    await fabrikamRow.getByRole('button', { name: 'Sync now' }).click();
    await fabrikamRow
      .getByRole('status')
      .getByText(/queued \(job .+\)/)
      .waitFor();
    await shot(page, 'overview-admin');

    await page.getByTestId('needing-action').getByRole('link', { name: 'whatsapp-in-work-profile' }).click();
    await page.getByTestId('device-name').waitFor();
    await expect(page.locator('[data-action="retire"]').textContent()).resolves.toBe('Request retire');
    await page.getByRole('button', { name: 'Request lock' }).click();
    await page.getByLabel('Reason (recorded in the audit log)').fill('lost on the train, user asked for a lock');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page
      .getByTestId('action-result')
      .getByText(/^Lock requested/)
      .waitFor();
    const actions = await api.db.knex('actions').where({ kind: 'lock' }).select('kind', 'reason');
    expect(actions).toEqual([{ kind: 'lock', reason: 'lost on the train, user asked for a lock' }]);
    await shot(page, 'device-admin');

    // A second action on a device with a retire under way: the API refuses, and the page says why.
    await page.goto(`${api.url}/#/devices/${silentId}`);
    await page.getByTestId('device-name').getByText('silent-for-weeks').waitFor();
    await page.getByRole('button', { name: 'Request retire' }).click();
    await page.getByLabel('Reason (recorded in the audit log)').fill('asking twice');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page
      .getByTestId('action-result')
      .getByText(/already has an action under way/)
      .waitFor();
    const retires = await api.db.knex('actions').where({ kind: 'retire' }).select('reason');
    expect(retires).toEqual([{ reason: 'silent for weeks' }]);
    await shot(page, 'device-admin-refused');
    await page.context().close();
  });

  it('says so when no snapshot was taken yet, and signs out a token revoked meanwhile', async () => {
    await api.db.knex('posture_snapshots').delete();
    const created = await api.request<{ id: string; token: string }>('POST', '/v1/tokens', {
      body: { name: 'temporary-viewer', role: 'security-viewer' },
    });
    const page = await newPage();
    await signIn(page, api.url, created.body.token);
    await page.getByTestId('trend-empty').getByText('No snapshots yet').waitFor();
    await expect(page.getByTestId('trend-devices').count()).resolves.toBe(0);

    expect((await api.request('DELETE', `/v1/tokens/${created.body.id}`)).status).toBe(204);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('login-error').getByText('the bearer token has been revoked').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.context().close();
  });
});
