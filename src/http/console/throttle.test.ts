import { describe, expect, it } from 'vitest';
import { FailureThrottle, addressKey } from './throttle.js';

describe('failed sign-ins per address', () => {
  it('blocks an address after the limit, until its window ends', () => {
    const throttle = new FailureThrottle(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(throttle.blocked('a', i)).toBe(false);
      throttle.fail('a', i);
    }
    expect(throttle.blocked('a', 10)).toBe(true);
    expect(throttle.blocked('b', 10)).toBe(false);
    expect(throttle.blocked('a', 1000)).toBe(false);
    throttle.fail('a', 1000);
    expect(throttle.blocked('a', 1001)).toBe(false);
  });

  it('holds at most its number of entries, dropping ended windows first, then the oldest', () => {
    const throttle = new FailureThrottle(1, 1000, 2);
    throttle.fail('a', 0);
    throttle.fail('b', 500);
    throttle.fail('c', 1200);
    expect([throttle.blocked('a', 1200), throttle.blocked('b', 1200), throttle.blocked('c', 1200)]).toEqual([
      false,
      true,
      true,
    ]);
    throttle.fail('d', 1300);
    expect([throttle.blocked('b', 1300), throttle.blocked('c', 1300), throttle.blocked('d', 1300)]).toEqual([
      false,
      true,
      true,
    ]);
  });
});

describe('the unit an address limit counts', () => {
  it('is the IPv4 address itself, and for IPv6 the /64 network, however it is spelled', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:1:2::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('::')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('not an address')).toBe('not an address');
  });
});
