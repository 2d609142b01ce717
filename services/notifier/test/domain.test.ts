import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { embeddedIpv4, isCidr, refusedAddressReason } from '../src/domain/address-policy';
import { formatMoney } from '../src/domain/money-format';
import { describeEvent, monthName } from '../src/domain/notification-content';
import { defaultPreferences, minutesOfClock, overlayChannels } from '../src/domain/preferences';
import { isQuietMinute, localMinuteOfDay, quietHoursEnd } from '../src/domain/quiet-hours';
import { retryDelayMs } from '../src/domain/retry-schedule';
import { newWebhookSecret, signature, signedHeaders } from '../src/domain/webhook-signature';
import { budgetExceeded } from './fixtures';

describe('address policy (the SSRF rule)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 inside IPv6)'],
    ['::ffff:10.1.2.3', 'private (IPv4 inside IPv6)'],
    ['64:ff9b::a00:1', 'private (IPv4 inside IPv6)'],
    ['2002:7f00:1::', 'loopback (IPv4 inside IPv6)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:db8::1', 'documentation'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusedAddressReason(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:81c::200e'])(
    'allows the public address %s',
    (address) => {
      expect(refusedAddressReason(address)).toBeUndefined();
    },
  );

  it('refuses what is not an address, and reads embedded IPv4', () => {
    expect(refusedAddressReason('localhost')).toBe('not an IP address');
    expect(embeddedIpv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIpv4('2606:4700::1')).toBeUndefined();
  });

  it('refuses every IPv4-mapped form of a refused IPv4 address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const inner = refusedAddressReason(v4);
        const [a, b, c, d] = v4.split('.').map(Number);
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        for (const mapped of [`::ffff:${v4}`, hex])
          expect(refusedAddressReason(mapped)).toBe(
            inner === undefined ? undefined : `${inner} (IPv4 inside IPv6)`,
          );
      }),
    );
  });

  it('reads CIDRs for the allow-list', () => {
    expect(isCidr('127.0.0.0/8')).toBe(true);
    expect(isCidr('::1/128')).toBe(true);
    expect(isCidr('10.0.0.1')).toBe(true);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('example.com/8')).toBe(false);
  });
});

