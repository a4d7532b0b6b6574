// Key rotation: re-seals every sealed secret (MDM credentials, webhook signing secrets, deleted webhooks' too)
// under the secret box's current key, so that the keys in WARDEN_SECRET_KEY_PREVIOUS can then be dropped.
//
// First every value not yet under the current key is opened (nothing is written if one cannot be: a missing or
// wrong previous key fails the run before it changes a row). Then the values are re-sealed in batches, each in
// its own transaction with its `secrets.rotate` audit event (counts and key ids, never secret material); a row
// is locked and read again inside its batch, so a value changed or re-sealed meanwhile is not overwritten.
// Running it again re-seals nothing: it is idempotent, and safe to repeat after a failure.
import type { Knex } from 'knex';
import type { Actor } from '../audit/chain';
import { appendAudit } from '../audit/store';
import { type SecretBox, sealedKeyId } from './secret-box';

/** Where sealed values live: the table, its sealed column, and the context each value is bound to. */
interface SealedColumn {
  name: 'connections' | 'webhooks';
  table: string;
  column: string;
  context(id: string): string;
}

const SEALED: readonly SealedColumn[] = [
  { name: 'connections', table: 'connections', column: 'credentials_sealed', context: (id) => id },
  { name: 'webhooks', table: 'webhooks', column: 'secret_sealed', context: (id) => `webhook:${id}` },
];

export type SealedKind = SealedColumn['name'];

export interface RotationReport {
  /** The current key, under which every value is sealed once the rotation is done. */
  keyId: string;
  /** Values re-sealed by this run, per kind. */
  resealed: Record<SealedKind, number>;
  /** Values that already were under the current key, per kind. */
  alreadyCurrent: Record<SealedKind, number>;
  /** The keys the re-sealed values had been sealed with, and how many values each. */
  from: Record<string, number>;
}

/** A value cannot be opened, so nothing was re-sealed. The message names the rows, never their content. */
export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

interface Pending {
  source: SealedColumn;
  id: string;
}

const zero = (): Record<SealedKind, number> => ({ connections: 0, webhooks: 0 });

export async function rotateSecrets(
  knex: Knex,
  box: SecretBox,
  by: { actor: Actor; requestId?: string | null },
  options: { batchSize?: number } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 100;
  const report: RotationReport = { keyId: box.keyId, resealed: zero(), alreadyCurrent: zero(), from: {} };
  const pending: Pending[] = [];
  const unopenable: string[] = [];

  // 1. Check that every value not under the current key opens, before writing anything.
  for (const source of SEALED) {
    const rows: Array<{ id: string; sealed: string }> = await knex(source.table)
      .select('id', `${source.column} as sealed`)
      .orderBy('id');
    for (const row of rows) {
      if (box.isCurrent(row.sealed)) {
        report.alreadyCurrent[source.name]++;
        continue;
      }
      try {
        box.open(row.sealed, source.context(row.id));
        pending.push({ source, id: row.id });
      } catch {
        const keyId = sealedKeyId(row.sealed);
        const why = !keyId
          ? 'is not a sealed value'
          : box.canOpen(row.sealed)
            ? `does not open with key ${keyId} (altered, or copied from another row)`
            : `is sealed with key ${keyId}, which is not configured`;
        unopenable.push(`${source.name.slice(0, -1)} ${row.id} ${why}`);
      }
    }
  }
  if (unopenable.length > 0) {
    const missing = unopenable.some((line) => line.endsWith('which is not configured'));
    throw new RotationError(
      `nothing was re-sealed: ${unopenable.length} sealed value${unopenable.length === 1 ? '' : 's'} cannot be opened ` +
        `(${unopenable.slice(0, 5).join('; ')}${unopenable.length > 5 ? '; …' : ''})` +
        (missing ? '. Put the key that sealed them in WARDEN_SECRET_KEY_PREVIOUS (comma-separated) and run again' : ''),
    );
  }

  // 2. Re-seal in batches, each batch one transaction with its audit event.
  const batches = Math.max(1, Math.ceil(pending.length / batchSize));
  for (let batch = 0; batch < batches; batch++) {
    const slice = pending.slice(batch * batchSize, (batch + 1) * batchSize);
    const done = await knex.transaction(async (trx) => {
      const resealed = zero();
      const from: Record<string, number> = {};
      for (const { source, id } of slice) {
        const row = await trx(source.table).select(`${source.column} as sealed`).where({ id }).forUpdate().first();
        if (!row) continue; // deleted meanwhile: nothing left to re-seal
        if (box.isCurrent(row.sealed)) {
          report.alreadyCurrent[source.name]++; // re-sealed meanwhile (another run, or re-created)
          continue;
        }
        const oldKeyId = sealedKeyId(row.sealed) ?? 'none';
        await trx(source.table)
          .where({ id })
          .update({ [source.column]: box.reseal(row.sealed, source.context(id)) });
        resealed[source.name]++;
        from[oldKeyId] = (from[oldKeyId] ?? 0) + 1;
      }
      await appendAudit(trx, {
        actor: by.actor,
        action: 'secrets.rotate',
        target: { type: 'secret-key', id: box.keyId },
        requestId: by.requestId ?? null,
        details: {
          keyId: box.keyId,
          resealed,
          from,
          // The run's count so far of values that needed nothing.
          alreadyCurrent: { ...report.alreadyCurrent },
          batch: batch + 1,
          batches,
        },
      });
      return { resealed, from };
    });
    // Counted only once the batch has committed.
    for (const kind of Object.keys(done.resealed) as SealedKind[]) report.resealed[kind] += done.resealed[kind];
    for (const [keyId, n] of Object.entries(done.from)) report.from[keyId] = (report.from[keyId] ?? 0) + n;
  }
  return report;
}
