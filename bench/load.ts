import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadJob, LoadMessage, LoadResult } from './protocol.js';
import { Samples, round } from './stats.js';

/**
 * The load generator: a separate process (forked by run.ts) that drives the gateway over loopback
 * HTTP with keep-alive connections and a fixed number of operations in flight. It receives one
 * LoadJob over IPC, runs warm-up then the measured window, and answers with a LoadResult.
 */
const REQUEST_TIMEOUT_MS = 30_000;
/** Consecutive failures after which the run is abandoned (the server is down or refusing). */
const CONSECUTIVE_ERRORS_MAX = 1_000;
const ERROR_SAMPLES_MAX = 5;

function send(message: LoadMessage): void {
  process.send?.(message);
}

/** The last message, then hang up once it is written: a large result must not be cut off by the disconnect. */
function sendLast(message: LoadMessage): void {
  if (!process.send) return;
  process.send(message, undefined, {}, () => process.disconnect());
}

class HttpClient {
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly port: number,
    concurrency: number,
    apikey: string,
    apiToken: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
    this.headers = { apikey, authorization: `Bearer ${apiToken}`, accept: 'application/json' };
  }

  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = payload
        ? { ...this.headers, 'content-type': 'application/json', 'content-length': String(payload.length) }
        : this.headers;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode !== 200)
              return reject(
                new Error(
                  `${method} ${path.split('?')[0] ?? ''}: HTTP ${res.statusCode ?? 0} ${text.slice(0, 200)}`,
                ),
              );
            try {
              resolve(JSON.parse(text) as unknown);
            } catch {
              reject(new Error(`${method} ${path}: not JSON: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

type Phase = 'warmup' | 'measure' | 'stop';

interface StepTimer {
  (name: string, startedAt: number): void;
}

async function payin(client: HttpClient, job: LoadJob, phone: string, step: StepTimer): Promise<void> {
  let t = performance.now();
  const issued = (await client.call('GET', `/pay/v02/debitotp/${phone}/${job.amountXof}`)) as {
    error?: unknown;
    message?: unknown;
  };
  if (issued.error !== false) throw new Error(`debitotp: ${String(issued.message)}`);
  step('debitotp', t);
  t = performance.now();
  const inbox = (await client.call('GET', `/sandbox/sms?phone=${phone}&limit=1`)) as {
    messages?: { body?: string }[];
  };
  const code = /\b(\d{6})\b/.exec(inbox.messages?.[0]?.body ?? '')?.[1];
  if (code === undefined) throw new Error(`sms: no OTP for ${phone}`);
  step('sms', t);
  t = performance.now();
  const created = (await client.call('POST', '/pay/v02/debitwallet/withotp', {
    commande: {
      invoice: {
        items: [],
        total_amount: job.amountXof,
        devise: 'XOF',
        description: 'Bench order',
        customer: phone,
        external_id: '',
        otp: code,
      },
      store: { name: 'Bench shop', website_url: 'https://shop.example' },
      // No callback URL: the bench makes no outbound calls (the callback worker still handles each event).
      actions: { cancel_url: '', return_url: '', callback_url: '' },
      custom_data: { order: 'bench' },
    },
  })) as { response_code?: unknown; description?: unknown };
  if (created.response_code !== '00') throw new Error(`withotp: ${String(created.description)}`);
  step('withotp', t);
}

/** `withdrawal/create` (top_up_wallet 1 or 0) or `straight/payout`, with a distinct transaction id. */
async function payout(client: HttpClient, job: LoadJob, phone: string, transactionId: string): Promise<void> {
  const merchant = job.scenario === 'merchant';
  const path = merchant ? '/pay/v01/straight/payout' : '/pay/v01/withdrawal/create';
  const created = (await client.call('POST', path, {
    commande: {
      amount: job.amountXof,
      description: 'Bench payout',
      customer: phone,
      callback_url: job.callbackUrl ?? '',
      ...(merchant ? {} : { top_up_wallet: job.scenario === 'topup0' ? 0 : 1 }),
      custom_data: { transaction_id: transactionId },
    },
  })) as { response_code?: unknown; description?: unknown };
  if (created.response_code !== '00')
    throw new Error(`${path.slice('/pay/v01/'.length)}: ${String(created.description)}`);
}

/** Operations in flight at most under paced load: when the server falls this far behind, the schedule waits. */
const PACED_IN_FLIGHT_MAX = 2048;
/** Keep-alive connections under paced load; further requests queue in the agent (and count in their latency). */
const PACED_SOCKETS_MAX = 256;
/** How often the paced driver starts the operations that have come due, ms. */
const PACED_TICK_MS = 1;

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const client = new HttpClient(
    job.port,
    job.ratePerSecond !== undefined ? PACED_SOCKETS_MAX : job.concurrency,
    job.apikey,
    job.apiToken,
  );
  const latency = new Samples();
  const steps = new Map<string, Samples>();
  const errorSamples = new Set<string>();
  let phase: Phase = job.warmupMs > 0 ? 'warmup' : 'measure';
  let stoppedBy: LoadResult['stoppedBy'] = 'time';
  let measureStart = performance.now();
  let measureEnd = Number.POSITIVE_INFINITY;
  let ops = 0;
  let errors = 0;
  let warmupOps = 0;
  let consecutiveErrors = 0;
  let payoutSeq = 0;
  const otpsIssued = new Map<string, number>();

  const stop = (why: LoadResult['stoppedBy']) => {
    if (phase === 'stop') return;
    if (phase === 'measure') measureEnd = performance.now();
    else measureStart = measureEnd = performance.now();
    phase = 'stop';
    stoppedBy = why;
    send({ type: 'measure-end' });
  };
  const startMeasuring = () => {
    if (phase !== 'warmup') return;
    phase = 'measure';
    measureStart = performance.now();
    send({ type: 'measure-start' });
  };
  if (phase === 'measure') send({ type: 'measure-start' });
  const warmupTimer = setTimeout(startMeasuring, job.warmupMs);
  const endTimer = setTimeout(() => stop('time'), job.warmupMs + job.durationMs);

  const inWindow = (at: number) => phase !== 'warmup' && at >= measureStart && at <= measureEnd;
  const step: StepTimer = (name, startedAt) => {
    const end = performance.now();
    if (!inWindow(end)) return;
    let samples = steps.get(name);
    if (!samples) steps.set(name, (samples = new Samples()));
    samples.add(end - startedAt);
  };

  const answered: [string, number][] = [];
  /** One operation, counted in the window or in the warm-up; throws only when the server seems gone. */
  const operate = async (phone: string) => {
    const transactionId = `${job.runId}-${payoutSeq++}`;
    const startedAt = performance.now();
    try {
      if (job.scenario === 'payins') await payin(client, job, phone, step);
      else await payout(client, job, phone, transactionId);
      consecutiveErrors = 0;
      const end = performance.now();
      if (inWindow(end)) {
        ops++;
        latency.add(end - startedAt);
        if (job.scenario === 'callbacks') answered.push([transactionId, performance.timeOrigin + end]);
        if (ops >= job.maxOps) stop('max-ops');
      } else if (phase === 'warmup') {
        warmupOps++;
      }
    } catch (error) {
      if (inWindow(performance.now())) errors++;
      if (errorSamples.size < ERROR_SAMPLES_MAX) errorSamples.add((error as Error).message);
      if (++consecutiveErrors >= CONSECUTIVE_ERRORS_MAX)
        throw new Error(`${consecutiveErrors} failures in a row; last: ${(error as Error).message}`);
    }
  };
  const payoutPhone = () => job.phones[payoutSeq % job.phones.length] ?? '';

  const worker = async (index: number) => {
    // Payin workers own the phones index, index + C, index + 2C…: one OTP per phone at a time.
    const own = job.phones.filter((_, i) => i % job.concurrency === index);
    let next = 0;
    while (phase !== 'stop') {
      let phone: string | undefined;
      if (job.scenario === 'payins') {
        for (let tries = 0; tries < own.length && phone === undefined; tries++) {
          const candidate = own[next++ % own.length] ?? '';
          if ((otpsIssued.get(candidate) ?? 0) < job.otpPerPhoneMax) phone = candidate;
        }
        if (phone === undefined) return stop('otp-budget');
        otpsIssued.set(phone, (otpsIssued.get(phone) ?? 0) + 1);
      } else {
        phone = payoutPhone();
      }
      await operate(phone);
    }
  };

  // Open loop: operation i starts at i / rate seconds whatever the answers do, so a slow server
  // shows as latency and a lower achieved rate, not as a politely slower client.
  let inFlightPeak = 0;
  const paced = (ratePerSecond: number) =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      let started = 0;
      let inFlight = 0;
      let failure: Error | undefined;
      const done = () => {
        if (phase === 'stop' && inFlight === 0) {
          clearInterval(timer);
          if (failure) reject(failure);
          else resolve();
        }
      };
      const timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) * ratePerSecond) / 1000);
        while (phase !== 'stop' && started < due && inFlight < PACED_IN_FLIGHT_MAX) {
          started++;
          inFlightPeak = Math.max(inFlightPeak, ++inFlight);
          operate(payoutPhone()).then(
            () => {
              inFlight--;
              done();
            },
            (error: unknown) => {
              inFlight--;
              failure ??= error as Error;
              stop('time');
              done();
            },
          );
        }
        done();
      }, PACED_TICK_MS);
    });

  try {
    if (job.ratePerSecond !== undefined) await paced(job.ratePerSecond);
    else await Promise.all(Array.from({ length: job.concurrency }, (_, i) => worker(i)));
  } finally {
    clearTimeout(warmupTimer);
    clearTimeout(endTimer);
    client.close();
  }
  const windowMs = measureEnd - measureStart;
  return {
    scenario: job.scenario,
    ops,
    errors,
    errorSamples: [...errorSamples],
    windowMs: round(windowMs),
    opsPerSecond: round(windowMs > 0 ? (ops * 1000) / windowMs : 0, 1),
    latency: latency.summary(),
    steps: Object.fromEntries([...steps].map(([name, samples]) => [name, samples.summary()])),
    warmupOps,
    stoppedBy,
    windowStartEpochMs: round(performance.timeOrigin + measureStart),
    windowEndEpochMs: round(performance.timeOrigin + measureEnd),
    paced:
      job.ratePerSecond !== undefined
        ? { targetPerSecond: job.ratePerSecond, inFlightPeak, inFlightMax: PACED_IN_FLIGHT_MAX }
        : undefined,
    answered: job.scenario === 'callbacks' ? answered : undefined,
  };
}

process.once('message', (job: LoadJob) => {
  runLoad(job).then(
    (result) => {
      sendLast({ type: 'result', result });
    },
    (error: unknown) => {
      sendLast({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    },
  );
});