describe('quiet hours', () => {
  const night = { start: minutesOfClock('22:00'), end: minutesOfClock('07:00') };

  it('spans midnight when start is after end', () => {
    expect(isQuietMinute(minutesOfClock('23:30'), night)).toBe(true);
    expect(isQuietMinute(minutesOfClock('06:59'), night)).toBe(true);
    expect(isQuietMinute(minutesOfClock('07:00'), night)).toBe(false);
    expect(isQuietMinute(minutesOfClock('21:59'), night)).toBe(false);
    const lunch = { start: minutesOfClock('12:00'), end: minutesOfClock('13:00') };
    expect(isQuietMinute(minutesOfClock('12:30'), lunch)).toBe(true);
    expect(isQuietMinute(minutesOfClock('13:00'), lunch)).toBe(false);
  });

  it('ends at the local end time in the user’s time zone', () => {
    // 23:10 in Berlin (CET, UTC+1) on 15 January → 07:00 Berlin on the 16th = 06:00 UTC.
    expect(quietHoursEnd(new Date('2026-01-15T22:10:00Z'), 'Europe/Berlin', night)?.toISOString()).toBe(
      '2026-01-16T06:00:00.000Z',
    );
    // Same instant in New York is 17:10: not quiet.
    expect(quietHoursEnd(new Date('2026-01-15T22:10:00Z'), 'America/New_York', night)).toBeNull();
    expect(quietHoursEnd(new Date('2026-01-15T22:10:00Z'), 'Europe/Berlin', null)).toBeNull();
  });

  it('handles a daylight-saving change inside the quiet hours', () => {
    // Night of 28→29 March 2026: Berlin jumps from 02:00 to 03:00; 07:00 CEST = 05:00 UTC.
    expect(quietHoursEnd(new Date('2026-03-28T22:30:00Z'), 'Europe/Berlin', night)?.toISOString()).toBe(
      '2026-03-29T05:00:00.000Z',
    );
    // An end time that the jump skips (02:30) ends the quiet hours at the jump (03:00 CEST = 01:00 UTC).
    const skipped = { start: minutesOfClock('01:00'), end: minutesOfClock('02:30') };
    expect(quietHoursEnd(new Date('2026-03-29T00:15:00Z'), 'Europe/Berlin', skipped)?.toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    // Autumn: 25 October 2026, 03:00 CEST → 02:00 CET; 07:00 CET = 06:00 UTC.
    expect(quietHoursEnd(new Date('2026-10-24T21:00:00Z'), 'Europe/Berlin', night)?.toISOString()).toBe(
      '2026-10-25T06:00:00.000Z',
    );
  });

  it('always ends at a later instant outside the quiet hours (property)', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'UTC',
      'Pacific/Apia',
    ];
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        (now, zone, start, end) => {
          fc.pre(start !== end);
          const quiet = { start, end };
          const until = quietHoursEnd(now, zone, quiet);
          const inQuiet = isQuietMinute(localMinuteOfDay(now, zone), quiet);
          if (!inQuiet) return expect(until).toBeNull();
          expect(until).not.toBeNull();
          expect(until!.getTime()).toBeGreaterThan(now.getTime());
          expect(until!.getTime() - now.getTime()).toBeLessThanOrEqual(26 * 3_600_000);
          expect(isQuietMinute(localMinuteOfDay(until!, zone), quiet)).toBe(false);
          // The minute before it was still quiet: it is the first way out.
          expect(isQuietMinute(localMinuteOfDay(new Date(until!.getTime() - 60_000), zone), quiet)).toBe(
            true,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('money in a person’s currency', () => {
  it('formats exactly with the currency’s minor digits', () => {
    expect(formatMoney('512.4', 'EUR')).toBe('€512.40');
    expect(formatMoney('1500', 'JPY')).toBe('¥1,500');
    expect(formatMoney('1.25', 'BHD')).toBe('BHD\u00a01.250');
    expect(formatMoney('-20.00', 'USD')).toBe('-$20.00');
    // Beyond a double's precision: still every digit.
    expect(formatMoney('123456789012345678.91', 'USD')).toBe('$123,456,789,012,345,678.91');
  });

  it('never rounds an amount that does not fit the currency', () => {
    expect(formatMoney('1.5', 'JPY')).toBe('1.5 JPY');
  });
});

describe('notification content', () => {
  it('says what happened with money in its currency and ids to link', () => {
    const event = budgetExceeded('0190f0f0-0000-7000-8000-000000000001', {
      currency: 'JPY',
      limit: '50000',
      spent: '51200',
    });
    const content = describeEvent('budgets.budget.exceeded', event.payload);
    expect(content.kind).toBe('budget_exceeded');
    expect(content.title).toBe('Budget “Groceries” exceeded');
    expect(content.body).toContain('¥51,200 of ¥50,000');
    expect(content.data).toEqual({
      budget_id: event.payload.budgetId,
      category_id: event.payload.categoryId,
    });
  });

  it('names months for people and shortens long names in titles', () => {
    expect(monthName('2026-01')).toBe('January 2026');
    const content = describeEvent(
      'budgets.budget.exceeded',
      budgetExceeded('0190f0f0-0000-7000-8000-000000000001', { name: 'x'.repeat(300) }).payload,
    );
    expect(content.title.length).toBeLessThan(120);
  });
});

describe('preferences', () => {
  it('defaults: in-app on for all; e-mail for the four that matter; webhook on', () => {
    const { channels } = defaultPreferences();
    const emailOn = Object.entries(channels)
      .filter(([, c]) => c.email)
      .map(([kind]) => kind)
      .sort();
    expect(emailOn).toEqual([
      'budget_exceeded',
      'goal_completed',
      'monthly_report_ready',
      'recurring_upcoming',
    ]);
    expect(Object.values(channels).every((c) => c.in_app && c.webhook)).toBe(true);
  });

  it('lays choices over a matrix, leaving the rest', () => {
    const matrix = overlayChannels(defaultPreferences().channels, { budget_exceeded: { email: false } });
    expect(matrix.budget_exceeded).toEqual({ in_app: true, email: false, webhook: true });
    expect(matrix.goal_completed.email).toBe(true);
  });
});

describe('retry schedule', () => {
  const schedule = { baseMs: 1000, factor: 4, maxMs: 20_000, maxAttempts: 5 };

  it('grows exponentially with ±20 % jitter, capped, and stops after the last attempt', () => {
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(1000);
    expect(retryDelayMs(schedule, 2, () => 0.5)).toBe(4000);
    expect(retryDelayMs(schedule, 3, () => 0)).toBe(12_800);
    expect(retryDelayMs(schedule, 4, () => 1)).toBe(24_000); // capped at 20 s, then +20 %
    expect(retryDelayMs(schedule, 5)).toBeNull();
  });

  it('gives six attempts over about a day with the defaults', () => {
    const defaults = { baseMs: 300_000, factor: 4, maxMs: 86_400_000, maxAttempts: 6 };
    let total = 0;
    for (let attempt = 1; attempt < 6; attempt++) total += retryDelayMs(defaults, attempt, () => 0.5)!;
    expect(total / 3_600_000).toBeCloseTo(28.4, 0);
  });
});

describe('Standard Webhooks signatures', () => {
  it('are verified by the independent standardwebhooks package', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ type: 'budget_exceeded', data: { ünïcode: '€ ✓' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'msg_0190f0f0-0000-7000-8000-000000000001', timestamp, body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    // A changed byte, another secret, or another timestamp does not verify.
    expect(() => new Webhook(secret).verify(body.replace('€', '$'), { ...headers })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(() =>
      new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': String(timestamp + 1) }),
    ).toThrow();
  });

  it('sign with both secrets during a rotation, either verifying', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const body = '{"type":"webhook_test"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([current, previous], 'msg_1', timestamp, body);
    expect(headers['webhook-signature'].split(' ')).toEqual([
      signature(current, 'msg_1', timestamp, body),
      signature(previous, 'msg_1', timestamp, body),
    ]);
    for (const secret of [current, previous])
      expect(() => new Webhook(secret).verify(body, { ...headers })).not.toThrow();
  });
});
