// The sync's shrink guard as a pure rule: how many unseen devices one complete sync may mark gone.
import { mayMarkGone } from '../../src/inventory/sync';

describe('mayMarkGone', () => {
  it('lets a handful go whatever the fleet size', () => {
    expect(mayMarkGone(10, 10, 25, false)).toBe(true);
    expect(mayMarkGone(11, 20, 25, false)).toBe(false);
  });
  it('lets up to the share go, and holds more', () => {
    expect(mayMarkGone(250, 1000, 25, false)).toBe(true);
    expect(mayMarkGone(251, 1000, 25, false)).toBe(false);
    expect(mayMarkGone(999, 1000, 100, false)).toBe(true);
  });
  it('lets any shrink go when the sync before held one back', () => {
    expect(mayMarkGone(900, 1000, 25, true)).toBe(true);
  });
});
