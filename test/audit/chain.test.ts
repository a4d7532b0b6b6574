import { digestDetails, GENESIS_HASH, linkHash, type StoredEvent, verifyLinks } from '../../src/audit/chain';
import { canonicalJson } from '../../src/util/canonical-json';

function chain(length: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const details = { n: seq, nested: { b: [1, 'two'], a: null } };
    const fields = {
      seq,
      occurredAt: new Date(Date.UTC(2026, 10, 22, 0, 0, seq)),
      actor: { type: 'token' as const, id: 't1', name: 'alice', role: 'admin' },
      action: 'token.create',
      outcome: 'success' as const,
      targetType: 'token',
      targetId: `id-${seq}`,
      requestId: `r-${seq}`,
      detailsDigest: digestDetails(details),
      prevHash,
    };
    const hash = linkHash(fields);
    events.push({ ...fields, details, hash });
    prevHash = hash;
  }
  return events;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined, so a JSONB round trip hashes the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('refuses values that are not JSON', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/not JSON/);
  });
});

describe('verifyLinks', () => {
  it('accepts an intact chain and returns its last link', () => {
    const events = chain(5);
    const result = verifyLinks(events, { seq: 0, hash: GENESIS_HASH });
    expect(result).toEqual({ broken: null, last: { seq: 5, hash: events[4]!.hash }, checked: 5 });
  });

  it('names an event whose fields were altered', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, actor: { ...events[2]!.actor, name: 'mallory' } };
    expect(verifyLinks(events, { seq: 0, hash: GENESIS_HASH }).broken).toMatchObject({
      seq: 3,
      reason: 'hash-mismatch',
    });
  });

  it('names an event whose details were altered without touching the digest', () => {
    const events = chain(5);
    events[1] = { ...events[1]!, details: { n: 999 } };
    expect(verifyLinks(events, { seq: 0, hash: GENESIS_HASH }).broken).toMatchObject({
      seq: 2,
      reason: 'details-mismatch',
    });
  });

  it('names the gap left by a deleted event', () => {
    const events = chain(5);
    events.splice(3, 1);
    expect(verifyLinks(events, { seq: 0, hash: GENESIS_HASH }).broken).toMatchObject({
      seq: 4,
      reason: 'missing-event',
    });
  });

  it('names an event re-hashed after tampering, by its broken prev_hash link to the next one', () => {
    const events = chain(5);
    const forged = { ...events[1]!, action: 'token.revoke' };
    events[1] = { ...forged, hash: linkHash(forged) };
    expect(verifyLinks(events, { seq: 0, hash: GENESIS_HASH }).broken).toMatchObject({
      seq: 3,
      reason: 'prev-hash-mismatch',
    });
  });
});
