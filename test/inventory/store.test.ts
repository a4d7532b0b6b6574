// Writing sync results: page upserts write only what is new or changed and record what changed, app hits
// attach to devices, and only markUnseen (called after a complete sync) marks devices gone, never erasing them.
import { copyNewDevicePage, markUnseen, Presence, upsertAppHits, upsertDevicePage } from '../../src/inventory/store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { aConnection, aDevice, aSyncRun } from '../support/factories';

describe('inventory store', () => {
  let db: TestDatabase;
  let connectionId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    connectionId = await aConnection(db.knex);
  });
  afterAll(() => db.drop());

  const changes = (change: string) => db.knex('device_changes').where({ change }).orderBy('id');

  it('inserts new devices with every field and the native record', async () => {
    const run = await aSyncRun(db.knex, connectionId);
    const devices = [
      aDevice(),
      aDevice({ platform: 'ios', enrollmentMode: 'device', ownership: 'company', jailbroken: null }),
    ];
    expect(await upsertDevicePage(db.knex, connectionId, run, devices)).toEqual({
      seen: 2,
      appeared: 2,
      changed: 0,
      returned: 0,
    });
    const stored = await db.knex('devices').where({ connection_id: connectionId }).orderBy('name');
    expect(stored.map((d) => [d.external_id, d.platform, d.jailbroken, d.native])).toEqual(
      devices.map((d) => [d.externalId, d.platform, d.jailbroken, d.native]),
    );
    expect(stored.every((d) => d.first_seen_at instanceof Date)).toBe(true);
    expect(await db.knex('device_changes')).toEqual([]);
  });

  it('records only tracked fields that really changed, with before and after', async () => {
    const run = await aSyncRun(db.knex, connectionId);
    const [first] = await db.knex('devices').where({ connection_id: connectionId }).orderBy('name');
    const unchanged = aDevice({
      externalId: first.external_id,
      name: first.name,
      serialNumber: first.serial_number,
      user: {
        externalId: first.user_external_id,
        principalName: first.user_principal_name,
        displayName: first.user_display_name,
        email: null,
      },
      native: first.native,
    });
    expect(
      await upsertDevicePage(db.knex, connectionId, run, [{ ...unchanged, lastCheckInAt: new Date() }]),
    ).toMatchObject({ changed: 0 });

    const changed = { ...unchanged, compliance: 'noncompliant' as const, encrypted: false };
    expect(await upsertDevicePage(db.knex, connectionId, run, [changed])).toMatchObject({ seen: 1, changed: 1 });
    const [change] = await changes('changed');
    expect(change.fields).toEqual({ compliance: ['compliant', 'noncompliant'], encrypted: [true, false] });
  });

  it('attaches app hits to devices of the connection and counts hits on unknown devices as unmatched', async () => {
    const [device] = await db.knex('devices').where({ connection_id: connectionId }).orderBy('name');
    const hit = {
      identifier: 'com.whatsapp',
      appExternalId: 'app-1',
      displayName: 'com.whatsapp',
      version: '2.24',
      scope: 'work-profile' as const,
    };
    const matched = await upsertAppHits(db.knex, connectionId, [
      { ...hit, deviceExternalId: device.external_id },
      { ...hit, deviceExternalId: 'not-listed' },
    ]);
    expect(matched).toBe(1);
    expect(await db.knex('device_apps').where({ device_id: device.id })).toEqual([
      expect.objectContaining({ identifier: 'com.whatsapp', scope: 'work-profile', removed_at: null }),
    ]);
  });

  it('marks devices and apps a complete run did not see as gone and removed, and records a returning device', async () => {
    const devices = await db.knex('devices').where({ connection_id: connectionId }).orderBy('name');
    const run = await aSyncRun(db.knex, connectionId);
    const [seenAgain] = devices;
    const page = [
      aDevice({ externalId: seenAgain.external_id, name: seenAgain.name, serialNumber: seenAgain.serial_number }),
    ];
    await upsertDevicePage(db.knex, connectionId, run, page);
    const presence = new Presence();
    presence.addDevices(page);
    const result = await db.knex.transaction((trx) => markUnseen(trx, connectionId, run, presence));
    expect(result).toEqual({ gone: 1, appsRemoved: 1 });
    const gone = await db.knex('devices').where({ id: devices[1].id }).first();
    expect(gone.gone_at).not.toBeNull();
    expect(gone.last_seen_at).toEqual(gone.first_seen_at); // no complete sync had found it before
    expect(await db.knex('devices').where({ connection_id: connectionId }).count({ n: '*' }).first()).toEqual({ n: 2 });
    expect(await changes('gone')).toEqual([expect.objectContaining({ device_id: devices[1].id, sync_run_id: run })]);
    const connection = await db.knex('connections').where({ id: connectionId }).first();
    expect(connection.last_complete_sync_at).not.toBeNull();

    const later = await aSyncRun(db.knex, connectionId);
    const back = await upsertDevicePage(db.knex, connectionId, later, [
      aDevice({
        externalId: devices[1].external_id,
        name: devices[1].name,
        serialNumber: devices[1].serial_number,
        platform: 'ios',
      }),
    ]);
    expect(back.returned).toBe(1);
    expect((await db.knex('devices').where({ id: devices[1].id }).first()).gone_at).toBeNull();
  });

  it('keeps apps a complete run saw, by device and app', async () => {
    const [device] = await db.knex('devices').where({ connection_id: connectionId, gone_at: null }).orderBy('name');
    const hit = {
      identifier: 'org.telegram.messenger',
      appExternalId: 'tg',
      displayName: null,
      version: null,
      scope: 'device' as const,
      deviceExternalId: device.external_id,
    };
    await upsertAppHits(db.knex, connectionId, [hit]);
    const run = await aSyncRun(db.knex, connectionId);
    const presence = new Presence();
    presence.addDevices([aDevice({ externalId: device.external_id })]);
    presence.addApps([hit]);
    const devices = await db.knex('devices').where({ connection_id: connectionId, gone_at: null });
    presence.addDevices(devices.map((d) => aDevice({ externalId: d.external_id })));
    expect(await db.knex.transaction((trx) => markUnseen(trx, connectionId, run, presence))).toEqual({
      gone: 0,
      appsRemoved: 0,
    });
    expect(await db.knex('device_apps').where({ app_external_id: 'tg' }).first()).toMatchObject({ removed_at: null });
  });

  it('keeps one row per device when a page repeats a device', async () => {
    const run = await aSyncRun(db.knex, connectionId);
    const twice = aDevice();
    const result = await upsertDevicePage(db.knex, connectionId, run, [twice, { ...twice, name: 'renamed' }]);
    expect(result).toMatchObject({ seen: 1, appeared: 1 });
    expect((await db.knex('devices').where({ external_id: twice.externalId }).first()).name).toBe('renamed');
  });

  it('copies a first page in exactly as the upsert stores it, whatever characters its fields hold', async () => {
    const awkward = 'tab\there, newline\nthere, CR\r, backslash \\ and \\N, quote " and \'; ünïcödé ✓ 😀';
    const make = () => [
      aDevice({ name: awkward, serialNumber: '\\N', model: '', jailbroken: null, enrolledAt: null }),
      aDevice({
        platform: 'ios',
        ownership: 'company',
        user: { externalId: null, principalName: null, displayName: 'Zoë\tO\\Brien', email: null },
        native: { id: 'x', nested: { text: awkward, list: [1, null, true], empty: '' }, nul: 'a\\u0000b' },
      }),
    ];
    const copied = await aConnection(db.knex);
    const upserted = await aConnection(db.knex);
    const devices = make();
    expect(await copyNewDevicePage(db.knex, copied, devices)).toEqual({
      seen: 2,
      appeared: 2,
      changed: 0,
      returned: 0,
    });
    await upsertDevicePage(db.knex, upserted, await aSyncRun(db.knex, upserted), devices);
    const read = async (connection: string) =>
      (await db.knex('devices').where({ connection_id: connection }).orderBy('external_id')).map(
        ({ id, connection_id, first_seen_at, ...rest }) => rest,
      );
    const fromCopy = await read(copied);
    expect(fromCopy).toEqual(await read(upserted));
    expect(fromCopy.map((d) => d.native)).toEqual(
      [...devices].sort((a, b) => (a.externalId < b.externalId ? -1 : 1)).map((d) => d.native),
    );
    expect(fromCopy.some((d) => d.name === awkward)).toBe(true);
    expect(fromCopy.some((d) => d.serial_number === '\\N')).toBe(true);
    expect(
      await db
        .knex('device_changes')
        .whereIn('device_id', db.knex('devices').select('id').where({ connection_id: copied })),
    ).toEqual([]);
  });

  it('writes nothing and answers null when a device of the page is stored already, so the caller upserts', async () => {
    const connection = await aConnection(db.knex);
    const [stored, fresh] = [aDevice(), aDevice()];
    await copyNewDevicePage(db.knex, connection, [stored!]);
    expect(await copyNewDevicePage(db.knex, connection, [fresh!, stored!])).toBeNull();
    expect((await db.knex('devices').where({ connection_id: connection })).map((d) => d.external_id)).toEqual([
      stored!.externalId,
    ]);
  });
});
