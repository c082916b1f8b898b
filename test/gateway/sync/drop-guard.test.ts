import { dropRefusal } from '../../../gateway/src/sync';

describe('intended-drop guard', () => {
  it('accepts anything when nothing runs yet or nothing was running', () => {
    expect(dropRefusal(undefined, { routeCount: 0, intendedDrop: false }, 50)).toBeUndefined();
    expect(dropRefusal(0, { routeCount: 0, intendedDrop: false }, 50)).toBeUndefined();
  });

  it('refuses an empty version while routes run', () => {
    expect(dropRefusal(3, { routeCount: 0, intendedDrop: false }, 50)).toBe('it has no routes while 3 are running');
  });

  it('refuses dropping more than the threshold and accepts up to it', () => {
    expect(dropRefusal(10, { routeCount: 4, intendedDrop: false }, 50)).toBe('it drops 6 of 10 routes (60% > 50%)');
    expect(dropRefusal(10, { routeCount: 5, intendedDrop: false }, 50)).toBeUndefined();
    expect(dropRefusal(10, { routeCount: 12, intendedDrop: false }, 50)).toBeUndefined();
  });

  it('accepts any drop marked intended, and everything when the threshold is 100', () => {
    expect(dropRefusal(10, { routeCount: 0, intendedDrop: true }, 50)).toBeUndefined();
    expect(dropRefusal(10, { routeCount: 0, intendedDrop: false }, 100)).toBeUndefined();
  });

  it('with a threshold of 0 refuses any loss of routes', () => {
    expect(dropRefusal(10, { routeCount: 9, intendedDrop: false }, 0)).toBe('it drops 1 of 10 routes (10% > 0%)');
  });
});
