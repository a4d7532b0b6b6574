// The scrubbing rules, as pure functions: every identifier of the person becomes its pseudonym wherever it occurs
// distinctly enough, the same value always gives the same pseudonym (any case), and unrelated words stay.
import { isPseudonym, needlesOf, pseudonymOf, Scrubber } from '../../src/privacy/scrub';

const KEY = Buffer.alloc(32, 7);
const P = (value: string) => pseudonymOf(KEY, value);
const ana = new Scrubber(
  needlesOf({
    principalNames: ['Ana.Silva@contoso.example'],
    externalIds: ['bob'],
    emails: ['asilva@mail.contoso.example'],
    displayNames: ['Ana Silva'],
  }),
  P,
);

describe('pseudonyms', () => {
  it('are stable, case-insensitive, keyed and recognisable', () => {
    expect(P('Ana.Silva@contoso.example')).toBe(P('ana.silva@CONTOSO.example'));
    expect(P('ana.silva@contoso.example')).toMatch(/^erased-[0-9a-f]{20}$/);
    expect(isPseudonym(P('x'))).toBe(true);
    expect(pseudonymOf(Buffer.alloc(32, 8), 'x')).not.toBe(P('x'));
  });
});

describe('Scrubber', () => {
  it('replaces whole values, and distinctive identifiers inside text', () => {
    expect(ana.text('ANA.SILVA@contoso.example')).toBe(P('ana.silva@contoso.example'));
    expect(ana.text('bob')).toBe(P('bob'));
    expect(ana.text('mail to asilva@mail.contoso.example today')).toBe(
      `mail to ${P('asilva@mail.contoso.example')} today`,
    );
    expect(ana.text('Ana Silva leaves')).toBe(`${P('Ana Silva')} leaves`);
    // Short identifiers only as whole values in text: "bob" inside "bobcat" is not the person.
    expect(ana.text('bobcat and Banana')).toBe('bobcat and Banana');
  });

  it('replaces name words in device names and free text about the person, as whole words only', () => {
    expect(ana.deviceName("Ana's iPad")).toBe(`${P('Ana')}'s iPad`);
    expect(ana.deviceName('ana.silva_AndroidForWork_1/2/2026')).toBe(`${P('ana.silva')}_AndroidForWork_1/2/2026`);
    expect(ana.deviceName('offboard:bob')).toBe(`offboard:${P('bob')}`);
    expect(ana.deviceName('Banana phone of Silvan')).toBe('Banana phone of Silvan');
    expect(ana.deviceName(null)).toBeNull();
  });

  it('scrubs JSON deeply, and device names in history', () => {
    expect(ana.json({ user: 'ana.silva@contoso.example', n: 1, list: ['bob', true, null], 'Ana Silva': 'x' })).toEqual({
      user: P('ana.silva@contoso.example'),
      n: 1,
      list: [P('bob'), true, null],
      [P('Ana Silva')]: 'x',
    });
    expect(ana.history({ name: ["Ana's old Galaxy", "Carl's Galaxy"], compliance: ['compliant', 'unknown'] })).toEqual({
      name: [`${P('Ana')}'s old Galaxy`, "Carl's Galaxy"],
      compliance: ['compliant', 'unknown'],
    });
  });

  it('finds candidate rows with LIKE patterns that escape LIKE wildcards', () => {
    const patterns = new Scrubber(
      needlesOf({ principalNames: ['a_b%c@x.example'], externalIds: [], emails: [], displayNames: [] }),
      P,
    ).likePatterns();
    expect(patterns).toContain('%a\\_b\\%c@x.example%');
    expect(patterns).toContain('%"a\\_b\\%c@x.example"%');
  });
});
