import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../bench/server.js';

export { freePort };

/**
 * The gateway as its users run it: `node dist/src/main.js` in a process of its own, which a test
 * can kill with SIGKILL mid-call and start again on the same database. `npm test` builds `dist/`
 * first (its type check emits); a suite run on its own builds it here when it is missing or older
 * than the sources.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
export const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const BUILD_LOCK = path.join(ROOT, 'dist', '.build-lock');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export async function ensureBuilt(): Promise<void> {
  const fresh = () =>
    existsSync(MAIN_JS) && statSync(MAIN_JS).mtimeMs >= newestMtimeMs(path.join(ROOT, 'src'));
  if (fresh()) return;
  mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  for (let waitedMs = 0; ; waitedMs += 250) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      if (waitedMs > 120_000) throw new Error('another build of dist/ did not finish');
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (fresh()) return;
    }
  }
  try {
    if (!fresh())
      execFileSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          path.join(ROOT, 'tsconfig.build.json'),
        ],
        { stdio: 'inherit' },
      );
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string[];
  /** SIGKILL: no shutdown hook runs, exactly like a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Runs `node dist/src/main.js` with `env` and waits for it to listen (or to exit). */
export async function startGatewayProcess(
  env: Record<string, string>,
  port: number,
  timeoutMs = 20_000,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start within ${timeoutMs} ms: ${stderr.join('')}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout.push(chunk);
      if (stdout.join('').includes('gateway listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code ?? 'a signal'}: ${stderr.join('')}`));
    });
  });
  await listening;
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout,
    stderr,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/** Runs the gateway expecting it to fail at start: its exit code and what it printed on stderr. */
export async function failedStart(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited(child);
  clearTimeout(timer);
  return { code: child.exitCode, stderr };
}
